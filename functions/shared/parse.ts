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
 * the same spec. Parsing and CEL are most of a call's CPU, so results are kept per schema and spec,
 * refusals included. Specs are frozen: a renderer that tried to mutate one would throw in tests.
 *
 * Crossplane marshals Structs from Go maps, whose order changes from call to call, so the same spec
 * arrives with its fields in a different order each time. The cache is found by a hash that ignores
 * field order, and a hit is only taken when the cached spec is equal to this one, field by field:
 * a hash collision is a miss, never another spec's result. (Before, the key was the spec as JSON with
 * sorted keys: building that string cost more than the rest of a cache hit.)
 */
const CACHE_SIZE = 512;
interface Entry {
  schema: number;
  raw: unknown;
  result: { spec: unknown } | { error: SpecError };
}
const cache = new Map<number, Entry>();
let ids = new WeakMap<z.ZodType, number>();
let nextId = 0;

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** A hash of a JSON value in which object field order does not matter (entries are summed). */
export function hashJson(v: unknown): number {
  switch (typeof v) {
    case "string": return hashString(v);
    case "number": return Number.isInteger(v) ? Math.imul(v | 0, 0x9e3779b1) ^ ((v / 0x100000000) | 0) : hashString(String(v));
    case "boolean": return v ? 0x2f1a7c3d : 0x5b0e9d21;
    case "object": {
      if (v === null) return 0x1c2d3e4f;
      if (Array.isArray(v)) {
        let h = 0x3a8f05c5 + v.length;
        for (let i = 0; i < v.length; i++) h = Math.imul(h, 31) + hashJson(v[i]) | 0;
        return h;
      }
      let h = 0x6c8e9cf5;
      const o = v as Record<string, unknown>;
      for (const k in o) {
        const x = o[k];
        if (x === undefined) continue;
        // Mixed per entry, then added: the sum is the same in any order.
        h = h + Math.imul(hashString(k) ^ Math.imul(hashJson(x), 0x85ebca6b), 0xc2b2ae35) | 0;
      }
      return h;
    }
    default: return 0;
  }
}

/** Whether two JSON values are equal, ignoring object field order (undefined fields count as absent). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    const v = x[k];
    if (v === undefined) continue;
    n++;
    if (!Object.hasOwn(y, k) || !sameJson(v, y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) n--;
  return n === 0;
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
  const value = raw ?? {};
  const key = (Math.imul(hashJson(value), 31) + id) | 0;
  let entry = cache.get(key);
  if (entry && entry.schema === id && sameJson(entry.raw, value)) {
    // Re-insert so the Map's insertion order doubles as least-recently-used order.
    cache.delete(key);
  } else {
    let result: Entry["result"];
    try {
      const spec = parseUncached(schema, raw);
      check?.(spec);
      result = { spec: deepFreeze(spec) };
    } catch (e) {
      if (!(e instanceof SpecError)) throw e;
      result = { error: e };
    }
    // A copy to compare with: the caller's object may change after this call (tests and offline
    // render reuse theirs), and a kept reference would then match specs it no longer equals.
    entry = { schema: id, raw: structuredClone(value), result };
    cache.delete(key);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, entry);
  if ("error" in entry.result) throw entry.result.error;
  return entry.result.spec as S;
}

/** For tests: forget every cached parse. */
export function clearParseCache(): void {
  cache.clear();
  ids = new WeakMap();
}

/**
 * YAML reads `version: 16`, `on` or `yes` unquoted as a number or a boolean; where the schema wants a
 * string the fix is quoting, which zod's "expected one of ..." does not say.
 */
function quoteHint(value: unknown, message: string): string {
  if ((typeof value !== "number" && typeof value !== "boolean") || !/expected (string|one of ")/.test(message)) return "";
  return ` (YAML reads ${String(value)} unquoted as a ${typeof value}: quote it, e.g. "${String(value)}")`;
}

function parseUncached<S>(schema: z.ZodType<S>, raw: unknown): S {
  const result = schema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => {
      const value = valueAt(raw, i.path);
      const got = i.code === "unrecognized_keys" ? `unknown field(s) ${i.keys.join(", ")}` : value === undefined ? "missing" : `got ${show(value)}`;
      return { field: fieldPath(i.path), got, message: i.message + quoteHint(value, i.message) };
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
