/**
 * Full CEL (@bufbuild/cel), the reference the tests hold everything to: the provider CRDs' rules on
 * composed resources, admission of XRs as the API server would do it, and the function's own CEL
 * subset, which must reach the same verdicts.
 */
import { celEnv, isCelError, parse, plan, type CelInput } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { checkRules as check, type Evaluate, type SchemaNode, type Violation } from "../../functions/shared/cel.ts";

type Program = (ctx: Record<string, CelInput>) => unknown;

const env = celEnv({ funcs: strings });
const programs = new Map<string, Program>();

/**
 * CEL reserved words, which the API server escapes as `__<word>__` when a schema property carries one
 * (k8s.io/apiserver/pkg/cel/escaping.go): a CRD rule reads `namespace` as `self.__namespace__`.
 */
const RESERVED = new Set(["true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"]);

/** Converts JSON to CEL input: objects become maps, and schema integers become CEL ints (bigint). */
export function toCel(value: unknown, schema: SchemaNode | undefined): CelInput {
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items)) as CelInput;
  if (value !== null && typeof value === "object") {
    const m = new Map<string, CelInput>();
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const declared = schema?.properties?.[k];
      const child = declared ?? (typeof schema?.additionalProperties === "object" ? schema.additionalProperties : undefined);
      m.set(declared && RESERVED.has(k) ? `__${k}__` : k, toCel(v, child));
    }
    return m as CelInput;
  }
  if (typeof value === "number" && schema?.type === "integer" && Number.isInteger(value)) return BigInt(value);
  return value as CelInput;
}

// One conversion per value and schema node, however many rules sit on the node.
const converted = new WeakMap<object, WeakMap<SchemaNode, CelInput>>();
function cel(value: unknown, schema: SchemaNode): CelInput {
  if (value === null || typeof value !== "object") return toCel(value, schema);
  let bySchema = converted.get(value);
  if (!bySchema) converted.set(value, (bySchema = new WeakMap()));
  let c = bySchema.get(schema);
  if (c === undefined) bySchema.set(schema, (c = toCel(value, schema)));
  return c;
}

export const evaluateFull: Evaluate = (expr, schema, self, oldSelf) => {
  let p = programs.get(expr);
  if (!p) programs.set(expr, (p = plan(env, parse(expr)) as unknown as Program));
  const ctx: Record<string, CelInput> = { self: cel(self, schema) };
  if (oldSelf !== undefined) ctx["oldSelf"] = cel(oldSelf, schema);
  const result = p(ctx);
  if (isCelError(result)) throw new Error(result.message);
  return result;
};

/** checkRules with full CEL. */
export const checkRules = (schema: SchemaNode, value: unknown, path: string, oldValue?: unknown): Violation[] => check(schema, value, path, oldValue, evaluateFull);
