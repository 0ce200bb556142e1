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
 * Pods per node the VPC CNI allows (ENIs x (IPv4 addresses per ENI - 1) + 2, capped by EKS at 110
 * below 30 vCPUs and 250 above), by instance size for the general-purpose, compute and memory
 * families (m5 and later, c5 and later, r5 and later), and for the GPU types the seeds use.
 * Source: amazon-eks-ami templates/shared/runtime/eni-max-pods.txt. An instance missing here counts
 * as 250, the most any node runs, unless the pool sets maxPods.
 */
const BY_SIZE: Record<string, number> = { medium: 8, large: 29, xlarge: 58, "2xlarge": 58, "4xlarge": 110, "8xlarge": 234, "12xlarge": 234, "16xlarge": 250, "24xlarge": 250 };
const BY_TYPE: Record<string, number> = {
  "t3.medium": 17, "t3.large": 35, "t3.xlarge": 58, "t3.2xlarge": 58,
  "g4dn.xlarge": 29, "g4dn.2xlarge": 29, "g4dn.4xlarge": 29, "g4dn.8xlarge": 58, "g4dn.12xlarge": 234,
  "g5.xlarge": 58, "g5.2xlarge": 58, "g5.4xlarge": 110, "g6.xlarge": 58, "g6.2xlarge": 58,
};
export const MOST_PODS = 250;

export function vpcCniMaxPods(instanceType: string): number {
  if (BY_TYPE[instanceType] !== undefined) return BY_TYPE[instanceType]!;
  const m = /^([mcr])([5-8])[a-z]*\.([a-z0-9]+)$/.exec(instanceType);
  return (m && BY_SIZE[m[3]!]) || MOST_PODS;
}

/** AWS reserves 5 addresses of every subnet; EKS asks for free addresses per subnet for its control-plane ENIs (up to 4 per subnet, during upgrades more). */
export const AWS_RESERVED_PER_SUBNET = 5;
export const EKS_CONTROL_PLANE_IPS_PER_SUBNET = 6;

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

/** IAM policies the EKS service roles need (AWS managed). */
export const EKS_CLUSTER_POLICIES = ["AmazonEKSClusterPolicy"];
export const EKS_NODE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonEKS_CNI_Policy"];

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
 * creation), status.warnings names it, and spec.addonVersions pins it.
 */
export const EKS_ADDON_VERSIONS: Record<string, Partial<Record<string, string>>> = {
  "kube-proxy": { "1.34": "v1.34.6-eksbuild.13", "1.35": "v1.35.3-eksbuild.13", "1.36": "v1.36.0-eksbuild.14" },
  coredns: { "1.34": "v1.13.2-eksbuild.11", "1.35": "v1.14.3-eksbuild.3", "1.36": "v1.14.3-eksbuild.3" },
  "vpc-cni": { "1.34": "v1.20.4-eksbuild.1" },
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
