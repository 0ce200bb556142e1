/**
 * K8sCluster on AWS: an EKS cluster in the Network's private subnets (API auth by access entries,
 * Pod Identity for workloads, secrets envelope-encrypted with a customer key when given), and per
 * pool a launch template (IMDSv2 only, encrypted gp3) and a managed node group, staged:
 *   1. IAM roles, the log group (with its retention, before EKS creates one without), the cluster;
 *   2. cluster Ready: ClusterAuth (kubeconfig), access entries, add-ons vpc-cni (with its own Pod
 *      Identity role, a small address warm pool and NetworkPolicy enforcement), kube-proxy and the Pod
 *      Identity agent (DaemonSets, ACTIVE without nodes);
 *   3. vpc-cni and the Pod Identity agent Ready: launch templates (instance type, IMDSv2 with hop
 *      limit 1); each node group once its launch template is Ready;
 *   4. system pool Ready: coredns and the EBS CSI driver (Deployments, DEGRADED without nodes);
 *   5. the EBS CSI driver Ready: the encrypted default StorageClass (incluster.ts renderDefaultStorageClass).
 */
import type { K8sClusterSpec, NodePool } from "../../apis/k8s-cluster/schema.ts";
import { atProvider, str } from "../shared/observed.ts";
import { LABELS, managed, ofNetwork, own, RETAIN, type ResourceSelector } from "../shared/resources.ts";
import { tagsFor } from "../shared/tags.ts";
import { networkUsage } from "../shared/usage.ts";
import type { ForProvider, ObservedResource, Renderer } from "../shared/types.ts";
import type * as eks from "../crds/eks.aws.m.upbound.io.ts";
import type * as iam from "../crds/iam.aws.m.upbound.io.ts";
import type * as ec2 from "../crds/ec2.aws.m.upbound.io.ts";
import type * as cloudwatchlogs from "../crds/cloudwatchlogs.aws.m.upbound.io.ts";
import type * as helm from "../crds/helm.m.crossplane.io.ts";
import { apiAccessCidrs, initialNodes, minor, networkOf, nodePolicies, nodeVersion, poolStatus, renderVersion, seen, Stages, usage, versionStatus, warnings } from "./common.ts";
import { connectionSecret, connectionSecretName } from "./connection.ts";
import { adminKey, CLUSTER, CONNECTION_SECRET, eksName, launchTemplateKey, poolKey } from "./names.ts";
import { HELM, inCluster, keepCluster, renderDefaultStorageClass, renderInCluster, type InCluster } from "./incluster.ts";
import { ADDON_VERSION_FIELD, ADDONS, amiType, EKS_ADDON_VERSIONS, EKS_CLUSTER_POLICIES, EKS_NODE_POLICIES, EKS_PUBLIC_CIDRS, MINOR_TIED_ADDONS, TAINT_EFFECT_AWS, VPC_CNI_CONFIGURATION } from "./tables.ts";
import { SpecError } from "../shared/errors.ts";
import { EGRESS_FIELD, egressCidrs } from "../shared/platform.ts";

const EKS = "eks.aws.m.upbound.io/v1beta1";
const IAM = "iam.aws.m.upbound.io/v1beta1";
const EC2 = "ec2.aws.m.upbound.io/v1beta1";
const LOGS = "cloudwatchlogs.aws.m.upbound.io/v1beta1";

/** Where the cluster-autoscaler runs, and the service account its Pod Identity association names. */
const AUTOSCALER = { namespace: "kube-system", serviceAccount: "cluster-autoscaler" };
/** The Secret ClusterAuth writes the admin kubeconfig to (refreshed by the provider). */
const authSecretName = (xr: { name: string }) => `${xr.name}-eks-auth`;

/**
 * cluster-autoscaler's permissions on AWS (kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws
 * README, "Full Cluster Autoscaler Features Policy"), scaling limited to this cluster's groups.
 */
