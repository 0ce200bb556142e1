import { afterEach, describe, expect, it, vi } from "vitest";
import { render, RESOURCE_NAME } from "../../scripts/render-engine.ts";
import type { K8sObject } from "../../functions/shared/types.ts";
import { aksSurge, EKS_ADDON_VERSIONS, EKS_NODE_DAEMONSETS, eksNodePods, eniLimits, HOST_NETWORK_PODS, nodeAddresses, supportOn, vpcCniMaxPods } from "../../functions/k8s-cluster/tables.ts";
import { addonVersion } from "../../functions/k8s-cluster/aws.ts";
import { dnsServiceIp } from "../../functions/k8s-cluster/azure.ts";
import { insightsRuleName, NETWORK } from "../../functions/k8s-cluster/names.ts";
import { aksNodes, eksZoneBudget } from "../../functions/k8s-cluster/index.ts";
import { networkOf } from "../../functions/k8s-cluster/common.ts";
import { validateComposed } from "../support/crds.ts";
import { AKS_ADMIN_KUBECONFIG, AKS_USER_KUBECONFIG, AZURE_NETWORK_STATUS, CONNECTION_DETAILS, example, NETWORKS, observe, PLATFORM_EGRESS, requiredFor } from "../support/fixtures.ts";
import { FAKE_PUBLIC_IP } from "../../scripts/fake-cluster.ts";
import { admission, expectRefused, withSpec, xrdSpecSchema } from "../support/refusals.ts";
import { checkRules as checkSubset } from "../../functions/shared/cel.ts";

const aws = example("examples/k8s-cluster/aws-minimal.yaml");
const azure = example("examples/k8s-cluster/azure-minimal.yaml");
const broxiva = example("examples/k8s-cluster/aws-broxiva.yaml");
const broxivaAzure = example("examples/k8s-cluster/azure-broxiva.yaml");
const keyOf = (r: K8sObject) => r.metadata?.annotations?.[RESOURCE_NAME] as string;
const byKey = (rs: K8sObject[], key: string) => rs.find((r) => keyOf(r) === key) as any;
const fp = (rs: K8sObject[], key: string) => byKey(rs, key)?.spec.forProvider;
const schema = xrdSpecSchema("k8s-cluster");
/** The EKS default StorageClass's Object, and the namespace Objects among the composed resources. */
const SC_KEY = "storage-class-tessera-gp3";
const namespaces = (rs: K8sObject[]) => rs.filter((r: any) => r.kind === "Object" && r.spec.forProvider.manifest.kind === "Namespace");

/** Renders pass after pass, the fake cluster creating everything Ready, until nothing new appears. */
/** What a cluster serves without the platform EnvironmentConfig tessera (no Crossplane egress addresses). */
const withoutPlatform = (xr: K8sObject) => requiredFor(xr).filter((o) => o.kind !== "EnvironmentConfig");

async function settled(xr: K8sObject, required = requiredFor(xr)) {
  let out = await render({ xr, required });
  let observed: K8sObject[] = [];
  for (let pass = 0; pass < 10; pass++) {
    observed = observe(out.resources);
    const next = await render({ xr, required, observed, connectionDetails: CONNECTION_DETAILS });
    expect(next.fatal).toBeUndefined();
    const done = next.resources.length === out.resources.length;
    out = next;
    if (done) break;
  }
  return { out, observed: observe(out.resources) };
}

/** The observed state with `key` no longer Ready (as during every node-group update). */
function unready(observed: K8sObject[], key: string): K8sObject[] {
  return observed.map((o) => {
    if (keyOf(o) !== key) return o;
    const c = structuredClone(o);
    (c.status as any).conditions = [{ type: "Ready", status: "False", reason: "Updating" }, { type: "Synced", status: "True", reason: "ReconcileSuccess" }];
    return c;
  });
}

