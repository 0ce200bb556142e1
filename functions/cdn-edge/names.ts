/**
 * Names that are identities: requirement names, composed-resource keys and cloud names. A key must
 * never change for a given behaviour or origin, so keys derive from what names it (the path, the
 * origin name), never from a list position.
 */
import { createHash } from "node:crypto";
import type { XrMeta } from "../shared/types.ts";

export const CONNECTION_SECRET = "connection-secret";
/** Requirement names: an ObjectStore used as an origin or as the log target, a verify-header Secret. */
export const storeRequirement = (name: string) => `object-store-${name}`;
export const verifySecretRequirement = (origin: string) => `verify-secret-${origin}`;

export const hash8 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 8);
const xrHash = (xr: XrMeta) => hash8(`${xr.namespace}/${xr.name}`);

/** Key suffix of a behaviour: "default", or 8 hex of its path, so reordering paths keeps every key. */
export const behaviorKey = (path: string | undefined) => (path === undefined ? "default" : hash8(path));

/** AWS names unique in the account (OAC ≤ 64, web ACL and policies ≤ 128; letters, digits, '-' and '_'). */
export const awsName = (xr: XrMeta, suffix = "") => `${xr.name.slice(0, 40)}-${xrHash(xr)}${suffix}`.slice(0, 64);

/**
 * Front Door rule sets, rules and WAF policies take letters and digits only, starting with a letter
 * (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftcdn).
 */
export const azureAlnum = (prefix: string, seed: string) => `${prefix}${seed.replace(/[^A-Za-z0-9]/g, "")}`.slice(0, 60);
export const wafPolicyName = (xr: XrMeta) => azureAlnum("waf", `${xr.name.slice(0, 40)}${xrHash(xr)}`);
