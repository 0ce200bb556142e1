/**
 * Picking the ProviderConfig (cloud account or subscription) per namespace or per XR, for every kind
 * (functions/shared/provider-config.ts), and never moving a live XR's resources to other credentials.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { K8sObject } from "../../functions/shared/types.ts";
import { PROVIDER_CONFIG_LABEL } from "../../functions/shared/provider-config.ts";
import { ROOT } from "../../scripts/generate.ts";
import { loadObjects, render } from "../../scripts/render-engine.ts";
import { renderUntilReady } from "../../scripts/fake-cluster.ts";
import { validateComposed, validateObject } from "../support/crds.ts";
import { EXAMPLES, example, observe, requiredFor } from "../support/fixtures.ts";
import { expectRefused } from "../support/refusals.ts";

// Child processes and CRD schemas compiled on first use: slow on a busy two-core machine.
vi.setConfig({ testTimeout: 240_000 });

const providerConfig = (provider: string, namespace: string, name = "default"): K8sObject => ({
  apiVersion: `${provider}.m.upbound.io/v1beta1`,
  kind: "ProviderConfig",
  metadata: { name, namespace },
  spec: { credentials: { source: "IRSA" } },
});
const managed = (rs: K8sObject[]) => rs.filter((r) => /\.m\.upbound\.io\//.test(r.apiVersion));
const refs = (rs: K8sObject[]) => new Set(managed(rs).map((r) => JSON.stringify(r.spec?.["providerConfigRef"] ?? null)));
const labelled = (xr: K8sObject, value: string): K8sObject => ({ ...xr, metadata: { ...xr.metadata, labels: { ...xr.metadata?.labels, [PROVIDER_CONFIG_LABEL]: value } } });
const providerOf = (xr: K8sObject) => (xr.spec as { provider: string }).provider;

describe.each(EXAMPLES.filter((p) => !p.endsWith("functions.yaml")))("%s", (path) => {
  const xr = example(path);
  const ns = xr.metadata?.namespace as string;

  it("uses the providers' default (ClusterProviderConfig default, left unset) when the namespace has no ProviderConfig default", async () => {
    const { out } = await renderUntilReady({ xr, required: requiredFor(xr) });
    expect(refs(out.resources)).toEqual(new Set(["null"]));
  });

  it("sends every managed resource to the namespace's ProviderConfig default, valid against the CRDs", async () => {
    const { out } = await renderUntilReady({ xr, required: [...requiredFor(xr), providerConfig(providerOf(xr), ns)] });
    expect(out.fatal).toBeUndefined();
    expect(managed(out.resources).length).toBeGreaterThan(0);
    expect(refs(out.resources)).toEqual(new Set([JSON.stringify({ kind: "ProviderConfig", name: "default" })]));
    // Secrets and Usages have no providerConfigRef; what K8sCluster installs into its cluster (helm,
    // kubernetes) uses the ProviderConfig it composes for that cluster, never the namespace's.
    for (const r of out.resources.filter((x) => !/\.m\.upbound\.io\//.test(x.apiVersion))) {
      if (/^(helm|kubernetes)\.m\.crossplane\.io\//.test(r.apiVersion) && r.kind !== "ProviderConfig") expect(r.spec?.["providerConfigRef"]).toEqual({ kind: "ProviderConfig", name: `${xr.metadata?.name}-k8scluster` });
      else expect(r.spec?.["providerConfigRef"]).toBeUndefined();
    }
    expect(out.resources.flatMap((r) => validateComposed(r).map((e) => `${r.kind}: ${e}`))).toEqual([]);
  }, 180_000);
});

describe("per XR and for live XRs", () => {
  const xr = example("examples/network/aws-minimal.yaml");
  const ns = xr.metadata?.namespace as string;

  it("uses the ProviderConfig the XR's label names, in the XR's namespace only", async () => {
    const { out } = await renderUntilReady({ xr: labelled(xr, "team-a-prod"), required: [providerConfig("aws", ns, "team-a-prod"), providerConfig("aws", "other-team", "team-b")] });
    expect(refs(out.resources)).toEqual(new Set([JSON.stringify({ kind: "ProviderConfig", name: "team-a-prod" })]));
  });

  it("refuses a label naming a ProviderConfig that is not in the XR's namespace, or of the other cloud", async () => {
    await expectRefused({ xr: labelled(xr, "team-b"), required: [providerConfig("aws", "other-team", "team-b")] }, PROVIDER_CONFIG_LABEL, `ProviderConfig "team-b" (aws.m.upbound.io) does not exist in namespace ${ns}`);
    await expectRefused({ xr: labelled(xr, "team-a-prod"), required: [providerConfig("azure", ns, "team-a-prod")] }, "does not exist");
  });

  it("keeps a live XR on the config it was created with when a namespace default appears, and says so", async () => {
    const first = await render({ xr });
    const out = await render({ xr, observed: observe(first.resources), required: [providerConfig("aws", ns)] });
    expect(out.fatal).toBeUndefined();
    expect(refs(out.resources)).toEqual(new Set(["null"]));
    expect(out.results).toContainEqual({ severity: "SEVERITY_WARNING", message: expect.stringContaining(`keeps ClusterProviderConfig default, which its resources were created with; ProviderConfig default in namespace ${ns} applies to new XRs`) });
  });

  it("refuses a label that would move a live XR's resources to other credentials", async () => {
    const first = await render({ xr: labelled(xr, "old"), required: [providerConfig("aws", ns, "old")] });
    const observed = observe(first.resources);
    const msg = await expectRefused({ xr: labelled(xr, "new"), observed, required: [providerConfig("aws", ns, "old"), providerConfig("aws", ns, "new")] }, PROVIDER_CONFIG_LABEL, "were created with ProviderConfig old");
    expect(msg).toContain("set the label back to old");
    // Unchanged, it renders.
    const same = await render({ xr: labelled(xr, "old"), observed, required: [providerConfig("aws", ns, "old")] });
    expect(refs(same.resources)).toEqual(new Set([JSON.stringify({ kind: "ProviderConfig", name: "old" })]));
  });
});

describe("examples/provider-configs", () => {
  const dir = join(ROOT, "examples", "provider-configs");
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));

  it("has a ClusterProviderConfig and a namespace default ProviderConfig for each cloud", () => {
    const objects = files.flatMap((f) => loadObjects(join(dir, f)));
    for (const provider of ["aws", "azure"]) {
      expect(objects.find((o) => o.apiVersion === `${provider}.m.upbound.io/v1beta1` && o.kind === "ClusterProviderConfig" && o.metadata?.name === "default"), provider).toBeDefined();
      expect(objects.find((o) => o.apiVersion === `${provider}.m.upbound.io/v1beta1` && o.kind === "ProviderConfig" && o.metadata?.name === "default" && o.metadata.namespace), provider).toBeDefined();
    }
  });

  it.each(files)("%s passes the provider CRDs, with identity rather than stored keys", (f) => {
    for (const o of loadObjects(join(dir, f))) {
      expect(validateObject(o), `${o.kind} ${o.metadata?.name}`).toEqual([]);
      expect((o.spec as { credentials: { source: string } }).credentials.source).toMatch(/^(IRSA|PodIdentity|WebIdentity|OIDCTokenFile|UserAssignedManagedIdentity)$/);
    }
  }, 180_000);

  it("a namespace default from the examples is what an XR there uses", async () => {
    const pc = loadObjects(join(dir, "aws.yaml")).find((o) => o.kind === "ProviderConfig")!;
    const xr = { ...example("examples/network/aws-minimal.yaml") };
    xr.metadata = { ...xr.metadata, namespace: pc.metadata!.namespace as string };
    const out = await render({ xr, required: [pc] });
    expect(refs(out.resources)).toEqual(new Set([JSON.stringify({ kind: "ProviderConfig", name: "default" })]));
  });
});