describe("K8sCluster on AWS", () => {
  it("maps the Broxiva seed onto an EKS cluster with four managed node groups", async () => {
    const { out } = await settled(broxiva);
    const rs = out.resources;
    expect(fp(rs, "cluster")).toMatchObject({
      version: "1.35",
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
      bootstrapSelfManagedAddons: false,
      upgradePolicy: { supportType: "STANDARD" },
      kubernetesNetworkConfig: { serviceIpv4Cidr: "172.20.0.0/16" },
      // The user's range, then Crossplane's egress addresses (the platform EnvironmentConfig the examples are served with).
      vpcConfig: { endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24", ...PLATFORM_EGRESS] },
      enabledClusterLogTypes: ["api", "audit", "authenticator"],
      deletionProtection: true,
    });
    expect(fp(rs, "cluster").vpcConfig.subnetIdSelector.matchLabels).toEqual({ "platform.tessera.io/network": "broxiva-use1", "platform.tessera.io/tier": "private" });
    expect(byKey(rs, "cluster").spec.managementPolicies).not.toContain("Delete");
    expect(fp(rs, "nodepool-system")).toMatchObject({
      version: "1.35", amiType: "AL2023_x86_64_STANDARD", capacityType: "ON_DEMAND",
      scalingConfig: { minSize: 2, maxSize: 4 }, labels: { "node-role": "system" },
      taint: [{ key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" }],
      launchTemplate: { id: "launchtemplate-launch-template-system", version: "1" },
    });
    expect(fp(rs, "nodepool-ai")).toMatchObject({ amiType: "AL2023_x86_64_NVIDIA", scalingConfig: { minSize: 0, maxSize: 5 }, taint: [{ key: "nvidia.com/gpu", effect: "NO_SCHEDULE" }] });
    expect(fp(rs, "nodepool-application")).toMatchObject({ scalingConfig: { minSize: 3, maxSize: 20 }, labels: { "node-role": "application" } });
    expect(fp(rs, "nodepool-worker")).toMatchObject({ scalingConfig: { minSize: 2, maxSize: 15 } });
    // The instance type is in the launch template (a change rolls the nodes), never on the node group.
    expect(fp(rs, "launch-template-worker").instanceType).toBe("c6i.xlarge");
    for (const pool of ["system", "application", "worker", "ai"]) expect(fp(rs, `nodepool-${pool}`).instanceTypes, pool).toBeUndefined();
    // The autoscaler owns the count: desired size only at creation, and no LateInitialize to copy it back.
    for (const pool of ["system", "application", "worker", "ai"]) {
      const ng = byKey(rs, `nodepool-${pool}`);
      expect(ng.spec.forProvider.scalingConfig.desiredSize).toBeUndefined();
      expect(ng.spec.initProvider.scalingConfig.desiredSize).toBeGreaterThanOrEqual(0);
      expect(ng.spec.managementPolicies).toEqual(["Observe", "Create", "Update"]);
      expect(ng.metadata.annotations["crossplane.io/external-name"]).toBe(pool);
    }
    expect(byKey(rs, "nodepool-application").spec.initProvider.scalingConfig.desiredSize).toBe(3);
    expect(byKey(rs, "nodepool-ai").spec.initProvider.scalingConfig.desiredSize).toBe(0);
    const lt = fp(rs, "launch-template-application");
    expect(lt).toMatchObject({
      instanceType: "m6i.xlarge",
      // Container Insights is on, and still no pod reaches instance metadata.
      metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 100, volumeType: "gp3", encrypted: "true" } }],
      vpcSecurityGroupIds: ["sg-0cluster", "sg-0app"],
    });
    expect(Buffer.from(lt.userData, "base64").toString()).toContain("maxPods: 12");
    expect(fp(rs, "addon-vpc-cni")).toMatchObject({ addonName: "vpc-cni", resolveConflictsOnCreate: "OVERWRITE" });
    expect(fp(rs, "addon-pod-identity")).toMatchObject({ addonName: "eks-pod-identity-agent" });
    expect(fp(rs, "addon-ebs-csi").podIdentityAssociation).toEqual([{ roleArn: expect.stringContaining("arn:aws:"), serviceAccount: "ebs-csi-controller-sa" }]);
    expect(fp(rs, "addon-insights")).toMatchObject({ addonName: "amazon-cloudwatch-observability", podIdentityAssociation: [{ serviceAccount: "cloudwatch-agent" }] });
    expect(byKey(rs, "log-group").metadata.annotations["crossplane.io/external-name"]).toMatch(/^\/aws\/eks\/broxiva-production-[0-9a-f]{8}\/cluster$/);
    expect(fp(rs, "log-group").retentionInDays).toBe(30);
    const admin = rs.filter((r) => r.kind === "AccessPolicyAssociation");
    expect(admin.map((r) => (r.spec as any).forProvider)).toEqual([expect.objectContaining({ principalArn: "arn:aws:iam::111122223333:role/broxiva-platform-admins", accessScope: { type: "cluster" } })]);
    expect(out.xr.status).toMatchObject({ clusterName: expect.stringMatching(/^broxiva-production-[0-9a-f]{8}$/), oidcIssuerUrl: expect.stringContaining("oidc.eks") });
  });

  it("leaves the node count out of a pool that has no launch template yet, and the minimal cluster opens no logs it does not ask for", async () => {
    const { out } = await settled(aws);
    expect(fp(out.resources, "launch-template-system").userData).toBeUndefined();
    // Only vpc-cni, tied to the minor and listed for 1.34 alone, is worth a warning; the add-ons that
    // run across minors (Pod Identity agent, EBS CSI, CloudWatch) are not.
    expect(out.xr.status?.["warnings"]).toEqual([
      expect.stringContaining("allowedCidrs"),
      "EKS add-on vpc-cni keeps the build it runs (at creation, EKS's default): Tessera lists none for Kubernetes 1.35; pin it in spec.addonVersions (vpcCni) with builds from aws eks describe-addon-versions --kubernetes-version 1.35",
    ]);
  });

  it("writes the connection Secret from ClusterAuth's kubeconfig and the cluster's endpoint and CA", async () => {
    const { out } = await settled(aws);
    expect(byKey(out.resources, "cluster-auth").spec.writeConnectionSecretToRef).toEqual({ name: "platform-eks-auth" });
    const data = Object.fromEntries(Object.entries(byKey(out.resources, "connection-secret").data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
    expect(data["kubeconfig"]).toContain("token: k8s-aws-v1");
    expect(data["endpoint"]).toBe("https://ABCDEF0123.gr7.us-east-1.eks.amazonaws.com");
    expect(data["clusterCA"]).toContain("BEGIN CERTIFICATE");
    expect(data).toMatchObject({ provider: "aws", region: "us-west-2" });
  });

  it("stages: nothing that needs the cluster exists before it is Ready", async () => {
    const first = await render({ xr: aws, required: requiredFor(aws) });
    const keys = first.resources.map(keyOf);
    expect(keys).toContain("cluster");
    expect(keys).not.toContain("cluster-auth");
    expect(keys).not.toContain("nodepool-system");
    expect(first.xr.status?.["message"]).toMatch(/Waiting for/);
    const notReady = await render({ xr: aws, required: requiredFor(aws), observed: observe(first.resources, { ready: false }) });
    expect(notReady.resources.map(keyOf)).not.toContain("cluster-auth");
    expect(notReady.resources.map(keyOf)).not.toContain("addon-vpc-cni");
  });

  // One test per gate: the dependency stops being Ready; what it gates stays in desired state.
  const awsGates: Array<[string, string[]]> = [
    ["cluster", ["cluster-auth", "addon-vpc-cni", "addon-kube-proxy", "addon-pod-identity"]],
    ["addon-vpc-cni", ["launch-template-system"]],
    ["addon-pod-identity", ["launch-template-system"]],
    ["vpc-cni-role-policy", ["addon-vpc-cni"]],
    ["launch-template-system", ["nodepool-system"]],
    ["nodepool-system", ["addon-coredns", "addon-ebs-csi"]],
  ];
  it.each(awsGates)("keeps what %s gates when it stops being Ready", async (dependency, gated) => {
    const { observed } = await settled(aws);
    const out = await render({ xr: aws, required: requiredFor(aws), observed: unready(observed, dependency), connectionDetails: CONNECTION_DETAILS });
    expect(out.fatal).toBeUndefined();
    for (const key of gated) expect(byKey(out.resources, key), key).toBeDefined();
  });

  it("keeps the admin's policy association when its access entry stops being Ready", async () => {
    const { observed, out: done } = await settled(broxiva);
    const entry = done.resources.find((r) => r.kind === "AccessEntry")!;
    const out = await render({ xr: broxiva, required: requiredFor(broxiva), observed: unready(observed, keyOf(entry)), connectionDetails: CONNECTION_DETAILS });
    expect(byKey(out.resources, `${keyOf(entry)}-policy`)).toBeDefined();
  });

  it("keeps the node group's launch template version when the template is briefly unobserved", async () => {
    const { observed } = await settled(aws);
    const out = await render({ xr: aws, required: requiredFor(aws), observed: observed.filter((o) => keyOf(o) !== "launch-template-system"), connectionDetails: CONNECTION_DETAILS });
    expect(fp(out.resources, "nodepool-system").launchTemplate).toEqual({ id: "launchtemplate-launch-template-system", version: "1" });
  });

  it("never asks for a downgrade when EKS upgraded the cluster itself, and says so", async () => {
    const { observed } = await settled(aws);
    const upgraded = observed.map((o) => (keyOf(o) === "cluster" ? { ...o, status: { ...o.status, atProvider: { ...(o.status as any).atProvider, version: "1.36" } } } : o));
    const out = await render({ xr: aws, required: requiredFor(aws), observed: upgraded, connectionDetails: CONNECTION_DETAILS });
    expect(fp(out.resources, "cluster").version).toBe("1.36");
    expect(fp(out.resources, "nodepool-system").version).toBe("1.36");
    expect(out.xr.status?.["warnings"]).toContainEqual(expect.stringContaining("set spec.version to 1.36"));
  });

  it("upgrades node groups after the control plane, one minor at a time", async () => {
    const { observed } = await settled(aws);
    const next = withSpec(aws, (s) => (s.version = "1.36"));
    const during = await render({ xr: next, required: requiredFor(next), observed, connectionDetails: CONNECTION_DETAILS });
    expect(fp(during.resources, "cluster").version).toBe("1.36");
    expect(fp(during.resources, "nodepool-system").version).toBe("1.35");
    const upgraded = observed.map((o) => (keyOf(o) === "cluster" ? { ...o, status: { ...o.status, atProvider: { ...(o.status as any).atProvider, version: "1.36" } } } : o));
    const after = await render({ xr: next, required: requiredFor(next), observed: upgraded, connectionDetails: CONNECTION_DETAILS });
    expect(fp(after.resources, "nodepool-system").version).toBe("1.36");
    expect(fp(after.resources, "addon-vpc-cni")).toBeDefined();
  });

  it("renders extended support and a customer key when asked", async () => {
    const xr = withSpec(aws, (s) => {
      s.version = "1.34";
      s.extendedSupport = true;
      s.encryption = { keyId: "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" };
      s.apiAccess = { public: false };
    });
    const { out } = await settled(xr);
    expect(fp(out.resources, "cluster")).toMatchObject({
      version: "1.34",
      upgradePolicy: { supportType: "EXTENDED" },
      encryptionConfig: { provider: { keyArn: expect.stringContaining(":key/") }, resources: ["secrets"] },
      vpcConfig: { endpointPublicAccess: false, endpointPrivateAccess: true },
    });
    expect(out.xr.status?.["versionSupport"]).toMatch(/extended|unsupported/);
  });

  it("puts a one-zone pool in that zone's subnet only", async () => {
    const xr = withSpec(aws, (s) => (s.nodePools[0].zones = ["b"]));
    const { out } = await settled(xr);
    expect(fp(out.resources, "nodepool-system").subnetIdSelector.matchLabels).toEqual({ "platform.tessera.io/network": "minimal", "platform.tessera.io/resource": "subnet-private-b" });
  });

  it("releases a pool taken out of the spec instead of refusing the render", async () => {
    const two = withSpec(aws, (s) => s.nodePools.push({ name: "batch", instanceType: "c6i.large", minNodes: 0, maxNodes: 2 }));
    const { observed } = await settled(two);
    const out = await render({ xr: aws, required: requiredFor(aws), observed, connectionDetails: CONNECTION_DETAILS });
    expect(out.fatal).toBeUndefined();
    expect(byKey(out.resources, "nodepool-batch")).toBeUndefined();
    expect(byKey(out.resources, "nodepool-system")).toBeDefined();
  });

  it("deletes the node groups and cluster only when deletionProtection is off", async () => {
    const { out } = await settled(withSpec(aws, (s) => (s.deletionProtection = false)));
    expect(byKey(out.resources, "nodepool-system").spec.managementPolicies).toEqual(["Observe", "Create", "Update", "Delete"]);
    expect(byKey(out.resources, "cluster").spec.managementPolicies).toBeUndefined();
    expect(fp(out.resources, "cluster").deletionProtection).toBe(false);
  });

  it("installs cluster-autoscaler with the seed's settings through provider-helm, with a Pod Identity role for its service account", async () => {
    const { out } = await settled(broxiva);
    const rs = out.resources;
    const release = byKey(rs, "autoscaler");
    expect(release.apiVersion).toBe("helm.m.crossplane.io/v1beta1");
    expect(release.spec.providerConfigRef).toEqual({ kind: "ProviderConfig", name: "broxiva-production-k8scluster" });
    expect(release.spec.forProvider).toMatchObject({
      chart: { name: "cluster-autoscaler", repository: "https://kubernetes.github.io/autoscaler" },
      namespace: "kube-system",
      values: {
        autoDiscovery: { clusterName: out.xr.status?.["clusterName"] },
        awsRegion: "us-east-1",
        image: { tag: "v1.35.0" },
        rbac: { serviceAccount: { name: "cluster-autoscaler" } },
        extraArgs: {
          "scale-down-delay-after-add": "10m", "scale-down-unneeded-time": "10m", "scale-down-utilization-threshold": "0.5",
          "skip-nodes-with-local-storage": "false", "skip-nodes-with-system-pods": "true", expander: "least-waste",
        },
      },
    });
    expect(fp(rs, "autoscaler-pod-identity")).toMatchObject({ namespace: "kube-system", serviceAccount: "cluster-autoscaler", roleArnSelector: { matchLabels: { "platform.tessera.io/resource": "autoscaler-role" } } });
    expect(JSON.parse(fp(rs, "autoscaler-role").assumeRolePolicy).Statement[0].Principal).toEqual({ Service: "pods.eks.amazonaws.com" });
    const policy = JSON.parse(fp(rs, "autoscaler-role-policy").policy);
    expect(policy.Statement[1].Condition.StringEquals).toEqual({ [`aws:ResourceTag/k8s.io/cluster-autoscaler/${out.xr.status?.["clusterName"]}`]: "owned" });
    expect(byKey(rs, "helm-provider-config").spec.credentials).toEqual({ source: "Secret", secretRef: { name: "broxiva-production-eks-auth", namespace: "broxiva-production", key: "kubeconfig" } });
    expect(byKey(rs, "usage-autoscaler").spec).toMatchObject({ of: { kind: "Cluster" }, by: { apiVersion: "helm.m.crossplane.io/v1beta1", kind: "Release" }, replayDeletion: true });
    // An orphaned (deletion-protected) cluster keeps what is installed in it.
    expect(release.spec.managementPolicies).not.toContain("Delete");
  });

  it("lets the platform pin a mirrored chart", async () => {
    const xr = withSpec(aws, (s) => (s.autoscaler = { chart: { repository: "oci://registry.example.com/charts", version: "9.50.0" } }));
    const { out } = await settled(xr);
    expect(fp(out.resources, "autoscaler").chart).toEqual({ name: "cluster-autoscaler", repository: "oci://registry.example.com/charts", version: "9.50.0" });
  });

  it("creates the seed's namespaces in the cluster once the system pool is Ready, each keeping the cluster", async () => {
    const { out, observed } = await settled(broxiva);
    const names = namespaces(out.resources).map((r: any) => r.spec.forProvider.manifest.metadata.name).sort();
    expect(names).toEqual(["broxiva-ai", "broxiva-monitoring", "broxiva-production", "broxiva-staging", "cert-manager", "external-secrets", "ingress-nginx", "istio-system"]);
    expect(byKey(out.resources, "usage-namespace-broxiva-ai").spec).toMatchObject({ of: { kind: "Cluster" }, by: { kind: "Object" } });
    const early = await render({ xr: broxiva, required: requiredFor(broxiva), observed: unready(observed.filter((o) => !keyOf(o).startsWith("namespace-") && !keyOf(o).endsWith("provider-config")), "nodepool-system"), connectionDetails: CONNECTION_DETAILS });
    expect(namespaces(early.resources)).toEqual([]);
    // Once they exist, a system pool that stops being Ready does not drop them.
    const later = await render({ xr: broxiva, required: requiredFor(broxiva), observed: unready(observed, "nodepool-system"), connectionDetails: CONNECTION_DETAILS });
    expect(namespaces(later.resources)).toHaveLength(8);
    expect(byKey(later.resources, "autoscaler")).toBeDefined();
  });

  it("gives EKS an encrypted gp3 default StorageClass once the EBS CSI driver is Ready, valid against the Object CRD", async () => {
    const { out, observed } = await settled(broxiva);
    const sc = byKey(out.resources, SC_KEY);
    expect(sc).toMatchObject({ apiVersion: "kubernetes.m.crossplane.io/v1alpha1", kind: "Object" });
    expect(sc.spec.forProvider.manifest).toEqual({
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: "tessera-gp3", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3", encrypted: "true" },
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    });
    // The same in-cluster path as the namespaces: the cluster's ProviderConfig, and a Usage keeping the cluster.
    expect(sc.spec.providerConfigRef).toEqual(byKey(out.resources, "namespace-broxiva-ai").spec.providerConfigRef);
    expect(byKey(out.resources, `usage-${SC_KEY}`).spec).toMatchObject({
      of: { kind: "Cluster" },
      by: { apiVersion: "kubernetes.m.crossplane.io/v1alpha1", kind: "Object", resourceSelector: { matchLabels: { "platform.tessera.io/resource": SC_KEY } } },
      replayDeletion: true,
    });
    // deletionProtection (default on): an orphaned cluster keeps its class.
    expect(sc.spec.managementPolicies).not.toContain("Delete");
    expect(invalid([sc, byKey(out.resources, `usage-${SC_KEY}`)])).toEqual([]);
    // Only one Object is a StorageClass, and none touches EKS's gp2.
    expect(out.resources.filter((r: any) => r.kind === "Object" && r.spec.forProvider.manifest.kind === "StorageClass")).toHaveLength(1);
  });

  it("waits for the EBS CSI add-on before the StorageClass, and keeps the class when the add-on or the system pool goes un-Ready", async () => {
    const { observed } = await settled(broxiva);
    const again = (obs: K8sObject[]) => render({ xr: broxiva, required: requiredFor(broxiva), observed: obs, connectionDetails: CONNECTION_DETAILS });
    const before = observed.filter((o) => keyOf(o) !== SC_KEY && keyOf(o) !== `usage-${SC_KEY}`);
    const waiting = await again(unready(before, "addon-ebs-csi"));
    expect(byKey(waiting.resources, SC_KEY)).toBeUndefined();
    expect(byKey(waiting.resources, `usage-${SC_KEY}`)).toBeUndefined();
    // The namespaces (same ProviderConfig) do not wait for the driver: the gate is the driver's.
    expect(namespaces(waiting.resources)).toHaveLength(8);
    expect(byKey((await again(before)).resources, SC_KEY)).toBeDefined();
    for (const dependency of ["addon-ebs-csi", "nodepool-system", "kubernetes-provider-config"]) {
      const later = await again(unready(observed, dependency));
      expect(byKey(later.resources, SC_KEY)?.spec.forProvider.manifest.metadata.name, dependency).toBe("tessera-gp3");
      expect(byKey(later.resources, `usage-${SC_KEY}`), dependency).toBeDefined();
    }
  });

  it("encrypts volumes with the account's EBS key, not the Secrets key of spec.encryption.keyId", async () => {
    const xr = withSpec(aws, (s) => (s.encryption = { keyId: "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" }));
    const { out } = await settled(xr);
    expect(fp(out.resources, "cluster").encryptionConfig).toEqual({ provider: { keyArn: "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" }, resources: ["secrets"] });
    expect(fp(out.resources, SC_KEY).manifest.parameters).toEqual({ type: "gp3", encrypted: "true" });
  });

  it("keeps the cluster's Usages of the Network and of the node pools on the cluster", async () => {
    const { out } = await settled(aws);
    expect(byKey(out.resources, "usage-network").spec).toMatchObject({ of: { kind: "Network", resourceRef: { name: "minimal" } }, by: { kind: "Cluster" }, replayDeletion: true });
    expect(byKey(out.resources, "usage-nodepool-system").spec).toMatchObject({ of: { kind: "Cluster" }, by: { kind: "NodeGroup" } });
  });
});

/** The observed state with `key`'s atProvider patched (what the provider reports next). */
function reported(observed: K8sObject[], key: string, patch: Record<string, unknown>): K8sObject[] {
  return observed.map((o) => (keyOf(o) === key ? { ...o, status: { ...o.status, atProvider: { ...(o.status as any).atProvider, ...patch } } } : o));
}
const invalid = (rs: K8sObject[]) => rs.flatMap((r) => validateComposed(r).map((e) => `${keyOf(r)}: ${e}`));
const addonVersions = (rs: K8sObject[]) =>
  Object.fromEntries(["addon-vpc-cni", "addon-kube-proxy", "addon-pod-identity", "addon-coredns", "addon-ebs-csi", "addon-insights"].map((k) => [k, fp(rs, k)?.addonVersion]));

describe("K8sCluster EKS add-on versions", () => {
  const again = (xr: K8sObject, observed: K8sObject[]) => render({ xr, required: requiredFor(xr), observed, connectionDetails: CONNECTION_DETAILS });

  it("pins kube-proxy and coredns to the builds listed for the cluster's minor, and reports what each add-on runs", async () => {
    const { out } = await settled(aws);
    expect(addonVersions(out.resources)).toEqual({
      "addon-vpc-cni": undefined,
      "addon-kube-proxy": EKS_ADDON_VERSIONS["kube-proxy"]!["1.35"],
      "addon-pod-identity": undefined,
      "addon-coredns": EKS_ADDON_VERSIONS["coredns"]!["1.35"],
      "addon-ebs-csi": undefined,
      "addon-insights": undefined,
    });
    expect(fp(out.resources, "addon-kube-proxy").addonVersion).toBe("v1.35.3-eksbuild.13");
    expect(out.xr.status?.["addons"]).toEqual([
      { name: "vpc-cni", version: "v1.0.0-eksbuild.1" },
      { name: "kube-proxy", version: "v1.35.3-eksbuild.13" },
      { name: "eks-pod-identity-agent", version: "v1.0.0-eksbuild.1" },
      { name: "coredns", version: "v1.14.3-eksbuild.3" },
      { name: "aws-ebs-csi-driver", version: "v1.0.0-eksbuild.1" },
      { name: "amazon-cloudwatch-observability", version: "v1.0.0-eksbuild.1" },
    ]);
    expect(invalid(out.resources)).toEqual([]);
    // 1.34 lists a vpc-cni build too.
    const old = withSpec(aws, (s) => Object.assign(s, { version: "1.34", extendedSupport: true }));
    const { out: o34 } = await settled(old);
    expect(addonVersions(o34.resources)).toMatchObject({ "addon-vpc-cni": "v1.20.4-eksbuild.1", "addon-kube-proxy": "v1.34.6-eksbuild.13", "addon-coredns": "v1.13.2-eksbuild.11" });
    // Every minor-tied add-on has a build for 1.34, so no add-on warning at all.
    expect(o34.xr.status?.["warnings"]).toEqual([expect.stringContaining("allowedCidrs")]);
    expect(invalid(o34.resources)).toEqual([]);
  });

  it("uses spec.version's minor until EKS reports the cluster's", async () => {
    const { observed } = await settled(withSpec(aws, (s) => Object.assign(s, { version: "1.34", extendedSupport: true })));
    const xr = withSpec(aws, (s) => Object.assign(s, { version: "1.34", extendedSupport: true }));
    const unreported = observed.map((o) => (keyOf(o) === "cluster" ? { ...o, status: { ...o.status, atProvider: { ...(o.status as any).atProvider, version: undefined } } } : o));
    const out = await again(xr, unreported);
    expect(fp(out.resources, "addon-kube-proxy").addonVersion).toBe("v1.34.6-eksbuild.13");
  });

  it("moves the add-ons only after the control plane runs the new minor", async () => {
    const { observed } = await settled(aws);
    const next = withSpec(aws, (s) => (s.version = "1.36"));
    // Control plane upgrading: EKS still reports 1.35, the add-ons stay at their 1.35 builds.
    const during = await again(next, observed);
    expect(fp(during.resources, "cluster").version).toBe("1.36");
    expect(fp(during.resources, "addon-kube-proxy").addonVersion).toBe("v1.35.3-eksbuild.13");
    expect(fp(during.resources, "addon-coredns").addonVersion).toBe("v1.14.3-eksbuild.3");
    expect(during.xr.status?.["warnings"]).not.toContainEqual(expect.stringContaining("kube-proxy runs"));
    expect(invalid(during.resources)).toEqual([]);
    // EKS reports 1.36: the add-ons move to their 1.36 builds, and kube-proxy lags until its update finishes.
    const upgraded = reported(observed, "cluster", { version: "1.36" });
    const after = await again(next, upgraded);
    expect(fp(after.resources, "addon-kube-proxy").addonVersion).toBe("v1.36.0-eksbuild.14");
    expect(fp(after.resources, "addon-coredns").addonVersion).toBe(EKS_ADDON_VERSIONS["coredns"]!["1.36"]);
    expect(after.xr.status?.["warnings"]).toContainEqual(expect.stringContaining("kube-proxy runs v1.35.3-eksbuild.13 (Kubernetes 1.35) but the control plane runs 1.36; EKS is moving it"));
    expect(invalid(after.resources)).toEqual([]);
    // Once the add-on reports the new build, nothing changes any more and the warning is gone.
    const done = await again(next, reported(upgraded, "addon-kube-proxy", { addonVersion: "v1.36.0-eksbuild.14" }));
    expect(fp(done.resources, "addon-kube-proxy").addonVersion).toBe("v1.36.0-eksbuild.14");
    expect(done.xr.status?.["warnings"]).not.toContainEqual(expect.stringContaining("kube-proxy runs"));
  });

  it("asks for exactly the build each add-on reports once settled, so the provider sees no difference", async () => {
    for (const xr of [aws, broxiva]) {
      const { out, observed } = await settled(xr);
      for (const r of out.resources.filter((x) => x.kind === "Addon")) {
        const running = (observed.find((o) => keyOf(o) === keyOf(r))!.status as any).atProvider.addonVersion;
        const asked = (r.spec as any).forProvider.addonVersion;
        if (asked !== undefined) expect(asked, keyOf(r)).toBe(running);
      }
    }
  });

  it("leaves an add-on without a listed build at the build it runs, and says how to pin it", async () => {
    // vpc-cni is listed for 1.34 only: after the upgrade to 1.35 EKS keeps the 1.34 build.
    const at34 = withSpec(aws, (s) => Object.assign(s, { version: "1.34", extendedSupport: true }));
    const { observed } = await settled(at34);
    const next = withSpec(at34, (s) => (s.version = "1.35"));
    const out = await again(next, reported(observed, "cluster", { version: "1.35" }));
    expect(fp(out.resources, "addon-vpc-cni").addonVersion).toBeUndefined();
    expect(fp(out.resources, "addon-kube-proxy").addonVersion).toBe("v1.35.3-eksbuild.13");
    const warning = (out.xr.status?.["warnings"] as string[]).find((w) => w.startsWith("EKS add-on vpc-cni"));
    expect(warning).toContain("Tessera lists none for Kubernetes 1.35");
    expect(warning).toContain("pin it in spec.addonVersions (vpcCni)");
    expect(invalid(out.resources)).toEqual([]);
  });

  it("never downgrades an add-on that already runs a newer build", async () => {
    expect(addonVersion("kube-proxy", undefined, "1.35", "v1.35.9-eksbuild.1")).toEqual({ version: "v1.35.9-eksbuild.1", tracked: true });
    expect(addonVersion("kube-proxy", undefined, "1.35", "v1.35.3-eksbuild.2")).toEqual({ version: "v1.35.3-eksbuild.13", tracked: true });
    expect(addonVersion("kube-proxy", undefined, "1.36", "v1.35.9-eksbuild.1")).toEqual({ version: "v1.36.0-eksbuild.14", tracked: true });
    expect(addonVersion("coredns", undefined, "1.35", undefined)).toEqual({ version: "v1.14.3-eksbuild.3", tracked: true });
    // Two minors behind: kube-proxy goes through 1.35 first, as EKS updates one minor at a time.
    expect(addonVersion("kube-proxy", undefined, "1.36", "v1.34.6-eksbuild.2")).toEqual({ version: "v1.35.3-eksbuild.13", tracked: true });
    expect(addonVersion("kube-proxy", undefined, "1.36", "v1.35.3-eksbuild.13")).toEqual({ version: "v1.36.0-eksbuild.14", tracked: true });
    expect(addonVersion("aws-ebs-csi-driver", undefined, "1.35", "v1.50.0-eksbuild.1")).toEqual({ tracked: false });
    // A pin is taken as given, older or not; a kube-proxy pin waits for the control plane to run its minor.
    expect(addonVersion("kube-proxy", "v1.35.1-eksbuild.2", "1.35", "v1.35.9-eksbuild.1")).toEqual({ version: "v1.35.1-eksbuild.2", tracked: true });
    expect(addonVersion("kube-proxy", "v1.36.0-eksbuild.1", "1.35", "v1.35.3-eksbuild.13")).toEqual({ version: "v1.35.3-eksbuild.13", tracked: true });
    expect(addonVersion("kube-proxy", "v1.36.0-eksbuild.1", "1.36", "v1.35.3-eksbuild.13")).toEqual({ version: "v1.36.0-eksbuild.1", tracked: true });
    const { observed } = await settled(aws);
    const out = await again(aws, reported(observed, "addon-coredns", { addonVersion: "v1.14.3-eksbuild.9" }));
    expect(fp(out.resources, "addon-coredns").addonVersion).toBe("v1.14.3-eksbuild.9");
  });

  it("takes the platform team's pins, on every minor, and warns when a pinned kube-proxy lags the control plane", async () => {
    const pinned = withSpec(aws, (s) => (s.addonVersions = { kubeProxy: "v1.35.1-eksbuild.2", vpcCni: "v1.21.1-eksbuild.8", podIdentityAgent: "v1.3.10-eksbuild.2", ebsCsiDriver: "v1.52.1-eksbuild.1", cloudwatchObservability: "v4.8.0-eksbuild.1", coredns: "v1.14.2-eksbuild.4" }));
    const { out, observed } = await settled(pinned);
    expect(addonVersions(out.resources)).toEqual({
      "addon-vpc-cni": "v1.21.1-eksbuild.8",
      "addon-kube-proxy": "v1.35.1-eksbuild.2",
      "addon-pod-identity": "v1.3.10-eksbuild.2",
      "addon-coredns": "v1.14.2-eksbuild.4",
      "addon-ebs-csi": "v1.52.1-eksbuild.1",
      "addon-insights": "v4.8.0-eksbuild.1",
    });
    expect(out.xr.status?.["warnings"]).toEqual([expect.stringContaining("allowedCidrs")]);
    expect(invalid(out.resources)).toEqual([]);
    const next = withSpec(pinned, (s) => (s.version = "1.36"));
    const after = await again(next, reported(observed, "cluster", { version: "1.36" }));
    expect(fp(after.resources, "addon-kube-proxy").addonVersion).toBe("v1.35.1-eksbuild.2");
    expect(after.xr.status?.["warnings"]).toContainEqual(expect.stringContaining("kube-proxy runs v1.35.1-eksbuild.2 (Kubernetes 1.35) but the control plane runs 1.36; set spec.addonVersions.kubeProxy to a 1.36 build"));
  });

  it("refuses pins that are not EKS builds, a kube-proxy newer than the cluster, a pin for an add-on left out, and any pin on Azure", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.addonVersions = { kubeProxy: "1.35.3" })), required: requiredFor(aws) }, "spec.addonVersions.kubeProxy", "v1.35.3-eksbuild.13");
    await expectRefused({ xr: withSpec(aws, (s) => (s.addonVersions = { kubeProxy: "v1.36.0-eksbuild.14" })), required: requiredFor(aws) }, "spec.addonVersions.kubeProxy", "newer than spec.version 1.35", "pin a 1.35 build");
    await expectRefused({ xr: withSpec(aws, (s) => (s.addonVersions = { corends: "v1.14.3-eksbuild.3" })), required: requiredFor(aws) }, "corends");
    await expectRefused(
      { xr: withSpec(aws, (s) => Object.assign(s, { monitoring: { containerInsights: false }, addonVersions: { cloudwatchObservability: "v4.8.0-eksbuild.1" } })), required: requiredFor(aws) },
      "spec.addonVersions.cloudwatchObservability", "containerInsights: false",
    );
    await expectRefused({ xr: withSpec(azure, (s) => (s.addonVersions = { kubeProxy: "v1.35.3-eksbuild.13" })), required: requiredFor(azure) }, "spec.addonVersions is AWS only");
    // The XRD refuses the same at admission.
    expect(admission(schema, { ...(azure.spec as object), addonVersions: { coredns: "v1.14.3-eksbuild.3" } }).join()).toContain("spec.addonVersions is AWS only");
    expect(admission(schema, { ...(aws.spec as object), addonVersions: { coredns: "v1.14.3-eksbuild.3" } })).toEqual([]);
  });
});

