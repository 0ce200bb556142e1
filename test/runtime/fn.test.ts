/**
 * What RunFunction says about an XR, whatever its kind: bounded messages (13.7) and a live XR
 * called before its required resources are fetched (13.9).
 */
import { describe, expect, it } from "vitest";
import type { RunFunctionRequest } from "@crossplane-org/function-sdk-typescript";
import { clip, MAX_MESSAGE, runFunction } from "../../functions/fn.ts";
import type { K8sObject } from "../../functions/shared/types.ts";
import { render } from "../../scripts/render-engine.ts";
import { renderUntilReady } from "../../scripts/fake-cluster.ts";
import { example, observe, requiredFor } from "../support/fixtures.ts";
import { withSpec } from "../support/refusals.ts";

const conditions = (xr: K8sObject) => (xr.status as { conditions: Array<{ type: string; status: string; message?: string }> }).conditions;

describe("messages (13.7)", () => {
  const aws = example("examples/network/aws-broxiva.yaml");

  it("keeps the MESSAGE column to a count and the first item, with the full list in ResourcesReady", async () => {
    const out = await render({ xr: aws });
    const message = out.xr.status?.["message"] as string;
    expect(message).toMatch(/^Waiting for \d+ resources: \S+ \(not created yet\) and \d+ more$/);
    expect(message.length).toBeLessThan(100);
    const ready = conditions(out.xr).find((c) => c.type === "ResourcesReady")!;
    expect(ready.status).toBe("False");
    // The condition lists them all (cut at MAX_MESSAGE characters): the count, then the column's first item.
    const [, count, first] = /^Waiting for (\d+) resources: (\S+)/.exec(message)!;
    expect(ready.message).toMatch(new RegExp(`^Waiting for ${count}: ${first} \\(not created yet\\), \\S+`));
  });

  it("cuts a provider's long Synced=False message, in the column and in the condition", async () => {
    const first = await render({ xr: aws });
    const huge = `InvalidParameterValue: ${"the cloud said something very long ".repeat(500)}`;
    const out = await render({ xr: aws, observed: observe(first.resources, { synced: { key: "vpc", message: huge } }) });
    const message = out.xr.status?.["message"] as string;
    expect(message).toMatch(/^Failing: vpc: InvalidParameterValue: the cloud/);
    expect(message.length).toBeLessThan(120);
    const synced = conditions(out.xr).find((c) => c.type === "ResourcesSynced")!;
    expect(synced.status).toBe("False");
    expect(synced.message!.length).toBeLessThanOrEqual(MAX_MESSAGE);
    expect(synced.message).toMatch(/more chars\)$/);
  });

  it("cuts a fatal message of a spec with thousands of problems", async () => {
    const many = withSpec(aws, (s) => (s["subnets"] = Array.from({ length: 10_000 }, (_, i) => ({ name: `s${i}`, bogus: i }))));
    const out = await render({ xr: many });
    expect(out.fatal).toBeDefined();
    expect(out.fatal!.length).toBeLessThanOrEqual(MAX_MESSAGE);
  });

  it("clip leaves short text alone and says how much it cut", () => {
    expect(clip("short")).toBe("short");
    const cut = clip("a".repeat(2000), 100);
    expect(cut.length).toBeLessThanOrEqual(100);
    expect(cut).toMatch(/^a+… \(\d+ more chars\)$/);
    expect(Number(/(\d+) more/.exec(cut)![1]) + cut.indexOf("…")).toBe(2000);
  });
});

describe("a live XR called before its required resources are fetched (13.9)", () => {
  const xr = example("examples/postgres-database/aws-minimal.yaml");

  async function liveRequest(capabilities: number[]): Promise<RunFunctionRequest> {
    const { out } = await renderUntilReady({ xr, required: requiredFor(xr) });
    const observed = observe(out.resources);
    const req: RunFunctionRequest = {
      meta: { tag: "t", capabilities },
      observed: {
        composite: { resource: xr as never, connectionDetails: {}, ready: 0 },
        resources: Object.fromEntries(observed.map((o) => [o.metadata!.annotations!["crossplane.io/composition-resource-name"]!, { resource: o as never, connectionDetails: {}, ready: 0 }])),
      },
      desired: { composite: undefined, resources: {} },
      extraResources: {},
      credentials: {},
      requiredResources: {},
      requiredSchemas: {},
    };
    return req;
  }

  it("returns every observed resource, never an empty desired state", async () => {
    const req = await liveRequest([]);
    const rsp = runFunction(req);
    expect(rsp.results).toEqual([]);
    expect(Object.keys(rsp.requirements?.resources ?? {}).length).toBeGreaterThan(0);
    expect(Object.keys(rsp.desired!.resources).sort()).toEqual(Object.keys(req.observed!.resources).sort());
    for (const [key, d] of Object.entries(rsp.desired!.resources)) {
      const o = req.observed!.resources[key]!.resource as K8sObject;
      const { status, ...rest } = o;
      expect(d.resource).toEqual(rest);
      expect(status).toBeDefined();
    }
    // A Secret keeps its data: applying the answer would change nothing.
    const secret = Object.values(rsp.desired!.resources).find((d) => (d.resource as K8sObject).kind === "Secret");
    expect((secret?.resource as K8sObject | undefined)?.["data"]).toBeDefined();
  });

  it("refuses with a fatal result when Crossplane says it cannot fetch required resources", async () => {
    // CAPABILITY_CAPABILITIES present, CAPABILITY_REQUIRED_RESOURCES absent.
    const rsp = runFunction(await liveRequest([1, 3]));
    expect(rsp.results).toEqual([expect.objectContaining({ severity: 1, reason: "RequiredResourcesUnsupported" })]);
  });

  it("a new XR (nothing observed) still asks for its requirements only", () => {
    const rsp = runFunction({ meta: { tag: "t", capabilities: [] }, observed: { composite: { resource: xr as never, connectionDetails: {}, ready: 0 }, resources: {} }, desired: undefined, extraResources: {}, credentials: {}, requiredResources: {}, requiredSchemas: {} });
    expect(rsp.results).toEqual([]);
    expect(rsp.desired!.resources).toEqual({});
  });
});
