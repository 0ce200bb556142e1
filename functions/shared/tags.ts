/**
 * Cloud tags on every composed resource: who owns it (kind, namespace, name) plus the user's tags.
 * Azure tag names may not contain '/', so the keys avoid it on both clouds.
 */
import type { XrMeta } from "./types.ts";

export function tagsFor(kind: string, xr: XrMeta, user: Record<string, string> | undefined, name?: string): Record<string, string> {
  // Built by assignment, not object spread: this runs for every composed resource on every call, and
  // spreading the (frozen) user tags took the slow copy path.
  const out: Record<string, string> = {};
  if (user) {
    for (const k of Object.keys(user)) {
      if (k === "__proto__") Object.defineProperty(out, k, { value: user[k], enumerable: true, writable: true, configurable: true });
      else out[k] = user[k]!;
    }
  }
  out["tessera-kind"] = kind;
  out["tessera-namespace"] = xr.namespace;
  out["tessera-name"] = xr.name;
  if (name) out["Name"] = name;
  return out;
}
