import type { Provider } from "../../apis/shared/common.ts";
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

