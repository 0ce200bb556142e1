/** Abstract K8sCluster terms mapped per cloud, as data: versions and their support, instance types, GPUs, pod density. */
import type { Provider } from "../../apis/shared/common.ts";

export type Support = "standard" | "extended" | "unsupported";

/**
 * End of each minor's support windows per cloud (ISO dates, last day covered), as published in
 * December 2026 (research/next-apis.md §1.2):
 * - EKS: docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html (standard 14 months, then
 *   12 months of paid extended support); 1.34 left standard support on 2026-12-02.
 * - AKS: MicrosoftDocs/azure-aks-docs articles/aks/supported-kubernetes-versions.md (2026-08): N-2
 *   community support until "End of life" (a month means its last day); "platform support" afterwards
 *   allows no new clusters, so Tessera counts it as unsupported. The extended window is the LTS table's
 *   "LTS End of life" (a year past community support), which only clusters on the long-term support
 *   plan get (articles/aks/long-term-support.md): see EXTENDED_NEEDS_OPT_IN.
 * A minor missing for a cloud is not offered there.
 */
export const VERSION_SUPPORT: Record<Provider, Record<string, { standardUntil: string; extendedUntil?: string }>> = {
  aws: {
    "1.34": { standardUntil: "2026-12-01", extendedUntil: "2027-12-02" },
    "1.35": { standardUntil: "2027-03-27", extendedUntil: "2028-03-27" },
    "1.36": { standardUntil: "2027-08-02", extendedUntil: "2028-08-02" },
  },
  azure: {
    "1.34": { standardUntil: "2026-11-30", extendedUntil: "2027-11-30" },
    "1.35": { standardUntil: "2027-03-31", extendedUntil: "2028-03-31" },
    "1.36": { standardUntil: "2027-06-30", extendedUntil: "2028-06-30" },
    "1.37": { standardUntil: "2027-10-31", extendedUntil: "2028-10-31" },
  },
};

/**
 * Whether a cluster gets a minor's extended window only with spec.extendedSupport. AKS: yes, long-term
 * support exists only under the AKSLongTermSupport plan; without it a minor past community support is
 * in platform support (unsupported). EKS: status keeps showing the calendar's level either way (with
 * extendedSupport off EKS upgrades the cluster when standard support ends, and status.warnings asks
 * for the matching spec.version).
 */
export const EXTENDED_NEEDS_OPT_IN: Record<Provider, boolean> = { aws: false, azure: true };

/** The support level of `version` on `provider` on `day` (YYYY-MM-DD), for a cluster with or without extendedSupport. */
export function supportOn(provider: Provider, version: string, day: string, extendedSupport = false): Support {
  const v = VERSION_SUPPORT[provider][version];
  if (!v) return "unsupported";
  if (day <= v.standardUntil) return "standard";
  if (v.extendedUntil && day <= v.extendedUntil && (extendedSupport || !EXTENDED_NEEDS_OPT_IN[provider])) return "extended";
  return "unsupported";
}

/**
 * AKS tier and support plan by spec.extendedSupport. Long-term support needs the Premium tier and the
 * AKSLongTermSupport plan; turning it off is the Standard tier (Tessera never offers Free: no uptime
 * SLA) with KubernetesOfficial (articles/aks/long-term-support.md, "Enable"/"Disable long-term
 * support"). Premium adds nothing over Standard but LTS (articles/aks/free-standard-pricing-tiers.md),
 * so the tier follows the plan rather than being a second field. Both are updated in place:
 * azurerm's sku_tier and support_plan have no ForceNew and are sent in the cluster's update
 * (internal/services/containers/kubernetes_cluster_resource.go), and both have provider defaults, not
 * computed values, so neither late-initialises.
 */
export const AKS_SUPPORT_PLAN = {
  standard: { skuTier: "Standard", supportPlan: "KubernetesOfficial" },
  extended: { skuTier: "Premium", supportPlan: "AKSLongTermSupport" },
} as const;

/**
 * Container Insights with managed-identity auth (omsAgent.msiAuthForMonitoringEnabled) collects what
 * a data collection rule associated with the cluster says; `az aks enable-addons -a monitoring`
 * creates the rule and association client-side, so an ARM/Terraform/Crossplane deployment composes
 * them itself (azure-monitor-docs containers/kubernetes-monitoring-enable-terraform.md: "Copy the DCR
 * and DCRA resources"; microsoft/Docker-Provider scripts/onboarding/aks/onboarding-msi-terraform;
 * Azure/terraform-azurerm-avm-res-containerservice-managedcluster#22, Azure/terraform-azurerm-aks#623).
 * The shape is the CLI's (azure-cli acs/addonconfiguration.py ensure_container_insights_for_monitoring):
 * a Linux rule named MSCI-<region>-<cluster> (at most 64 characters), the group stream that stands for
 * every Container Insights table (azure-monitor-docs containers/includes/data-collection-rule-streams.md)
 * both from the ContainerInsights extension and to the workspace, and the association named
 * ContainerInsightsExtension; the collection settings are Microsoft's Terraform template's defaults
 * (every minute, no namespace filter, ContainerLogV2). Logs keep the workspace's retention
 * (spec.monitoring.logRetentionDays).
 */
