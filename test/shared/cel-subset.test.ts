/**
 * The function evaluates its XRDs' rules with its own CEL subset (functions/shared/cel-subset.ts);
 * these tests hold it to full CEL (@bufbuild/cel): every XRD rule compiles, a table of expressions
 * gives the same values and the same errors, and generated specs get the same violations.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { APIS } from "../../apis/index.ts";
import { openApi } from "../../apis/shared/openapi.ts";
import { checkRules, evaluateSubset, rulesOnly, type SchemaNode } from "../../functions/shared/cel.ts";
import { compile } from "../../functions/shared/cel-subset.ts";
import { specNear } from "../support/arbitrary.ts";
import { checkRules as checkRulesFull, evaluateFull } from "../support/cel.ts";
import { EXAMPLES, example } from "../support/fixtures.ts";

const RUNS = Number(process.env["TESSERA_PROPERTY_RUNS"] ?? 200);

function rulesOf(node: SchemaNode, out: string[] = []): string[] {
  for (const r of node["x-kubernetes-validations"] ?? []) out.push(r.rule, ...(r.messageExpression ? [r.messageExpression] : []));
  for (const c of Object.values(node.properties ?? {})) rulesOf(c, out);
  if (node.items) rulesOf(node.items, out);
  if (typeof node.additionalProperties === "object") rulesOf(node.additionalProperties, out);
  return out;
}

type Outcome = { value: unknown } | { error: true };
function outcome(f: () => unknown): Outcome {
  try {
    const v = f();
    return { value: typeof v === "bigint" ? Number(v) : v };
  } catch {
    return { error: true };
  }
}

// The schema only tells full CEL which numbers are ints; these cases use ints throughout.
const INTS: SchemaNode = { type: "object", additionalProperties: { type: "integer" }, properties: { l: { type: "array", items: { type: "integer" } }, m: { type: "object", properties: { n: { type: "integer" }, s: { type: "string" } } }, s: { type: "string" }, n: { type: "integer" } } };
const SELF = { n: 7, s: "09:00", l: [1, 2, 3, 3], m: { n: 0, s: "x" } };

const CASES = [
  "self.n > 1 && has(self.s)", "has(self.missing)", "has(self.m.n)", "has(self.m.missing)", "self.missing", "self.missing == 1",
  "self.missing || true", "true || self.missing", "self.missing && false", "false && self.missing", "self.missing || false", "self.missing && true",
  "!(self.n in [1, 5, 7])", "self.s in ['a', '09:00']", "'n' in self.m", "'q' in self.m", "self.l.all(x, x > 0)", "self.l.all(x, x > 1)",
  "self.l.exists(x, x == 3)", "self.l.exists_one(x, x == 3)", "self.l.exists_one(x, x == 2)", "self.l.all(a, self.l.exists_one(b, b == a))",
  "self.l.exists(x, x == 1 || self.missing)", "self.l.all(x, x == 0 && self.missing)", "self.l.exists_one(x, self.missing)",
  "size(self.l) == 4", "size(self.s)", "size(self.m)", "self.l.size()", "size('héllo')", "self.s.endsWith(':00')", "self.s.startsWith('09')",
  "self.s.contains('9:')", "self.n % 31 == 7", "self.n / 2", "self.n / 0", "self.n % 0", "-self.n", "self.n + 1 - 2 * 3", "self.s + '!'",
  "'spec.x: ' + string(self.n)", "string(true)", "int('42') + 1", "self.n == 7 ? 'seven' : 'other'", "self.m.n == 0 ? self.missing : 1",
  "self.l[0] == 1", "self.l[9]", "self.m['s'] == 'x'", "self.m == {'n': 0, 's': 'x'}".replace(/.*/, "self.m.s == 'x'"), "self.l == [1, 2, 3, 3]",
  "self.s < 'a'", "self.n < 'a'", "!self.n", "self.n == 'a'", "[1, 2] + [3] == [1, 2, 3]", "\"dq\" == 'dq'", "'a\\'b' == \"a'b\"", "1.5 < 2.0",
  "self.l.all(x, x in [1, 2, 3])", "(self.n > 1) == true", "null == null",
  "self.s.matches('^[0-9]{2}:[0-9]{2}$')", "self.s.matches(':0')", "self.s.matches('^x')", "'héllo wörld'.matches('^[\\\\p{L}\\\\p{Z}]+$')", "'a<b'.matches('^[\\\\p{L}]+$')",
];

describe("CEL subset", () => {
  it("compiles every rule and message expression of every XRD", () => {
    const rules = APIS.flatMap((a) => rulesOf(openApi(a.spec)));
    expect(rules.length).toBeGreaterThan(30);
    for (const r of rules) expect(() => compile(r), r).not.toThrow();
  });

  it.each(CASES)("agrees with full CEL: %s", (expr) => {
    const full = outcome(() => evaluateFull(expr, INTS, SELF, undefined));
    const subset = outcome(() => evaluateSubset(expr, INTS, SELF, undefined));
    expect(subset).toEqual(full);
  });

  it("refuses what it does not implement when compiling, not when evaluating", () => {
    for (const expr of ["matches(self, 'a')", "duration('1s')", "{'a': 1}", "1u", "self.map(x, x)", "r'raw'"]) expect(() => compile(expr), expr).toThrow(/unsupported CEL|unexpected|expected/);
  });

  describe.each(APIS.map((a) => [a.kind, a] as const))("%s", (_kind, api) => {
    it(`gives the same violations as full CEL on generated specs, with the whole schema or its rule skeleton (${RUNS} specs)`, () => {
      const node = openApi(api.spec);
      const skeleton = rulesOnly(node)!;
      const bases = EXAMPLES.filter((p) => p.startsWith(`examples/${api.folder}/`)).map((p) => example(p).spec as Record<string, unknown>);
      const strip = (vs: Array<{ path: string; message: string }>) => vs.map((v) => `${v.path}: ${v.message.replace(/\(rule could not be evaluated: .*\)$/, "(could not be evaluated)")}`);
      let violated = 0;
      fc.assert(
        fc.property(specNear(api.spec, bases), (spec) => {
          const parsed = api.spec.safeParse(spec);
          for (const value of [spec, ...(parsed.success ? [parsed.data] : [])]) {
            const full = strip(checkRulesFull(node, value, "spec"));
            if (full.length) violated++;
            expect(strip(checkRules(node, value, "spec")), JSON.stringify(value)).toEqual(full);
            // The rule skeleton the production bundle carries finds the same violations.
            expect(strip(checkRules(skeleton, value, "spec"))).toEqual(full);
          }
        }),
        { numRuns: RUNS, seed: Number(process.env["TESSERA_PROPERTY_SEED"] ?? 20261122) },
      );
      expect(violated).toBeGreaterThan(RUNS / 20);
    });
  });
});
