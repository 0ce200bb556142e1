/**
 * Platform settings a platform team sets once for every XR, not per spec: a cluster-scoped Crossplane
 * EnvironmentConfig named `tessera` (apiextensions.crossplane.io/v1beta1), read as a required
 * resource by name. Cluster-scoped, so no app team's namespace can set it, and no XR field.
 *
 *   data.crossplaneEgressCidrs: public IPv4 CIDRs Crossplane's providers connect from (the NAT or
 *   egress addresses of the cluster Crossplane runs in). Every firewall Tessera renders that the
 *   providers themselves must pass admits them:
 *   - the Azure storage account firewall: azurerm 4.x reads each account's data plane (queue service
 *     properties, static website) on every read and fails with 403 when its firewall refuses the
 *     caller (hashicorp/terraform-provider-azurerm#33454, #16240, #28562); its
 *     features.storage.data_plane_available switch is not exposed by provider-upjet-azure's
 *     ProviderConfig (internal/clients/azure.go at a983cb4 sets only the postgresql_flexible_server
 *     feature);
 *   - a K8sCluster's public API endpoint when apiAccess.allowedCidrs limits it: provider-kubernetes
 *     and provider-helm connect from Crossplane's cluster.
 *
 * Absent (the default): firewalls are as the specs say, and each kind warns where Crossplane may be
 * locked out. Kinds ask for it only when they render such a firewall (KindModule.platform), so other
 * XRs are not re-run when it changes.
 */
import type { K8sObject, RenderContext, Selector } from "./types.ts";
import { SpecError } from "./errors.ts";
import { block, isAligned } from "./cidr.ts";

/** The requirement name fn.ts asks Crossplane for the EnvironmentConfig under. */
export const PLATFORM_REQUIREMENT = "tessera-platform";
export const PLATFORM_CONFIG_NAME = "tessera";
export const EGRESS_FIELD = `EnvironmentConfig ${PLATFORM_CONFIG_NAME} data.crossplaneEgressCidrs`;
/** Enough for a few NAT gateways; keeps each cloud's own list limit reachable with the user's entries. */
export const MAX_EGRESS_CIDRS = 10;

export interface PlatformConfig {
  /** Public IPv4 CIDRs, network-aligned, unique, sorted by address then prefix (stable: no churn). */
  crossplaneEgressCidrs: string[];
}

export const NO_PLATFORM: PlatformConfig = { crossplaneEgressCidrs: [] };

/**
 * Cluster-scoped: no namespace. run_function.proto's ResourceSelector: "Omit namespace to match
 * cluster scoped resources"; Crossplane then Gets it by name (and watches it in realtime mode).
 */
export const platformSelector: Selector = { apiVersion: "apiextensions.crossplane.io/v1beta1", kind: "EnvironmentConfig", name: PLATFORM_CONFIG_NAME };

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/([0-9]|[12][0-9]|3[0-2])$/;

/**
 * Address ranges that never appear as a source on a public endpoint (RFC 1918, CGNAT RFC 6598,
 * loopback, link-local, "this network", multicast and reserved). Crossplane's egress as the clouds'
 * public endpoints see it is a public address; a private one here is a mistake (and Azure storage
 * and EKS publicAccessCidrs refuse private ranges).
 */
const NOT_PUBLIC = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3"].map(block);

/**
 * Parses what Crossplane fetched (zero or one EnvironmentConfig). Each bad entry is one SpecError
 * naming the EnvironmentConfig field, the value and the fix; fn.ts makes it a fatal result, so a
 * typo by the platform team changes nothing anywhere.
 */
export function parsePlatform(found: readonly K8sObject[] | undefined): PlatformConfig {
  const env = found?.[0];
  if (!env) return NO_PLATFORM;
  const data = env["data"];
  const raw = data && typeof data === "object" ? (data as Record<string, unknown>)["crossplaneEgressCidrs"] : undefined;
  if (raw === undefined || raw === null) return NO_PLATFORM;
  const fix = "list the public IPv4 addresses Crossplane's providers connect from, as CIDRs (203.0.113.7/32), e.g. kubectl edit environmentconfig tessera";
  if (!Array.isArray(raw)) throw SpecError.field(EGRESS_FIELD, `got ${JSON.stringify(raw)}, not a list`, fix);
  if (raw.length > MAX_EGRESS_CIDRS) throw SpecError.field(EGRESS_FIELD, `got ${raw.length} entries`, `list at most ${MAX_EGRESS_CIDRS} (each cloud's firewall lists are short: EKS takes 40 public access CIDRs in all); merge them into wider public ranges`);
  const out = new Map<string, number>();
  raw.forEach((c, i) => {
    const field = `${EGRESS_FIELD}[${i}]`;
    if (typeof c !== "string" || !IPV4_CIDR.test(c)) throw SpecError.field(field, `got ${JSON.stringify(c)}, not an IPv4 CIDR`, fix);
    if (!isAligned(c)) throw SpecError.field(field, `got ${JSON.stringify(c)}, whose address is not the network address of its range`, `write ${numToIp(block(c).start)}/${block(c).prefix}, or the address as /32`);
    const b = block(c);
    if (b.prefix < 8) throw SpecError.field(field, `got ${JSON.stringify(c)}, a large part of the internet`, "list Crossplane's own egress addresses");
    if (NOT_PUBLIC.some((p) => b.start >= p.start && b.end <= p.end)) throw SpecError.field(field, `got ${JSON.stringify(c)}, a private or reserved range`, "give the public address Crossplane's traffic leaves from (its NAT gateway's); a cloud's public endpoints never see a private source");
    // Azure storage firewalls refuse /31 (learn.microsoft.com/azure/storage/common/storage-network-security,
    // "IP network rules"); the setting is shared by every kind, so it is refused here for all.
    if (b.prefix === 31) throw SpecError.field(field, `got ${JSON.stringify(c)}`, "Azure storage firewalls take no /31 ranges; list its two addresses as /32 each");
    out.set(c, b.start * 64 + b.prefix);
  });
  return { crossplaneEgressCidrs: [...out.entries()].sort((a, b) => a[1] - b[1]).map(([c]) => c) };
}

function numToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** The egress CIDRs a render sees (none when its kind did not ask or none are configured). */
export const egressCidrs = (ctx: Pick<RenderContext<unknown>, "platform">): string[] => ctx.platform?.crossplaneEgressCidrs ?? [];
