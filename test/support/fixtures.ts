/** Shared test inputs: the examples, and a fake cluster that "creates" what a render asked for. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { K8sObject } from "../../functions/shared/types.ts";
import { ROOT } from "../../scripts/generate.ts";
import { loadObjects, RESOURCE_NAME } from "../../scripts/render-engine.ts";
import { accountName, bucketName, containerName } from "../../functions/object-store/names.ts";
import { FAKE_PUBLIC_IP, fakeDistributionArn } from "../../scripts/fake-cluster.ts";

/** Every example XR: the folders named after a kind (examples/provider-configs holds no XR). */
export const EXAMPLES = readdirSync(join(ROOT, "examples")).filter((d) => statSync(join(ROOT, "examples", d)).isDirectory() && existsSync(join(ROOT, "apis", d))).flatMap((kind) =>
  readdirSync(join(ROOT, "examples", kind)).filter((f) => f.endsWith(".yaml")).map((f) => `examples/${kind}/${f}`),
);

export const example = (path: string): K8sObject => loadObjects(join(ROOT, path))[0] as K8sObject;
/**
 * What an Azure Network publishes once its resources exist (functions/network/azure.ts, ids and the NAT
 * address as the fake cluster reports them): a K8sCluster reads its VNet, NAT gateway and application
 * NSG ids and its NAT gateway's public IP from there. test/k8s-cluster checks this against a real render.
 */
export const AZURE_NETWORK_STATUS = {
  networkId: "virtualnetwork-virtual-network",
  natGatewayIds: ["natgateway-nat-gateway"],
  securityGroupIds: { app: "securitygroup-security-group-app" },
  natPublicIps: [FAKE_PUBLIC_IP],
};

/** The example Networks as a cluster serves them to the XRs standing on them (Azure ones with their status). */
export const NETWORKS = loadObjects(join(ROOT, "examples", "network")).map((n) =>
  (n.spec as { provider?: string } | undefined)?.provider === "azure" ? { ...n, status: AZURE_NETWORK_STATUS } : n,
);

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
 * status their function writes (bucket, and on Azure the storage account id Private Link needs). With
 * `grantedTo` (a CdnEdge), an AWS store with cdn.originAccess reports that its bucket policy already
 * names that edge's distribution (as the fake cluster identifies it), as it does once it re-rendered
 * after the edge published it; test/shared/cdn-origin-access.test.ts runs that order for real.
 */
export function objectStoresFor(provider: string, grantedTo?: K8sObject): K8sObject[] {
  return loadObjects(join(ROOT, "examples", "object-store"))
    .map((o) => o as K8sObject)
    .filter((o) => (o.spec as { provider?: string } | undefined)?.provider === provider)
    .map((o) => {
      const meta = { namespace: o.metadata?.namespace as string, name: o.metadata?.name as string };
      const oac = (o.spec as { cdn?: { originAccess?: boolean } }).cdn?.originAccess === true;
      const status = provider === "aws"
        ? { bucketName: bucketName(meta), ...(oac && grantedTo ? { cdnDistributionArns: [fakeDistributionArn(grantedTo.metadata?.namespace as string, grantedTo.metadata?.name as string)] } : {}) }
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
/**
 * The platform EnvironmentConfig tessera as examples/platform serves it (Crossplane's egress
 * addresses): the examples describe an installation whose platform team set it (the Azure Broxiva
 * store, a Front Door origin, needs it). Tests of the kinds render without it too.
 */
export const PLATFORM = loadObjects(join(ROOT, "examples", "platform"));
export const PLATFORM_EGRESS = ["198.51.100.16/28", "203.0.113.7/32"];

export const requiredFor = (xr: K8sObject): K8sObject[] => [
  ...NETWORKS,
  ...PLATFORM,
  passwordSecret(xr),
  authTokenSecret(xr),
  // CdnEdge reads its ObjectStore origins and log target, and its verify-header Secrets.
  ...(xr.kind === "CdnEdge" ? [...objectStoresFor((xr.spec as { provider: string }).provider, xr), ...verifySecrets(xr)] : []),
];

// The fake cluster (what providers do to what a render asked for) lives in scripts, so that
// `npm run render -- --until-ready` and the tests share it.
export { AKS_ADMIN_KUBECONFIG, AKS_USER_KUBECONFIG, CONNECTION_DETAILS, KUBECONFIG, observe } from "../../scripts/fake-cluster.ts";
