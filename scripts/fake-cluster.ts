/**
 * A fake cluster for offline renders: what Crossplane and the providers do to what a render asked
 * for, so the next pass sees it created. Each composed resource comes back Ready and Synced with the
 * outputs its provider reports (ids, endpoints, ports) and what the API server adds (uid, managed
 * fields); generated passwords and tokens appear in the Secrets the provider writes. The tests use it,
 * and so does `npm run render -- --until-ready`.
 */
import { createHash } from "node:crypto";
import type { K8sObject } from "../functions/shared/types.ts";
import { render, RESOURCE_NAME, type RenderInput, type RenderOutput } from "./render-engine.ts";

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

const AKS_SERVER = "https://platform-1a2b3c4d.hcp.westeurope.azmk8s.io:443";
const AKS_CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIAKS\n-----END CERTIFICATE-----\n").toString("base64");
const aksKubeconfig = (user: string, credentials: string[]) => [
  "apiVersion: v1",
  "kind: Config",
  "clusters:",
  "- name: platform",
  "  cluster:",
  `    server: ${AKS_SERVER}`,
  `    certificate-authority-data: ${AKS_CA}`,
  "users:",
  `- name: ${user}`,
  "  user:",
  ...credentials,
  "contexts:",
  "- name: platform",
  `  context: { cluster: platform, user: ${user} }`,
  "current-context: platform",
  "",
].join("\n");

/**
 * AKS with Entra ID (azureActiveDirectoryRoleBasedAccessControl): the clusterUser kubeconfig
 * (azurerm kube_config_raw) authenticates through kubelogin, an exec plugin that provider-kubernetes
 * and provider-helm cannot run without an identity of their own.
 */
export const AKS_USER_KUBECONFIG = aksKubeconfig("clusterUser_rg_platform", [
  "    exec:",
  "      apiVersion: client.authentication.k8s.io/v1beta1",
  "      command: kubelogin",
  "      args: [get-token, --login, devicecode, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630, --environment, AzurePublicCloud]",
  "      interactiveMode: IfAvailable",
  "      provideClusterInfo: false",
]);

/** The clusterAdmin kubeconfig (azurerm kube_admin_config_raw, local accounts on): a client certificate. */
export const AKS_ADMIN_KUBECONFIG = aksKubeconfig("clusterAdmin_rg_platform", [
  `    client-certificate-data: ${Buffer.from("-----BEGIN CERTIFICATE-----\nMIIADMIN\n-----END CERTIFICATE-----\n").toString("base64")}`,
  `    client-key-data: ${Buffer.from("-----BEGIN RSA PRIVATE KEY-----\nMIIKEY\n-----END RSA PRIVATE KEY-----\n").toString("base64")}`,
  "    token: offline-admin-token",
]);

/**
 * The connection details provider-upjet-azure writes for a KubernetesCluster: upjet publishes every
 * sensitive Terraform attribute as `attribute.<path>` (crossplane/upjet pkg/resource/sensitive.go,
 * prefixAttribute and fieldPathToSecretKey), and the provider adds `kubeconfig` (and its pieces) from
 * kube_config_raw, the clusterUser credential (config/namespaced/containerservice/config.go,
 * AdditionalConnectionDetailsFn).
 */
export const AKS_CONNECTION_DETAILS: Record<string, string> = {
  kubeconfig: AKS_USER_KUBECONFIG,
  "kubeconfig.clustercacertificate": Buffer.from(AKS_CA, "base64").toString(),
  "attribute.kube_config_raw": AKS_USER_KUBECONFIG,
  "attribute.kube_admin_config_raw": AKS_ADMIN_KUBECONFIG,
  "attribute.kube_admin_config.0.cluster_ca_certificate": AKS_CA,
};

/** Connection details providers report, by composed-resource key (Azure Managed Redis and legacy Azure Cache for Redis access keys, K8sCluster kubeconfigs: EKS ClusterAuth's, AKS KubernetesCluster's). */
export const CONNECTION_DETAILS: Record<string, Record<string, string>> = { cache: { "attribute.primary_access_key": "p@ss:w/rd" }, "managed-redis": { "attribute.default_database.0.primary_access_key": "p@ss:w/rd" }, "cluster-auth": { kubeconfig: KUBECONFIG }, cluster: AKS_CONNECTION_DETAILS };

