/**
 * Names that are identities: requirement names, provider-written Secret names, composed-resource
 * keys and cloud names. Changing one replaces (or orphans) what it names.
 */
import { createHash } from "node:crypto";
import type { XrMeta } from "../shared/types.ts";

export const NETWORK = "network";
export const PASSWORD = "admin-password";
export const replicaNetwork = (name: string) => `network-replica-${name}`;
/** Secret the provider writes the generated admin password to (autoGeneratePassword). */
export const passwordSecretName = (xr: string) => `${xr}-postgres-admin`;
export const CONNECTION_SECRET = "connection-secret";
export const replicaKey = (name: string) => `replica-${name}`;
/**
 * RDS parameter groups are keyed by family: a group's family cannot change in place (upjet would
 * have to replace it), so a major-version upgrade composes a new group and switches the instance.
 * Databases composed before keep their group under the old key `parameter-group` while its family
 * matches (see parameterGroupKey in aws.ts).
 */
export const LEGACY_PARAMETER_GROUP = "parameter-group";
export const parameterGroupKey = (family: string, prefix = "") => `${prefix}parameter-group-${family}`;
export const logGroupKey = (log: string) => `log-group-${log}`;
export const usageKey = (of: string) => `usage-${of}`;

const hash8 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 8);

/**
 * RDS DB instance identifier: letter first, lowercase letters, digits and single hyphens, no
 * trailing hyphen, at most 63 characters, unique per account and region
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints).
 * The XR's name, so the console shows it (vivr-db-1a2b3c4d), plus a hash of namespace/name, so two
 * namespaces' "orders" never collide. It is an identity: RDS renames are replacements for upjet.
 */
export function rdsIdentifier(xr: XrMeta, suffix = ""): string {
  const tail = `-${hash8(`${xr.namespace}/${xr.name}`)}${suffix ? `-${suffix}` : ""}`;
  const base = xr.name.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-");
  const head = (/^[a-z]/.test(base) ? base : `db-${base}`).slice(0, 63 - tail.length).replace(/-+$/, "");
  return `${head}${tail}`.replace(/-+/g, "-");
}

/**
 * Final snapshot identifier: the instance identifier (already valid: letter first, no '--', no '.')
 * plus a hash of the XR's uid, so an XR deleted and created again under the same name does not
 * collide with the snapshot its predecessor left. Without a uid (never from Crossplane) the
 * namespace/name stands in. At most 63 + 15 characters, under RDS's 255.
 */
export function finalSnapshotIdentifier(identifier: string, xr: XrMeta): string {
  return `${identifier}-final-${hash8(xr.uid ?? `${xr.namespace}/${xr.name}`)}`;
}
