/**
 * Names that are identities: requirement names, provider-written Secret names and composed-resource
 * keys. Changing one replaces (or orphans) what it names.
 */
import { createHash } from "node:crypto";
import type { XrMeta } from "../shared/types.ts";

export const NETWORK = "network";
export const AUTH_TOKEN = "auth-token";
export const CONNECTION_SECRET = "connection-secret";
/** Requirement: the Secret a legacy Azure cache's persistence writes snapshots with (spec.persistence.storageConnectionSecretRef). */
export const PERSISTENCE_SECRET = "persistence-secret";
/** Composed-resource keys. Legacy Azure Cache for Redis keeps "cache" and "private-endpoint". */
export const KEYS = {
  replicationGroup: "replication-group",
  parameterGroup: "parameter-group",
  subnetGroup: "subnet-group",
  legacyCache: "cache",
  legacyEndpoint: "private-endpoint",
  managedRedis: "managed-redis",
  managedEndpoint: "managed-redis-endpoint",
  networkUsage: "network-usage",
} as const;
/**
 * AWS: the key of a parameter group made by a major-version upgrade, one per family (redis7 ->
 * "parameter-group-redis7"). The group a cache was created with keeps "parameter-group".
 */
export const parameterGroupKey = (family: string) => `${KEYS.parameterGroup}-${family.replace(/\./g, "-")}`;
/** Azure Managed Redis: the access-policy assignment of one Entra ID principal, keyed by its object id. */
export const accessPolicyKey = (objectId: string) => `access-policy-${objectId}`;
/** AWS: CloudWatch Logs group names, one per log type. */
export const logGroupName = (xr: XrMeta, logType: string) => `/tessera/${xr.namespace}/${xr.name}/redis/${logType}`;
/** AWS: Secret the provider writes the generated AUTH token to (autoGenerateAuthToken). */
export const authTokenSecretName = (xr: string) => `${xr}-redis-auth`;
/** Azure: Secret the provider writes the cache's access keys to (its connection details). */
export const accessKeysSecretName = (xr: string) => `${xr}-redis-keys`;

/**
 * AWS names a replication group and a parameter group by what we give it, unique per account and
 * region, so both carry a hash of namespace/name: two teams' "cache" never collide. A replication
 * group id has at most 40 characters, starts with a letter and has no double dash.
 */
export function awsName(xr: XrMeta, max: number): string {
  const hash = createHash("sha256").update(`${xr.namespace}/${xr.name}`).digest("hex").slice(0, 8);
  const base = xr.name.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-");
  const head = (/^[a-z]/.test(base) ? base : `r-${base}`).slice(0, max - hash.length - 1).replace(/-+$/, "");
  return `${head}-${hash}`;
}
