/**
 * Names that are identities: requirement names, composed-resource keys and cloud names. Changing one
 * replaces (or orphans) what it names.
 *
 * Keys: `cluster`, `nodepool-<pool>` (AKS: user pools only; the system pool is the cluster's default
 * pool), `launch-template-<pool>` (AWS), `cluster-role`, `node-role`, `cluster-auth`, `addon-<name>`,
 * `admin-<hash>`, `log-group`, `identity`, `network-role-vnet`, `network-role-nat-gateway`,
 * `network-role-app-nsg` (tables.ts AKS_NETWORK_ROLES), `network-role` (retired: the resource-group
 * scope, kept only until the narrower ones are Ready), `workspace`, `insights-rule`,
 * `insights-association`, `nvidia-device-plugin`, `storage-class-<name>` (tables.ts DEFAULT_STORAGE_CLASS),
 * `usage-*`, `connection-secret`.
 */
import { createHash } from "node:crypto";
import type { XrMeta } from "../shared/types.ts";
import { CONTAINER_INSIGHTS } from "./tables.ts";

export const NETWORK = "network";
export const CONNECTION_SECRET = "connection-secret";
export const CLUSTER = "cluster";
/** AKS Container Insights: the data collection rule and its association with the cluster. */
export const INSIGHTS_RULE = "insights-rule";
export const INSIGHTS_ASSOCIATION = "insights-association";
/** The cluster identity's Network Contributor on the Network's whole resource group, before it was narrowed (AKS_NETWORK_ROLES). */
export const LEGACY_NETWORK_ROLE = "network-role";

/** NVIDIA's device plugin Release (both clouds, when a pool is a GPU pool). */
export const DEVICE_PLUGIN = "nvidia-device-plugin";
/** The default StorageClass Object, by the class's name (a new class, e.g. other parameters, is a new name and key). */
export const storageClassKey = (name: string) => `storage-class-${name}`;
export const poolKey = (pool: string) => `nodepool-${pool}`;
export const launchTemplateKey = (pool: string) => `launch-template-${pool}`;

const hash = (s: string, n = 8) => createHash("sha256").update(s).digest("hex").slice(0, n);

/** Keys for things named by a free-form value (an ARN, an object id): a hash, so the key stays short and stable. */
export const adminKey = (principal: string) => `admin-${hash(principal)}`;

/**
 * EKS cluster names are unique per account and region, so they carry a hash of namespace/name: two
 * teams' "platform" never collide. EKS allows 100 characters [A-Za-z0-9_-] starting with an
 * alphanumeric; Tessera keeps 40 so derived names (log group, IAM roles) stay within their limits.
 */
export function eksName(xr: XrMeta): string {
  const base = xr.name.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-");
  const head = (/^[a-z0-9]/.test(base) ? base : `k-${base}`).slice(0, 31).replace(/-+$/, "");
  return `${head}-${hash(`${xr.namespace}/${xr.name}`)}`;
}

/**
 * AKS cluster names are unique per resource group, and the group is the Network's, shared only by
 * this namespace's XRs, so the XR name is already unique there. AKS allows 1-63 characters
 * [A-Za-z0-9_-], alphanumeric at both ends (metadata.name is at most 63 and DNS-1123, so it fits).
 */
export const aksName = (xr: XrMeta) => xr.name;

/**
 * The Container Insights data collection rule's name, MSCI-<region>-<cluster> as the az CLI names it.
 * Rule names are unique per resource group and at most 64 characters; the CLI cuts longer ones, which
 * could make two long cluster names sharing 60 characters collide in the Network's group, so a long
 * name keeps its head and ends in a hash of the whole.
 */
export function insightsRuleName(xr: XrMeta, region: string): string {
  const full = `${CONTAINER_INSIGHTS.ruleNamePrefix}-${region}-${aksName(xr)}`;
  return full.length <= CONTAINER_INSIGHTS.ruleNameMax ? full : `${full.slice(0, CONTAINER_INSIGHTS.ruleNameMax - 9).replace(/[-_]+$/, "")}-${hash(full)}`;
}

/** AKS dnsPrefix: 1-54 alphanumerics and hyphens, alphanumeric at both ends. */
export const dnsPrefix = (xr: XrMeta) => xr.name.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 54).replace(/-+$/, "");

/**
 * AKS rotates a pool through a temporary pool when a change needs new VMs (VM size, zones, disk):
 * without temporaryNameForRotation such a change fails (crossplane-contrib/provider-upjet-azure#734).
 * The name is at most 12 lowercase alphanumerics and must not be another pool's name: "r" plus 11
 * hex digits of the pool name's hash cannot be one of the short readable names users give pools
 * (Tessera refuses pool names matching ^r[0-9a-f]{11}$).
 */
export const rotationName = (pool: string) => `r${hash(pool, 11)}`;
export const ROTATION_NAME = /^r[0-9a-f]{11}$/;

/** EKS node groups are named after their pool (unique within the cluster): the NodeGroup's external name. */