export const CONTAINER_INSIGHTS = {
  ruleKind: "Linux",
  ruleNamePrefix: "MSCI",
  ruleNameMax: 64,
  streams: ["Microsoft-ContainerInsights-Group-Default"],
  extensionName: "ContainerInsights",
  dataSourceName: "ContainerInsightsExtension",
  destination: "la-workspace",
  // azurerm compares extension_json as JSON (SuppressJsonDiff), so Azure's key order causes no diff.
  settings: { dataCollectionSettings: { interval: "1m", namespaceFilteringMode: "Off", enableContainerLogV2: true } },
  associationName: "ContainerInsightsExtension",
} as const;

/**
 * Where the AKS cluster identity (user-assigned, bring-your-own VNet) holds Network Contributor, by
 * composed-resource key, and which id of the Network's status is the scope. Narrower than the
 * Network's resource group, which also holds its private DNS zones, peerings and other XRs' private
 * endpoints:
 * - the VNet: Microsoft documents "at least Network Contributor on the subnet" for nodes
 *   (MicrosoftDocs/azure-aks-docs articles/aks/concepts-network-cni-overview.md, subnets/join and
 *   subnets/read for a custom role), but "on the virtual network resource" for internal
 *   LoadBalancer Services (articles/aks/internal-lb.md), which may go to any of the Network's subnets,
 *   and subnet scope alone has failed on virtualNetworks/join/action (MicrosoftDocs/azure-aks-docs#110);
 * - the NAT gateway and the application tier's NSG: a write to the node subnet (cloud-provider-azure
 *   turns off privateLinkServiceNetworkPolicies for a Private Link Service, for one) passes ARM's
 *   linked authorization only with join on everything the subnet references (LinkedAuthorizationFailed
 *   on routeTables/join/action in microsoft/tyger#320), and the AKS add-ons act on the user-assigned NAT
 *   gateway (Azure/terraform-azurerm-avm-ptn-aks-production#103). The Network composes no route table.
 * A Service's public IP or load balancer in another resource group needs a role there (articles/aks/
 * static-ip.md); Tessera grants none, so such IPs go in the node resource group.
 */
export const AKS_NETWORK_ROLES = [
  { key: "network-role-vnet", scope: "networkId", what: "the Network's VNet (node subnet join and read, internal load balancers)" },
  { key: "network-role-nat-gateway", scope: "natGatewayId", what: "the Network's NAT gateway (outbound type userAssignedNATGateway)" },
  { key: "network-role-app-nsg", scope: "appSecurityGroupId", what: "the application tier's network security group (linked authorization on node-subnet writes)" },
] as const;

export const INSTANCE_TYPE: Record<Provider, { pattern: RegExp; example: string; gpu: RegExp; arm: RegExp }> = {
  // EC2: family.size, e.g. m6i.xlarge, g4dn.xlarge. GPU families g and p (NVIDIA); Graviton families end in g (m7g, c6gn).
  aws: { pattern: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, example: "m6i.xlarge", gpu: /^(g|p)\d/, arm: /^[a-z]+\d+g[a-z]*\./ },
  // Azure VM sizes: Standard_<family><vCPUs>..., e.g. Standard_D4s_v5; N-series carry NVIDIA GPUs (NC4as_T4_v3).
  azure: { pattern: /^Standard_[A-Za-z0-9_]+$/, example: "Standard_D4s_v5", gpu: /^Standard_N/, arm: /^Standard_[A-Z]\d+p/ },
};

/** EKS AMI type from the instance family (AL2023 everywhere: AL2 AMIs stop with 1.33). */
export function amiType(instanceType: string): string {
  const t = INSTANCE_TYPE.aws;
  const arch = t.arm.test(instanceType) ? "ARM_64" : "x86_64";
  return `AL2023_${arch}_${t.gpu.test(instanceType) ? "NVIDIA" : "STANDARD"}`;
}

/**
 * Network interfaces (ENIs) per instance, IPv4 addresses per ENI and vCPUs, from EC2's per-type limits
 * (docs.aws.amazon.com/AWSEC2/latest/UserGuide/AvailableIpPerENI.html, as the VPC CNI carries them in
 * aws/amazon-vpc-cni-k8s pkg/vpc/vpc_ip_resource_limit.go, generated from DescribeInstanceTypes).
 * By size for the families where every type of a size has the same limits: the 5th to 7th generation
 * general-purpose, compute and memory families (m5 to r7, any suffix) and the 8th generation Graviton
 * ones (m8g, c8g, r8g and their d variants); checked against that file, where the one exception is
 * m5zn.12xlarge (listed by type). The 8th generation x86 families (m8i, c8a, ...) and the Graviton
 * network variants (c8gn, ...) have other limits per size and are not listed. By type: the burstable
 * and GPU types the seeds use. An instance missing here is counted as UNKNOWN_ENI (below).
 */
