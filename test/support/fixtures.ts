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

/** Connection details providers report, by composed-resource key (Azure Managed Redis and legacy Azure Cache for Redis access keys). */
export const CONNECTION_DETAILS = {
  cache: { "attribute.primary_access_key": "p@ss:w/rd" },
  "managed-redis": { "attribute.default_database.0.primary_access_key": "p@ss:w/rd" },
};

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
        // ObjectStore: a managed identity's principal and client ids, a container's ARM id.
        principalId: `${key}-principal`,
        clientId: `${key}-client`,
        resourceManagerId: `/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/${o.metadata?.annotations?.["crossplane.io/external-name"] ?? key}`,
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