function autoscalerPolicy(cluster: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: [
          "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeLaunchConfigurations",
          "autoscaling:DescribeScalingActivities", "autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements", "eks:DescribeNodegroup",
        ],
        Resource: "*",
      },
      {
        Effect: "Allow",
        Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
        Resource: "*",
        Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${cluster}`]: "owned" } },
      },
    ],
  });
}

const trust = (service: string, tagSession = false) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: tagSession ? ["sts:AssumeRole", "sts:TagSession"] : "sts:AssumeRole" }],
  });

/**
 * AL2023 nodes read NodeConfig documents from user data; EKS appends its own for managed node groups
 * and nodeadm merges them (docs.aws.amazon.com/eks/latest/userguide/launch-templates.html, "Amazon
 * Linux 2023" user data). Only maxPods is set, and only when the pool asks for it.
 * That EKS's appended NodeConfig does not undo it is verified: nodeadm merges every NodeConfig with
 * mergo.WithOverride (awslabs/amazon-eks-ami nodeadm/internal/api/merge.go, NodeConfig.Merge, the
 * kubelet config merged key by key), and eksctl's end-to-end test creates a managed node group on the
 * native AL2023 AMI whose launch template carries a NodeConfig with maxPods: 123 and asserts 123
 * allocatable pods on its nodes (eksctl-io/eksctl PR #8078: integration/tests/crud/creategetdelete_test.go
 * with testdata/taints-max-pods.yaml), which lifted eksctl's earlier refusal of maxPodsPerNode on
 * AL2023 managed node groups (eksctl-io/eksctl#8037).
 */
function nodeConfigUserData(maxPods: number): string {
  const doc = [
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="TESSERA"',
    "",
    "--TESSERA",
    "Content-Type: application/node.eks.aws",
    "",
    "apiVersion: node.eks.aws/v1alpha1",
    "kind: NodeConfig",
    "spec:",
    "  kubelet:",
    "    config:",
    `      maxPods: ${maxPods}`,
    "",
    "--TESSERA--",
    "",
  ].join("\n");
  return Buffer.from(doc, "utf8").toString("base64");
}

/** An EKS add-on Tessera installs, by its EKS name. */
export type EksAddon = keyof typeof ADDON_VERSION_FIELD;

/** vX.Y.Z-eksbuild.N as numbers, to order builds; undefined for anything else. */
export function buildOf(v: string | undefined): number[] | undefined {
  const m = v ? /^v(\d+)\.(\d+)\.(\d+)-eksbuild\.(\d+)$/.exec(v) : null;
  return m ? m.slice(1).map(Number) : undefined;
}

export function newer(a: number[], b: number[]): boolean {
  const i = a.findIndex((x, j) => x !== b[j]);
  return i >= 0 && a[i]! > b[i]!;
}

/**
 * The addonVersion of one EKS add-on, and whether Tessera tracks it:
 * - the platform team's pin (spec.addonVersions), as given, except that a kube-proxy pin for a minor
 *   the control plane does not run yet waits for it (kube-proxy must not be newer than the API server,
 *   kubernetes.io/releases/version-skew-policy), as the table's builds do;
 * - else the table's build for `minor`, the control plane's minor as EKS reports it, so add-ons move
 *   only once the control-plane upgrade finished (AWS's order: control plane, then add-ons;
 *   docs.aws.amazon.com/eks/latest/userguide/update-cluster.html), unless the add-on already runs a
 *   newer build (EKS's default at creation, or an update made by hand), which is kept: never a
 *   downgrade;
 * - else none: EKS keeps the build the add-on runs, and the caller warns.
 */
export function addonVersion(name: EksAddon, pin: string | undefined, minorVersion: string, running: string | undefined): { version?: string | undefined; tracked: boolean } {
  if (pin && !(name === "kube-proxy" && (buildOf(pin)?.[1] ?? 0) > minor(minorVersion)!)) return { version: pin, tracked: true };
  const listed = EKS_ADDON_VERSIONS[name]?.[minorVersion];
  if (!listed) return { tracked: false };
  const have = buildOf(running);
  if (have && newer(have, buildOf(listed)!)) return { version: running, tracked: true };
  // kube-proxy's builds carry the Kubernetes minor, and EKS updates them one minor at a time
  // (docs.aws.amazon.com/eks/latest/userguide/add-ons-pod-id.html "Update information", the note
  // shared by the add-on pages): two minors behind, it goes through the minor between first.
  const step = name === "kube-proxy" && have ? EKS_ADDON_VERSIONS[name]?.[`1.${have[1]! + 1}`] : undefined;
  return { version: step && buildOf(listed)![1]! > have![1]! + 1 ? step : listed, tracked: true };
}

/** Subnets of a pool: all private subnets by tier, or the one zone's subnet by its key (a label selector cannot match a subset). */
function poolSubnets(net: string, p: NodePool, allZones: readonly string[]): ResourceSelector {
  const zones = p.zones ?? allZones;
  return zones.length === allZones.length ? ofNetwork(net, { tier: "private" }) : ofNetwork(net, { resource: `subnet-private-${zones[0]}` });
}

/** Where a pool's subnet selector puts its nodes: one zone's letter, or "all" for every private subnet. */
function zoneOf(selector: unknown): string {
  const resource = (selector as ResourceSelector | undefined)?.matchLabels?.[LABELS.resource];
  return resource?.startsWith("subnet-private-") ? resource.slice("subnet-private-".length) : "all";
}

/**
 * A live node group's AMI type, capacity type and subnets cannot change: EKS has no update for them and
 * the provider replaces the group (terraform-provider-aws internal/service/eks/node_group.go: ami_type,
 * capacity_type and subnet_ids are ForceNew; hashicorp/terraform-provider-aws#22499), which under the
 * pool's fixed name is an outage of the pool or a "NodeGroup already exists" failure
 * (terraform-aws-modules/terraform-aws-eks#1415). The XRD refuses such edits with CEL (oldSelf); this is
 * the same rule where no API server judges the edit (offline render, a relaxed XRD), read from the
 * node group as last composed. The instance type may change within its AMI type: it is in the launch
 * template, whose new version rolls the nodes in place.
 */
export function refuseNodeGroupReplacement(spec: K8sClusterSpec, observed: Record<string, ObservedResource>, net: string, allZones: readonly string[]): void {
  spec.nodePools.forEach((p, i) => {
    const o = observed[poolKey(p.name)];
    if (!o) return;
    const f = `spec.nodePools[${i}]`;
    const fix = `or add a pool under a new name with the new value, move the workloads to it, then remove pool ${p.name}`;
    const capacity = seen(o, "capacityType");
    if (typeof capacity === "string" && capacity !== (p.capacity === "spot" ? "SPOT" : "ON_DEMAND")) {
      const was = capacity === "SPOT" ? "spot" : "onDemand";
      throw SpecError.field(`${f}.capacity`, `got ${p.capacity}, but node pool ${p.name} runs ${was} nodes, and EKS cannot change a node group's capacity type (it would replace the group and its nodes at once)`, `set capacity back to ${was}, ${fix}`);
    }
    const ami = seen(o, "amiType");
    if (typeof ami === "string" && ami !== amiType(p.instanceType)) {
      throw SpecError.field(
        `${f}.instanceType`,
        `got ${p.instanceType}, which needs the ${amiType(p.instanceType)} AMI, but node pool ${p.name} runs ${ami}, and EKS cannot change a node group's AMI type (it would replace the group and its nodes at once)`,
        `pick an instance type of the same architecture and GPU kind, ${fix}`,
      );
    }
    const selector = seen(o, "subnetIdSelector");
    if (selector !== undefined && zoneOf(selector) !== zoneOf(poolSubnets(net, p, allZones))) {
      const was = zoneOf(selector) === "all" ? "all of the Network's zones" : `zone ${zoneOf(selector)}`;
      throw SpecError.field(`${f}.zones`, `got ${p.zones ? p.zones.join(", ") : "all zones"}, but node pool ${p.name} runs in ${was}, and EKS cannot move a node group to other subnets (it would replace the group and its nodes at once)`, `set zones back, ${fix}`);
    }
  });
}

