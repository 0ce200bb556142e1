/**
 * The parse cache at the function's boundary: Crossplane sends the same spec on every reconcile, with
 * its fields in whatever order Go's map iteration gave, and the cache must see through that.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { NetworkSpec } from "../../apis/network/schema.ts";
import { SpecError } from "../../functions/shared/errors.ts";
import { clearParseCache, parseSpec } from "../../functions/shared/parse.ts";
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