/** The public IP the fake cluster gives an Azure PublicIP (a Network's NAT gateway address). */
export const FAKE_PUBLIC_IP = "20.61.15.7";

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
        // MessageQueue: SQS queue URL, Service Bus namespace endpoint, managed identity principal and client ids.
        url: `https://sqs.${region}.amazonaws.com/111122223333/${(o.spec?.["forProvider"] as Record<string, unknown> | undefined)?.["name"] ?? o.metadata?.name}`,
        endpoint: `https://${o.metadata?.annotations?.["crossplane.io/external-name"] ?? o.metadata?.name}.servicebus.windows.net:443/`,
        principalId: `00000000-0000-4000-8000-${key.replace(/[^0-9a-f]/g, "").padEnd(12, "0").slice(0, 12)}`,
        clientId: `11111111-0000-4000-8000-${key.replace(/[^0-9a-f]/g, "").padEnd(12, "0").slice(0, 12)}`,
        // ObjectStore: a container's ARM id.
        resourceManagerId: `/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/${o.metadata?.annotations?.["crossplane.io/external-name"] ?? key}`,
        // K8sCluster: EKS Cluster and AKS KubernetesCluster outputs, a launch template's version, and EKS add-on builds.
        ...k8sOutputs(o),
        // CdnEdge: an issued ACM certificate and its validation records, the edges' hostnames and ids, a Front Door domain token; an S3 bucket policy as S3 holds it.
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

/** A managedFields fieldsV1 set for `v`: each object field as "f:<name>", leaves as {}. */
function fieldsOf(v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [`f:${k}`, fieldsOf(x)]));
}

/** What a generated Secret holds offline: obviously not a real credential. */
export const PLACEHOLDER_SECRET = "offline-render-placeholder";

/**
 * The Secrets providers write for what they generate: a resource that sets `autoGenerate<Something>:
 * true` in forProvider has the provider write the value to the `*SecretRef` beside it (RDS
 * passwordSecretRef, ElastiCache authTokenSecretRef, Flexible Server administratorPasswordSecretRef).
 * Secrets a user provides are not faked: offline they come with --required.
 */
export function generatedSecrets(resources: K8sObject[]): K8sObject[] {
  const out = new Map<string, K8sObject>();
  for (const r of resources) {
    const fp = (r.spec?.["forProvider"] ?? {}) as Record<string, unknown>;
    if (!Object.entries(fp).some(([k, v]) => k.startsWith("autoGenerate") && v === true)) continue;
    for (const [k, v] of Object.entries(fp)) {
      const ref = v as { name?: string; key?: string } | undefined;
      if (!k.endsWith("SecretRef") || !ref?.name || !ref.key) continue;
      const namespace = r.metadata?.namespace as string;
      const id = `${namespace}/${ref.name}`;
      const secret = out.get(id) ?? { apiVersion: "v1", kind: "Secret", metadata: { name: ref.name, namespace }, data: {} };
      (secret["data"] as Record<string, string>)[ref.key] = Buffer.from(PLACEHOLDER_SECRET).toString("base64");
      out.set(id, secret);
    }
  }
  return [...out.values()];
}

const keyOf = (o: K8sObject) => o.metadata?.annotations?.[RESOURCE_NAME] ?? "";
const readyOf = (xr: K8sObject) => ((xr.status?.["conditions"] ?? []) as Array<{ type: string; status: string }>).find((c) => c.type === "Ready")?.status === "True";

/**
 * The reconcile loop, offline: renders, treats everything composed as created and Ready, and renders
 * again, until a pass composes nothing new and the XR is Ready (or `maxPasses`). Returns the last
 * pass and how many passes it took; a fatal result ends the loop at once.
 */
