/**
 * zod → Kubernetes structural OpenAPI. Used by the XRD generator and by the function, which evaluates
 * the same CEL rules the API server does.
 */
import { z } from "zod";
import type { SchemaNode } from "../../functions/shared/cel.ts";

/**
 * zod's OpenAPI output is close to a structural schema; these are the parts the API server rejects:
 * `additionalProperties: false` beside `properties`, and `propertyNames`.
 */
function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "propertyNames" || k === "$schema") continue;
    if (k === "additionalProperties" && v === false) continue;
    // z.int() is a safe integer, and zod writes that as minimum/maximum ±(2^53 - 1): noise in
    // `kubectl explain` (an integer field "minimum: -9007199254740991") that says nothing a user needs.
    if ((k === "minimum" && v === Number.MIN_SAFE_INTEGER) || (k === "maximum" && v === Number.MAX_SAFE_INTEGER)) continue;
    out[k] = structural(v);
  }
  return out;
}

export function openApi(schema: z.ZodType): SchemaNode {
  return structural(z.toJSONSchema(schema, { target: "openapi-3.0", io: "input", reused: "inline", unrepresentable: "throw" })) as SchemaNode;
}