export interface EniLimits {
  enis: number;
  ipsPerEni: number;
  vcpus: number;
}
const eni = (enis: number, ipsPerEni: number, vcpus: number): EniLimits => ({ enis, ipsPerEni, vcpus });
const ENI_BY_SIZE: Record<string, EniLimits> = {
  medium: eni(2, 4, 1), large: eni(3, 10, 2), xlarge: eni(4, 15, 4), "2xlarge": eni(4, 15, 8), "4xlarge": eni(8, 30, 16),
  "8xlarge": eni(8, 30, 32), "9xlarge": eni(8, 30, 36), "12xlarge": eni(8, 30, 48), "16xlarge": eni(15, 50, 64),
  "18xlarge": eni(15, 50, 72), "24xlarge": eni(15, 50, 96), "48xlarge": eni(15, 50, 192),
};
const ENI_BY_SIZE_FAMILIES = /^(?:[mcr][5-7][a-z]*|[mcr]8gd?)\.([a-z0-9]+)$/;
const ENI_BY_TYPE: Record<string, EniLimits> = {
  "m5zn.12xlarge": eni(15, 50, 48),
  "t3.medium": eni(3, 6, 2), "t3.large": eni(3, 12, 2), "t3.xlarge": eni(4, 15, 4), "t3.2xlarge": eni(4, 15, 8),
  "g4dn.xlarge": eni(3, 10, 4), "g4dn.2xlarge": eni(3, 10, 8), "g4dn.4xlarge": eni(3, 10, 16), "g4dn.8xlarge": eni(4, 15, 32), "g4dn.12xlarge": eni(8, 30, 48),
  "g5.xlarge": eni(4, 15, 4), "g5.2xlarge": eni(4, 15, 8), "g5.4xlarge": eni(8, 30, 16),
  "g6.xlarge": eni(4, 15, 4), "g6.2xlarge": eni(4, 15, 8),
};
/**
 * What an instance Tessera lists no limits for is counted as: as many ENIs as it needs, each with 4
 * addresses (3 for pods), the fewest of any size above. That overcounts the interfaces of most types,
 * so the budget stays a bound; listing the type makes it exact.
 */
export const UNKNOWN_IPS_PER_ENI = 4;
export const MOST_PODS = 250;

export function eniLimits(instanceType: string): EniLimits | undefined {
  const size = ENI_BY_SIZE_FAMILIES.exec(instanceType)?.[1];
  return ENI_BY_TYPE[instanceType] ?? (size !== undefined ? ENI_BY_SIZE[size] : undefined);
}

/**
 * Pods per node the VPC CNI allows, as EKS's AMIs set it: ENIs x (addresses per ENI - 1) + 2 (the
 * first address of each ENI is not for pods; +2 for aws-node and kube-proxy, which use the host
 * network), capped at 110 below 30 vCPUs and 250 above (awslabs/amazon-eks-ami
 * templates/shared/runtime/eni-max-pods.txt and max-pods-calculator.sh). An instance missing from the
 * table counts as 250, the most any node runs, unless the pool sets maxPods.
 */
export function vpcCniMaxPods(instanceType: string): number {
  const l = eniLimits(instanceType);
  return l ? Math.min(l.enis * (l.ipsPerEni - 1) + 2, l.vcpus < 30 ? 110 : MOST_PODS) : MOST_PODS;
}

/**
 * How Tessera configures the vpc-cni add-on (its configurationValues, checked against the add-on's
 * schema, `aws eks describe-addon-configuration --addon-name vpc-cni`: env values are strings).
 * - Address warm pool. By default (WARM_ENI_TARGET=1) ipamd keeps a whole spare ENI of addresses on
 *   every node, so a node holds up to two ENIs' worth more than its pods use. For subnets with few
 *   addresses AWS's advice is WARM_IP_TARGET with MINIMUM_IP_TARGET (aws/amazon-vpc-cni-k8s
 *   docs/eni-and-ip-target.md: "If the worker nodes are running in small subnets ... MINIMUM_IP_TARGET
 *   ... like 12, and have WARM_IP_TARGET=2"). ipamd then holds max(MINIMUM_IP_TARGET, assigned +
 *   WARM_IP_TARGET) secondary addresses and fills an ENI before it attaches the next
 *   (pkg/ipamd/ipamd.go datastoreTargetState, tryAssignIPs), and stops growing at the node's max pods
 *   (isDatastorePoolTooLow). The price is EC2 API calls: ipamd assigns and releases addresses as pods
 *   come and go instead of once per ENI, and AWS warns that very many such calls are throttled
 *   account-wide, so it advises the setting for small clusters or low pod churn (same doc; AWS
 *   Knowledge Center "eks-configure-cni-plugin-use-ip-address"). Tessera's clusters draw pods from the
 *   Network's private subnets, which are small (Broxiva: 3 x /24), so it takes the warm pool:
 *   WARM_IP_TARGET 3 and MINIMUM_IP_TARGET 10. With the three host-network pods every node runs, a node
 *   never holds more secondary addresses than its maxPods (see nodeAddresses). Prefix delegation would
 *   cut the calls but hands out /28 blocks, which small subnets fragment.
 * - NetworkPolicy. The add-on enforces Kubernetes NetworkPolicies with its node agent only when
 *   enableNetworkPolicy is "true" (docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html):
 *   it needs VPC CNI 1.14 or later (an older spec.addonVersions.vpcCni pin is refused), a cluster at platform version
 *   eks.5 of 1.27 or later (every minor Tessera offers), and nodes with Linux 5.10 or later (the AL2023
 *   AMIs run 6.1) with the BPF file system mounted, which the EKS AMIs do. Standard mode (the default)
 *   lets a new pod talk until its policies are applied, as Cilium does on AKS.
 */
