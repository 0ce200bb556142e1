import type { Provider } from "../../apis/shared/common.ts";
import { block, overlaps } from "./cidr.ts";
import { SpecError } from "./errors.ts";
import type { K8sObject } from "./types.ts";

/** The referenced Network must exist here and sit on the same provider and region as what it hosts. */
export function checkNetwork(field: string, items: K8sObject[] | undefined, name: string, namespace: string, provider: Provider, region: string, what = "database"): void {
  const net = items?.[0];
  if (!net) {
    throw SpecError.field(field, `Network ${JSON.stringify(name)} does not exist in namespace ${namespace}`, "create the Network in this namespace first, or fix the name (references to other namespaces are not allowed)");
  }
  const s = (net.spec ?? {}) as { provider?: string; region?: string };
  if (s.provider !== provider) {
    throw SpecError.field(field, `Network ${JSON.stringify(name)} is on ${s.provider}, this ${what} on ${provider}`, `reference a Network with provider ${provider}`);
  }
  if (s.region !== region) {
    throw SpecError.field(field, `Network ${JSON.stringify(name)} is in ${s.region}, the ${what} in ${region}`, `reference a Network in ${region}`);
  }
}


/**
 * A Network named as a peer of another: it exists here, is not the Network itself, sits on Azure
 * (Tessera peers VNets only) and its address space does not overlap (Azure refuses to peer
 * overlapping VNets). Another region is allowed (global VNet peering).
 */
export function checkPeerNetwork(field: string, items: K8sObject[] | undefined, self: { name: string; namespace: string; provider: Provider; cidr: string }, peer: string): void {
  if (peer === self.name) throw SpecError.field(field, `names this Network itself (${JSON.stringify(peer)})`, "name another Network, or remove the peering");
  const net = items?.[0];
  if (!net) {
    throw SpecError.field(field, `Network ${JSON.stringify(peer)} does not exist in namespace ${self.namespace}`, "create the peer Network in this namespace first, or fix the name (peers in other namespaces are not allowed)");
  }
  const s = (net.spec ?? {}) as { provider?: string; cidr?: string };
  if (s.provider !== self.provider) {
    throw SpecError.field(field, `Network ${JSON.stringify(peer)} is on ${s.provider}, this one on ${self.provider}`, `peer with a Network on ${self.provider}`);
  }
  if (typeof s.cidr === "string" && overlaps(block(s.cidr), block(self.cidr))) {
    throw SpecError.field(field, `Network ${JSON.stringify(peer)} uses ${s.cidr}, which overlaps this Network's ${self.cidr}; Azure cannot peer overlapping address spaces`, "give the two Networks disjoint address spaces");
  }
}