describe("K8sCluster EKS nodes and pod networking", () => {
  const again = (xr: K8sObject, observed: K8sObject[]) => render({ xr, required: requiredFor(xr), observed, connectionDetails: CONNECTION_DETAILS });

  it("runs the VPC CNI with a small warm pool, NetworkPolicy enforcement and its own Pod Identity role, and keeps the CNI policy off the node role", async () => {
    const { out } = await settled(broxiva);
    const rs = out.resources;
    const cni = fp(rs, "addon-vpc-cni");
    expect(JSON.parse(cni.configurationValues)).toEqual({ env: { WARM_IP_TARGET: "3", MINIMUM_IP_TARGET: "10" }, enableNetworkPolicy: "true" });
    expect(cni.podIdentityAssociation).toEqual([{ roleArn: expect.stringContaining("arn:aws:"), serviceAccount: "aws-node" }]);
    expect(JSON.parse(fp(rs, "vpc-cni-role").assumeRolePolicy).Statement[0]).toMatchObject({ Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] });
    expect(fp(rs, "vpc-cni-role-policy")).toMatchObject({ policyArn: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy", roleSelector: { matchLabels: { "platform.tessera.io/resource": "vpc-cni-role" } } });
    const nodeRole = rs.filter((r: any) => r.kind === "RolePolicyAttachment" && r.spec.forProvider.roleSelector?.matchLabels?.["platform.tessera.io/resource"] === "node-role");
    expect(nodeRole.map((r: any) => r.spec.forProvider.policyArn).sort()).toEqual(["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly", "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"]);
    // Container Insights is on, and every launch template keeps pods one hop short of instance metadata.
    for (const pool of ["system", "application", "worker", "ai"]) expect(fp(rs, `launch-template-${pool}`).metadataOptions.httpPutResponseHopLimit, pool).toBe(1);
    expect(invalid(rs)).toEqual([]);
  });

  it("creates vpc-cni only with its role's policy attached, and nodes only once vpc-cni and the Pod Identity agent are Ready", async () => {
    const { observed } = await settled(aws);
    // Before vpc-cni exists, its role policy not yet Ready holds it back.
    const early = await again(aws, unready(observed.filter((o) => !["addon-vpc-cni", "launch-template-system", "nodepool-system"].includes(keyOf(o))), "vpc-cni-role-policy"));
    expect(byKey(early.resources, "addon-vpc-cni")).toBeUndefined();
    // vpc-cni Ready but the agent not: no launch template yet.
    const noAgent = await again(aws, unready(observed.filter((o) => !["launch-template-system", "nodepool-system"].includes(keyOf(o))), "addon-pod-identity"));
    expect(byKey(noAgent.resources, "addon-vpc-cni")).toBeDefined();
    expect(byKey(noAgent.resources, "launch-template-system")).toBeUndefined();
  });

  it("keeps the per-node DaemonSet table and the address budget in step, and says what a Broxiva node has left for workloads", () => {
    // The budget subtracts exactly the host-network pods every node runs whatever the spec says ...
    const always = EKS_NODE_DAEMONSETS.filter((d) => d.on === "every" && !d.containerInsights && d.hostNetwork).map((d) => d.name);
    expect(always).toEqual(["aws-node", "kube-proxy", "eks-pod-identity-agent"]);
    expect(always.length).toBe(HOST_NETWORK_PODS);
    // ... so on any node at least that many hold a slot but no address: the budget is never short.
    for (const gpu of [false, true]) for (const containerInsights of [false, true]) expect(eksNodePods(14, { gpu, containerInsights }).hostNetwork).toBeGreaterThanOrEqual(HOST_NETWORK_PODS);
    // The device plugin runs in the host network on EKS (rendered as devicePlugin.enableHostNetwork).
    expect(EKS_NODE_DAEMONSETS.find((d) => d.name === "nvidia-device-plugin")).toMatchObject({ hostNetwork: true, on: "gpu" });
    // The Broxiva example (Container Insights on): the numbers its comment and the README give.
    expect(eksNodePods(12, { gpu: false, containerInsights: true })).toEqual({ daemonSets: 6, hostNetwork: 5, workloads: 6 });
    expect(eksNodePods(10, { gpu: true, containerInsights: true })).toEqual({ daemonSets: 8, hostNetwork: 6, workloads: 2 });
    expect(eksNodePods(14, { gpu: false, containerInsights: false })).toEqual({ daemonSets: 4, hostNetwork: 3, workloads: 10 });
  });

  it("leaves the EBS CSI add-on's configuration unset (no key EKS's schema is not known to take) and the VPC CNI's a fixed string", async () => {
    const { out } = await settled(broxiva);
    const rs = out.resources;
    // A key outside the add-on's published schema would fail CreateAddon, and with it the driver and
    // the default StorageClass (aws.ts): node.hostNetwork is not sent.
    expect(fp(rs, "addon-ebs-csi")).not.toHaveProperty("configurationValues");
    expect(byKey(out.resources, "addon-ebs-csi").spec.initProvider?.configurationValues).toBeUndefined();
    // The one add-on configuration Tessera sends is a fixed text, identical on every render (no update loop).
    const again = await render({ xr: broxiva, required: requiredFor(broxiva), observed: (await settled(broxiva)).observed, connectionDetails: CONNECTION_DETAILS });
    expect(fp(again.resources, "addon-vpc-cni").configurationValues).toBe(fp(rs, "addon-vpc-cni").configurationValues);
    expect(rs.filter((r) => r.kind === "Addon" && (r.spec as any).forProvider.configurationValues !== undefined).map(keyOf)).toEqual(["addon-vpc-cni"]);
    expect(invalid([byKey(rs, "addon-ebs-csi"), byKey(rs, "addon-vpc-cni")])).toEqual([]);
  });

  it("counts what a node really holds: its pods' addresses, the warm pool, one primary address per ENI (worked examples)", () => {
    // m6i.xlarge: 4 ENIs x 15 addresses. maxPods 14: 11 pods take an address (3 use the host network),
    // + 3 warm = 14 secondary, one ENI: 15.
    expect(nodeAddresses("m6i.xlarge", 14)).toEqual({ maxPods: 14, secondary: 14, enis: 1, total: 15 });
    // maxPods 16: 16 secondary need a second ENI.
    expect(nodeAddresses("m6i.xlarge", 16)).toEqual({ maxPods: 16, secondary: 16, enis: 2, total: 18 });
    // The default density (58 pods): every ENI full, 56 + 4.
    expect(nodeAddresses("m6i.xlarge")).toEqual({ maxPods: 58, secondary: 56, enis: 4, total: 60 });
    // MINIMUM_IP_TARGET (10) is the floor: g4dn.xlarge (9 per ENI) at maxPods 10 holds 10 + 2.
    expect(nodeAddresses("g4dn.xlarge", 10)).toEqual({ maxPods: 10, secondary: 10, enis: 2, total: 12 });
    expect(nodeAddresses("m6i.large", 16).total).toBe(18);
    // An instance without listed limits: 4 addresses per ENI assumed, never fewer interfaces than real.
    expect(nodeAddresses("m8i.xlarge", 20)).toEqual({ maxPods: 20, secondary: 20, enis: 7, total: 27 });
    expect(eniLimits("m8i.xlarge")).toBeUndefined();
    expect(vpcCniMaxPods("m8i.xlarge")).toBe(250);
    expect(eniLimits("c7gd.2xlarge")).toEqual({ enis: 4, ipsPerEni: 15, vcpus: 8 });
    expect(eniLimits("m5zn.12xlarge")).toEqual({ enis: 15, ipsPerEni: 50, vcpus: 48 });
    // The max-pods formula, with EKS's caps: 110 below 30 vCPUs.
    expect([vpcCniMaxPods("m6i.large"), vpcCniMaxPods("t3.medium"), vpcCniMaxPods("m6i.4xlarge"), vpcCniMaxPods("m6i.8xlarge"), vpcCniMaxPods("m6i.16xlarge")]).toEqual([29, 17, 110, 234, 250]);
  });

  it("budgets each zone's private subnet on EKS: the example's pools fit (236 of 245 per zone), one more address per node does not (worked example)", async () => {
    const { out } = await settled(broxiva);
    expect(out.fatal).toBeUndefined();
    expect(out.resources.filter((r) => r.kind === "NodeGroup")).toHaveLength(4);
    // broxiva-use1: one /24 per zone, 256 - 5 (AWS) - 6 (EKS control plane) = 245 free. Every pool
    // spans the three zones, so a zone holds ceil(maxNodes / 3) of each: system 2 x 14, application
    // 7 x 13, worker 5 x 13, ai 2 x 12 = 208, plus one update's surge (2 nodes of the widest pool,
    // system: 2 x 14 = 28) = 236. All four pools rolling at once would take 2 x (14 + 13 + 13 + 12) = 104.
    const network = requiredFor(broxiva).find((o) => o.kind === "Network" && o.metadata?.name === "broxiva-use1")!;
    const [a] = eksZoneBudget(broxiva.spec as any, networkOf({ spec: broxiva.spec, required: { [NETWORK]: [network] } } as any));
    expect(a).toMatchObject({ zone: "a", cidrs: ["10.0.11.0/24"], free: 245, scaleOut: 208, surge: { pool: "system", ips: 28 }, allSurge: 104, need: 236 });
    expect(a!.pools.map((p) => `${p.name} ${p.nodes} x ${p.perNode}`)).toEqual(["system 2 x 14", "application 7 x 13", "worker 5 x 13", "ai 2 x 12"]);
    // maxPods 13 on one xlarge pool fits (28 + 98 + 65 + 24 + 28 = 243); on both it does not (220 + 28 = 248).
    const one = withSpec(broxiva, (s) => (s.nodePools[1].maxPods = 13));
    expect((await render({ xr: one, required: requiredFor(one) })).fatal).toBeUndefined();
    const both = withSpec(broxiva, (s) => s.nodePools.forEach((p: any) => (p.name === "application" || p.name === "worker") && (p.maxPods = 13)));
    await expectRefused(
      { xr: both, required: requiredFor(both) },
      "spec.nodePools[1].maxNodes: got 20 (pool application); zone a needs 248 addresses of the 245 free in 10.0.11.0/24: ",
      "system 2 x 14, application 7 x 14, worker 5 x 14, ai 2 x 12 at maxNodes, + 28 for a node group update (2 x 14 system)",
      "; lower maxNodes or lower maxPods, or widen zone a's private subnet",
    );
  });

  it("refuses a single-zone EKS pool that its zone's subnet cannot hold, though the subnets together could (the reviewer's zone-a reproduction)", async () => {
    // The example's application pool in zone a alone: 20 nodes x 13 there, with the others' shares:
    // 28 + 260 + 65 + 24 = 377, + 28 surge = 405 of 245. (All subnets together have 735 free.)
    const zoneA = withSpec(broxiva, (s) => (s.nodePools[1].zones = ["a"]));
    await expectRefused(
      { xr: zoneA, required: requiredFor(zoneA) },
      "spec.nodePools[1].maxNodes", "got 20 (pool application)", "zone a needs 405 addresses of the 245 free", "application 20 x 13,", "spread pool application over all zones (remove zones)",
    );
    // As the reviewer had it (maxPods 14, 15 per node): 36 + 300 + 75 + 24 + 36 = 471.
    const review = withSpec(broxiva, (s) => {
      s.nodePools[1].zones = ["a"];
      Object.assign(s.nodePools[0], { maxPods: 16 });
      s.nodePools.forEach((p: any) => (p.name === "application" || p.name === "worker") && (p.maxPods = 14));
    });
    await expectRefused({ xr: review, required: requiredFor(review) }, "spec.nodePools[1].maxNodes", "zone a needs 471 addresses", "application 20 x 15,");
    // A pool of 2 m6i.large at maxPods 10 (12 each) in zone b: 208 + 24 + 28 = 260 there, refused,
    // naming zone b and the pool that takes most there.
    const batch = withSpec(broxiva, (s) => s.nodePools.push({ name: "batch", instanceType: "m6i.large", minNodes: 0, maxNodes: 2, maxPods: 10, zones: ["b"] }));
    await expectRefused({ xr: batch, required: requiredFor(batch) }, "spec.nodePools[1].maxNodes", "zone b needs 260 addresses", "batch 2 x 12 at maxNodes");
    // The application pool at 15 nodes (5 per zone, 26 fewer there) makes room: 234.
    const fits = withSpec(batch, (s) => (s.nodePools[1].maxNodes = 15));
    expect((await render({ xr: fits, required: requiredFor(fits) })).fatal).toBeUndefined();
  });

  it("refuses more pods per node than the VPC CNI has addresses for", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.nodePools[0].maxPods = 40)), required: requiredFor(aws) }, "spec.nodePools[0].maxPods", "got 40", "addresses for 29 pods", "use at most 29");
  });

  it("changes a live pool's instance type through its launch template, and refuses what would replace the node group", async () => {
    const { observed } = await settled(aws);
    const bigger = withSpec(aws, (s) => (s.nodePools[0].instanceType = "m6i.xlarge"));
    const rolled = await again(bigger, observed);
    expect(rolled.fatal).toBeUndefined();
    expect(fp(rolled.resources, "launch-template-system").instanceType).toBe("m6i.xlarge");
    expect(fp(rolled.resources, "nodepool-system").instanceTypes).toBeUndefined();
    expect(invalid(rolled.resources)).toEqual([]);
    await expectRefused({ xr: withSpec(aws, (s) => (s.nodePools[0].capacity = "spot")), required: requiredFor(aws), observed }, "spec.nodePools[0].capacity", "got spot", "runs onDemand nodes", "set capacity back to onDemand", "add a pool under a new name");
    await expectRefused({ xr: withSpec(aws, (s) => (s.nodePools[0].zones = ["b"])), required: requiredFor(aws), observed }, "spec.nodePools[0].zones", "got b", "runs in all of the Network's zones", "add a pool under a new name");
    await expectRefused({ xr: withSpec(aws, (s) => (s.nodePools[0].instanceType = "m7g.large")), required: requiredFor(aws), observed }, "spec.nodePools[0].instanceType", "got m7g.large", "AL2023_ARM_64_STANDARD", "runs AL2023_x86_64_STANDARD", "same architecture and GPU kind");
    // A new pool may be spot, in one zone, on Graviton: nothing of it exists yet.
    const added = withSpec(aws, (s) => s.nodePools.push({ name: "batch", instanceType: "m7g.large", minNodes: 0, maxNodes: 2, capacity: "spot", zones: ["b"] }));
    const out = await again(added, observed);
    expect(out.fatal).toBeUndefined();
  });

  it("refuses the same edits at admission (CEL with oldSelf), and makes the service and pod ranges immutable on both clouds", () => {
    // Full CEL (the API server's verdict), held to the same answer by the function's CEL subset.
    const admit = (spec: unknown, old: unknown) => {
      const full = admission(schema, spec, old);
      expect(checkSubset(schema, spec, "spec", old).map((v) => v.message)).toEqual(full);
      return full;
    };
    const pool = (patch: Record<string, unknown>) => ({ ...(aws.spec as any), nodePools: [{ ...(aws.spec as any).nodePools[0], ...patch }] });
    const old = pool({});
    expect(admit(pool({ instanceType: "m6i.2xlarge" }), old)).toEqual([]);
    expect(admit(pool({ capacity: "spot" }), old).join()).toContain("spec.nodePools[].capacity: EKS cannot change a live node pool's capacity type");
    expect(admit(pool({ capacity: "onDemand" }), old)).toEqual([]);
    expect(admit(pool({ zones: ["a"] }), old).join()).toContain("spec.nodePools[].zones: EKS cannot move a live node pool");
    expect(admit(pool({ zones: ["a", "b"] }), old)).toEqual([]);
    expect(admit(pool({ instanceType: "g4dn.xlarge" }), old).join()).toContain("spec.nodePools[].instanceType: a live EKS node pool can change its instance type only within the same architecture and GPU kind");
    expect(admit(pool({ instanceType: "m7g.large" }), old).join()).toContain("same architecture and GPU kind");
    // A renamed pool is a new pool.
    expect(admit(pool({ name: "other", capacity: "spot", instanceType: "m7g.large" }), old)).toEqual([]);
    // AKS pools are another cloud's business.
    const az = (patch: Record<string, unknown>) => ({ ...(broxivaAzure.spec as any), nodePools: (broxivaAzure.spec as any).nodePools.map((p: any) => (p.name === "worker" ? { ...p, ...patch } : p)) });
    expect(admit(az({ capacity: "spot" }), az({}))).toEqual([]);
    for (const base of [aws, azure]) {
      const net = (n: Record<string, string>) => ({ ...(base.spec as any), networking: n });
      expect(admit(net({ serviceCidr: "172.21.0.0/16", podCidr: "10.244.0.0/16" }), net({ serviceCidr: "172.20.0.0/16", podCidr: "10.244.0.0/16" })).join()).toContain("spec.networking.serviceCidr is immutable");
      expect(admit(net({ serviceCidr: "172.20.0.0/16", podCidr: "10.245.0.0/16" }), net({ serviceCidr: "172.20.0.0/16", podCidr: "10.244.0.0/16" })).join()).toContain("spec.networking.podCidr is immutable");
      expect(admit(net({ serviceCidr: "172.20.0.0/16", podCidr: "10.244.0.0/16" }), net({ serviceCidr: "172.20.0.0/16", podCidr: "10.244.0.0/16" }))).toEqual([]);
    }
  });

  it("refuses add-on pins older than Pod Identity (and the network policy agent) need", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.addonVersions = { vpcCni: "v1.14.1-eksbuild.1" })), required: requiredFor(aws) }, "spec.addonVersions.vpcCni", "got v1.14.1-eksbuild.1, older than v1.15.5-eksbuild.1", "pin v1.15.5-eksbuild.1 or later");
    await expectRefused({ xr: withSpec(aws, (s) => (s.addonVersions = { cloudwatchObservability: "v2.6.0-eksbuild.1" })), required: requiredFor(aws) }, "spec.addonVersions.cloudwatchObservability", "older than v3.1.0-eksbuild.1");
    await expectRefused({ xr: withSpec(aws, (s) => (s.addonVersions = { ebsCsiDriver: "v1.25.0-eksbuild.1" })), required: requiredFor(aws) }, "spec.addonVersions.ebsCsiDriver");
    const { out } = await settled(withSpec(aws, (s) => (s.addonVersions = { vpcCni: "v1.15.5-eksbuild.1", ebsCsiDriver: "v1.26.0-eksbuild.1", cloudwatchObservability: "v3.1.0-eksbuild.1" })));
    expect(fp(out.resources, "addon-vpc-cni").addonVersion).toBe("v1.15.5-eksbuild.1");
  });
});

