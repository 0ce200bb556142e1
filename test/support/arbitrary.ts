/**
 * fast-check arbitraries generated from each kind's zod schema (through its JSON Schema, which keeps
 * patterns, ranges, enums and map-key patterns), so property tests explore exactly the input space
 * the API declares and grow with it.
 */
import fc from "fast-check";
import { z } from "zod";

type Node = {
  type?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Node;
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: Node | boolean;
  propertyNames?: Node;
  maxProperties?: number;
  anyOf?: Node[];
};

function stringArb(n: Node): fc.Arbitrary<string> {
  const max = Math.min(n.maxLength ?? 40, 80);
  const min = n.minLength ?? 0;
  const base = n.pattern ? fc.stringMatching(new RegExp(n.pattern)) : fc.string({ minLength: min, maxLength: max });
  return base.filter((s) => s.length >= min && s.length <= (n.maxLength ?? Infinity));
}

export function arbitraryOf(n: Node): fc.Arbitrary<unknown> {
  if (n.anyOf) return fc.oneof(...n.anyOf.map(arbitraryOf));
  if (n.enum) return fc.constantFrom(...n.enum);
  switch (n.type) {
    case "string":
      return stringArb(n);
    case "integer":
      // Boundaries and just past them are where rules bite; the rest is sampled uniformly.
      return fc.oneof(
        fc.integer({ min: n.minimum ?? -1000, max: n.maximum ?? 100000 }),
        fc.constantFrom(...[n.minimum, n.maximum, (n.minimum ?? 0) - 1, (n.maximum ?? 0) + 1].filter((x): x is number => x !== undefined)),
      );
    case "number":
      return fc.double({ min: n.minimum ?? -1e6, max: n.maximum ?? 1e6, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(arbitraryOf(n.items ?? {}), { minLength: n.minItems ?? 0, maxLength: Math.min(n.maxItems ?? 4, 4) });
    case "object": {
      if (n.properties) {
        const required = new Set(n.required ?? []);
        const shape = Object.fromEntries(Object.entries(n.properties).map(([k, v]) => [k, arbitraryOf(v)]));
        return fc.record(shape, { requiredKeys: Object.keys(shape).filter((k) => required.has(k)) });
      }
      if (n.additionalProperties && typeof n.additionalProperties === "object") {
        const key = n.propertyNames ? stringArb(n.propertyNames) : fc.string({ maxLength: 20 });
        return fc.dictionary(key, arbitraryOf(n.additionalProperties), { maxKeys: Math.min(n.maxProperties ?? 4, 4) });
      }
      return fc.constant({});
    }
  }
  return fc.constant(undefined);
}

/**
 * Specs near the examples: an example's spec with a random subset of its fields replaced by values
 * drawn from the schema. Pure random specs would almost all fail on the first cross-field rule; these
 * land on both sides of every rule.
 */
export function specNear(schema: z.ZodType, bases: Array<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const json = z.toJSONSchema(schema, { target: "openapi-3.0", io: "input", reused: "inline", unrepresentable: "any" }) as Node;
  const props = json.properties ?? {};
  const fields = Object.keys(props);
  const drawn = fc.record(Object.fromEntries(fields.map((k) => [k, arbitraryOf(props[k]!)])), { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>;
  return fc.tuple(fc.constantFrom(...bases), drawn, fc.subarray(fields, { maxLength: 3 })).map(([base, random, keys]) => {
    const out = structuredClone(base);
    for (const k of keys) {
      if (k in random) out[k] = random[k];
      else delete out[k];
    }
    return out;
  });
}
