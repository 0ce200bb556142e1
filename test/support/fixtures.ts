/** Shared test inputs: the examples, and a fake cluster that "creates" what a render asked for. */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { K8sObject } from "../../functions/shared/types.ts";
import { ROOT } from "../../scripts/generate.ts";
import { loadObjects, RESOURCE_NAME } from "../../scripts/render-engine.ts";
import { accountName, bucketName, containerName } from "../../functions/object-store/names.ts";

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

/**
 * The ObjectStore examples as a cluster serves them to a CdnEdge on the same provider: spec, and the
 * status their function writes (bucket, and on Azure the storage account id Private Link needs).
 */
export function objectStoresFor(provider: string): K8sObject[] {
  return loadObjects(join(ROOT, "examples", "object-store"))
    .map((o) => o as K8sObject)
    .filter((o) => (o.spec as { provider?: string } | undefined)?.provider === provider)
    .map((o) => {
      const meta = { namespace: o.metadata?.namespace as string, name: o.metadata?.name as string };
      const status = provider === "aws"
        ? { bucketName: bucketName(meta) }
        : { bucketName: containerName(meta), accountName: accountName(meta), resourceId: `/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${accountName(meta)}` };
      return { ...o, status };
    });
}

/** The Secrets a CdnEdge's origin-verify headers name, each holding its key. */
export function verifySecrets(xr: K8sObject): K8sObject[] {
  const origins = ((xr.spec as { origins?: Array<{ verifyHeader?: { secretRef: { name: string; key: string } } }> } | undefined)?.origins ?? []);
  return origins.filter((o) => o.verifyHeader).map((o) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: o.verifyHeader!.secretRef.name, namespace: xr.metadata?.namespace as string },
    data: { [o.verifyHeader!.secretRef.key]: Buffer.from("s3cr3t-verify").toString("base64") },
  }));
}

/** Everything a cluster would serve an XR as required resources: the Networks and generated credentials. */
export const requiredFor = (xr: K8sObject): K8sObject[] => [
  ...NETWORKS,
  passwordSecret(xr),
  authTokenSecret(xr),
  // CdnEdge reads its ObjectStore origins and log target, and its verify-header Secrets.
  ...(xr.kind === "CdnEdge" ? [...objectStoresFor((xr.spec as { provider: string }).provider), ...verifySecrets(xr)] : []),
];

/** Connection details providers report, by composed-resource key (Azure Cache for Redis access keys). */
export const CONNECTION_DETAILS = { cache: { "attribute.primary_access_key": "p@ss:w/rd" } };

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
        // CdnEdge: an issued ACM certificate and its validation records, the edges' hostnames, a Front Door domain token.
        ...cdnOutputs(o, key),
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

/** What the CDN providers report once a resource exists, by kind. */
function cdnOutputs(o: K8sObject, key: string): Record<string, unknown> {
  const fp = (o.spec?.["forProvider"] ?? {}) as { domainName?: string; subjectAlternativeNames?: string[]; hostName?: string };
  switch (o.kind) {
    case "Certificate":
      return {
        status: "ISSUED",
        domainValidationOptions: [fp.domainName, ...(fp.subjectAlternativeNames ?? [])].map((d) => ({
          domainName: d,
          resourceRecordName: `_a79865eb4cd1a6ab990a45779b4e0b96.${String(d).replace(/^\*\./, "")}.`,
          resourceRecordType: "CNAME",
          resourceRecordValue: "_424c7224e9b0146f9a8808af955727d0.acm-validations.aws.",
        })),
      };
    case "Distribution":
      return { domainName: "d111111abcdef8.cloudfront.net", hostedZoneId: "Z2FDTNDATAQYW2" };
    case "FrontdoorEndpoint":
      return { hostName: `${o.metadata?.annotations?.["crossplane.io/external-name"] ?? key}-abcdefgh.z01.azurefd.net` };
    case "FrontdoorCustomDomain":
      return { validationToken: `token-${key}`, hostName: fp.hostName };
    default:
      return {};
  }
}

/** A managedFields fieldsV1 set for `v`: each object field as "f:<name>", leaves as {}. */
function fieldsOf(v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [`f:${k}`, fieldsOf(x)]));
}