describe("K8sCluster on Azure", () => {
  it("maps the Broxiva seed onto AKS with the system pool as default pool and the seed's autoscaler profile", async () => {
    const { out } = await settled(broxivaAzure);
    const rs = out.resources;
    const c = fp(rs, "cluster");
    expect(c).toMatchObject({
      kubernetesVersion: "1.35",
      automaticUpgradeChannel: "patch",
      oidcIssuerEnabled: true,
      workloadIdentityEnabled: true,
      identity: { type: "UserAssigned" },
      azureActiveDirectoryRoleBasedAccessControl: { azureRbacEnabled: true },
      privateClusterEnabled: false,
      // The user's ranges, Crossplane's egress and the Network's NAT gateway address (AKS adds only a load balancer's by itself).
      apiServerAccessProfile: { authorizedIpRanges: ["203.0.113.0/24", ...PLATFORM_EGRESS, `${FAKE_PUBLIC_IP}/32`] },
      networkProfile: {
        networkPlugin: "azure", networkPluginMode: "overlay", networkDataPlane: "cilium",
        serviceCidr: "172.20.0.0/16", dnsServiceIp: "172.20.0.10", podCidr: "10.244.0.0/16", outboundType: "userAssignedNATGateway",
      },
      autoScalerProfile: { scaleDownDelayAfterAdd: "10m", scaleDownUnneeded: "10m", scaleDownUtilizationThreshold: "0.5", skipNodesWithLocalStorage: false, skipNodesWithSystemPods: true, expander: "least-waste" },
      defaultNodePool: { name: "system", vmSize: "Standard_D2s_v5", autoScalingEnabled: true, minCount: 2, maxCount: 4, onlyCriticalAddonsEnabled: true, orchestratorVersion: "1.35", zones: ["1", "2", "3"], nodeLabels: { "node-role": "system" } },
      omsAgent: { msiAuthForMonitoringEnabled: true },
    });
    expect(c.defaultNodePool.nodeCount).toBeUndefined();
    expect(byKey(rs, "cluster").spec.initProvider).toEqual({ defaultNodePool: { nodeCount: 2 } });
    expect(byKey(rs, "cluster").spec.managementPolicies).toEqual(["Observe", "Create", "Update"]);
    expect(c.defaultNodePool.temporaryNameForRotation).toMatch(/^r[0-9a-f]{11}$/);
    expect(fp(rs, "nodepool-ai")).toMatchObject({ vmSize: "Standard_NC4as_T4_v3", gpuDriver: "Install", mode: "User", minCount: 0, maxCount: 5, nodeTaints: ["nvidia.com/gpu=true:NoSchedule"] });
    expect(byKey(rs, "nodepool-ai").metadata.annotations["crossplane.io/external-name"]).toBe("ai");
    expect(byKey(rs, "nodepool-application").spec.initProvider).toEqual({ nodeCount: 3 });
    expect(byKey(rs, "nodepool-application").spec.managementPolicies).not.toContain("LateInitialize");
    // Network Contributor on the VNet, the NAT gateway and the application NSG, never the whole resource group.
    const principalId = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(fp(rs, "network-role-vnet")).toMatchObject({ roleDefinitionName: "Network Contributor", scope: AZURE_NETWORK_STATUS.networkId, principalId, principalType: "ServicePrincipal" });
    expect(fp(rs, "network-role-nat-gateway")).toMatchObject({ roleDefinitionName: "Network Contributor", scope: AZURE_NETWORK_STATUS.natGatewayIds[0], principalId });
    expect(fp(rs, "network-role-app-nsg")).toMatchObject({ roleDefinitionName: "Network Contributor", scope: AZURE_NETWORK_STATUS.securityGroupIds.app, principalId });
    expect(byKey(rs, "network-role")).toBeUndefined();
    expect(rs.filter((r) => r.kind === "RoleAssignment" && /resourceGroups\/[^/]+$/.test((r.spec as any).forProvider.scope))).toEqual([]);
    expect(fp(rs, "diagnostic-setting").enabledLog).toEqual([{ category: "kube-apiserver" }, { category: "kube-audit" }, { category: "guard" }]);
    const admins = rs.filter((r) => r.kind === "RoleAssignment" && keyOf(r).startsWith("admin-"));
    expect(admins.map((r) => (r.spec as any).forProvider)).toEqual([expect.objectContaining({ principalId: "33333333-3333-3333-3333-333333333333", roleDefinitionName: "Azure Kubernetes Service RBAC Cluster Admin" })]);
    expect(out.xr.status).toMatchObject({ clusterName: "broxiva-production-aks", version: "1.35.3", nodeResourceGroup: expect.stringMatching(/^MC_/), oidcIssuerUrl: expect.stringContaining("oic.prod-aks") });
  });

  it("upgrades user pools after the control plane, the default pool with it", async () => {
    const { observed } = await settled(broxivaAzure);
    const next = withSpec(broxivaAzure, (s) => (s.version = "1.36"));
    const out = await render({ xr: next, required: requiredFor(next), observed, connectionDetails: CONNECTION_DETAILS });
    expect(fp(out.resources, "cluster")).toMatchObject({ kubernetesVersion: "1.36", defaultNodePool: { orchestratorVersion: "1.36" } });
    expect(fp(out.resources, "nodepool-application").orchestratorVersion).toBe("1.35");
  });

  it("declares the spot taint AKS adds itself, and never rotates a spot pool", async () => {
    const xr = withSpec(azure, (s) => s.nodePools.push({ name: "batch", instanceType: "Standard_D4s_v5", minNodes: 0, maxNodes: 3, capacity: "spot" }));
    const { out } = await settled(xr);
    expect(fp(out.resources, "nodepool-batch")).toMatchObject({ priority: "Spot", evictionPolicy: "Delete", spotMaxPrice: -1, nodeTaints: ["kubernetes.azure.com/scalesetpriority=spot:NoSchedule"] });
    expect(fp(out.resources, "nodepool-batch").temporaryNameForRotation).toBeUndefined();
  });

  it("writes the connection Secret from the cluster's kubeconfig", async () => {
    const { out } = await settled(azure);
    expect(byKey(out.resources, "cluster").spec.writeConnectionSecretToRef).toEqual({ name: "platform-azure-aks-admin" });
    const data = Object.fromEntries(Object.entries(byKey(out.resources, "connection-secret").data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
    expect(Object.keys(data).sort()).toEqual(["clusterCA", "clusterName", "endpoint", "kubeconfig", "provider", "region"]);
    expect(data["clusterName"]).toBe("platform-azure");
  });

  const azureGates: Array<[string, string[]]> = [
    ["identity", ["network-role-vnet", "network-role-nat-gateway", "network-role-app-nsg"]],
    ["network-role-vnet", ["cluster"]],
    ["network-role-nat-gateway", ["cluster"]],
    ["network-role-app-nsg", ["cluster"]],
    ["workspace", ["cluster"]],
    ["cluster", ["nodepool-application", "diagnostic-setting"]],
  ];
  it.each(azureGates)("keeps what %s gates when it stops being Ready", async (dependency, gated) => {
    const { observed } = await settled(broxivaAzure);
    const out = await render({ xr: broxivaAzure, required: requiredFor(broxivaAzure), observed: unready(observed, dependency), connectionDetails: CONNECTION_DETAILS });
    expect(out.fatal).toBeUndefined();
    for (const key of gated) expect(byKey(out.resources, key), key).toBeDefined();
  });

  it("creates the namespaces through the admin kubeconfig the cluster's connection details hold", async () => {
    const { out } = await settled(broxivaAzure);
    // Not `kubeconfig`: provider-upjet-azure writes the clusterUser (kubelogin) kubeconfig there.
    for (const key of ["kubernetes-provider-config", "helm-provider-config"]) {
      expect(byKey(out.resources, key).spec.credentials.secretRef).toEqual({ name: "broxiva-production-aks-aks-admin", namespace: "broxiva-production", key: "attribute.kube_admin_config_raw" });
    }
    expect(out.resources.filter((r) => r.kind === "Object")).toHaveLength(8);
    // AKS runs its own autoscaler: the only Release is the GPU pool's device plugin.
    expect(out.resources.filter((r) => r.kind === "Release").map(keyOf)).toEqual(["nvidia-device-plugin"]);
  });

  it("leaves Container Insights out when it is turned off", async () => {
    const { out } = await settled(withSpec(azure, (s) => (s.monitoring = { containerInsights: false })));
    expect(fp(out.resources, "cluster").omsAgent).toBeUndefined();
    const { out: onAws } = await settled(withSpec(aws, (s) => (s.monitoring = { containerInsights: false })));
    expect(byKey(onAws.resources, "addon-insights")).toBeUndefined();
    expect(fp(onAws.resources, "launch-template-system").metadataOptions.httpPutResponseHopLimit).toBe(1);
  });

  it("refuses allowed CIDRs for an endpoint that is not public", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.apiAccess = { public: false, allowedCidrs: ["203.0.113.0/24"] })), required: requiredFor(aws) }, "spec.apiAccess.allowedCidrs");
  });

  it("refuses admins that are not principals of the cloud", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.admins = ["33333333-3333-3333-3333-333333333333"])), required: requiredFor(aws) }, "spec.admins[0]", "IAM role or user ARN");
    await expectRefused({ xr: withSpec(azure, (s) => (s.admins = ["arn:aws:iam::111122223333:role/x"])), required: requiredFor(azure) }, "spec.admins[0]", "Entra object id");
  });

  it("refuses an XR name AKS cannot take as a cluster name", async () => {
    const dotted = structuredClone(azure);
    dotted.metadata!.name = "platform.azure";
    await expectRefused({ xr: dotted, required: requiredFor(dotted) }, "metadata.name", "no dots");
  });

  it("refuses namespaces that belong to Kubernetes", async () => {
    await expectRefused({ xr: withSpec(azure, (s) => (s.namespaces = [{ name: "kube-public" }])), required: requiredFor(azure) }, "default and kube-*");
  });

  it("creates the cluster only after its identity has its network role", async () => {
    const first = await render({ xr: azure, required: requiredFor(azure) });
    expect(first.resources.map(keyOf).sort()).toEqual(["identity", "usage-network", "workspace"]);
    const second = await render({ xr: azure, required: requiredFor(azure), observed: observe(first.resources) });
    expect(second.resources.map(keyOf)).toEqual(expect.arrayContaining(["network-role-vnet", "network-role-nat-gateway", "network-role-app-nsg"]));
    expect(second.resources.map(keyOf)).not.toContain("cluster");
  });
});

