/** Helpers for negative tests: a refused spec yields exactly one fatal result and no resources. */
import { expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { Severity } from "@crossplane-org/function-sdk-typescript";
import type { SchemaNode } from "../../functions/shared/cel.ts";
import { checkRules } from "./cel.ts";
import type { K8sObject } from "../../functions/shared/types.ts";
import { ROOT } from "../../scripts/generate.ts";
import { render } from "../../scripts/render-engine.ts";

export function withSpec(xr: K8sObject, patch: (spec: Record<string, any>) => void): K8sObject {
  const copy = structuredClone(xr);
  patch(copy.spec as Record<string, any>);
  return copy;
}

export async function expectRefused(input: Parameters<typeof render>[0], ...fragments: string[]): Promise<string> {
  const out = await render(input);
  const fatals = out.response.results.filter((r) => r.severity === Severity.SEVERITY_FATAL);
  expect(fatals).toHaveLength(1);
  expect(Object.keys(out.response.desired?.resources ?? {})).toEqual([]);
  for (const f of fragments) expect(fatals[0]?.message).toContain(f);
  return fatals[0]?.message ?? "";
}

/** The spec schema of a committed XRD, for evaluating its CEL rules as the API server would. */
export function xrdSpecSchema(folder: string): SchemaNode {
  const xrd = parse(readFileSync(join(ROOT, "apis", folder, "definition.yaml"), "utf8"));
  return xrd.spec.versions[0].schema.openAPIV3Schema.properties.spec as SchemaNode;
}

export const admission = (schema: SchemaNode, spec: unknown, old?: unknown) => checkRules(schema, spec, "spec", old).map((v) => v.message);
