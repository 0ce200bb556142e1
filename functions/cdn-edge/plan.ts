/** The behaviours of a CdnEdge as both renderers walk them, and facts about each. */
import type { Behavior, CdnEdgeSpec } from "../../apis/cdn-edge/schema.ts";
import type { RenderContext } from "../shared/types.ts";
import { behaviorKey, verifySecretRequirement } from "./names.ts";

/** One behaviour with its stable key and the spec field that names it (for refusals). */
export interface PlannedBehavior {
  key: string;
  path: string | undefined;
  field: string;
  b: Behavior;
}

/** Path behaviours in order, then the default: the order both clouds evaluate them in. */
export function planBehaviors(spec: CdnEdgeSpec): PlannedBehavior[] {
  return [
    ...spec.behaviors.map((b, i) => ({ key: behaviorKey(b.path), path: b.path, field: `spec.behaviors[${i}]`, b })),
    { key: behaviorKey(undefined), path: undefined, field: "spec.defaultBehavior", b: spec.defaultBehavior },
  ];
}

/** What a behaviour caches: a TTL of 0 is no caching. */
export const caches = (b: Behavior) => b.cache.mode === "origin" || (b.cache.mode === "ttl" && (b.cache.ttlSeconds ?? 0) > 0);
/** Whether the behaviour puts anything in the cache key (everything forwarded is keyed when caching). */
export const keyed = (b: Behavior) => b.forward.headers.length + b.forward.cookies.length + b.forward.queryStrings.length > 0;
export const compresses = (b: Behavior) => b.compress ?? caches(b);

/** The verify header's value from its Secret (validate checked it is there). */
export function verifyValue(ctx: RenderContext<CdnEdgeSpec>, origin: string, key: string): string {
  const s = ctx.required[verifySecretRequirement(origin)]?.[0] as { data?: Record<string, string> } | undefined;
  return Buffer.from(s?.data?.[key] ?? "", "base64").toString("utf8");
}