describe("K8sCluster default StorageClass on Azure", () => {
  it("composes no StorageClass on AKS, whose built-in default class is encrypted at rest", async () => {
    const { out } = await settled(broxivaAzure);
    const objects = out.resources.filter((r) => r.kind === "Object");
    // The in-cluster path is there (the namespaces), only no class goes through it.
    expect(namespaces(out.resources).length).toBeGreaterThan(0);
    expect(objects.filter((r: any) => r.spec.forProvider.manifest.kind !== "Namespace")).toEqual([]);
    expect(out.resources.map(keyOf).filter((k) => k.startsWith("storage-class-"))).toEqual([]);
  });
});

describe("K8sCluster on Azure: credentials, authorized IP ranges and network roles", () => {
  const invalid = (rs: K8sObject[]) => rs.flatMap((r) => validateComposed(r).map((e) => `${keyOf(r)}: ${e}`));
  const secretData = (r: any) => Object.fromEntries(Object.entries(r.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
  /** The required resources with the XR's Network as served before its function published `status` (or with this status). */
  const withNetworkStatus = (xr: K8sObject, status?: Record<string, unknown>): K8sObject[] =>
    requiredFor(xr).map((o) => {
      if (o.kind !== "Network" || o.metadata?.name !== (xr.spec as any).networkRef.name) return o;
      const { status: _published, ...rest } = o;
      return status ? { ...rest, status } : rest;
    });

  it("publishes what K8sCluster reads from an Azure Network, as the fixtures serve it", async () => {
    const net = example("examples/network/azure-broxiva.yaml");
    let out = await render({ xr: net, required: requiredFor(net) });
    for (let pass = 0; pass < 4; pass++) out = await render({ xr: net, required: requiredFor(net), observed: observe(out.resources) });
    expect(out.xr.status).toMatchObject(AZURE_NETWORK_STATUS);
  });

  it("puts the admin kubeconfig, not the provider's kubelogin one, into the connection Secret", async () => {
    const { out } = await settled(broxivaAzure);
    const data = secretData(byKey(out.resources, "connection-secret"));
    expect(data["kubeconfig"]).toBe(AKS_ADMIN_KUBECONFIG);
    expect(data["kubeconfig"]).toContain("client-certificate-data");
    expect(data["kubeconfig"]).not.toContain("exec:");
    expect(data["endpoint"]).toBe("https://platform-1a2b3c4d.hcp.westeurope.azmk8s.io:443");
    expect(data["clusterCA"]).toContain("BEGIN CERTIFICATE");
    expect(invalid(out.resources)).toEqual([]);
  });

  it("writes no connection Secret from the clusterUser kubeconfig alone (local accounts off, or not yet read)", async () => {
    const { observed } = await settled(azure);
    const userOnly = { ...CONNECTION_DETAILS, cluster: { kubeconfig: AKS_USER_KUBECONFIG, "attribute.kube_config_raw": AKS_USER_KUBECONFIG } };
    const out = await render({ xr: azure, required: requiredFor(azure), observed: observed.filter((o) => keyOf(o) !== "connection-secret"), connectionDetails: userOnly });
    expect(byKey(out.resources, "connection-secret")).toBeUndefined();
    expect(out.xr.status?.["connectionSecretName"]).toBeUndefined();
  });

  it("waits for the Network's NAT IP before creating a cluster whose allowedCidrs would lock its nodes out, and says so", async () => {
    const required = withNetworkStatus(broxivaAzure, { ...AZURE_NETWORK_STATUS, natPublicIps: undefined });
    let out = await render({ xr: broxivaAzure, required });
    for (let pass = 0; pass < 4; pass++) out = await render({ xr: broxivaAzure, required, observed: observe(out.resources), connectionDetails: CONNECTION_DETAILS });
    expect(out.fatal).toBeUndefined();
    expect(out.resources.map(keyOf)).toEqual(expect.arrayContaining(["network-role-vnet", "network-role-nat-gateway", "network-role-app-nsg", "workspace"]));
    expect(byKey(out.resources, "cluster")).toBeUndefined();
    expect(out.xr.status?.["message"]).toMatch(/^Waiting for \d+ resources: Network broxiva-eastus's NAT IP/);
    expect((out.xr.status?.["conditions"] as any[]).find((c) => c.type === "ResourcesReady")?.message).toContain("AKS must allow it in authorizedIpRanges beside allowedCidrs, or the nodes cannot reach the API server");
    // The Network publishes it: the cluster comes, with that address allowed.
    const next = await render({ xr: broxivaAzure, required: requiredFor(broxivaAzure), observed: observe(out.resources), connectionDetails: CONNECTION_DETAILS });
    expect(fp(next.resources, "cluster").apiServerAccessProfile).toEqual({ authorizedIpRanges: ["203.0.113.0/24", ...PLATFORM_EGRESS, `${FAKE_PUBLIC_IP}/32`] });
    expect(invalid(next.resources)).toEqual([]);
  });

  it("needs no NAT IP for an endpoint without authorized ranges (open or private)", async () => {
    for (const xr of [azure, withSpec(azure, (s) => (s.apiAccess = { public: false }))]) {
      const required = withNetworkStatus(xr, { ...AZURE_NETWORK_STATUS, natPublicIps: undefined });
      let out = await render({ xr, required });
      for (let pass = 0; pass < 3; pass++) out = await render({ xr, required, observed: observe(out.resources), connectionDetails: CONNECTION_DETAILS });
      expect(fp(out.resources, "cluster").apiServerAccessProfile).toBeUndefined();
    }
  });

  it("keeps an existing cluster and its NAT ranges while the Network's status is unreadable, and follows a new NAT IP", async () => {
    const { out: done, observed } = await settled(broxivaAzure);
    for (const status of [undefined, { ...AZURE_NETWORK_STATUS, natPublicIps: undefined }]) {
      const out = await render({ xr: broxivaAzure, required: withNetworkStatus(broxivaAzure, status), observed, connectionDetails: CONNECTION_DETAILS });
      expect(out.fatal).toBeUndefined();
      expect(fp(out.resources, "cluster")).toEqual(fp(done.resources, "cluster"));
      for (const key of ["network-role-vnet", "network-role-nat-gateway", "network-role-app-nsg"]) expect(fp(out.resources, key), key).toEqual(fp(done.resources, key));
    }
    // A changed allowedCidrs while the Network is unreadable: the new ranges, and the NAT range it had.
    const widened = withSpec(broxivaAzure, (s) => (s.apiAccess.allowedCidrs = ["198.51.100.0/24"]));
    const kept = await render({ xr: widened, required: withNetworkStatus(widened, undefined), observed, connectionDetails: CONNECTION_DETAILS });
    expect(fp(kept.resources, "cluster").apiServerAccessProfile.authorizedIpRanges).toEqual(["198.51.100.0/24", ...PLATFORM_EGRESS, `${FAKE_PUBLIC_IP}/32`]);
    const moved = await render({ xr: broxivaAzure, required: withNetworkStatus(broxivaAzure, { ...AZURE_NETWORK_STATUS, natPublicIps: ["20.61.15.9", "203.0.113.7"] }), observed, connectionDetails: CONNECTION_DETAILS });
    // Each address once (the set the CRD declares), even where allowedCidrs already covers one.
    expect(fp(moved.resources, "cluster").apiServerAccessProfile.authorizedIpRanges).toEqual(["203.0.113.0/24", "198.51.100.16/28", "203.0.113.7/32", "20.61.15.9/32"]);
  });

  it("warns on both clouds that allowedCidrs must admit Crossplane's own egress, unless the platform EnvironmentConfig names it", async () => {
    for (const xr of [broxivaAzure, broxiva]) {
      const { out } = await settled(xr, withoutPlatform(xr));
      expect(out.xr.status?.["warnings"]).toContainEqual(expect.stringContaining("unless Crossplane's egress address is among them, provider-kubernetes and provider-helm cannot reach the cluster"));
      expect(out.xr.status?.["warnings"]).toContainEqual(expect.stringContaining("data.crossplaneEgressCidrs in the cluster-scoped EnvironmentConfig tessera"));
      const { out: configured } = await settled(xr);
      expect(configured.xr.status?.["warnings"] ?? []).not.toContainEqual(expect.stringContaining("unless Crossplane's egress"));
    }
    const { out } = await settled(azure);
    expect(out.xr.status?.["warnings"]).not.toContainEqual(expect.stringContaining("unless Crossplane's egress"));
  });

  it("moves a cluster off the resource-group-wide role only once the narrower roles are Ready", async () => {
    const { observed } = await settled(broxivaAzure);
    // A cluster created before the roles were narrowed: Network Contributor on the resource group.
    const rgScope = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/broxiva-eastus";
    const legacy = structuredClone(observed.find((o) => keyOf(o) === "network-role-vnet")!) as any;
    legacy.metadata.annotations["crossplane.io/composition-resource-name"] = "network-role";
    legacy.spec.forProvider.scope = rgScope;
    const before = [...observed.filter((o) => !keyOf(o).startsWith("network-role-")), legacy];
    const first = await render({ xr: broxivaAzure, required: requiredFor(broxivaAzure), observed: before, connectionDetails: CONNECTION_DETAILS });
    expect(first.fatal).toBeUndefined();
    expect(byKey(first.resources, "cluster")).toBeDefined();
    expect(fp(first.resources, "network-role")).toMatchObject({ scope: rgScope, roleDefinitionName: "Network Contributor" });
    expect(fp(first.resources, "network-role-vnet").scope).toBe(AZURE_NETWORK_STATUS.networkId);
    expect(invalid(first.resources)).toEqual([]);
    // Two of three Ready: the old one stays.
    const partly = [...before, ...observe(first.resources.filter((r) => ["network-role-vnet", "network-role-nat-gateway"].includes(keyOf(r)))), ...unready(observe(first.resources.filter((r) => keyOf(r) === "network-role-app-nsg")), "network-role-app-nsg")];
    const second = await render({ xr: broxivaAzure, required: requiredFor(broxivaAzure), observed: partly, connectionDetails: CONNECTION_DETAILS });
    expect(fp(second.resources, "network-role")?.scope).toBe(rgScope);
    // All three Ready: the resource-group assignment leaves desired state (Crossplane deletes it).
    const all = [...before, ...observe(first.resources.filter((r) => keyOf(r).startsWith("network-role-")))];
    const third = await render({ xr: broxivaAzure, required: requiredFor(broxivaAzure), observed: all, connectionDetails: CONNECTION_DETAILS });
    expect(byKey(third.resources, "network-role")).toBeUndefined();
    expect(byKey(third.resources, "cluster")).toBeDefined();
  });
});

describe("K8sCluster on Azure: Container Insights and long-term support", () => {
  afterEach(() => vi.useRealTimers());
  /** Pins the function's clock (the support calendar depends on the day). */
  const on = (day: string) => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(`${day}T12:00:00Z`));
  };
  const invalid = (rs: K8sObject[]) => rs.flatMap((r) => validateComposed(r).map((e) => `${keyOf(r)}: ${e}`));

  it("composes the data collection rule and its association as the az CLI does, valid against the CRDs", async () => {
    const { out } = await settled(broxivaAzure);
    const rs = out.resources;
    expect(invalid(rs)).toEqual([]);
    expect(byKey(rs, "insights-rule").metadata.annotations["crossplane.io/external-name"]).toBe("MSCI-eastus-broxiva-production-aks");
    const rule = fp(rs, "insights-rule");
    expect(rule).toMatchObject({
      location: "eastus",
      kind: "Linux",
      resourceGroupNameSelector: { matchLabels: { "platform.tessera.io/network": "broxiva-eastus", "platform.tessera.io/resource": "resource-group" } },
      destinations: { logAnalytics: [{ name: "la-workspace", workspaceResourceId: "workspace-workspace" }] },
      dataFlow: [{ streams: ["Microsoft-ContainerInsights-Group-Default"], destinations: ["la-workspace"] }],
      dataSources: { extension: [{ name: "ContainerInsightsExtension", extensionName: "ContainerInsights", streams: ["Microsoft-ContainerInsights-Group-Default"] }] },
    });
    expect(JSON.parse(rule.dataSources.extension[0].extensionJson)).toEqual({ dataCollectionSettings: { interval: "1m", namespaceFilteringMode: "Off", enableContainerLogV2: true } });
    // The workspace the add-on and the rule send to is one and the same, with the spec's retention.
    expect(fp(rs, "cluster").omsAgent).toEqual({ logAnalyticsWorkspaceId: "workspace-workspace", msiAuthForMonitoringEnabled: true });
    expect(fp(rs, "workspace").retentionInDays).toBe(30);
    const association = byKey(rs, "insights-association");
    expect(association.metadata.annotations["crossplane.io/external-name"]).toBe("ContainerInsightsExtension");
    expect(association.spec.forProvider).toMatchObject({ targetResourceId: "kubernetescluster-cluster", dataCollectionRuleIdSelector: { matchControllerRef: true, matchLabels: { "platform.tessera.io/resource": "insights-rule" } } });
    expect(byKey(rs, "usage-insights-rule").spec).toMatchObject({ of: { kind: "MonitorDataCollectionRule" }, by: { kind: "MonitorDataCollectionRuleAssociation" }, replayDeletion: true });
  });

  it("stages the rule after the workspace and the association after the cluster and the rule", async () => {
    const first = await render({ xr: azure, required: requiredFor(azure) });
    expect(first.resources.map(keyOf)).not.toContain("insights-rule");
    const second = await render({ xr: azure, required: requiredFor(azure), observed: observe(first.resources), connectionDetails: CONNECTION_DETAILS });
    expect(second.resources.map(keyOf)).toEqual(expect.arrayContaining(["insights-rule", "network-role-vnet"]));
    expect(second.resources.map(keyOf)).not.toContain("insights-association");
    // The cluster Ready but the rule not yet: still no association (its rule id would not resolve).
    const third = await render({ xr: azure, required: requiredFor(azure), observed: unready(observe(second.resources), "insights-rule"), connectionDetails: CONNECTION_DETAILS });
    const fourth = await render({ xr: azure, required: requiredFor(azure), observed: unready(observe(third.resources), "insights-rule"), connectionDetails: CONNECTION_DETAILS });
    expect(byKey(fourth.resources, "cluster")).toBeDefined();
    expect(fourth.resources.map(keyOf)).not.toContain("insights-association");
  });

  // One test per new gate: the dependency stops being Ready, or is briefly unobserved; what it gates stays, unchanged.
  it.each(["workspace", "insights-rule", "cluster"])("keeps the rule and association as they were when %s stops being Ready or is unobserved", async (dependency) => {
    const { out: done, observed } = await settled(azure);
    for (const view of [unready(observed, dependency), observed.filter((o) => keyOf(o) !== dependency)]) {
      const out = await render({ xr: azure, required: requiredFor(azure), observed: view, connectionDetails: CONNECTION_DETAILS });
      expect(out.fatal).toBeUndefined();
      for (const key of ["insights-rule", "insights-association"].filter((k) => k !== dependency)) {
        expect(byKey(out.resources, key)?.spec, key).toEqual(byKey(done.resources, key).spec);
      }
    }
  });

  it("leaves the rule and association out, and takes them down, when Container Insights is turned off", async () => {
    const { observed } = await settled(azure);
    const off = withSpec(azure, (s) => (s.monitoring = { containerInsights: false }));
    const out = await render({ xr: off, required: requiredFor(off), observed, connectionDetails: CONNECTION_DETAILS });
    expect(out.fatal).toBeUndefined();
    for (const key of ["insights-rule", "insights-association", "usage-insights-rule"]) expect(byKey(out.resources, key), key).toBeUndefined();
    expect(fp(out.resources, "cluster").omsAgent).toBeUndefined();
    expect(fp(out.resources, "workspace")).toBeDefined();
  });

  it("names the rule MSCI-<region>-<cluster> within 64 characters, distinct for long names", () => {
    const long = (n: string) => insightsRuleName({ name: n, namespace: "team-a" } as any, "australiasoutheast");
    const a = long(`a${"x".repeat(60)}01`);
    const b = long(`a${"x".repeat(60)}02`);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).toMatch(/^MSCI-australiasoutheast-ax+-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(insightsRuleName({ name: "platform-azure", namespace: "team-a" } as any, "westeurope")).toBe("MSCI-westeurope-platform-azure");
  });

  it("renders the Standard tier with the Kubernetes support plan by default", async () => {
    on("2026-12-02");
    const { out } = await settled(azure);
    expect(fp(out.resources, "cluster")).toMatchObject({ skuTier: "Standard", supportPlan: "KubernetesOfficial" });
    expect(out.xr.status?.["versionSupport"]).toBe("standard");
  });

  it("renders long-term support as the Premium tier with AKSLongTermSupport, and 1.34 with it", async () => {
    on("2026-12-02");
    const xr = withSpec(azure, (s) => Object.assign(s, { version: "1.34", extendedSupport: true }));
    const { out } = await settled(xr);
    expect(invalid(out.resources)).toEqual([]);
    expect(fp(out.resources, "cluster")).toMatchObject({ kubernetesVersion: "1.34", skuTier: "Premium", supportPlan: "AKSLongTermSupport", automaticUpgradeChannel: "patch" });
    // 1.34 left community support on 2026-11-30; under LTS it is supported until 2027-11-30.
    expect(out.xr.status?.["versionSupport"]).toBe("extended");
  });

  it("switches long-term support off in place while the minor is in community support", async () => {
    on("2026-12-02");
    const lts = withSpec(azure, (s) => (s.extendedSupport = true));
    const { observed } = await settled(lts);
    const out = await render({ xr: azure, required: requiredFor(azure), observed, connectionDetails: CONNECTION_DETAILS });
    expect(out.fatal).toBeUndefined();
    expect(fp(out.resources, "cluster")).toMatchObject({ skuTier: "Standard", supportPlan: "KubernetesOfficial" });
  });

  it("refuses to switch long-term support off once the running minor left community support, keeping the cluster", async () => {
    on("2026-12-02");
    const lts = withSpec(azure, (s) => (s.extendedSupport = true));
    const { observed } = await settled(lts);
    on("2027-05-01");
    await expectRefused({ xr: azure, required: requiredFor(azure), observed }, "spec.extendedSupport: got false", "runs 1.35 under AKS long-term support", "upgrade spec.version to 1.36");
    // The upgrade asked for at the same time does not help until the cluster runs it.
    const both = withSpec(azure, (s) => (s.version = "1.36"));
    await expectRefused({ xr: both, required: requiredFor(both), observed }, "spec.extendedSupport: got false");
    // Kept on, the cluster renders as before, in long-term support.
    const kept = await render({ xr: lts, required: requiredFor(lts), observed, connectionDetails: CONNECTION_DETAILS });
    expect(kept.fatal).toBeUndefined();
    expect(fp(kept.resources, "cluster")).toMatchObject({ skuTier: "Premium", supportPlan: "AKSLongTermSupport" });
    expect(kept.xr.status?.["versionSupport"]).toBe("extended");
  });
});

describe("K8sCluster GPU pools: NVIDIA's device plugin", () => {
  const plugin = (rs: K8sObject[]) => byKey(rs, "nvidia-device-plugin");
  const nodeTerms = (rs: K8sObject[]) => fp(rs, "nvidia-device-plugin").values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
  // EKS: the GPU pools' node groups, and the host network (no VPC address per GPU node). AKS: the
  // accelerator label, which a pool rotating through its temporary pool keeps; the overlay needs no host network.
  const cases: Array<[string, K8sObject, Record<string, unknown>, Record<string, unknown>, string]> = [
    ["EKS", broxiva, { key: "eks.amazonaws.com/nodegroup", operator: "In", values: ["ai"] }, { devicePlugin: { enableHostNetwork: true } }, "Cluster"],
    ["AKS", broxivaAzure, { key: "kubernetes.azure.com/accelerator", operator: "In", values: ["nvidia"] }, {}, "KubernetesCluster"],
  ];

  it.each(cases)("installs it on %s for the Broxiva ai pool, on GPU nodes only, valid against provider-helm's Release CRD", async (_, xr, selects, network, clusterKind) => {
    const { out } = await settled(xr);
    const rs = out.resources;
    const release = plugin(rs);
    expect(release.apiVersion).toBe("helm.m.crossplane.io/v1beta1");
    expect(release.spec.providerConfigRef).toEqual({ kind: "ProviderConfig", name: byKey(rs, "helm-provider-config").metadata.name });
    expect(release.spec.forProvider).toEqual({
      chart: { name: "nvidia-device-plugin", repository: "https://nvidia.github.io/k8s-device-plugin", version: "0.20.0" },
      namespace: "kube-system",
      values: {
        // Replaces the chart's node-feature-discovery affinity, which no node of either cloud matches.
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [selects] }] } } },
        // The ai pool's taint; not the system pool's CriticalAddonsOnly: the plugin never runs there.
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists" }],
        ...network,
      },
    });
    expect(invalid([release, byKey(rs, "usage-nvidia-device-plugin")])).toEqual([]);
    expect(byKey(rs, "usage-nvidia-device-plugin").spec).toMatchObject({ of: { kind: clusterKind }, by: { apiVersion: "helm.m.crossplane.io/v1beta1", kind: "Release", resourceSelector: { matchLabels: { "platform.tessera.io/resource": "nvidia-device-plugin" } } }, replayDeletion: true });
    // An orphaned (deletion-protected) cluster keeps it, like the rest of what is installed in it.
    expect(release.spec.managementPolicies).not.toContain("Delete");
    const pools = out.xr.status?.["nodePools"] as Array<Record<string, unknown>>;
    expect(pools.find((p) => p["name"] === "ai")?.["gpu"]).toEqual({ resource: "nvidia.com/gpu", tolerations: ["nvidia.com/gpu=true:NoSchedule"], devicePluginReady: true });
    expect(pools.filter((p) => p["gpu"] !== undefined).map((p) => p["name"])).toEqual(["ai"]);
  });

  it.each([["EKS", aws], ["AKS", azure]] as const)("composes no device plugin on %s when no pool is a GPU pool", async (_, xr) => {
    const { out } = await settled(xr);
    expect(plugin(out.resources)).toBeUndefined();
    expect(byKey(out.resources, "usage-nvidia-device-plugin")).toBeUndefined();
    expect(out.resources.filter((r) => r.kind === "Release" && (r.spec as any).forProvider.chart.name === "nvidia-device-plugin")).toEqual([]);
    expect((out.xr.status?.["nodePools"] as Array<Record<string, unknown>>).every((p) => p["gpu"] === undefined)).toBe(true);
  });

  it.each([["EKS", broxiva], ["AKS", broxivaAzure]] as const)("takes a mirrored chart on %s", async (_, base) => {
    const xr = withSpec(base, (s) => (s.gpu = { devicePlugin: { chart: { repository: "oci://registry.example.com/nvidia", version: "0.19.3" } } }));
    const { out } = await settled(xr);
    expect(fp(out.resources, "nvidia-device-plugin").chart).toEqual({ name: "nvidia-device-plugin", repository: "oci://registry.example.com/nvidia", version: "0.19.3" });
    expect(invalid([plugin(out.resources)])).toEqual([]);
    // The XRD's pattern and closed objects, as the function's parse: one error naming the field.
    await expectRefused({ xr: withSpec(base, (s) => (s.gpu = { devicePlugin: { chart: { version: "v0.20.0" } } })), required: requiredFor(base) }, "gpu.devicePlugin.chart.version");
    await expectRefused({ xr: withSpec(base, (s) => (s.gpu = { devicePlugin: { chart: { name: "gpu-operator" } } })), required: requiredFor(base) }, "name");
  });

  it("selects every GPU pool and tolerates their taints, AKS's spot taint included, and CriticalAddonsOnly only when a GPU pool has it", async () => {
    const az = withSpec(broxivaAzure, (s) =>
      s.nodePools.push({ name: "train", instanceType: "Standard_NC24ads_A100_v4", minNodes: 0, maxNodes: 2, capacity: "spot", taints: [{ key: "sku", value: "gpu", effect: "NoSchedule" }] }),
    );
    const { out } = await settled(az);
    // Every NVIDIA node, whatever its pool is called (a rotating pool's nodes carry the temporary pool's name).
    expect(nodeTerms(out.resources)).toEqual([{ matchExpressions: [{ key: "kubernetes.azure.com/accelerator", operator: "In", values: ["nvidia"] }] }]);
    expect(JSON.stringify(fp(out.resources, "nvidia-device-plugin").values)).not.toContain("kubernetes.azure.com/agentpool");
    expect(fp(out.resources, "nvidia-device-plugin").values.tolerations).toEqual([
      { key: "kubernetes.azure.com/scalesetpriority", operator: "Exists" },
      { key: "nvidia.com/gpu", operator: "Exists" },
      { key: "sku", operator: "Exists" },
    ]);
    const train = (out.xr.status?.["nodePools"] as Array<Record<string, any>>).find((p) => p["name"] === "train");
    expect(train?.["gpu"].tolerations).toEqual(["sku=gpu:NoSchedule", "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"]);
    expect(invalid([plugin(out.resources)])).toEqual([]);

    // An EKS system pool on GPUs: the plugin must run there, under its CriticalAddonsOnly taint.
    const gpuSystem = withSpec(aws, (s) => {
      s.nodePools[0].instanceType = "g5.xlarge";
      s.nodePools[0].taints = [{ key: "CriticalAddonsOnly", value: "true", effect: "NoSchedule" }];
    });
    const eks = await settled(gpuSystem);
    expect(fp(eks.out.resources, "nvidia-device-plugin").values.tolerations).toEqual([{ key: "CriticalAddonsOnly", operator: "Exists" }, { key: "nvidia.com/gpu", operator: "Exists" }]);
    expect(nodeTerms(eks.out.resources)[0].matchExpressions[0]).toEqual({ key: "eks.amazonaws.com/nodegroup", operator: "In", values: [gpuSystem.spec && (gpuSystem.spec as any).nodePools[0].name] });
    expect(fp(eks.out.resources, "nvidia-device-plugin").values.devicePlugin).toEqual({ enableHostNetwork: true });
    expect(invalid([plugin(eks.out.resources)])).toEqual([]);
  });

  it.each([
    ["EKS", broxiva, "nodepool-system"],
    ["AKS", broxivaAzure, "cluster"],
  ] as const)("waits on %s for the system pool and the helm ProviderConfig, then stays when they stop being Ready", async (_, xr, systemKey) => {
    const { observed } = await settled(xr);
    const again = (obs: K8sObject[]) => render({ xr, required: requiredFor(xr), observed: obs, connectionDetails: CONNECTION_DETAILS });
    // Not yet created: neither an un-Ready system pool nor a ProviderConfig not yet observed (a
    // provider-helm ProviderConfig counts as Ready once it exists) lets it in.
    const before = observed.filter((o) => !keyOf(o).includes("nvidia-device-plugin"));
    const withoutConfig = (obs: K8sObject[]) => obs.filter((o) => keyOf(o) !== "helm-provider-config");
    expect(plugin((await again(unready(before, systemKey))).resources)).toBeUndefined();
    expect(plugin((await again(withoutConfig(before))).resources)).toBeUndefined();
    expect(plugin((await again(before)).resources)).toBeDefined();
    // Created: the gate tests its own key, so it never leaves desired state, nor does its Usage.
    const cases: Array<[string, K8sObject[]]> = [
      [systemKey, unready(observed, systemKey)],
      ["nodepool-ai", unready(observed, "nodepool-ai")],
      ["helm-provider-config (unobserved)", withoutConfig(observed)],
    ];
    for (const [dependency, obs] of cases) {
      const out = await again(obs);
      expect(out.fatal).toBeUndefined();
      expect(plugin(out.resources), dependency).toBeDefined();
      expect(byKey(out.resources, "usage-nvidia-device-plugin"), dependency).toBeDefined();
    }
  });

  it("does not wait for the GPU pool: the DaemonSet is there before the first GPU node joins", async () => {
    const { observed } = await settled(broxiva);
    const noGpuPool = observed.filter((o) => !["nvidia-device-plugin", "nodepool-ai", "launch-template-ai"].includes(keyOf(o)));
    const out = await render({ xr: broxiva, required: requiredFor(broxiva), observed: noGpuPool, connectionDetails: CONNECTION_DETAILS });
    expect(plugin(out.resources)).toBeDefined();
  });
});

