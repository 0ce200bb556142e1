/**
 * Properties over specs generated from each kind's schema (hundreds per kind): the function never
 * throws; an accepted spec renders resources valid against the provider CRDs, before and after they
 * are observed; a refused spec gets exactly one fatal result naming a spec field, and no resources.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { APIS } from "../apis/index.ts";
import type { K8sObject } from "../functions/shared/types.ts";
import { render, RESOURCE_NAME } from "../scripts/render-engine.ts";
import { specNear } from "./support/arbitrary.ts";
import { mrdName, validateComposed } from "./support/crds.ts";
import { KINDS } from "../functions/fn.ts";
import { CONNECTION_DETAILS, EXAMPLES, example, observe, requiredFor } from "./support/fixtures.ts";

const RUNS = Number(process.env["TESSERA_PROPERTY_RUNS"] ?? 200);

describe.each(APIS.map((a) => [a.kind, a] as const))("%s", (_kind, api) => {
  const examples = EXAMPLES.filter((p) => p.startsWith(`examples/${api.folder}/`)).map(example);
  const stats = { accepted: 0, refused: 0 };

  it(`never throws; accepted specs render valid resources, refused ones one fatal naming a field (${RUNS} specs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...examples), specNear(api.spec, examples.map((e) => e.spec as Record<string, unknown>)), async (base, spec) => {
        const xr: K8sObject = { ...structuredClone(base), spec };
        const required = requiredFor(xr);
        const out = await render({ xr, required });
        const fatals = out.response.results.filter((r) => r.severity === 1);
        if (fatals.length) {
          stats.refused++;
          expect(fatals).toHaveLength(1);
          expect(fatals[0]!.reason).toBe("InvalidSpec");
          expect(fatals[0]!.message).toMatch(/spec\.[a-zA-Z]/);
          expect(Object.keys(out.response.desired?.resources ?? {})).toEqual([]);
          return;
        }
        stats.accepted++;
        // Core kinds (v1 Secret, Crossplane's Usage) are not managed resources: no activation needed.
        const activated = new Set(KINDS[api.kind]?.composes);
        const errors = (rs: K8sObject[]) => [
          ...rs.flatMap((r) => validateComposed(r).map((e) => `${r.metadata?.annotations?.[RESOURCE_NAME]}: ${e}`)),
          ...rs.filter((r) => r.apiVersion !== "v1" && !/^[a-z.]*crossplane\.io\//.test(r.apiVersion) && !activated.has(mrdName(r) ?? r.kind)).map((r) => `${r.kind} is not in ${api.kind}'s composes list`),
        ];
        expect(errors(out.resources), JSON.stringify(spec)).toEqual([]);
        const again = await render({ xr, required, observed: observe(out.resources), connectionDetails: CONNECTION_DETAILS });
        expect(again.fatal, JSON.stringify(spec)).toBeUndefined();
        expect(errors(again.resources), JSON.stringify(spec)).toEqual([]);
      }),
      { numRuns: RUNS, seed: Number(process.env["TESSERA_PROPERTY_SEED"] ?? 20261122) },
    );
    // Both sides of the rules must be explored, or the property says little.
    expect(stats.accepted).toBeGreaterThan(RUNS / 10);
    expect(stats.refused).toBeGreaterThan(RUNS / 10);
    // Hundreds of renders, each validated against the CRDs twice; a Network render is two function
    // calls (its required Usages round trip), so on a shared 2-core host this outlasts the default.
  }, 180_000);
});