export const VPC_CNI_IP_TARGETS = { warm: 3, minimum: 10 } as const;
export const VPC_CNI_CONFIGURATION = JSON.stringify({
  env: { WARM_IP_TARGET: String(VPC_CNI_IP_TARGETS.warm), MINIMUM_IP_TARGET: String(VPC_CNI_IP_TARGETS.minimum) },
  enableNetworkPolicy: "true",
});
/** The oldest vpc-cni with the network policy agent (v1.14.0, aws/amazon-vpc-cni-k8s release notes). */
export const VPC_CNI_NETWORK_POLICY_SINCE = [1, 14, 0] as const;

/**
 * Pods on every node that use the host network and so take no pod address but count against
 * maxPods: aws-node and kube-proxy (EKS user guide, "Host networking") and the Pod Identity agent
 * (hostNetwork: true in aws/eks-pod-identity-agent charts/eks-pod-identity-agent/templates/daemonset.yaml).
 * All three tolerate every taint, so they run on every node.
 */
export const HOST_NETWORK_PODS = 3;

/**
 * The private-subnet addresses one node of `instanceType` holds at most, with the vpc-cni settings
 * above: secondary addresses for its pods plus the warm pool, max(MINIMUM_IP_TARGET, pods that take
 * an address + WARM_IP_TARGET), no more than its ENIs carry; and the primary address of every ENI
 * those need (the first is the node's own address).
 * Worked example, m6i.xlarge (4 ENIs x 15 addresses) at maxPods 14: 14 - 3 host-network pods = 11
 * pod addresses, + 3 warm = 14 secondary, which one ENI carries (14 secondary + 1 primary): 15
 * addresses. At maxPods 16: 16 secondary need a second ENI: 16 + 2 = 18. At the default (58 pods):
 * all 4 ENIs, 56 + 4 = 60.
 */
export function nodeAddresses(instanceType: string, maxPods?: number): { maxPods: number; secondary: number; enis: number; total: number } {
  const pods = maxPods ?? vpcCniMaxPods(instanceType);
  const l = eniLimits(instanceType);
  const perEni = (l?.ipsPerEni ?? UNKNOWN_IPS_PER_ENI) - 1;
  const wanted = Math.max(VPC_CNI_IP_TARGETS.minimum, Math.max(0, pods - HOST_NETWORK_PODS) + VPC_CNI_IP_TARGETS.warm);
  const secondary = l ? Math.min(wanted, l.enis * perEni) : wanted;
  const enis = Math.max(1, Math.ceil(secondary / perEni));
  return { maxPods: pods, secondary, enis, total: secondary + enis };
}

/** AWS reserves 5 addresses of every subnet; EKS asks for free addresses per subnet for its control-plane ENIs (up to 4 per subnet, during upgrades more). */
export const AWS_RESERVED_PER_SUBNET = 5;
export const EKS_CONTROL_PLANE_IPS_PER_SUBNET = 6;

/**
 * Nodes EKS adds per zone to a managed node group while it updates it: the Auto Scaling group's
 * maximum and desired size go up by "the larger of either: Up to twice the number of Availability
 * Zones that the Auto Scaling group is deployed in; The maximum unavailable of upgrade", and the new
 * nodes are launched in the zones of the nodes they replace, "up to two instances per Availability
 * Zone" (docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html, "Scale up
 * phase"). Tessera renders updateConfig.maxUnavailable 1 (aws.ts), which is never the larger, so a
 * group in one zone surges by 2 nodes and a group over three zones by 6, 2 in each.
 */
export const EKS_UPDATE_SURGE_PER_ZONE = 2;

/**
 * Azure reserves 5 addresses of every subnet: the first four and the last (MicrosoftDocs/azure-aks-docs
 * articles/aks/concepts-network-azure-cni-overlay.md, "Cluster nodes": a /24 leaves 251).
 */
export const AZURE_RESERVED_PER_SUBNET = 5;

/**
 * The nodes AKS adds to a pool while it upgrades it (max surge), when the pool sets no
 * upgradeSettings, as Tessera's do not (azure.ts renders none). Microsoft's pages disagree on the
 * default: one extra node (articles/aks/upgrade-aks-node-pools-rolling.md, "AKS configures upgrades to
 * surge with one extra node by default"; concepts-network-ip-address-planning.md "the default max surge
 * of 1 node") or 10% (best-practices-performance-scale-large.md "AKS configures upgrades with a default
 * value of 10% for max surge"; the AgentPoolUpgradeSettings API reference "If not specified, the
 * default is 10%"; a percentage "is the percentage of the total agent pool size at the time of the
 * upgrade ... fractional nodes are rounded up"). Tessera counts the larger: max(1, ceil(10% of maxNodes)).
 */
export const AKS_DEFAULT_MAX_SURGE = { nodes: 1, percent: 10 } as const;
export const aksSurge = (maxNodes: number): number => Math.max(AKS_DEFAULT_MAX_SURGE.nodes, Math.ceil((maxNodes * AKS_DEFAULT_MAX_SURGE.percent) / 100));

