/**
 * What live dependants stand on, and the refusal to take it away.
 *
 * Every PostgresDatabase and RedisCluster composes a Crossplane Usage of its Network, labelled with the
 * Network's name and the tier it uses (functions/shared/usage.ts; that label contract is read here).
 * The Network requires those Usages as required resources, and before returning a render compares,
 * for each used tier, what the observed resources provide (subnets and their ranges, security groups,
 * allowed ports, private DNS zones) with what the render would leave. Anything that would go away is
 * refused with a fatal result naming the dependant, so Crossplane deletes nothing.
 */
import type { Tier } from "../../apis/network/schema.ts";
import { USAGE_API_VERSION } from "../shared/usage.ts";
import { LABELS } from "../shared/resources.ts";
import { SpecError } from "../shared/errors.ts";
import type { K8sObject, ObservedResource, Rendered, Selector, XrMeta } from "../shared/types.ts";

/** Requirement name under which fn.ts serves the Usages of this Network. */
export const USAGES = "dependants";

export const usageSelector = (xr: XrMeta): Selector => ({
  apiVersion: USAGE_API_VERSION,
  kind: "Usage",
  matchLabels: { [LABELS.network]: xr.name },
  namespace: xr.namespace,
});

export interface Dependant {
  tier: string;
  /** e.g. "PostgresDatabase orders (Usage orders-x7k2p: ...)" */
  who: string;
}

/** The Usages of this Network, as dependants. A Usage being deleted no longer holds anything. */
export function dependantsOf(required: Record<string, K8sObject[]>, xr: XrMeta): Dependant[] {
  return (required[USAGES] ?? [])
    .filter((u) => u.metadata?.labels?.[LABELS.network] === xr.name && !u.metadata?.["deletionTimestamp"])
    .map((u) => {
      const labels = u.metadata?.labels ?? {};
      const owner = ((u.metadata?.["ownerReferences"] as Array<{ kind?: string; name?: string; controller?: boolean }> | undefined) ?? []).find((o) => o.controller);
      const composite = labels["crossplane.io/composite"];
      const who = owner?.kind && owner.name ? `${owner.kind} ${owner.name}` : composite ? `the XR ${composite}` : `Usage ${u.metadata?.name ?? "(unnamed)"}`;
      const by = (u.spec?.["by"] as { kind?: string } | undefined)?.kind;
      return { tier: labels[LABELS.tier] ?? "", who: `${who}${by ? ` (its ${by})` : ""}` };
    })
    .sort((a, b) => a.who.localeCompare(b.who));
}

const SG_TIERS: Record<string, Tier> = { "load-balancer": "public", app: "private", database: "database", cache: "cache" };
const TIER_RE = "(public|private|database|cache)";

/** The tier whose dependants need the resource under `key`; undefined for what every tier shares (VPC, VNet, resource group). */
export function tierOfKey(key: string): Tier | undefined {
  let m = new RegExp(`^(?:subnet|route-table-association|security-group-association)-${TIER_RE}(?:-|$)`).exec(key);
  if (m) return m[1] as Tier;
  m = /^security-group-(load-balancer|app|database|cache)$/.exec(key);
  if (m) return SG_TIERS[m[1]!];
  m = /^sg-(load-balancer|app|database|cache)-/.exec(key);
  if (m) return /postgres/.test(key) ? "database" : /redis/.test(key) ? "cache" : SG_TIERS[m[1]!];
  if (/^private-dns-zone(-link)?-postgres$/.test(key)) return "database";
  if (/^private-dns-zone(-link)?-(managed-)?redis$/.test(key)) return "cache";
  if (key === "nat-gateway-association-private" || key.startsWith("route-private-") || key.startsWith("route-table-private-")) return "private";
  return undefined;
}

interface Item {
  tier: Tier;
  field: string;
  what: string;
}

