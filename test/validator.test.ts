/** The CRD validator must reject what the API server rejects, or every other test proves nothing. */
import { describe, expect, it } from "vitest";
import { validateComposed } from "./support/crds.ts";

const rds = (forProvider: Record<string, unknown>) => ({ apiVersion: "rds.aws.m.upbound.io/v1beta1", kind: "Instance", metadata: { name: "x" }, spec: { forProvider } });

describe("provider CRD validator", () => {
  it("accepts a complete resource", () => expect(validateComposed(rds({ region: "us-east-1", instanceClass: "db.t4g.medium" }))).toEqual([]));
  it("applies CEL rules after defaults (instanceClass is CEL-required)", () =>
    expect(validateComposed(rds({ region: "us-east-1" })).join()).toContain("spec.forProvider.instanceClass is a required parameter"));
  it("rejects unknown fields", () => expect(validateComposed(rds({ region: "us-east-1", instanceClass: "db.t4g.medium", nope: 1 })).join()).toContain("unknown field nope"));
  it("rejects wrong types", () => expect(validateComposed(rds({ region: "us-east-1", instanceClass: "db.t4g.medium", allocatedStorage: "big" })).join()).toContain("must be number"));
  it("rejects cluster-scoped kinds", () =>
    expect(validateComposed({ apiVersion: "rds.aws.upbound.io/v1beta3", kind: "Instance", spec: { forProvider: { region: "us-east-1", instanceClass: "x" } } }).join()).toContain("cluster-scoped"));
  it("rejects kinds it has no CRD for", () => expect(validateComposed({ apiVersion: "nope.io/v1", kind: "Thing" }).join()).toContain("no CRD"));
});