/** AKS Azure CNI Overlay gives every node a /24 of podCidr; its default and maximum pods per node. */
export const AKS_NODE_POD_PREFIX = 24;
export const AKS_MAX_PODS = 250;

/** EKS control-plane log types -> AKS diagnostic categories with the same content. */
export const AKS_LOG_CATEGORY: Record<string, string> = {
  api: "kube-apiserver",
  audit: "kube-audit",
  authenticator: "guard",
  controllerManager: "kube-controller-manager",
  scheduler: "kube-scheduler",
};

export const TAINT_EFFECT_AWS: Record<string, string> = { NoSchedule: "NO_SCHEDULE", PreferNoSchedule: "PREFER_NO_SCHEDULE", NoExecute: "NO_EXECUTE" };

/**
 * IAM policies the EKS service roles need (AWS managed). The node role has no AmazonEKS_CNI_Policy:
 * the VPC CNI gets it from its own role through a Pod Identity association on the vpc-cni add-on
 * (aws.ts), as AWS recommends ("attach the policy to a separate role used specifically for the Amazon
 * VPC CNI add-on", EKS user guide create-node-role; the node role needs it only "if you don't use IRSA
 * or EKS Pod Identity to give permissions to the VPC CNI pods").
 */
/** Public access CIDRs EKS takes per cluster (docs.aws.amazon.com/eks/latest/userguide/service-quotas.html). */
export const EKS_PUBLIC_CIDRS = 40;

export const EKS_CLUSTER_POLICIES = ["AmazonEKSClusterPolicy"];
export const EKS_NODE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"];

/** EKS add-ons Tessera installs, by composed-resource key, in their stage. */
export const ADDONS = {
  /** Before nodes: DaemonSets that are ACTIVE with no nodes, and that nodes need to get pod networking. */
  beforeNodes: { "addon-vpc-cni": "vpc-cni", "addon-kube-proxy": "kube-proxy", "addon-pod-identity": "eks-pod-identity-agent" },
  /** After the system pool: coredns is a Deployment and stays DEGRADED until nodes exist (terraform-aws-modules/terraform-aws-eks#3001). */
  afterSystemPool: { "addon-coredns": "coredns", "addon-ebs-csi": "aws-ebs-csi-driver" },
} as const;

/**
 * EKS add-on builds per Kubernetes minor, by EKS add-on name: what Tessera asks for once the control
 * plane runs that minor. EKS never moves an add-on by itself, not even when the cluster is upgraded
 * (docs.aws.amazon.com/eks/latest/userguide/updating-an-add-on.html), so without a version kube-proxy
 * and coredns stay at their creation build (aws-ia/terraform-aws-eks-blueprints#1046,
 * ministryofjustice/cloud-platform#5573). Each build is the "latest version of the Amazon EKS add-on
 * type" AWS lists for that minor:
 * - kube-proxy and coredns: docs.aws.amazon.com/ja_jp/eks/latest/userguide/managing-kube-proxy.md and
 *   managing-coredns.md, the newest stored crawls (the first that list 1.36; version strings are not
 *   translated). Older crawls list lower builds of the same minors (docs.amazonaws.cn
 *   en_us/managing-coredns.md: 1.35 v1.14.2-eksbuild.4, 1.34 v1.13.2-eksbuild.7; zh_cn
 *   managing-kube-proxy.md: 1.35 v1.35.3-eksbuild.2, 1.34 v1.34.6-eksbuild.2).
 * - vpc-cni: only 1.34, from docs.amazonaws.cn/eks/latest/userguide/pod-networking.html (the
 *   managing-vpc-cni table, built from the same awsdocs/amazon-eks-user-guide source); no stored crawl
 *   lists 1.35 or 1.36.
 * - eks-pod-identity-agent, aws-ebs-csi-driver, amazon-cloudwatch-observability: AWS publishes no
 *   per-minor table (only `aws eks describe-addon-versions`), so none here.
 * A minor or add-on missing here is not guessed: the add-on keeps the build it runs (EKS's default at
 * creation) and spec.addonVersions pins it; status.warnings names it only if it is in MINOR_TIED_ADDONS.
 */
export const EKS_ADDON_VERSIONS: Record<string, Partial<Record<string, string>>> = {
  "kube-proxy": { "1.34": "v1.34.6-eksbuild.13", "1.35": "v1.35.3-eksbuild.13", "1.36": "v1.36.0-eksbuild.14" },
  coredns: { "1.34": "v1.13.2-eksbuild.11", "1.35": "v1.14.3-eksbuild.3", "1.36": "v1.14.3-eksbuild.3" },
  "vpc-cni": { "1.34": "v1.20.4-eksbuild.1" },
};

/**
 * Add-ons whose builds belong to a Kubernetes minor: kube-proxy must match the API server's minor
 * (kubernetes.io/releases/version-skew-policy), and AWS publishes a build per minor for kube-proxy,
 * coredns and vpc-cni (the tables cited above). When Tessera lists none for the control plane's
 * minor, status.warnings says so. The Pod Identity agent, the EBS CSI driver and the CloudWatch
 * observability add-on are versioned on their own and run across minors (AWS lists their builds only
 * through describe-addon-versions, by compatibility range), so keeping the build they run is no
 * finding; the README says how to move them.
 */