export const renderAws: Renderer<K8sClusterSpec> = (ctx) => {
  const { xr, spec, observed } = ctx;
  const egress = egressCidrs(ctx);
  const region = spec.region;
  const network = networkOf(ctx);
  const net = network.name;
  const tags = tagsFor("K8sCluster", xr, spec.tags);
  const name = eksName(xr);
  const s = new Stages(observed);
  const cluster = atProvider(observed[CLUSTER]);
  const { version, warning } = renderVersion(spec, str(cluster["version"]));
  const allZones = network.private.map((x) => x.zone ?? "");
  refuseNodeGroupReplacement(spec, observed, net, allZones);

  // 1. Identities, logs, the cluster.
  s.add("cluster-role", managed<iam.Role>(IAM, "Role", "cluster-role", { assumeRolePolicy: trust("eks.amazonaws.com", true), description: `EKS control plane of ${xr.namespace}/${xr.name}`, tags }));
  for (const policy of EKS_CLUSTER_POLICIES) {
    const key = `cluster-role-${policy}`.toLowerCase();
    s.add(key, managed<iam.RolePolicyAttachment>(IAM, "RolePolicyAttachment", key, { policyArn: `arn:aws:iam::aws:policy/${policy}`, roleSelector: own("cluster-role") }));
  }
  s.add("node-role", managed<iam.Role>(IAM, "Role", "node-role", { assumeRolePolicy: trust("ec2.amazonaws.com"), description: `EKS nodes of ${xr.namespace}/${xr.name}`, tags }));
  for (const policy of EKS_NODE_POLICIES) {
    const key = `node-role-${policy}`.toLowerCase().replace(/_/g, "-");
    s.add(key, managed<iam.RolePolicyAttachment>(IAM, "RolePolicyAttachment", key, { policyArn: `arn:aws:iam::aws:policy/${policy}`, roleSelector: own("node-role") }));
  }
  const logs = spec.monitoring.controlPlaneLogs;
  if (logs.length) {
    // EKS creates /aws/eks/<name>/cluster without a retention on first log; created first, it keeps ours.
    s.add("log-group", managed<cloudwatchlogs.Group>(LOGS, "Group", "log-group", { region, retentionInDays: spec.monitoring.logRetentionDays, kmsKeyId: undefined, tags }, {
      annotations: { "crossplane.io/external-name": `/aws/eks/${name}/cluster` },
    }));
  }
  // allowedCidrs and Crossplane's egress (common.ts apiAccessCidrs). EKS takes at most 40 public
  // access CIDRs per cluster (docs.aws.amazon.com/eks/latest/userguide/service-quotas.html, "Public
  // endpoint access CIDR ranges per cluster"), which the XRD caps allowedCidrs at alone.
  const publicCidrs = apiAccessCidrs(spec, egress);
  if (publicCidrs && publicCidrs.length > EKS_PUBLIC_CIDRS) {
    throw SpecError.field("spec.apiAccess.allowedCidrs", `got ${spec.apiAccess.allowedCidrs.length} CIDRs, which with Crossplane's ${egress.length} egress CIDRs (${EGRESS_FIELD}) make ${publicCidrs.length}, more than the ${EKS_PUBLIC_CIDRS} EKS takes`, `list at most ${EKS_PUBLIC_CIDRS - (publicCidrs.length - spec.apiAccess.allowedCidrs.length)} (merge neighbouring ranges)`);
  }
  s.add(CLUSTER, managed<eks.Cluster>(EKS, "Cluster", CLUSTER, {
    region,
    version,
    roleArnSelector: own("cluster-role"),
    vpcConfig: {
      subnetIdSelector: ofNetwork(net, { tier: "private" }),
      // The Network's application-tier group, so nodes (which get the cluster's groups through their
      // launch template) can reach the database and cache tiers, which admit only that group.
      securityGroupIdSelector: ofNetwork(net, { resource: "security-group-app" }),
      endpointPrivateAccess: true,
      endpointPublicAccess: spec.apiAccess.public,
      publicAccessCidrs: publicCidrs,
    },
    accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
    // Add-ons are Tessera's (below), so EKS does not install unmanaged copies it would conflict with.
    bootstrapSelfManagedAddons: false,
    upgradePolicy: { supportType: spec.extendedSupport ? "EXTENDED" : "STANDARD" },
    kubernetesNetworkConfig: { ipFamily: "ipv4", serviceIpv4Cidr: spec.networking.serviceCidr },
    enabledClusterLogTypes: logs.length ? [...logs] : undefined,
    encryptionConfig: spec.encryption.keyId ? { provider: { keyArn: spec.encryption.keyId }, resources: ["secrets"] } : undefined,
    deletionProtection: spec.deletionProtection,
    tags,
  }, {
    annotations: { "crossplane.io/external-name": name },
    managementPolicies: spec.deletionProtection ? RETAIN : undefined,
  }));
  s.add("usage-network", networkUsage("usage-network", {
    network: net,
    tier: "private",
    by: { apiVersion: EKS, kind: "Cluster", key: CLUSTER },
    reason: `EKS cluster ${name} (${xr.namespace}/${xr.name}) runs in this network's private subnets`,
  }));

  // 2. Once the cluster is Ready.
  const clusterReady = s.ready(CLUSTER);
  s.gate("cluster-auth", clusterReady, () =>
    managed<eks.ClusterAuth>(EKS, "ClusterAuth", "cluster-auth", { region, clusterNameSelector: own(CLUSTER), refreshPeriod: "10m0s" }, { connectionSecret: authSecretName(xr) }),
  );
  // Add-on builds follow the minor the control plane runs (spec.version's until the cluster is observed).
  const controlPlane = `1.${minor(str(cluster["version"]) ?? version)}`;
  const untracked: EksAddon[] = [];
  const addons: Record<string, EksAddon> = {};
  const addon = (key: string, addonName: EksAddon, extra: Pick<ForProvider<eks.Addon>, "podIdentityAssociation" | "configurationValues"> = {}) => {
    addons[key] = addonName;
    const pinned = addonVersion(addonName, spec.addonVersions?.[ADDON_VERSION_FIELD[addonName]], controlPlane, str(atProvider(observed[key])["addonVersion"]));
    // Only add-ons tied to the Kubernetes minor are worth a warning when they keep their build.
    if (!pinned.tracked && MINOR_TIED_ADDONS.has(addonName)) untracked.push(addonName);
    return managed<eks.Addon>(EKS, "Addon", key, {
      region,
      addonName,
      // An explicit build does not loop: the provider reads addon_version back from DescribeAddon (the
      // same vX.Y.Z-eksbuild.N string) and calls UpdateAddon only when the version, configuration,
      // role or Pod Identity associations differ; resolveConflictsOnUpdate is sent only along with
      // such a change (terraform-provider-aws internal/service/eks/addon.go, resourceAddonRead and
      // resourceAddonUpdate). Unset, the provider late-initialises it to the running build
      // (provider-upjet-aws config/namespaced/eks/config.go sets no exception for aws_eks_addon).
      addonVersion: pinned.version,
      clusterNameSelector: own(CLUSTER),
      // A copy EKS or a user installed before is taken over, not left to conflict.
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      ...extra,
      tags,
    });
  };
  // The VPC CNI's own role, taken through a Pod Identity association instead of the node role, so
  // pods (which cannot reach the node role's credentials at hop limit 1 anyway) and the node carry no
  // ENI permissions. vpc-cni supports Pod Identity from v1.15.5-eksbuild.1 (EKS user guide add-ons-iam,
  // "Pod Identity Support Reference"); an add-on created with an association gets it at creation
  // (same page), so aws-node's first pod already has it; and the node role needs the CNI policy only
  // "if you don't use IRSA or EKS Pod Identity to give permissions to the VPC CNI pods" (EKS user
  // guide create-node-role). AWS's docs name no ordering problem. The chicken-and-egg users raise
  // (aws-node needs the agent's credentials before the node's pod network exists) is answered by
  // the agent itself: it runs with hostNetwork and tolerates every taint (aws/eks-pod-identity-agent
  // chart: daemonset.yaml hostNetwork: true, values.yaml tolerations operator Exists), so it starts
  // on a NotReady node without any CNI. Without an agent at all aws-node crash-loops
  // (aws/amazon-vpc-cni-k8s#3840), so Tessera starts nodes only once both add-ons are Ready; on a new
  // node aws-node may restart until the agent beside it answers. eksctl creates vpc-cni with a Pod
  // Identity association before its node groups the same way (eksctl-io/eksctl#7925).
  s.add("vpc-cni-role", managed<iam.Role>(IAM, "Role", "vpc-cni-role", { assumeRolePolicy: trust("pods.eks.amazonaws.com", true), description: `VPC CNI (aws-node) of ${xr.namespace}/${xr.name} (Pod Identity)`, tags }));
  s.add("vpc-cni-role-policy", managed<iam.RolePolicyAttachment>(IAM, "RolePolicyAttachment", "vpc-cni-role-policy", { policyArn: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy", roleSelector: own("vpc-cni-role") }));
  const cniRole = str(atProvider(observed["vpc-cni-role"])["arn"]) ?? (seen(observed["addon-vpc-cni"], "podIdentityAssociation", 0, "roleArn") as string | undefined);
  s.gate("addon-vpc-cni", clusterReady && cniRole !== undefined && s.ready("vpc-cni-role-policy"), () =>
    addon("addon-vpc-cni", ADDONS.beforeNodes["addon-vpc-cni"], {
      // A string compared as such with what DescribeAddon returns (terraform-provider-aws
      // internal/service/eks/addon.go): one fixed JSON text, so it never loops.
      configurationValues: VPC_CNI_CONFIGURATION,
      podIdentityAssociation: [{ roleArn: cniRole, serviceAccount: "aws-node" }],
    }),
  );
  for (const key of ["addon-kube-proxy", "addon-pod-identity"] as const) s.gate(key, clusterReady, () => addon(key, ADDONS.beforeNodes[key]));
  for (const principal of spec.admins) {
    const key = adminKey(principal);
    s.gate(key, clusterReady, () => managed<eks.AccessEntry>(EKS, "AccessEntry", key, { region, clusterNameSelector: own(CLUSTER), principalArn: principal, type: "STANDARD", tags }));
    s.gate(`${key}-policy`, s.ready(key), () =>
      managed<eks.AccessPolicyAssociation>(EKS, "AccessPolicyAssociation", `${key}-policy`, {
        region,
        clusterNameSelector: own(CLUSTER),
        principalArn: principal,
        policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        accessScope: { type: "cluster" },
      }),
    );
  }

  // 3. Node pools, once pod networking (vpc-cni) and the Pod Identity agent it takes credentials from are Ready.
  const vpc = cluster["vpcConfig"] as { clusterSecurityGroupId?: string; securityGroupIds?: string[] } | undefined;
  const nodeGroupPolicies = nodePolicies(spec.deletionProtection);
  for (const p of spec.nodePools) {
    const ltKey = launchTemplateKey(p.name);
    const groups = vpc?.clusterSecurityGroupId ? [vpc.clusterSecurityGroupId, ...(vpc.securityGroupIds ?? [])] : (seen(observed[ltKey], "vpcSecurityGroupIds") as string[] | undefined);
    s.gate(ltKey, s.ready("addon-vpc-cni") && s.ready("addon-pod-identity") && groups !== undefined, () =>
      managed<ec2.LaunchTemplate>(EC2, "LaunchTemplate", ltKey, {
        region,
        name: `${name}-${p.name}`,
        description: `Nodes of pool ${p.name} of ${xr.namespace}/${xr.name}`,
        updateDefaultVersion: true,
        // The instance type lives here, not in the node group's instanceTypes (which EKS then requires
        // empty: docs.aws.amazon.com/eks/latest/userguide/launch-templates.html, "specify zero or one
        // Instance type ... If you specify an instance type in a launch template ... you can't specify
        // any instance types" in the API). A new launch-template version rolls the group's nodes in
        // place (UpdateNodegroupVersion), where a change of instanceTypes forces a new node group
        // (terraform-provider-aws node_group.go: instance_types ForceNew; hashicorp/terraform-provider-aws#22499),
        // which under its fixed name fails with "NodeGroup already exists"
        // (terraform-aws-modules/terraform-aws-eks#1415). EKS's own answer: aws/containers-roadmap#746.
        // Spot pools take one type this way; AWS prefers several per Spot group
        // (managed-node-groups.html), which Tessera offers as several pools.
        instanceType: p.instanceType,
        // The cluster's own group (control plane <-> nodes) and the Network's application-tier group.
        vpcSecurityGroupIds: groups,
        // IMDSv2 only, hop limit 1: pods (one network hop further) cannot read instance metadata or the
        // node role's credentials (EKS user guide al2023.html: managed node groups default to 1).
        // Nothing Tessera installs needs 2: add-ons get credentials through Pod Identity, and the pods
        // that read instance metadata run in the host network, one hop from IMDS: aws-node and
        // kube-proxy (EKS user guide, "Host networking"), the Pod Identity agent (its chart's
        // daemonset.yaml), and Container Insights' CloudWatch agent and Fluent Bit
        // (aws-observability/helm-charts charts/amazon-cloudwatch-observability: the agent's
        // AmazonCloudWatchAgent has hostNetwork: true since chart 2.0.1, PR #82, and
        // fluent-bit-daemonset.yaml has it; a cloudwatchObservability pin older than 3.1.0, the first
        // with Pod Identity, is refused). The EBS CSI node plugin (pod network) falls back to the
        // Kubernetes API for its metadata (kubernetes-sigs/aws-ebs-csi-driver docs/install.md,
        // "Metadata"), which costs it the node's ENI count: see the aws-ebs-csi-driver add-on below.
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: p.diskSizeGB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } }],
        userData: p.maxPods ? nodeConfigUserData(p.maxPods) : undefined,
        tagSpecifications: [
          { resourceType: "instance", tags: { ...tags, Name: `${name}-${p.name}` } },
          { resourceType: "volume", tags },
        ],
        tags,
      }),
    );
    const lt = atProvider(observed[ltKey]);
    const ltId = str(lt["id"]) ?? (seen(observed[poolKey(p.name)], "launchTemplate", "id") as string | undefined);
    const ltVersion = lt["latestVersion"] !== undefined ? String(lt["latestVersion"]) : (seen(observed[poolKey(p.name)], "launchTemplate", "version") as string | undefined);
    s.gate(poolKey(p.name), s.ready(ltKey) && ltId !== undefined && ltVersion !== undefined, () =>
      managed<eks.NodeGroup>(EKS, "NodeGroup", poolKey(p.name), {
        region,
        clusterNameSelector: own(CLUSTER),
        nodeRoleArnSelector: own("node-role"),
        subnetIdSelector: poolSubnets(net, p, allZones),
        // Node groups do not follow the control plane by themselves (provider-upjet-aws#14): they get
        // its minor once the control plane runs it.
        version: nodeVersion(version, str(cluster["version"])),
        // AMI type, capacity type and subnets cannot change on a node group (refuseNodeGroupReplacement).
        amiType: amiType(p.instanceType),
        capacityType: p.capacity === "spot" ? "SPOT" : "ON_DEMAND",
        launchTemplate: { id: ltId, version: ltVersion },
        scalingConfig: { minSize: p.minNodes, maxSize: p.maxNodes },
        labels: Object.keys(p.labels).length ? p.labels : undefined,
        taint: p.taints.length ? p.taints.map((t): NonNullable<ForProvider<eks.NodeGroup>["taint"]>[number] => ({ key: t.key, value: t.value, effect: TAINT_EFFECT_AWS[t.effect] })) : undefined,
        updateConfig: { maxUnavailable: 1 },
        // EKS tags the group's Auto Scaling group for cluster-autoscaler discovery itself.
        tags,
      }, {
        annotations: { "crossplane.io/external-name": p.name },
        initProvider: { scalingConfig: { desiredSize: initialNodes(p) } },
        managementPolicies: nodeGroupPolicies,
      }),
    );
    if (s.resources[poolKey(p.name)]) {
      s.add(`usage-${poolKey(p.name)}`, usage<eks.Cluster, eks.NodeGroup>(`usage-${poolKey(p.name)}`, { apiVersion: EKS, kind: "Cluster", key: CLUSTER }, { apiVersion: EKS, kind: "NodeGroup", key: poolKey(p.name) }, `node pool ${p.name} runs in this cluster`));
    }
  }

  // 4. Once the system pool is Ready: add-ons that need nodes, with their Pod Identity roles.
  const system = spec.nodePools.find((p) => p.mode === "system")!;
  const systemReady = s.ready(poolKey(system.name));
  s.add("ebs-csi-role", managed<iam.Role>(IAM, "Role", "ebs-csi-role", { assumeRolePolicy: trust("pods.eks.amazonaws.com", true), description: `EBS CSI driver of ${xr.namespace}/${xr.name} (Pod Identity)`, tags }));
  s.add("ebs-csi-role-policy", managed<iam.RolePolicyAttachment>(IAM, "RolePolicyAttachment", "ebs-csi-role-policy", { policyArn: "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy", roleSelector: own("ebs-csi-role") }));
  const ebsRole = str(atProvider(observed["ebs-csi-role"])["arn"]) ?? (seen(observed["addon-ebs-csi"], "podIdentityAssociation", 0, "roleArn") as string | undefined);
  s.gate("addon-coredns", systemReady, () => addon("addon-coredns", ADDONS.afterSystemPool["addon-coredns"]));
  // The node plugin (ebs-csi-node) stays in the pod network. With hop limit 1 it cannot reach IMDS
  // and takes its metadata from the Kubernetes API, which "will assume one ENI and one EBS volume (the
  // root volume) is attached" (kubernetes-sigs/aws-ebs-csi-driver docs/install.md, "Kubernetes
  // Metadata"); on Nitro types ENIs and volumes share one attachment limit, so a node whose VPC CNI
  // attached more ENIs reports that many attachable volumes too many, and a pod placed into a slot
  // that is not there waits on a failing attach. The chart's fix is node.hostNetwork (since chart
  // 2.24.0, aws-ebs-csi-driver PR #1716; it would also save the pod's address), but the EKS add-on
  // accepts only the keys of its own configuration schema (DescribeAddonConfiguration;
  // additionalProperties false, as aws/containers-roadmap#2785 quotes for another CSI add-on), and no
  // published schema of aws-ebs-csi-driver shows node.hostNetwork. A key EKS does not take fails
  // CreateAddon, and with it the driver and the default StorageClass, so it is not sent. (Raising
  // the hop limit instead would hand the node role to every pod.) The README says so; verify with
  // `aws eks describe-addon-configuration --addon-name aws-ebs-csi-driver --addon-version <build>`.
  s.gate("addon-ebs-csi", systemReady && ebsRole !== undefined, () =>
    addon("addon-ebs-csi", ADDONS.afterSystemPool["addon-ebs-csi"], { podIdentityAssociation: [{ roleArn: ebsRole, serviceAccount: "ebs-csi-controller-sa" }] }),
  );

  if (spec.monitoring.containerInsights) {
    // The CloudWatch agent and Fluent Bit as an EKS add-on, writing with a Pod Identity role.
    s.add("insights-role", managed<iam.Role>(IAM, "Role", "insights-role", { assumeRolePolicy: trust("pods.eks.amazonaws.com", true), description: `Container Insights of ${xr.namespace}/${xr.name} (Pod Identity)`, tags }));
    s.add("insights-role-policy", managed<iam.RolePolicyAttachment>(IAM, "RolePolicyAttachment", "insights-role-policy", { policyArn: "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy", roleSelector: own("insights-role") }));
    const insightsRole = str(atProvider(observed["insights-role"])["arn"]) ?? (seen(observed["addon-insights"], "podIdentityAssociation", 0, "roleArn") as string | undefined);
    s.gate("addon-insights", systemReady && insightsRole !== undefined, () =>
      addon("addon-insights", "amazon-cloudwatch-observability", { podIdentityAssociation: [{ roleArn: insightsRole, serviceAccount: "cloudwatch-agent" }] }),
    );
  }

  // In the cluster: ProviderConfigs, namespaces, and the cluster-autoscaler with its Pod Identity role.
  const ic: InCluster = { kubeconfig: { name: authSecretName(xr), key: "kubeconfig" }, cluster: { apiVersion: EKS, kind: "Cluster" }, ready: systemReady && s.exists("cluster-auth") };
  renderInCluster(s, xr, spec, ic);
  // EKS creates no default StorageClass any more (tables.ts DEFAULT_STORAGE_CLASS): an encrypted gp3 one, once its driver runs.
  renderDefaultStorageClass(s, xr, spec, ic, s.ready("addon-ebs-csi"));
  s.add("autoscaler-role", managed<iam.Role>(IAM, "Role", "autoscaler-role", { assumeRolePolicy: trust("pods.eks.amazonaws.com", true), description: `cluster-autoscaler of ${xr.namespace}/${xr.name} (Pod Identity)`, tags }));
  s.add("autoscaler-role-policy", managed<iam.RolePolicy>(IAM, "RolePolicy", "autoscaler-role-policy", { policy: autoscalerPolicy(name), roleSelector: own("autoscaler-role") }));
  s.gate("autoscaler-pod-identity", clusterReady, () =>
    managed<eks.PodIdentityAssociation>(EKS, "PodIdentityAssociation", "autoscaler-pod-identity", {
      region,
      clusterNameSelector: own(CLUSTER),
      namespace: AUTOSCALER.namespace,
      serviceAccount: AUTOSCALER.serviceAccount,
      roleArnSelector: own("autoscaler-role"),
      tags,
    }),
  );
  const a = spec.autoscaler;
  s.gate("autoscaler", ic.ready && s.ready("helm-provider-config") && s.ready("autoscaler-pod-identity"), () =>
    inCluster<helm.Release>(HELM, "Release", "autoscaler", xr, {
      chart: { name: "cluster-autoscaler", repository: a.chart.repository, version: a.chart.version },
      namespace: AUTOSCALER.namespace,
      values: {
        cloudProvider: "aws",
        awsRegion: region,
        // Node groups are found by the tags EKS puts on their Auto Scaling groups.
        autoDiscovery: { clusterName: name },
        // The autoscaler's minor follows the cluster's, as its maintainers require.
        image: { tag: `v${version}.0` },
        rbac: { serviceAccount: { create: true, name: AUTOSCALER.serviceAccount } },
        extraArgs: {
          "scale-down-delay-after-add": a.scaleDownDelayAfterAdd,
          "scale-down-unneeded-time": a.scaleDownUnneeded,
          "scale-down-utilization-threshold": a.scaleDownUtilizationThreshold,
          "skip-nodes-with-local-storage": String(a.skipNodesWithLocalStorage),
          "skip-nodes-with-system-pods": String(a.skipNodesWithSystemPods),
          expander: a.expander,
          "balance-similar-node-groups": "true",
        },
        // Runs on the system pool, whose CriticalAddonsOnly taint it tolerates.
        tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
        priorityClassName: "system-cluster-critical",
      },
    }, spec.deletionProtection),
  );
  keepCluster<helm.Release>(s, "autoscaler", ic, HELM, "Release", "cluster-autoscaler runs in this cluster");

  // Connection Secret and status.
  const auth = observed["cluster-auth"]?.connectionDetails ?? {};
  const endpoint = str(cluster["endpoint"]);
  const ca = (cluster["certificateAuthority"] as Array<{ data?: string }> | undefined)?.[0]?.data;
  const conn = connectionSecret(ctx, { kubeconfig: auth["kubeconfig"], endpoint, caBase64: ca, clusterName: name });
  if (conn) s.add(CONNECTION_SECRET, conn);
  else s.pending.push(CONNECTION_SECRET);
  const oidc = (cluster["identity"] as Array<{ oidc?: Array<{ issuer?: string }> }> | undefined)?.[0]?.oidc?.[0]?.issuer;

  return {
    resources: s.resources,
    pending: s.pending,
    // A pool taken out of spec.nodePools is deliberately removed (orphaned while deletionProtection is on).
    released: Object.keys(observed).filter((k) => k.startsWith("nodepool-") && !s.resources[k]),
    status: {
      clusterName: name,
      clusterId: str(cluster["arn"]),
      endpoint,
      ...versionStatus("aws", spec, str(cluster["version"])),
      oidcIssuerUrl: oidc,
      nodePools: poolStatus(spec, observed),
      addons: Object.entries(addons).map(([key, name]) => ({ name, version: str(atProvider(observed[key])["addonVersion"]) })),
      warnings: joinWarnings(warnings(spec, warning, egress), addonWarnings(untracked, controlPlane, str(cluster["version"]), str(atProvider(observed["addon-kube-proxy"])["addonVersion"]), spec.addonVersions?.kubeProxy)),
      connectionSecretName: conn ? connectionSecretName(ctx) : undefined,
    },
  };
};

