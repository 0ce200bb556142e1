/**
 * Workload access across kinds, end to end through the function: a K8sCluster is created and reports
 * its cluster name (EKS) or OIDC issuer (AKS) in status; an ObjectStore and a MessageQueue in the same
 * namespace grant one of its service accounts access by identity, and every resource they compose
 * for it passes the provider CRDs and points at that cluster. The kinds were written in parallel
 * against a status contract (clusterName, oidcIssuerUrl); this holds them to it.
 */
import { describe, expect, it } from "vitest";
import type { K8sObject } from "../../functions/shared/types.ts";
import { renderUntilReady } from "../../scripts/fake-cluster.ts";
import { RESOURCE_NAME } from "../../scripts/render-engine.ts";
import { validateComposed } from "../support/crds.ts";
import { CONNECTION_DETAILS, example, requiredFor } from "../support/fixtures.ts";
import { withSpec } from "../support/refusals.ts";

const keyOf = (o: K8sObject) => o.metadata?.annotations?.[RESOURCE_NAME] as string;

/** A K8sCluster as the API server serves it once the function has run it to Ready: spec, and the status it wrote. */
async function liveCluster(file: string): Promise<K8sObject> {
  const xr = example(file);
  const { out } = await renderUntilReady({ xr, required: requiredFor(xr), connectionDetails: CONNECTION_DETAILS });
  expect(out.fatal).toBeUndefined();
  return { ...xr, status: out.xr.status ?? {} };
}

describe.each([
  { provider: "aws", cluster: "examples/k8s-cluster/aws-minimal.yaml", store: "examples/object-store/aws-minimal.yaml", queue: "examples/message-queue/aws-minimal.yaml" },
  { provider: "azure", cluster: "examples/k8s-cluster/azure-minimal.yaml", store: "examples/object-store/azure-minimal.yaml", queue: "examples/message-queue/azure-minimal.yaml" },
])("$provider: a K8sCluster's service account reaches an ObjectStore and a MessageQueue by identity", ({ provider, cluster, store, queue }) => {
  it.each([
    ["ObjectStore", store, "readWrite"],
    ["MessageQueue", queue, "both"],
  ])("%s", async (_kind, file, role) => {
    // Same namespace, provider and region as the cluster (the access rule), so the example moves there.
    const live = await liveCluster(cluster);
    const base = withSpec(example(file), (s) => (s.region = (live.spec as { region: string }).region));
    const status = live.status as { clusterName?: string; oidcIssuerUrl?: string };
    expect(provider === "aws" ? status.clusterName : status.oidcIssuerUrl).toBeTruthy();
    const xr = withSpec(base, (s) => (s.access = [{ clusterRef: { name: live.metadata?.name }, namespace: "shop", serviceAccount: "api", role }]));
    const { out, settled } = await renderUntilReady({ xr, required: [...requiredFor(xr), live], connectionDetails: CONNECTION_DETAILS });
    expect(out.fatal).toBeUndefined();
    expect(settled).toBe(true);
    expect(out.resources.flatMap((r) => validateComposed(r).map((e) => `${keyOf(r)}: ${e}`))).toEqual([]);
    if (provider === "aws") {
      const association = out.resources.find((r) => r.kind === "PodIdentityAssociation");
      expect(association?.spec?.["forProvider"]).toMatchObject({ clusterName: status.clusterName, namespace: "shop", serviceAccount: "api" });
      const role = out.resources.find((r) => r.kind === "Role");
      expect(JSON.parse((role?.spec?.["forProvider"] as { assumeRolePolicy: string }).assumeRolePolicy).Statement[0].Principal.Service).toBe("pods.eks.amazonaws.com");
    } else {
      const federation = out.resources.find((r) => r.kind === "FederatedIdentityCredential");
      expect(federation?.spec?.["forProvider"]).toMatchObject({ issuer: status.oidcIssuerUrl, subject: "system:serviceaccount:shop:api" });
      expect(out.resources.some((r) => r.kind === "RoleAssignment")).toBe(true);
    }
  }, 180_000);
});