export const MINOR_TIED_ADDONS: ReadonlySet<string> = new Set(["kube-proxy", "coredns", "vpc-cni"]);

/**
 * The oldest build of an add-on that does what Tessera configures it for; an older pin is refused.
 * Pod Identity: vpc-cni v1.15.5-eksbuild.1, aws-ebs-csi-driver v1.26.0-eksbuild.1 (EKS user guide
 * add-ons-iam, "Pod Identity Support Reference"), amazon-cloudwatch-observability 3.1.0
 * (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-setup-EKS-addon.html).
 * vpc-cni's network policy agent came with v1.14.0, before that.
 */
export const ADDON_MIN_BUILD: Partial<Record<(typeof ADDON_VERSION_FIELD)[keyof typeof ADDON_VERSION_FIELD], { build: string; why: string }>> = {
  vpcCni: { build: "v1.15.5-eksbuild.1", why: "the first that takes its role through Pod Identity (and enforces NetworkPolicies)" },
  ebsCsiDriver: { build: "v1.26.0-eksbuild.1", why: "the first that takes its role through Pod Identity" },
  cloudwatchObservability: { build: "v3.1.0-eksbuild.1", why: "the first that takes its role through Pod Identity (its agents then need no instance-metadata hop)" },
};

/** The spec.addonVersions field that pins each EKS add-on. */
export const ADDON_VERSION_FIELD = {
  "vpc-cni": "vpcCni",
  "kube-proxy": "kubeProxy",
  "eks-pod-identity-agent": "podIdentityAgent",
  coredns: "coredns",
  "aws-ebs-csi-driver": "ebsCsiDriver",
  "amazon-cloudwatch-observability": "cloudwatchObservability",
} as const;

/** A StorageClass as Tessera writes it (storage.k8s.io/v1; every field but the name is immutable). */
export interface StorageClassSpec {
  name: string;
  provisioner: string;
  parameters: Record<string, string>;
  reclaimPolicy: "Delete" | "Retain";
  volumeBindingMode: "WaitForFirstConsumer" | "Immediate";
  allowVolumeExpansion: boolean;
}

/**
 * The default StorageClass Tessera puts into a new cluster, per cloud; undefined where the cloud's own
 * default already is what Tessera would write.
 * - EKS: none is default. "Starting with 1.30, Amazon EKS no longer includes the default annotation on
 *   the gp2 StorageClass resource applied to newly created clusters" (EKS user guide,
 *   kubernetes-versions-extended, "Kubernetes 1.30"), and that gp2 class uses the in-tree
 *   kubernetes.io/aws-ebs provisioner with no `encrypted` parameter (the guide's
 *   storage/YAML/gp2-storage-class.yaml). So on every minor Tessera offers (1.34-1.36) a PVC without
 *   storageClassName binds to nothing. The add-on's own `defaultStorageClass.enabled` is not used: its
 *   class, ebs-csi-default-sc, sets no `encrypted` parameter (kubernetes-sigs/aws-ebs-csi-driver
 *   charts/aws-ebs-csi-driver/templates/ebs-csi-default-sc.yaml), so whether volumes are encrypted
 *   would hang on the account's EBS encryption-by-default setting.
 *   Tessera's class: the EBS CSI driver (ebs.csi.aws.com), gp3, `encrypted: "true"` (the driver's
 *   default is "false", docs/parameters.md). No kmsKeyId: EBS then uses the account's default EBS key
 *   for the region, aws/ebs unless the account changed it (same doc). spec.encryption.keyId is not
 *   used for volumes: it is documented as the key for Kubernetes Secrets; a customer key for volumes
 *   needs kms:CreateGrant/ListGrants/RevokeGrant (with kms:GrantIsForAWSResource) and
 *   Encrypt, Decrypt, ReEncrypt*, GenerateDataKey* and DescribeKey on the driver's role and a key policy
 *   that lets IAM grant them (EKS user guide ebs-csi, Step 1); and StorageClass parameters cannot be
 *   updated ("updates to parameters are forbidden", kubernetes/kubernetes
 *   pkg/apis/storage/validation ValidateStorageClassUpdate), so a key in the class could never follow
 *   a change of keyId: the Object would fail on every update.
 *   WaitForFirstConsumer: an EBS volume lives in one zone, so it is created in the zone the pod is
 *   scheduled to. allowVolumeExpansion: the driver resizes volumes online. reclaimPolicy Delete: the
 *   volume goes with its claim (Kubernetes' default; a stateful workload that must outlive its claim
 *   sets Retain on its own class).
 *   The name is Tessera's own, not "gp3": provider-kubernetes takes over an existing object of the
 *   same name (crossplane-contrib/provider-kubernetes internal/controller/object/object.go: an
 *   existing object is updated, and deleted with the Object), and "gp3"/"gp3-encrypted" are the names
 *   clusters created since 1.30 often already carry by hand. A prefixed name cannot collide, and
 *   never touches EKS's gp2.
 * - AKS: its built-in `default` class (disk.csi.azure.com, Standard SSD) is the default
 *   (MicrosoftDocs/azure-aks-docs articles/aks/create-volume-azure-disk.md, "Built-in storage
 *   classes"), and "Azure encrypts all data in a managed disk at rest. By default, data is encrypted
 *   with Microsoft-managed keys" (articles/aks/azure-disk-customer-managed-keys.md). Nothing to add.
 */
