/**
 * The parse cache at the function's boundary: Crossplane sends the same spec on every reconcile, with
 * its fields in whatever order Go's map iteration gave, and the cache must see through that.
 */
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { NetworkSpec } from "../../apis/network/schema.ts";
import { SpecError } from "../../functions/shared/errors.ts";
import { clearParseCache, hashJson, parseSpec, sameJson } from "../../functions/shared/parse.ts";
import { example } from "../support/fixtures.ts";

const spec = () => structuredClone(example("examples/network/aws-minimal.yaml").spec) as Record<string, unknown>;

/** The same object with its keys, at every level, in reverse order. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)]));
}

beforeEach(() => clearParseCache());

describe("parseSpec", () => {
  it("parses a spec once, whatever order its fields arrive in", () => {
    let checks = 0;
    const check = () => void checks++;
    const a = parseSpec(NetworkSpec, spec(), check);
    const b = parseSpec(NetworkSpec, reversed(spec()), check);
    expect(JSON.stringify(Object.keys(reversed(spec()) as object))).not.toBe(JSON.stringify(Object.keys(spec())));
    expect(b).toBe(a);
    expect(checks).toBe(1);
  });

  it("keeps refusals too, with the same message, and runs the kind's check inside the cache", () => {
    let checks = 0;
    const refuse = () => {
      checks++;
      throw SpecError.field("spec.cidr", "got it", "fix it");
    };
    const first = () => parseSpec(NetworkSpec, spec(), refuse);
    expect(first).toThrow(/spec\.cidr: got it; fix it/);
    expect(() => parseSpec(NetworkSpec, reversed(spec()), refuse)).toThrow(/spec\.cidr: got it; fix it/);
    expect(checks).toBe(1);
  });

  it("tells specs apart that differ in one value", () => {
    const other = spec();
    other["cidr"] = "10.99.0.0/16";
    expect(parseSpec(NetworkSpec, other)).not.toBe(parseSpec(NetworkSpec, spec()));
  });

  it("hands renderers frozen specs, so none can change what the next call sees", () => {
    const s = parseSpec(NetworkSpec, spec()) as { subnets: { public: unknown[] } };
    expect(Object.isFrozen(s)).toBe(true);
    expect(() => s.subnets.public.push({})).toThrow(TypeError);
  });
});

describe("the cache key", () => {
  // Any JSON value a spec can hold, and the same value with its object fields in another order.
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small" }, fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, "", "a"), fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), tie("array"), tie("object")),
    array: fc.array(tie("value"), { maxLength: 4 }),
    object: fc.dictionary(fc.string({ maxLength: 6 }), tie("value"), { maxKeys: 5 }),
  })).value;
  const sorted = (v: unknown): string => JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));

  it("hashes and compares a value the same in any field order", () => {
    fc.assert(fc.property(json, (v) => {
      const r = reversed(v);
      expect(hashJson(r)).toBe(hashJson(v));
      expect(sameJson(r, v)).toBe(true);
    }), { numRuns: 500 });
  });

  it("calls two values the same exactly when their sorted JSON is the same", () => {
    fc.assert(fc.property(json, json, (a, b) => {
      expect(sameJson(a, b)).toBe(sorted(a) === sorted(b));
    }), { numRuns: 500 });
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(sameJson({ a: 1 }, { b: 1 })).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({ a: [] }, { a: {} })).toBe(false);
  });

  it("never takes another spec's result on a hash collision", () => {
    // Two tag values whose hashes collide (found by a birthday search; 32-bit hashes collide after
    // about 80,000 strings), so the two specs share a cache slot and only the comparison tells them apart.
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const s = `team-${i}`;
      const h = hashJson(s);
      const other = seen.get(h);
      if (other !== undefined) pair = [other, s];
      else seen.set(h, s);
    }
    const a = { ...spec(), tags: { owner: pair[0] } };
    const b = { ...spec(), tags: { owner: pair[1] } };
    expect(hashJson(a)).toBe(hashJson(b));
    expect((parseSpec(NetworkSpec, a) as { tags: Record<string, string> }).tags["owner"]).toBe(pair[0]);
    expect((parseSpec(NetworkSpec, b) as { tags: Record<string, string> }).tags["owner"]).toBe(pair[1]);
    expect((parseSpec(NetworkSpec, a) as { tags: Record<string, string> }).tags["owner"]).toBe(pair[0]);
  });

  it("sees a change to an object the caller reuses", () => {
    const s = spec();
    const first = parseSpec(NetworkSpec, s) as { cidr: string };
    s["cidr"] = "10.97.0.0/16";
    expect((parseSpec(NetworkSpec, s) as { cidr: string }).cidr).toBe("10.97.0.0/16");
    expect(first.cidr).not.toBe("10.97.0.0/16");
  });
});
