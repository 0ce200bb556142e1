/**
 * Evaluates the `x-kubernetes-validations` CEL rules of an OpenAPI schema against a value, the way the
 * Kubernetes API server does: each rule runs with `self` bound to the value at its node, integers are
 * CEL ints, and transition rules (those using `oldSelf`) run only when an old value is given.
 *
 * The function uses it to enforce the XRDs' own rules on every XR (offline render has no API server),
 * and the tests use it to enforce the provider CRDs' rules on every composed resource.
 */
import { celEnv, parse, plan, isCelError, type CelInput } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";

export interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  "x-kubernetes-validations"?: Array<{ rule: string; message?: string; messageExpression?: string; fieldPath?: string }>;
  [key: string]: unknown;
}

export interface Violation {
  /** Path of the node the rule is declared on, e.g. spec.forProvider. */
  path: string;
  message: string;
}

type Program = (ctx: Record<string, CelInput>) => unknown;

const env = celEnv({ funcs: strings });
const programs = new Map<string, Program>();

function compile(expr: string): Program {
  let p = programs.get(expr);
  if (!p) {
    p = plan(env, parse(expr)) as unknown as Program;
    programs.set(expr, p);
  }
  return p;
}

/** Converts JSON to CEL input: objects become maps, and schema integers become CEL ints (bigint). */
export function toCel(value: unknown, schema: SchemaNode | undefined): CelInput {
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items)) as CelInput;
  if (value !== null && typeof value === "object") {
    const m = new Map<string, CelInput>();
    for (const [k, v] of Object.entries(value)) {
      const child = schema?.properties?.[k] ?? (typeof schema?.additionalProperties === "object" ? schema.additionalProperties : undefined);
      m.set(k, toCel(v, child));
    }
    return m as CelInput;
  }
  if (typeof value === "number" && schema?.type === "integer" && Number.isInteger(value)) return BigInt(value);
  return value as CelInput;
}

function evaluate(expr: string, ctx: Record<string, CelInput>): unknown {
  try {
    return compile(expr)(ctx);
  } catch (e) {
    return { celError: e instanceof Error ? e.message : String(e) };
  }
}

/** Runs every rule under `schema` against `value`; returns the violations, empty when all pass. */
export function checkRules(schema: SchemaNode, value: unknown, path: string, oldValue?: unknown): Violation[] {
  const out: Violation[] = [];
  walk(schema, value, oldValue, path, out);
  return out;
}

function walk(schema: SchemaNode, value: unknown, oldValue: unknown, path: string, out: Violation[]): void {
  if (value === undefined || value === null) return;
  const rules = schema["x-kubernetes-validations"];
  if (rules) {
    let self: CelInput | undefined;
    for (const r of rules) {
      const transition = /\boldSelf\b/.test(r.rule);
      if (transition && oldValue === undefined) continue;
      self ??= toCel(value, schema);
      const ctx: Record<string, CelInput> = { self };
      if (transition) ctx["oldSelf"] = toCel(oldValue, schema);
      const result = evaluate(r.rule, ctx);
      if (result === true) continue;
      let message = r.message ?? `failed rule: ${r.rule}`;
      if (r.messageExpression) {
        const m = evaluate(r.messageExpression, ctx);
        if (typeof m === "string") message = m;
      }
      if (result !== false) message = `${message} (rule could not be evaluated: ${isCelError(result) ? result.message : JSON.stringify(result)})`;
      out.push({ path, message });
    }
  }
  const old = (k: string | number) => (oldValue !== null && typeof oldValue === "object" ? (oldValue as Record<string, unknown>)[k] : undefined);
  if (Array.isArray(value)) {
    // Lists are compared by position only for transition rules on atomic lists; Tessera has none on items.
    if (schema.items) value.forEach((v, i) => walk(schema.items as SchemaNode, v, undefined, `${path}[${i}]`, out));
    return;
  }
  if (typeof value !== "object") return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const child = schema.properties?.[k] ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
    if (child) walk(child, v, old(k), `${path}.${k}`, out);
  }
}
