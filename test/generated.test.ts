/** Committed XRDs and Compositions must be exactly what the zod schemas generate. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { parse } from "yaml";
import { generated, ROOT } from "../scripts/generate.ts";
import type { SchemaNode } from "../functions/shared/cel.ts";
import { checkRules } from "./support/cel.ts";

const files = generated();

it.each([...files.keys()])("%s is up to date (npm run generate)", (path) => {
  expect(readFileSync(join(ROOT, path), "utf8")).toBe(files.get(path));
});

it.each([...files.keys()].filter((p) => p.endsWith("definition.yaml")))("%s is a structural v2 Namespaced XRD", (path) => {
  const xrd = parse(readFileSync(join(ROOT, path), "utf8"));
  expect(xrd.apiVersion).toBe("apiextensions.crossplane.io/v2");
  expect(xrd.spec.scope).toBe("Namespaced");
  expect(xrd.metadata.name).toBe(`${xrd.spec.names.plural}.${xrd.spec.group}`);
  const text = JSON.stringify(xrd);
  for (const banned of ['"oneOf"', '"anyOf"', '"allOf"', '"propertyNames"', '"additionalProperties":false']) expect(text).not.toContain(banned);
  // Every rule must compile and run: evaluate against an empty spec walk (no value = no evaluation) then a typed probe.
  expect(checkRules(xrd.spec.versions[0].schema.openAPIV3Schema as SchemaNode, {}, "")).toEqual([]);
});