describe("K8sCluster refusals", () => {
  it("refuses Kubernetes 1.28, naming the oldest version offered", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.version = "1.28")), required: requiredFor(aws) }, "spec.version: 1.28", "oldest Tessera offers there is 1.34");
    await expectRefused({ xr: withSpec(azure, (s) => (s.version = "1.28")), required: requiredFor(azure) }, "spec.version: 1.28", "oldest Tessera offers there is 1.34 (with extendedSupport: true)");
  });

  it("refuses 1.34 without extended support: EKS extended support, AKS long-term support", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.version = "1.34")), required: requiredFor(aws) }, "extendedSupport: true");
    const msg = await expectRefused({ xr: withSpec(azure, (s) => (s.version = "1.34")), required: requiredFor(azure) }, "spec.version: 1.34 left AKS community support", "set extendedSupport: true", "Premium tier");
    expect(admission(schema, withSpec(azure, (s) => (s.version = "1.34")).spec).join()).toContain("1.34 left AKS community support");
    expect(msg).toContain("spec.version");
    expect(admission(schema, withSpec(azure, (s) => Object.assign(s, { version: "1.34", extendedSupport: true })).spec)).toEqual([]);
  });

  it("refuses a log retention a Log Analytics workspace cannot keep, on Azure only", async () => {
    for (const days of [14, 731]) {
      await expectRefused({ xr: withSpec(azure, (s) => (s.monitoring = { logRetentionDays: days })), required: requiredFor(azure) }, `spec.monitoring.logRetentionDays: ${days} is refused on azure`, "30 to 730 days");
    }
    expect(admission(schema, withSpec(aws, (s) => (s.monitoring = { logRetentionDays: 14 })).spec)).toEqual([]);
    expect(admission(schema, withSpec(azure, (s) => (s.monitoring = { logRetentionDays: 545 })).spec)).toEqual([]);
  });

  it("admits upgrades one minor at a time, never a jump or a downgrade", () => {
    const spec = (version: string) => ({ ...(aws.spec as object), version });
    expect(admission(schema, spec("1.36"), spec("1.35"))).toEqual([]);
    expect(admission(schema, spec("1.35"), spec("1.35"))).toEqual([]);
    expect(admission(schema, spec("1.36"), spec("1.34")).join()).toContain("one minor at a time");
    expect(admission(schema, spec("1.34"), spec("1.35")).join()).toContain("never downgrades");
  });

  it("refuses anything but exactly one system pool", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.nodePools[0].mode = "user")), required: requiredFor(aws) }, "exactly one pool must have mode: system");
    await expectRefused({ xr: withSpec(aws, (s) => s.nodePools.push({ ...s.nodePools[0], name: "second" })), required: requiredFor(aws) }, "exactly one pool must have mode: system");
    await expectRefused({ xr: withSpec(aws, (s) => s.nodePools.push({ ...s.nodePools[0], mode: "user" })), required: requiredFor(aws) }, "pool names must be unique");
    await expectRefused({ xr: withSpec(aws, (s) => (s.nodePools[0].minNodes = 0)), required: requiredFor(aws) }, "needs minNodes of 1 or more");
  });

  it("refuses pool names AKS cannot take, saying how ai-workloads is written", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.nodePools[0].name = "ai-workloads")), required: requiredFor(aws) }, "spec.nodePools[0].name", "ai-workloads", "written ai");
    await expectRefused({ xr: withSpec(aws, (s) => (s.nodePools[0].name = "r0123456789a")), required: requiredFor(aws) }, "rotation pool names");
  });

  it("refuses a taint other than CriticalAddonsOnly on the AKS system pool, and a spot system pool", async () => {
    await expectRefused({ xr: withSpec(azure, (s) => (s.nodePools[0].taints = [{ key: "dedicated", value: "infra", effect: "NoSchedule" }])), required: requiredFor(azure) }, "CriticalAddonsOnly=true:NoSchedule");
    await expectRefused({ xr: withSpec(azure, (s) => (s.nodePools[0].capacity = "spot")), required: requiredFor(azure) }, "cannot run on spot VMs");
  });

  it("refuses pool sizes the clouds refuse", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => Object.assign(s.nodePools[0], { maxNodes: 451, maxPods: 10 })), required: requiredFor(aws) }, "at most 450 nodes");
    await expectRefused({ xr: withSpec(aws, (s) => (s.nodePools[0].minNodes = 5)), required: requiredFor(aws) }, "minNodes must not exceed maxNodes");
  });

  it("refuses a service or pod range overlapping the Network", async () => {
    await expectRefused({ xr: withSpec(broxivaAzure, (s) => (s.networking = { serviceCidr: "10.0.0.0/16" })), required: requiredFor(broxivaAzure) }, "spec.networking.serviceCidr", "overlapping Network \"broxiva-eastus\"'s 10.0.0.0/16");
    await expectRefused({ xr: withSpec(broxivaAzure, (s) => (s.networking = { podCidr: "10.0.128.0/17" })), required: requiredFor(broxivaAzure) }, "spec.networking.podCidr", "overlapping");
    await expectRefused({ xr: withSpec(broxiva, (s) => (s.networking = { serviceCidr: "10.0.0.0/20" })), required: requiredFor(broxiva) }, "spec.networking.serviceCidr");
    await expectRefused({ xr: withSpec(azure, (s) => (s.networking = { podCidr: "172.20.0.0/16" })), required: requiredFor(azure) }, "overlapping serviceCidr");
    await expectRefused({ xr: withSpec(azure, (s) => (s.networking = { podCidr: "10.244.0.0/24" })), required: requiredFor(azure) }, "room for 1 nodes at one /24 each, but the pools reach 7 nodes");
    await expectRefused({ xr: withSpec(azure, (s) => (s.networking = { serviceCidr: "172.20.0.5/16" })), required: requiredFor(azure) }, "not the network address");
    await expectRefused({ xr: withSpec(aws, (s) => (s.networking = { serviceCidr: "100.64.0.0/16" })), required: requiredFor(aws) }, "inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16");
  });

  it("counts AKS nodes with upgrade surge and the largest pool's rotation copy (worked example)", () => {
    // AKS's default max surge, the larger of Microsoft's two statements: 1 node or 10% rounded up.
    expect([aksSurge(1), aksSurge(10), aksSurge(11), aksSurge(20), aksSurge(60)]).toEqual([1, 1, 2, 2, 6]);
    // Broxiva on AKS: 4 + 20 + 15 + 5 = 44 at maxNodes, surges 1 + 2 + 2 + 1 = 6, and the application
    // pool's temporary copy (20) while it rotates: 70 nodes, 70 addresses of the node subnet (251 in a /24).
    expect(aksNodes(broxivaAzure.spec as any).total).toBe(70);
    // A spot pool never rotates (no temporaryNameForRotation), so it is never the copy counted.
    const spot = withSpec(broxivaAzure, (s) => s.nodePools.push({ name: "batch", instanceType: "Standard_D4s_v5", minNodes: 0, maxNodes: 30, capacity: "spot" }));
    expect(aksNodes(spot.spec as any).total).toBe(70 + 30 + 3);
  });

  it("refuses AKS pools the node subnet cannot hold with surge and rotation (the reviewer's aks-small reproduction), and counts them in podCidr", async () => {
    // The minimal cluster on a /27 node subnet (27 usable): maxNodes 60 reaches 60 + 6 + 60 = 126 nodes.
    const small = withSpec(azure, (s) => (s.nodePools[0].maxNodes = 60));
    const required = requiredFor(small).map((o) =>
      o.kind === "Network" && o.metadata?.name === "minimal-azure" ? { ...o, spec: { ...(o.spec as any), subnets: { ...(o.spec as any).subnets, private: [{ cidr: "10.30.10.0/27" }] } } } : o,
    );
    await expectRefused(
      { xr: small, required },
      "spec.nodePools[0].maxNodes: got 60 (pool system); the pools reach 126 nodes (60 at maxNodes + 6 upgrade surge + 60 while pool system rotates), one address each,",
      "but private subnet 10.30.10.0/27 has 27 (Azure reserves 5)", "InsufficientSubnetSize", "lower maxNodes", "widen the Network's private subnet",
    );
    // On the /24 (251 usable): 119 nodes reach 119 + 12 + 119 = 250 and fit; 120 reach 252 and do not.
    const fits = withSpec(azure, (s) => (s.nodePools[0].maxNodes = 119));
    expect((await render({ xr: fits, required: requiredFor(fits) })).fatal).toBeUndefined();
    const over = withSpec(azure, (s) => (s.nodePools[0].maxNodes = 120));
    await expectRefused({ xr: over, required: requiredFor(over) }, "spec.nodePools[0].maxNodes", "reach 252 nodes", "10.30.10.0/24 has 251");
    // podCidr takes the same count: Broxiva's 70 nodes need more than a /18 (64 /24s), where maxNodes alone (44) fit.
    await expectRefused(
      { xr: withSpec(broxivaAzure, (s) => (s.networking = { podCidr: "10.244.0.0/18" })), required: requiredFor(broxivaAzure) },
      "spec.networking.podCidr", "room for 64 nodes at one /24 each, but the pools reach 70 nodes (44 at maxNodes + 6 upgrade surge + 20 while pool application rotates)",
    );
    const wide = withSpec(broxivaAzure, (s) => (s.networking = { podCidr: "10.244.0.0/17" }));
    expect((await render({ xr: wide, required: requiredFor(wide) })).fatal).toBeUndefined();
  });

  it("refuses EKS pools whose pods cannot fit the private subnets (the seed at the VPC CNI's default density)", async () => {
    const dense = withSpec(broxiva, (s) => s.nodePools.forEach((p: any) => delete p.maxPods));
    await expectRefused({ xr: dense, required: requiredFor(dense) }, "spec.nodePools[1].maxNodes", "zone a needs 960 addresses of the 245 free in 10.0.11.0/24", "set maxPods");
  });

  it("refuses zones the Network or the region does not have", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.nodePools[0].zones = ["c"])), required: requiredFor(aws) }, "spec.nodePools[0].zones", "zone c");
    await expectRefused({ xr: withSpec(broxiva, (s) => (s.nodePools[1].zones = ["a", "b"])), required: requiredFor(broxiva) }, "one zone or all");
    await expectRefused({ xr: withSpec(aws, (s) => (s.nodePools[0].zones = ["1"])), required: requiredFor(aws) }, "not an AWS zone letter");
  });

  it("refuses instance types of the other cloud and reserved label prefixes", async () => {
    await expectRefused({ xr: withSpec(azure, (s) => (s.nodePools[0].instanceType = "m6i.large")), required: requiredFor(azure) }, "not an Azure VM size", "Standard_D4s_v5");
    await expectRefused({ xr: withSpec(aws, (s) => (s.nodePools[0].labels = { "node.kubernetes.io/role": "x" })), required: requiredFor(aws) }, "reserved by the clouds");
  });

  it("refuses a Network on another cloud or missing, and never drops the cluster or its pools", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.networkRef = { name: "minimal-azure" })), required: requiredFor(aws) }, "is on azure");
    const { observed } = await settled(aws);
    // The Network is gone (or unreadable) on a later pass: one fatal result, nothing in desired state, so nothing is deleted.
    const others = NETWORKS.filter((n) => n.metadata?.name !== "minimal");
    await expectRefused({ xr: aws, required: others, observed }, "Network \"minimal\" does not exist");
    // A bad spec on a running cluster: the same.
    await expectRefused({ xr: withSpec(aws, (s) => (s.nodePools[0].instanceType = "Standard_D2s_v5")), required: requiredFor(aws), observed }, "not an EC2 instance type");
  });
});

