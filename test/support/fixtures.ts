/** Shared test inputs: the examples, and a fake cluster that "creates" what a render asked for. */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { K8sObject } from "../../functions/shared/types.ts";
import { ROOT } from "../../scripts/generate.ts";
import { loadObjects, RESOURCE_NAME } from "../../scripts/render-engine.ts";

export const EXAMPLES = readdirSync(join(ROOT, "examples")).filter((d) => statSync(join(ROOT, "examples", d)).isDirectory()).flatMap((kind) =>
  readdirSync(join(ROOT, "examples", kind)).filter((f) => f.endsWith(".yaml")).map((f) => `examples/${kind}/${f}`),
);

export const example = (path: string): K8sObject => loadObjects(join(ROOT, path))[0] as K8sObject;
export const NETWORKS = loadObjects(join(ROOT, "examples", "network"));

/** The Secret the provider writes when autoGeneratePassword is on. */
export function passwordSecret(xr: K8sObject, password = "p@ss:w/rd"): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `${xr.metadata?.name}-postgres-admin`, namespace: xr.metadata?.namespace as string },
    data: { password: Buffer.from(password).toString("base64") },
  };
}

/** The Secret the provider writes when autoGenerateAuthToken is on (RedisCluster on AWS). */
export function authTokenSecret(xr: K8sObject, token = "p@ss:w/rd"): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `${xr.metadata?.name}-redis-auth`, namespace: xr.metadata?.namespace as string },
    data: { token: Buffer.from(token).toString("base64") },
  };
}

/** Everything a cluster would serve an XR as required resources: the Networks and generated credentials. */
export const requiredFor = (xr: K8sObject): K8sObject[] => [...NETWORKS, passwordSecret(xr), authTokenSecret(xr)];

/** A kubeconfig as EKS ClusterAuth and AKS write it (K8sCluster reads server and CA from it). */
export const KUBECONFIG = [
  "apiVersion: v1",
  "kind: Config",
  "clusters:",
  "- name: cluster",
  "  cluster:",
  "    server: https://ABCDEF0123.gr7.us-east-1.eks.amazonaws.com",
  `    certificate-authority-data: ${Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64")}`,
  "users:",
  "- name: admin",
  "  user:",
  "    token: k8s-aws-v1.short-lived",
  "contexts:",
  "- name: admin",
  "  context: { cluster: cluster, user: admin }",
  "current-context: admin",
  "",
].join("\n");

/** Connection details providers report, by composed-resource key (Azure Cache for Redis access keys, K8sCluster kubeconfigs). */
export const CONNECTION_DETAILS = { cache: { "attribute.primary_access_key": "p@ss:w/rd" }, "cluster-auth": { kubeconfig: KUBECONFIG }, cluster: { kubeconfig: KUBECONFIG } };

/** What a cluster holds once the provider created a resource: Ready, Synced, and outputs in atProvider. */
export function observe(resources: K8sObject[], opts: { ready?: boolean; synced?: { key: string; message: string } } = {}): K8sObject[] {
  return resources.map((r) => {
    const o = structuredClone(r);
    const key = o.metadata?.annotations?.[RESOURCE_NAME] ?? "";
    const region = ((o.spec?.["forProvider"] as Record<string, unknown> | undefined)?.["region"] as string | undefined) ?? "eastus";
    const failing = opts.synced?.key === key;
    o.status = {
      conditions: [
        { type: "Ready", status: opts.ready === false ? "False" : "True", reason: opts.ready === false ? "Creating" : "Available" },
        failing ? { type: "Synced", status: "False", reason: "ReconcileError", message: opts.synced?.message } : { type: "Synced", status: "True", reason: "ReconcileSuccess" },
      ],
      atProvider: {
        id: `${o.kind.toLowerCase()}-${key}`,
        arn: `arn:aws:rds:${region}:111122223333:db:${o.metadata?.name}`,
        address: `${o.metadata?.name}.abc123.${region}.rds.amazonaws.com`,
        fqdn: `${o.metadata?.name}.postgres.database.azure.com`,
        port: o.kind === "ReplicationGroup" ? 6379 : 5432,
        primaryEndpointAddress: `master.${o.metadata?.name}.abc123.use1.cache.amazonaws.com`,
        readerEndpointAddress: `replica.${o.metadata?.name}.abc123.use1.cache.amazonaws.com`,
        configurationEndpointAddress: `clustercfg.${o.metadata?.name}.abc123.use1.cache.amazonaws.com`,
        hostname: `${o.metadata?.name}.redis.cache.windows.net`,
        sslPort: 6380,
        // K8sCluster: EKS Cluster and AKS KubernetesCluster outputs, a launch template's version, an identity's principal.
        ...k8sOutputs(o),
      },
    };
    if (o.apiVersion === "azure.m.upbound.io/v1beta1") o.metadata!.annotations!["crossplane.io/external-name"] = o.metadata?.name as string;
    // What the API server adds, and Crossplane passes on to functions with the rest of the object:
    // identity, versions, finalizers and the managed fields of Crossplane's apply and the provider's
    // status updates (crossplane/cli#182: observed objects reach functions with managedFields).
    const at = "2026-11-01T10:00:00Z";
    Object.assign(o.metadata!, {
      uid: `${key.padEnd(8, "0").slice(0, 8)}-1111-4222-8333-444455556666`,
      resourceVersion: "81723",
      generation: 2,
      creationTimestamp: at,
      finalizers: ["finalizer.managedresource.crossplane.io"],
      managedFields: [
        { manager: "apiextensions.crossplane.io/composed/8f2d6c1a", operation: "Apply", apiVersion: o.apiVersion, time: at, fieldsType: "FieldsV1", fieldsV1: { "f:metadata": fieldsOf(r.metadata), "f:spec": fieldsOf(r.spec) } },
        { manager: "provider", operation: "Update", apiVersion: o.apiVersion, time: at, fieldsType: "FieldsV1", fieldsV1: { "f:status": fieldsOf(o.status) }, subresource: "status" },
      ],
    });
    return o;
  });
}

/** A managedFields fieldsV1 set for `v`: each object field as "f:<name>", leaves as {}. */
function fieldsOf(v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [`f:${k}`, fieldsOf(x)]));
}

/** atProvider fields of the kinds K8sCluster reads, as the providers report them. */
function k8sOutputs(o: K8sObject): Record<string, unknown> {
  const fp = (o.spec?.["forProvider"] ?? {}) as Record<string, unknown>;
  switch (o.kind) {
    case "Cluster":
      return {
        endpoint: "https://ABCDEF0123.gr7.us-east-1.eks.amazonaws.com",
        version: fp["version"],
        certificateAuthority: [{ data: Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64") }],
        identity: [{ oidc: [{ issuer: "https://oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123" }] }],
        vpcConfig: { clusterSecurityGroupId: "sg-0cluster", securityGroupIds: ["sg-0app"] },
      };
    case "KubernetesCluster":
      return {
        currentKubernetesVersion: `${fp["kubernetesVersion"]}.3`,
        oidcIssuerUrl: "https://eastus.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/",
        nodeResourceGroup: `MC_${o.metadata?.name}`,
      };
    case "LaunchTemplate":
      return { latestVersion: 1 };
    case "UserAssignedIdentity":
      return {
        id: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${fp["name"]}`,
        principalId: "22222222-2222-2222-2222-222222222222",
      };
    default:
      return {};
  }
}
