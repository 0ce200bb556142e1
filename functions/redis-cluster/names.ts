/**
 * Names that are identities: requirement names, provider-written Secret names and composed-resource
 * keys. Changing one replaces (or orphans) what it names.
 */
import { createHash } from "node:crypto";
import type { XrMeta } from "../shared/types.ts";

export const NETWORK = "network";
export const AUTH_TOKEN = "auth-token";
export const CONNECTION_SECRET = "connection-secret";
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