/**
 * Warnings about EKS add-ons: those tied to the Kubernetes minor (MINOR_TIED_ADDONS) that Tessera lists
 * no build of for the control plane's minor (they keep the build they run; the caller filters), and a
 * kube-proxy whose minor differs from the control plane's (kube-proxy must
 * not be newer than the API server, and lags it only until its update; kubernetes.io/releases/version-skew-policy).
 */
export function addonWarnings(untracked: readonly EksAddon[], controlPlane: string, observedVersion: string | undefined, kubeProxy: string | undefined, kubeProxyPin: string | undefined): string[] {
  const out: string[] = [];
  if (untracked.length) {
    const many = untracked.length > 1;
    out.push(
      `EKS add-on${many ? "s" : ""} ${untracked.join(", ")} keep${many ? "" : "s"} the build ${many ? "they run" : "it runs"} (at creation, EKS's default): Tessera lists none for Kubernetes ${controlPlane}; ` +
        `pin ${many ? "them" : "it"} in spec.addonVersions (${untracked.map((a) => ADDON_VERSION_FIELD[a]).join(", ")}) with builds from aws eks describe-addon-versions --kubernetes-version ${controlPlane}`,
    );
  }
  const proxy = buildOf(kubeProxy);
  const plane = minor(observedVersion);
  if (proxy && plane !== undefined && proxy[1] !== plane) {
    // Behind and headed for the control plane's minor (its pin's, or Tessera's build): an update under way.
    const headed = kubeProxyPin ? buildOf(kubeProxyPin)?.[1] : untracked.includes("kube-proxy") ? undefined : plane;
    const moving = headed === plane && proxy[1]! < plane;
    out.push(
      `kube-proxy runs ${kubeProxy} (Kubernetes 1.${proxy[1]}) but the control plane runs 1.${plane}; ` +
        (moving
          ? `EKS is moving it to a 1.${plane} build after the control-plane upgrade; if this stays, read the kube-proxy Addon's events`
          : `set spec.addonVersions.kubeProxy to a 1.${plane} build (aws eks describe-addon-versions --addon-name kube-proxy --kubernetes-version 1.${plane})`),
    );
  }
  return out;
}

function joinWarnings(a: string[] | undefined, b: string[]): string[] | undefined {
  const all = [...(a ?? []), ...b];
  return all.length ? all : undefined;
}