type Fp = Record<string, unknown>;
const fpOf = (o: K8sObject | ObservedResource["resource"] | undefined): Fp => ((o?.spec as Fp | undefined)?.["forProvider"] as Fp | undefined) ?? {};
const refKey = (sel: unknown) => ((sel as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {})[LABELS.resource];

/** What one composed resource provides to the dependants of its tier, as comparable strings. */
function provides(key: string, o: K8sObject | ObservedResource["resource"]): Item[] {
  const fp = fpOf(o);
  const out: Item[] = [];
  if (o.kind === "SecurityGroup" && Array.isArray(fp["securityRule"])) {
    // Azure: rules are inline. Each allowed port of each Allow rule is one item; priorities and
    // descriptions may change freely. Rules towards peered Networks belong to the peering, which
    // the user may end (the peer's dependants are not this Network's).
    const nsgTier = tierOfKey(key);
    for (const r of fp["securityRule"] as Array<Record<string, unknown>>) {
      const name = String(r["name"] ?? "");
      if (r["access"] !== "Allow" || /Peer/.test(name)) continue;
      const tier: Tier | undefined = /Postgres/.test(name) ? "database" : /Redis/.test(name) ? "cache" : nsgTier;
      if (!tier) continue;
      const ports = r["destinationPortRange"] ? [String(r["destinationPortRange"])] : ((r["destinationPortRanges"] as string[] | undefined) ?? []);
      const field = name === "AllowAppFromLoadBalancerTier" ? "spec.appPorts" : r["direction"] === "Outbound" && nsgTier === "private" ? "spec.appEgress" : `spec.subnets.${tier}`;
      for (const p of ports) {
        out.push({ tier, field, what: `${r["direction"]} rule ${name} (${r["protocol"]} ${p} from ${r["sourceAddressPrefix"]} to ${r["destinationAddressPrefix"]}) of ${key}` });
      }
    }
    if (nsgTier) out.push({ tier: nsgTier, field: `spec.subnets.${nsgTier}`, what: key });
    return out;
  }
  const tier = tierOfKey(key);
  if (!tier) return out;
  const field = key.startsWith("sg-app-ingress-") || key.startsWith("sg-load-balancer-egress-app-")
    ? "spec.appPorts"
    : key.startsWith("sg-app-egress-") ? "spec.appEgress" : `spec.subnets.${tier}`;
  out.push({ tier, field, what: key });
  const range = fp["cidrBlock"] ?? (fp["addressPrefixes"] as string[] | undefined)?.join(",");
  if (o.kind === "Subnet" && range) out.push({ tier, field, what: `${key} with range ${String(range)}` });
  if (o.kind === "SecurityGroupIngressRule" || o.kind === "SecurityGroupEgressRule") {
    const peer = fp["cidrIpv4"] ?? refKey(fp["referencedSecurityGroupIdSelector"]) ?? "";
    out.push({ tier, field, what: `${key} (${String(fp["ipProtocol"])} ${String(fp["fromPort"])}-${String(fp["toPort"])} ${String(peer)})` });
  }
  return out;
}

/**
 * Refuses a render that would take from a tier what a dependant of that tier uses. Observed state is
 * what exists; desired is what this render leaves. Called after rendering, before anything is returned.
 */
export function refuseTakingFromDependants(deps: Dependant[], observed: Record<string, ObservedResource>, out: Rendered): void {
  if (deps.length === 0) return;
  const used = new Set(deps.map((d) => d.tier));
  const kept = new Set<string>();
  for (const [key, o] of Object.entries(out.resources)) for (const i of provides(key, o)) kept.add(i.what);
  const lost: Item[] = [];
  for (const [key, o] of Object.entries(observed)) {
    for (const i of provides(key, o.resource)) if (used.has(i.tier) && !kept.has(i.what)) lost.push(i);
  }
  if (lost.length === 0) return;
  // Name the most telling loss first: a subnet, then a rule, then what hangs off them.
  const rank = (i: Item) => (i.what.startsWith("subnet-") ? 0 : /rule|^sg-/.test(i.what) ? 1 : 2);
  const [first] = lost.sort((a, b) => rank(a) - rank(b) || a.what.localeCompare(b.what));
  const i = first!;
  const who = deps.filter((d) => d.tier === i.tier).map((d) => d.who);
  throw SpecError.field(
    i.field,
    `this change would remove ${i.what}${lost.length > 1 ? ` (and ${lost.length - 1} more)` : ""}, which the ${i.tier} tier's dependant${who.length > 1 ? "s" : ""} ${who.slice(0, 3).join(", ")}${who.length > 3 ? ` and ${who.length - 3} more` : ""} still use${who.length > 1 ? "" : "s"}`,
    "put it back; remove or move what stands on it first (delete it, or point it at another Network), then change the Network",
  );
}