export const DEFAULT_STORAGE_CLASS: Record<Provider, StorageClassSpec | undefined> = {
  aws: {
    name: "tessera-gp3",
    provisioner: "ebs.csi.aws.com",
    parameters: { type: "gp3", encrypted: "true" },
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
    allowVolumeExpansion: true,
  },
  azure: undefined,
};

/** Whether a pool's instance type carries NVIDIA GPUs (EKS: the AL2023 NVIDIA AMI; AKS: gpuDriver Install). */
export const isGpuPool = (provider: Provider, instanceType: string): boolean => INSTANCE_TYPE[provider].gpu.test(instanceType);

/**
 * NVIDIA's Kubernetes device plugin, which makes GPU nodes advertise `nvidia.com/gpu`. Neither cloud
 * runs it on the nodes Tessera creates: EKS's AL2023 NVIDIA AMI carries the driver and container
 * toolkit but not the plugin ("you must install the NVIDIA Kubernetes device plugin",
 * docs.aws.amazon.com/eks/latest/userguide/ml-eks-k8s-device-plugin.html), and AKS installs the driver
 * (gpuDriver Install) but not the plugin ("While the NVIDIA drivers are installed by default on GPU
 * capable nodes, you need to install the device plugin", MicrosoftDocs/azure-aks-docs
 * articles/aks/use-nvidia-gpu.md). Without it GPU pods stay Pending.
 * - Chart: nvidia-device-plugin, from NVIDIA's repository and at the version of
 *   spec.gpu.devicePlugin.chart (apis/k8s-cluster/schema.ts says why 0.20.0).
 * - Namespace kube-system, where eksctl's manifest and NVIDIA's static one
 *   (deployments/static/nvidia-device-plugin.yml) run it; it exists, so nothing is created or left behind.
 * - The plugin only advertises devices of the driver on the host (the chart's default
 *   nvidiaDriverRoot "/"), so it does not touch AKS's driver install; gpu-feature-discovery and
 *   node-feature-discovery stay off (the chart's default).
 */
export const NVIDIA_DEVICE_PLUGIN = {
  chart: "nvidia-device-plugin",
  namespace: "kube-system",
  /** The extended resource GPU pods request (resources.limits). */
  resource: "nvidia.com/gpu",
  /** The taint key GPU pools conventionally carry (the chart's default toleration, and the seeds'). */
  taintKey: "nvidia.com/gpu",
} as const;

/**
 * The label each cloud puts on every node with its pool's name: EKS managed node groups
 * `eks.amazonaws.com/nodegroup` (the node group's name, which is the pool's; eksctl's
 * EKSNodeGroupNameLabel, pkg/apis/eksctl.io/v1alpha5/types.go, and its managed node group integration
 * test selects nodes by it), AKS `kubernetes.azure.com/agentpool` (the agent pool's name; the system
 * labels table of MicrosoftDocs/azure-aks-docs). Selecting GPU pools by it needs no label of the user's.
 */
export const POOL_NODE_LABEL: Record<Provider, string> = { aws: "eks.amazonaws.com/nodegroup", azure: "kubernetes.azure.com/agentpool" };

/** The taint AKS puts on spot pools itself (kubernetes.azure.com/scalesetpriority=spot:NoSchedule). */
export const AKS_SPOT_TAINT = { key: "kubernetes.azure.com/scalesetpriority", value: "spot", effect: "NoSchedule" } as const;

/**
 * How NVIDIA's device plugin finds GPU nodes (incluster.ts renderDevicePlugin), per cloud: a label
 * key and the values a node must carry (one nodeSelectorTerm; Helm replaces the chart's terms).
 * - EKS: the node group label with the GPU pools' names (POOL_NODE_LABEL). A managed node group keeps
 *   its name through every node replacement (a launch-template version, a Kubernetes upgrade), and
 *   EKS sets no label of its own for the GPU kind.
 * - AKS: `kubernetes.azure.com/accelerator=nvidia`, an AKS reserved label ("<accelerator>", example
 *   `nvidia`, MicrosoftDocs/azure-aks-docs articles/aks/use-labels.md, "Reserved system labels"), not
 *   the pool name: a pool rotated through its temporary pool (azure.ts temporaryNameForRotation,
 *   names.ts rotationName, used when the VM size, zones or disk change) runs its new nodes under the
 *   temporary pool's name in `kubernetes.azure.com/agentpool`, so a selector on pool names would leave
 *   them without the plugin and their GPU pods Pending for the whole rotation. The accelerator label
 *   follows the VM size, whatever the pool is called; it also keeps the plugin off N-series sizes
 *   with AMD GPUs, where NVIDIA's plugin has nothing to advertise.
 */
