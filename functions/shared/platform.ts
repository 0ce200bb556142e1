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
 *   Azure storage IP rules "have no effect on requests that originate from the same Azure region as
 *   the storage account" (learn.microsoft.com/azure/storage/common/storage-network-security, "IP
 *   network rules"): they admit Crossplane only when it connects from outside the account's region.
 *
 *   data.crossplaneSubnetIds: Azure subnet resource ids Crossplane's providers run in, for Crossplane
 *   inside an account's region: rendered as the storage accounts' virtual network rules
 *   (networkRules.virtualNetworkSubnetIds; "Use Virtual network rules to allow same-region requests",
 *   same page). The subnet needs a Microsoft.Storage service endpoint (Microsoft.Storage.Global for
 *   accounts in other regions), which the platform team sets on its own network.
 *
 * Unknown keys under data and empty lists are fatal: a misspelled key or an emptied list would
 * otherwise read as "no egress" and take Crossplane's rules off every account at once (after which
 * azurerm's refresh gets 403 and nothing repairs it). Absent (no EnvironmentConfig, or neither key):
 * `configured` is false; Azure accounts then keep the egress rules they were last composed with
 * (object-store/azure.ts) and each kind warns where Crossplane may be locked out. Kinds ask for it only when they render such a firewall (KindModule.platform), so other
 * XRs are not re-run when it changes.
 */
import type { K8sObject, RenderContext, Selector } from "./types.ts";
import { SpecError } from "./errors.ts";
import { block, isAligned } from "./cidr.ts";

/** The requirement name fn.ts asks Crossplane for the EnvironmentConfig under. */
export const PLATFORM_REQUIREMENT = "tessera-platform";
export const PLATFORM_CONFIG_NAME = "tessera";
export const EGRESS_FIELD = `EnvironmentConfig ${PLATFORM_CONFIG_NAME} data.crossplaneEgressCidrs`;
export const SUBNETS_FIELD = `EnvironmentConfig ${PLATFORM_CONFIG_NAME} data.crossplaneSubnetIds`;
/** Enough for a few NAT gateways; keeps each cloud's own list limit reachable with the user's entries. */
export const MAX_EGRESS_CIDRS = 10;
/** A few clusters' node subnets; Azure takes 400 virtual network rules per account, this keeps the list reviewable. */
export const MAX_SUBNET_IDS = 5;
const KNOWN_KEYS = ["crossplaneEgressCidrs", "crossplaneSubnetIds"];

export interface PlatformConfig {
  /** Public IPv4 CIDRs, network-aligned, unique, sorted by address then prefix (stable: no churn). */
  crossplaneEgressCidrs: string[];
  /** Azure subnet resource ids, unique, sorted. */
  crossplaneSubnetIds: string[];
  /** The EnvironmentConfig exists and sets at least one of the keys (each non-empty). */
  configured: boolean;
}

export const NO_PLATFORM: PlatformConfig = { crossplaneEgressCidrs: [], crossplaneSubnetIds: [], configured: false };

/**
 * An Azure subnet resource id as ARM writes it: subscription GUID, resource group name (letters,
 * digits, _-.() , not ending in a period), virtual network and subnet names (letters, digits, _-.).
 * learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules.
 */
const SUBNET_ID = /^\/subscriptions\/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\/resourceGroups\/[-\w.()]{0,89}[-\w()]\/providers\/Microsoft\.Network\/virtualNetworks\/[-\w.]{2,64}\/subnets\/[-\w.]{1,80}$/;

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
  const data = (env["data"] && typeof env["data"] === "object" ? env["data"] : {}) as Record<string, unknown>;
  for (const k of Object.keys(data)) {
    if (!KNOWN_KEYS.includes(k)) throw SpecError.field(`EnvironmentConfig ${PLATFORM_CONFIG_NAME} data.${k}`, "is not a Tessera platform setting", `the known keys are ${KNOWN_KEYS.join(", ")}; fix the spelling (a misspelled key would read as no egress and take Crossplane's rules off every firewall)`);
  }
  const crossplaneEgressCidrs = parseCidrs(data["crossplaneEgressCidrs"]);
  const crossplaneSubnetIds = parseSubnets(data["crossplaneSubnetIds"]);
  return { crossplaneEgressCidrs, crossplaneSubnetIds, configured: crossplaneEgressCidrs.length > 0 || crossplaneSubnetIds.length > 0 };
}

function parseSubnets(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  const fix = "list the Azure subnet resource ids Crossplane runs in (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>)";
  if (!Array.isArray(raw)) throw SpecError.field(SUBNETS_FIELD, `got ${JSON.stringify(raw)}, not a list`, fix);
  if (!raw.length) throw SpecError.field(SUBNETS_FIELD, "got an empty list", "remove the key instead (an empty list would take Crossplane's subnet rules off every storage account)");
  if (raw.length > MAX_SUBNET_IDS) throw SpecError.field(SUBNETS_FIELD, `got ${raw.length} entries`, `list at most ${MAX_SUBNET_IDS}: the subnets Crossplane's providers run in`);
  raw.forEach((s, i) => {
    if (typeof s !== "string" || !SUBNET_ID.test(s)) throw SpecError.field(`${SUBNETS_FIELD}[${i}]`, `got ${JSON.stringify(s)}, not an Azure subnet resource id`, fix);
  });
  return [...new Set(raw as string[])].sort();
}

function parseCidrs(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  const fix = "list the public IPv4 addresses Crossplane's providers connect from, as CIDRs (203.0.113.7/32), e.g. kubectl edit environmentconfig tessera";
  if (!Array.isArray(raw)) throw SpecError.field(EGRESS_FIELD, `got ${JSON.stringify(raw)}, not a list`, fix);
  if (!raw.length) throw SpecError.field(EGRESS_FIELD, "got an empty list", "remove the key instead (an empty list would take Crossplane's rules off every firewall at once)");
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
  return [...out.entries()].sort((a, b) => a[1] - b[1]).map(([c]) => c);
}

function numToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** The egress CIDRs a render sees (none when its kind did not ask or none are configured). */
export const egressCidrs = (ctx: Pick<RenderContext<unknown>, "platform">): string[] => ctx.platform?.crossplaneEgressCidrs ?? [];
/** The subnet ids a render sees (none when its kind did not ask or none are configured). */
export const egressSubnetIds = (ctx: Pick<RenderContext<unknown>, "platform">): string[] => ctx.platform?.crossplaneSubnetIds ?? [];
