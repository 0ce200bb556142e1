/**
 * The function's boundary: an XR's spec is parsed once, with the same zod schema its XRD was generated
 * from (so defaults apply exactly as the API server applies them), then checked against the XRD's
 * own CEL rules (so offline render refuses what kubectl would). After this, renderers see typed values.
 */
import type { z } from "zod";
import { openApi } from "../../apis/shared/openapi.ts";
import { APIS } from "../../apis/index.ts";
import { checkRules, rulesOnly, type SchemaNode } from "./cel.ts";
import { SpecError, show } from "./errors.ts";

/**
 * Each kind's rule skeleton (rulesOnly of its OpenAPI schema), which the production build computes
 * and inlines (scripts/build.ts), so the function never derives a JSON schema at run time. Elsewhere
 * (tests, tsx) it is undefined and the skeleton is derived on first use.
 */
declare const __TESSERA_CEL_RULES__: Record<string, SchemaNode> | undefined;
const BUILT_RULES = typeof __TESSERA_CEL_RULES__ === "undefined" ? undefined : __TESSERA_CEL_RULES__;

const schemas = new WeakMap<z.ZodType, SchemaNode>();

function rulesOf(schema: z.ZodType): SchemaNode {
  let node = schemas.get(schema);
  if (!node) {
    const kind = APIS.find((a) => a.spec === schema)?.kind;
    node = (kind !== undefined ? BUILT_RULES?.[kind] : undefined) ?? rulesOnly(openApi(schema)) ?? {};
    schemas.set(schema, node);
  }
  return node;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : `${acc}.${String(k)}`), "spec");
}

/**
 * Crossplane calls the function for the same XR again and again (every watch event, every TTL), with
 * the same spec. Parsing and CEL are most of a call's CPU, so results are kept per schema and spec
 * text, refusals included. Specs are frozen: a renderer that tried to mutate one would throw in tests.
 */
const CACHE_SIZE = 512;
const cache = new Map<string, { spec: unknown } | { error: SpecError }>();
let ids = new WeakMap<z.ZodType, number>();
let nextId = 0;

/**
 * The cache key: JSON with object keys sorted. Crossplane marshals Structs from Go maps, whose order
 * changes from call to call, so the same spec arrives with its fields in a different order each time;
 * a key in wire order would almost never hit.
 */
function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const o = v as Record<string, unknown>;
  let out = "{";
  for (const k of Object.keys(o).sort()) {
    if (o[k] === undefined) continue;
    if (out.length > 1) out += ",";
    out += `${JSON.stringify(k)}:${canonical(o[k])}`;
  }
  return `${out}}`;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/**
 * Parses `raw` with `schema`, applies the XRD's CEL rules, then `check` (a kind's own checks of what
 * CEL cannot express); a SpecError from any of them is the refusal. All of it is cached per spec.
 */
export function parseSpec<S>(schema: z.ZodType<S>, raw: unknown, check?: (spec: S) => void): S {
  let id = ids.get(schema);
  if (id === undefined) ids.set(schema, (id = nextId++));
  const key = `${id}\u0000${canonical(raw ?? {})}`;
  let hit = cache.get(key);
  if (hit) {
    // Re-insert so the Map's insertion order doubles as least-recently-used order.
    cache.delete(key);
  } else {
    try {
      const spec = parseUncached(schema, raw);
      check?.(spec);
      hit = { spec: deepFreeze(spec) };
    } catch (e) {
      if (!(e instanceof SpecError)) throw e;
      hit = { error: e };
    }
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, hit);
  if ("error" in hit) throw hit.error;
  return hit.spec as S;
}

/** For tests: forget every cached parse. */
export function clearParseCache(): void {
  cache.clear();
  ids = new WeakMap();
}

function parseUncached<S>(schema: z.ZodType<S>, raw: unknown): S {
  const result = schema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => {
      const value = valueAt(raw, i.path);
      const got = i.code === "unrecognized_keys" ? `unknown field(s) ${i.keys.join(", ")}` : value === undefined ? "missing" : `got ${show(value)}`;
      return { field: fieldPath(i.path), got, message: i.message };
    });
    const [first, ...rest] = problems;
    if (!first) throw new SpecError("spec is invalid");
    const more = rest.map((p) => ` Also ${p.field}: ${p.got}; ${p.message}.`).join("");
    throw SpecError.field(first.field, first.got, `${first.message}.${more}`);
  }
  const violations = checkRules(rulesOf(schema), result.data, "spec");
  if (violations.length > 0) {
    // CEL messages already name the field and the fix, as kubectl would show them.
    throw new SpecError(violations.map((v) => v.message).join(". "));
  }
  return result.data;
}