export const GPU_NODE_SELECTOR: Record<Provider, { key: string; values: (gpuPools: readonly string[]) => string[] }> = {
  aws: { key: POOL_NODE_LABEL.aws, values: (gpuPools) => [...gpuPools] },
  azure: { key: "kubernetes.azure.com/accelerator", values: () => ["nvidia"] },
};

/**
 * Whether the device plugin runs in the host network (the chart's `devicePlugin.enableHostNetwork`,
 * NVIDIA/k8s-device-plugin deployments/helm/nvidia-device-plugin values.yaml and
 * templates/daemonset-device-plugin.yml at v0.20.0: hostNetwork true with dnsPolicy
 * ClusterFirstWithHostNet; added in 0.20.0, "to avoid unnecessary IP allocation for daemon pods").
 * - EKS: yes. Every pod network pod takes an address of the Network's small private subnets (VPC
 *   CNI), and the plugin needs none: it talks to the kubelet over a Unix socket in a host directory
 *   and opens no port. In the host network it reaches instance metadata (hop limit 1), as aws-node and
 *   the Pod Identity agent do; it is NVIDIA's pod in kube-system with the kubelet's device-plugin
 *   directory mounted, trusted as much as those.
 * - AKS: no. Pods use the overlay podCidr, not VNet addresses, so there is nothing to save.
 * A chart pinned below 0.20.0 (spec.gpu.devicePlugin.chart.version) ignores the value, and the plugin
 * then takes one address per GPU node, which the address budget already allows for (EKS_NODE_DAEMONSETS).
 */
export const DEVICE_PLUGIN_HOST_NETWORK: Record<Provider, boolean> = { aws: true, azure: false };

/**
 * The DaemonSet pods on every node of an EKS cluster as Tessera builds it: they count against the
 * node's maxPods, so a node has maxPods less these for workloads; those not in the host network take
 * an address of the private subnets each.
 * - aws-node, kube-proxy: host network (EKS user guide, "Host networking"); the Pod Identity agent:
 *   host network (aws/eks-pod-identity-agent charts/eks-pod-identity-agent/templates/daemonset.yaml).
 *   These three are HOST_NETWORK_PODS, which the address budget (nodeAddresses) subtracts.
 * - ebs-csi-node (the EBS CSI add-on): pod network (the chart's node.hostNetwork defaults to false,
 *   kubernetes-sigs/aws-ebs-csi-driver charts/aws-ebs-csi-driver/values.yaml), tolerates every taint
 *   (node.tolerateAllTaints), so it takes one address on every node. Tessera does not switch it to
 *   the host network: aws.ts says why.
 * - With monitoring.containerInsights (amazon-cloudwatch-observability, aws-observability/helm-charts
 *   charts/amazon-cloudwatch-observability): the CloudWatch agent (values.yaml agent hostNetwork:
 *   true) and Fluent Bit (templates/linux/fluent-bit-daemonset.yaml hostNetwork: true) on every node
 *   (default tolerations: operator Exists); dcgm-exporter (templates/linux/dcgm-exporter-daemonset.yaml,
 *   pod network) on NVIDIA GPU instance types only (its node affinity lists them, g4dn.xlarge, g5 and
 *   g6 included).
 * - On GPU pools: NVIDIA's device plugin, in the host network (DEVICE_PLUGIN_HOST_NETWORK).
 * The address budget counts maxPods less HOST_NETWORK_PODS addresses per node, so the other
 * host-network pods here (Container Insights' two, the device plugin) make it an upper bound, never
 * short: they hold a pod slot but no address. A test keeps this table and HOST_NETWORK_PODS in step.
 */
export interface NodeDaemonSet {
  name: string;
  hostNetwork: boolean;
  /** Every node, or GPU pools' nodes only. */
  on: "every" | "gpu";
  /** Installed only with monitoring.containerInsights. */
  containerInsights: boolean;
}
export const EKS_NODE_DAEMONSETS: readonly NodeDaemonSet[] = [
  { name: "aws-node", hostNetwork: true, on: "every", containerInsights: false },
  { name: "kube-proxy", hostNetwork: true, on: "every", containerInsights: false },
  { name: "eks-pod-identity-agent", hostNetwork: true, on: "every", containerInsights: false },
  { name: "ebs-csi-node", hostNetwork: false, on: "every", containerInsights: false },
  { name: "cloudwatch-agent", hostNetwork: true, on: "every", containerInsights: true },
  { name: "fluent-bit", hostNetwork: true, on: "every", containerInsights: true },
  { name: "nvidia-device-plugin", hostNetwork: DEVICE_PLUGIN_HOST_NETWORK.aws, on: "gpu", containerInsights: false },
  { name: "dcgm-exporter", hostNetwork: false, on: "gpu", containerInsights: true },
];

/** The EKS DaemonSet pods on one node of a pool, and how many pod slots of its maxPods remain for workloads. */
export function eksNodePods(maxPods: number, node: { gpu: boolean; containerInsights: boolean }): { daemonSets: number; hostNetwork: number; workloads: number } {
  const here = EKS_NODE_DAEMONSETS.filter((d) => (d.on === "every" || node.gpu) && (!d.containerInsights || node.containerInsights));
  return { daemonSets: here.length, hostNetwork: here.filter((d) => d.hostNetwork).length, workloads: Math.max(0, maxPods - here.length) };
}
