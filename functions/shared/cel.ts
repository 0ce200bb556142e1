/**
 * Evaluates the `x-kubernetes-validations` CEL rules of an OpenAPI schema against a value, the way the
 * Kubernetes API server does: each rule runs with `self` bound to the value at its node, and
 * transition rules (those using `oldSelf`) run only when an old value is given.
 *
 * The function uses it, with the CEL subset its XRD rules are written in, to enforce the XRDs' own
 * rules on every XR (offline render has no API server). The tests use it with full CEL
 * (test/support/cel.ts) to enforce the provider CRDs' rules on every composed resource.
 */
import { compile, type Program } from "./cel-subset.ts";

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

/**
 * Evaluates one CEL expression with `self` (and `oldSelf`) bound; `schema` is the node the rule sits
 * on, for evaluators that type values by it. Throws when the expression cannot be evaluated.
 */
export type Evaluate = (expr: string, schema: SchemaNode, self: unknown, oldSelf: unknown) => unknown;

const programs = new Map<string, Program>();

/** The function's evaluator: Tessera's CEL subset, each expression compiled once. */
export const evaluateSubset: Evaluate = (expr, _schema, self, oldSelf) => {
  let p = programs.get(expr);
  if (!p) programs.set(expr, (p = compile(expr)));
  return p(oldSelf === undefined ? { self } : { self, oldSelf });
};

/**
 * The part of a schema rule checking needs: the nodes with rules and the path to them. checkRules
 * gives the same violations with it as with the whole schema (a test holds it to that); the
 * production bundle carries these, computed at build time, instead of deriving schemas at run time.
 */
export function rulesOnly(node: SchemaNode): SchemaNode | undefined {
  const out: SchemaNode = {};
  if (node["x-kubernetes-validations"]) out["x-kubernetes-validations"] = node["x-kubernetes-validations"];
  for (const [k, child] of Object.entries(node.properties ?? {})) {
    const c = rulesOnly(child);
    if (c) (out.properties ??= {})[k] = c;
  }
  const items = node.items && rulesOnly(node.items);
  if (items) out.items = items;
  const extra = typeof node.additionalProperties === "object" ? rulesOnly(node.additionalProperties) : undefined;
  if (extra) out.additionalProperties = extra;
  return Object.keys(out).length ? out : undefined;
}

/** Runs every rule under `schema` against `value`; returns the violations, empty when all pass. */
export function checkRules(schema: SchemaNode, value: unknown, path: string, oldValue?: unknown, evaluate: Evaluate = evaluateSubset): Violation[] {
  const out: Violation[] = [];
  walk(schema, value, oldValue, path, out, evaluate);
  return out;
}

function attempt(evaluate: Evaluate, expr: string, schema: SchemaNode, self: unknown, oldSelf: unknown): { value: unknown } | { error: string } {
  try {
    return { value: evaluate(expr, schema, self, oldSelf) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

function walk(schema: SchemaNode, value: unknown, oldValue: unknown, path: string, out: Violation[], evaluate: Evaluate): void {
  if (value === undefined || value === null) return;
  for (const r of schema["x-kubernetes-validations"] ?? []) {
    const transition = /\boldSelf\b/.test(r.rule);
    if (transition && oldValue === undefined) continue;
    const old = transition ? oldValue : undefined;
    const result = attempt(evaluate, r.rule, schema, value, old);
    if ("value" in result && result.value === true) continue;
    let message = r.message ?? `failed rule: ${r.rule}`;
    if (r.messageExpression) {
      const m = attempt(evaluate, r.messageExpression, schema, value, old);
      if ("value" in m && typeof m.value === "string") message = m.value;
    }
    if ("error" in result) message = `${message} (rule could not be evaluated: ${result.error})`;
    else if (result.value !== false) message = `${message} (rule could not be evaluated: it gave ${JSON.stringify(result.value)}, not a bool)`;
    out.push({ path, message });
  }
  const old = (k: string | number) => (oldValue !== null && typeof oldValue === "object" ? (oldValue as Record<string, unknown>)[k] : undefined);
  if (Array.isArray(value)) {
    // Lists are compared by position only for transition rules on atomic lists; Tessera has none on items.
    if (schema.items) value.forEach((v, i) => walk(schema.items as SchemaNode, v, undefined, `${path}[${i}]`, out, evaluate));
    return;
  }
  if (typeof value !== "object") return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const child = schema.properties?.[k] ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
    if (child) walk(child, v, old(k), `${path}.${k}`, out, evaluate);
  }
}