export async function renderUntilReady(input: RenderInput, maxPasses = 10): Promise<{ out: RenderOutput; passes: number; settled: boolean }> {
  const given = input.required ?? [];
  let out = await render({ ...input, connectionDetails: input.connectionDetails ?? CONNECTION_DETAILS });
  for (let passes = 1; ; passes++) {
    if (out.fatal) return { out, passes, settled: false };
    if (passes >= maxPasses) return { out, passes, settled: false };
    const before = new Set(out.resources.map(keyOf));
    const faked = generatedSecrets(out.resources).filter((s) => !given.some((g) => g.kind === "Secret" && g.metadata?.name === s.metadata?.name && g.metadata?.namespace === s.metadata?.namespace));
    const next = await render({ ...input, required: [...given, ...faked], observed: observe(out.resources), connectionDetails: input.connectionDetails ?? CONNECTION_DETAILS });
    const after = new Set(next.resources.map(keyOf));
    const grew = [...after].some((k) => !before.has(k));
    out = next;
    if (!next.fatal && !grew && readyOf(next.xr)) return { out, passes: passes + 1, settled: true };
  }
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
    case "UserAssignedIdentity":
      // Azure ids carry the resource group (K8sCluster scopes its network role from it).
      return { id: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${fp["name"]}` };
    case "PublicIP":
      // Network on Azure: its NAT gateway's address (K8sCluster allows it to the AKS API server).
      return { ipAddress: FAKE_PUBLIC_IP };
    case "LaunchTemplate":
      return { latestVersion: 1 };
    case "Addon":
      // The build asked for, or (none asked for) a stand-in for the default EKS picks.
      return { addonVersion: fp["addonVersion"] ?? "v1.0.0-eksbuild.1" };
    default:
      return {};
  }
}

/** The ARN the fake cluster gives the distribution of CdnEdge `namespace/name`: 14 upper-case characters after "E", like CloudFront's. */
export function fakeDistributionArn(namespace: string, name: string): string {
  return `arn:aws:cloudfront::111122223333:distribution/E${createHash("sha256").update(`${namespace}/${name}`).digest("hex").slice(0, 13).toUpperCase()}`;
}

/** What the CDN providers report once a resource exists, by kind (and the bucket policy S3 holds). */
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
    case "Distribution": {
      // Its own id and ARN per CdnEdge (the XR's namespace and name, from the composite label), so two edges' grants can be told apart.
      const arn = fakeDistributionArn(String(o.metadata?.namespace ?? ""), String(o.metadata?.labels?.["crossplane.io/composite"] ?? key));
      return { domainName: "d111111abcdef8.cloudfront.net", hostedZoneId: "Z2FDTNDATAQYW2", id: arn.slice(arn.lastIndexOf("/") + 1), arn };
    }
    case "BucketPolicy":
      // The policy as S3 holds it: the provider reads it back into atProvider.
      return { policy: (fp as { policy?: string }).policy };
    case "FrontdoorEndpoint": {
      // An ARM id like the provider's: an Azure DNS alias record (CdnEdge's zone apex) targets it.
      const name = o.metadata?.annotations?.["crossplane.io/external-name"] ?? key;
      return { hostName: `${name}-abcdefgh.z01.azurefd.net`, id: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Cdn/profiles/profile/afdEndpoints/${name}` };
    }
    case "FrontdoorCustomDomain":
      return { validationToken: `token-${key}`, hostName: fp.hostName };
    case "FrontdoorProfile":
      // A system-assigned identity's principal (CdnEdge assigns it Key Vault Secrets User).
      return (fp as { identity?: { type?: string } }).identity ? { identity: { type: "SystemAssigned", principalId: "22222222-0000-4000-8000-000000000001", tenantId: "00000000-0000-0000-0000-000000000000" } } : {};
    case "Account": {
      // A storage account reports its settings back (ObjectStore opens a Front Door origin's container only once they hold).
      const a = fp as { allowNestedItemsToBePublic?: boolean; publicNetworkAccessEnabled?: boolean; networkRules?: unknown };
      return { allowNestedItemsToBePublic: a.allowNestedItemsToBePublic, publicNetworkAccessEnabled: a.publicNetworkAccessEnabled, networkRules: a.networkRules };
    }
    default:
      return {};
  }
}