describe("K8sCluster tables", () => {
  it("gives each minor's support level by date", () => {
    expect(supportOn("aws", "1.34", "2026-12-02")).toBe("extended");
    expect(supportOn("aws", "1.35", "2026-12-02")).toBe("standard");
    expect(supportOn("aws", "1.35", "2027-04-01")).toBe("extended");
    expect(supportOn("azure", "1.35", "2027-04-01")).toBe("unsupported");
    expect(supportOn("azure", "1.37", "2026-12-02")).toBe("standard");
    // AKS: past community support, supported only under the long-term support plan.
    expect(supportOn("azure", "1.34", "2026-12-02", true)).toBe("extended");
    expect(supportOn("azure", "1.34", "2026-12-02", false)).toBe("unsupported");
    expect(supportOn("azure", "1.35", "2028-04-01", true)).toBe("unsupported");
    // EKS: the calendar's level either way (EKS upgrades a cluster without extended support itself).
    expect(supportOn("aws", "1.34", "2026-12-02", false)).toBe("extended");
    expect(supportOn("aws", "1.28", "2026-12-02")).toBe("unsupported");
  });

  it("puts cluster DNS on the tenth address of the service range", () => {
    expect(dnsServiceIp("172.20.0.0/16")).toBe("172.20.0.10");
    expect(dnsServiceIp("10.96.0.0/12")).toBe("10.96.0.10");
  });
});
