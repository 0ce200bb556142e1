/**
 * Cloud tags on every composed resource: who owns it (kind, namespace, name) plus the user's tags.
 * Azure tag names may not contain '/', so the keys avoid it on both clouds.
 */
import type { XrMeta } from "./types.ts";

export function tagsFor(kind: string, xr: XrMeta, user: Record<string, string> | undefined, name?: string): Record<string, string> {
  return {
    ...user,
    "tessera-kind": kind,
    "tessera-namespace": xr.namespace,
    "tessera-name": xr.name,
    ...(name ? { Name: name } : {}),
  };
}
