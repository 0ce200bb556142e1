/**
 * K8sCluster: a Kubernetes cluster with named node pools (EKS on AWS, AKS on Azure), private nodes in
 * the Network's private tier, workload identity, a supported version and a kubeconfig Secret. Written
 * once here; the XRD is generated from it and the function parses XRs with it.
 */
import { z } from "zod";
import { cel, commonRules, localRef, providerField, regionField, secretNameField, tagsField, type Rule } from "../shared/common.ts";
import { INSTANCE_TYPE } from "../../functions/k8s-cluster/tables.ts";

/**
 * Kubernetes minors each cloud creates new clusters at, as of 2026-12-02 (research/next-apis.md §1.2):
 * EKS 1.34 (extended support only, since 2026-12-02), 1.35, 1.36; AKS 1.34 (long-term support only:
 * it left community support in November 2026, and AKS creates LTS clusters of a minor until its LTS
 * ends, MicrosoftDocs/azure-aks-docs articles/aks/long-term-support.md FAQ), 1.35, 1.36, 1.37.
 * functions/k8s-cluster/tables.ts holds each minor's support level by date.
 */
export const K8S_VERSIONS = { aws: ["1.34", "1.35", "1.36"], azure: ["1.34", "1.35", "1.36", "1.37"] } as const;
export const ALL_VERSIONS = ["1.34", "1.35", "1.36", "1.37"] as const;
export const DEFAULT_VERSION = "1.35";
export const LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;
export const EXPANDERS = ["least-waste", "most-pods", "priority", "random"] as const;
export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;
/** spec.addonVersions: one pin per EKS add-on Tessera installs (functions/k8s-cluster/tables.ts ADDON_VERSION_FIELD). */
export const ADDON_VERSION_FIELDS = ["vpcCni", "kubeProxy", "coredns", "podIdentityAgent", "ebsCsiDriver", "cloudwatchObservability"] as const;

const celList = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(", ")}]`;

/** One minor at a time, never down: the upgrade pairs spelled out, so the rule stays in Tessera's CEL subset. */
const upgradeRule: Rule = {
  rule: `self == oldSelf || ${ALL_VERSIONS.slice(0, -1).map((v, i) => `(oldSelf == '${v}' && self == '${ALL_VERSIONS[i + 1]}')`).join(" || ")}`,
  messageExpression: "'spec.version: ' + oldSelf + ' -> ' + self + ' is refused; Kubernetes upgrades one minor at a time and never downgrades, so set the next minor after ' + oldSelf",
};

/**
 * What a live EKS node group cannot change (EKS has no update for it; the provider would replace the
 * group, an outage of the pool under its fixed name: hashicorp/terraform-provider-aws#22499 and
 * internal/service/eks/node_group.go, ami_type, capacity_type and subnet_ids ForceNew). Pools are
 * matched to their old selves by name, at the spec level, where oldSelf is defined for lists of any
 * kind. The function refuses the same against the node groups it composed (aws.ts refuseNodeGroupReplacement).
 */
const samePool = (what: string) => `self.provider != 'aws' || self.nodePools.all(p, oldSelf.nodePools.all(o, o.name != p.name || (${what})))`;
const capacityOf = (v: string) => `(has(${v}.capacity) ? ${v}.capacity : 'onDemand')`;
// The subnets a pool's nodes use: one zone's, or all private subnets (a pool has one zone or all).
const zoneOf = (v: string) => `(has(${v}.zones) && size(${v}.zones) > 0 && ${v}.zones.all(z, z == ${v}.zones[0]) ? ${v}.zones[0] : '')`;
// The EKS AMI type follows the instance family (tables.ts amiType): GPU families and Graviton ones.
const celRegex = (r: RegExp) => r.source.replace(/\\/g, "\\\\");
const amiOf = (v: string) => `[${v}.instanceType.matches('${celRegex(INSTANCE_TYPE.aws.gpu)}'), ${v}.instanceType.matches('${celRegex(INSTANCE_TYPE.aws.arm)}')]`;
const replacementFix = "add a pool under a new name with the new value, move the workloads to it, then remove the old pool";
export const nodeGroupRules: Rule[] = [
  {
    rule: samePool(`${capacityOf("p")} == ${capacityOf("o")}`),
    message: `spec.nodePools[].capacity: EKS cannot change a live node pool's capacity type (it would replace the node group and all its nodes); set it back, or ${replacementFix}`,
    fieldPath: ".nodePools",
  },
  {
    rule: samePool(`${zoneOf("p")} == ${zoneOf("o")}`),
    message: `spec.nodePools[].zones: EKS cannot move a live node pool to other subnets (it would replace the node group and all its nodes); set zones back, or ${replacementFix}`,
    fieldPath: ".nodePools",
  },
  {
    rule: samePool(`${amiOf("p")} == ${amiOf("o")}`),
    message: `spec.nodePools[].instanceType: a live EKS node pool can change its instance type only within the same architecture and GPU kind (its AMI type cannot change; the node group would be replaced with all its nodes); pick such a type, or ${replacementFix}`,
    fieldPath: ".nodePools",
  },
];

const k8sLabelKey = z
  .string()
  .min(1)
  .max(316)
  .regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, "must be a Kubernetes label key such as node-role or example.com/team");

const ipv4Cidr = z
  .string()
  .max(18)
  .regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(\d|[12]\d|3[0-2])$/, "must be an IPv4 CIDR such as 172.20.0.0/16");

const taint = z
  .object({
    key: k8sLabelKey.describe("Taint key, e.g. nvidia.com/gpu or CriticalAddonsOnly."),
    value: z.string().max(63).regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/).default("true").describe("Taint value. Default: \"true\"."),
    effect: z.enum(TAINT_EFFECTS).default("NoSchedule"),
  })
  .strict();

export const nodePool = cel(
  z
    .object({
      name: z
        .string()
        .regex(/^[a-z][a-z0-9]{0,11}$/, "must be 1-12 lowercase letters and digits, starting with a letter (AKS's limit for pool names; e.g. the seed's ai-workloads is written ai)")
        .describe("The pool's identity: renaming a pool replaces it. 1-12 lowercase letters and digits, starting with a letter (AKS's limit, applied on both clouds)."),
      mode: z.enum(["system", "user"]).default("user").describe("Exactly one pool is the system pool (AKS's default pool; on EKS a node-role label only). It runs cluster add-ons and needs minNodes of 1 or more."),
      instanceType: z.string().min(1).max(64).describe("EC2 instance type (m6i.xlarge) on AWS, VM size (Standard_D4s_v5) on Azure. GPU families (g*, p* / Standard_N*) get the NVIDIA AMI (EKS) or GPU driver (AKS). On AWS a change rolls the pool's nodes; it must keep the architecture and GPU kind."),
      minNodes: z.int().min(0).max(1000).describe("Fewest nodes the cluster autoscaler keeps."),
      maxNodes: z.int().min(1).max(1000).describe("Most nodes the cluster autoscaler adds. EKS allows 450 per node group, AKS 1000 per pool."),
      initialNodes: z.int().min(0).max(1000).optional().describe("Nodes at creation (default minNodes, at least 1 for the system pool). Set only at creation: afterwards the autoscaler owns the count."),
      maxPods: z.int().min(10).max(250).optional().describe("Pods per node. AWS default: the VPC CNI's limit for the instance type (every pod takes a private-subnet IP; a node holds about maxPods addresses plus one per network interface, and Tessera refuses pools whose maxNodes nodes cannot fit the private subnets). Azure default: 250 (pods use the overlay podCidr)."),
      labels: z
        .record(k8sLabelKey, z.string().max(63).regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/))
        .default({})
        .describe("Kubernetes labels on every node of the pool. Keys under kubernetes.io and k8s.io are reserved by the clouds.")
        .meta({ maxProperties: 20 }),
      taints: z.array(taint).max(10).default([]).describe("Taints on every node. The AKS system pool accepts only CriticalAddonsOnly=true:NoSchedule."),
      capacity: z.enum(["onDemand", "spot"]).default("onDemand").describe("Spot nodes are cheaper and can be reclaimed at any time. Not for the AKS system pool. On AWS fixed once the pool exists (add a new pool to change it)."),
      diskSizeGB: z.int().min(30).max(2048).default(100).describe("OS disk size per node, GiB (encrypted gp3 on AWS)."),
      zones: z
        .array(z.string().regex(/^([a-f]|[1-3])$/, "must be an AWS zone letter a-f or an Azure zone 1-3"))
        .max(6)
        .optional()
        .describe("Zones the pool's nodes run in: AWS zone letters of the Network's private subnets, one or all (default: all of them; fixed once the pool exists), Azure zones 1-3 (default: every zone of the region)."),
    })
    .strict(),
  { rule: "self.minNodes <= self.maxNodes", message: "spec.nodePools[]: minNodes must not exceed maxNodes", fieldPath: ".minNodes" },
  {
    rule: "!has(self.initialNodes) || (self.initialNodes >= self.minNodes && self.initialNodes <= self.maxNodes)",
    message: "spec.nodePools[]: initialNodes must lie between minNodes and maxNodes",
    fieldPath: ".initialNodes",
  },
  { rule: "!has(self.mode) || self.mode != 'system' || self.minNodes >= 1", message: "spec.nodePools[]: the system pool runs cluster add-ons and needs minNodes of 1 or more", fieldPath: ".minNodes" },
  {
    rule: "!has(self.labels) || self.labels.all(k, !(k.contains('kubernetes.io/') || k.contains('k8s.io/')))",
    message: "spec.nodePools[].labels: keys under kubernetes.io and k8s.io are reserved by the clouds; use your own prefix (e.g. node-role or example.com/team)",
    fieldPath: ".labels",
  },
);

export const K8sClusterSpec = cel(
  z
    .object({
      provider: providerField,
      region: regionField,
      networkRef: localRef("Network").describe("The Network whose private (application) tier holds the control-plane interfaces and nodes. Same provider and region."),
      version: cel(
        z
          .string()
          .regex(/^1\.\d{2}$/, "must be a Kubernetes minor such as 1.35")
          .default(DEFAULT_VERSION)
          .describe(`Kubernetes minor. Offered for new clusters: AWS ${K8S_VERSIONS.aws.join(", ")} (1.34 only with extendedSupport: true), Azure ${K8S_VERSIONS.azure.join(", ")} (1.34 only with extendedSupport: true). Upgrade one minor at a time; no downgrade. Node pools follow the control plane.`),
        upgradeRule,
      ),
      extendedSupport: z
        .boolean()
        .default(false)
        .describe("Let the cluster keep its minor for a year past standard (community) support. AWS: EKS extended support (upgradePolicy EXTENDED), billed hourly once standard support ends; off, EKS upgrades the cluster itself then. Azure: AKS long-term support, the Premium tier with the AKSLongTermSupport plan, billed at the Premium tier's hourly rate from the moment it is on; off, the Standard tier. AKS keeps it on once the running minor has left community support (upgrade first). Needed for 1.34 today on both clouds."),
      addonVersions: z
        .object(
          Object.fromEntries(
            ADDON_VERSION_FIELDS.map((f) => [f, z.string().max(64).regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, "must be an EKS add-on version such as v1.35.3-eksbuild.13 (aws eks describe-addon-versions)").optional()]),
          ) as Record<(typeof ADDON_VERSION_FIELDS)[number], z.ZodOptional<z.ZodString>>,
        )
        .strict()
        .optional()
        .describe("AWS only: pin EKS add-on versions (vpcCni, kubeProxy, coredns, podIdentityAgent, ebsCsiDriver, cloudwatchObservability), e.g. kubeProxy: v1.35.3-eksbuild.13. Unset: the build Tessera lists for the minor the control plane runs (add-ons move after the control plane upgrade), or, for an add-on without one, the build EKS installed at creation (status.warnings names it)."),
      apiAccess: z
        .object({
          public: z.boolean().default(true).describe("Whether the API server has a public endpoint. Off: reachable only from the network (Crossplane must run there to manage what goes into the cluster)."),
          allowedCidrs: z.array(ipv4Cidr).max(40).default([]).describe("CIDRs allowed to reach the public endpoint. Crossplane's egress addresses are added when the platform EnvironmentConfig tessera lists them (data.crossplaneEgressCidrs; on EKS the two together at most 40); otherwise include Crossplane's egress address here, or provider-kubernetes and provider-helm cannot reach the cluster. The nodes need no entry: EKS nodes use the private endpoint, and on AKS Tessera adds the Network's NAT gateway address (a new cluster waits for it). Empty: open to the internet, with a warning in status."),
        })
        .strict()
        .prefault({}),
      networking: z
        .object({
          // Neither cloud changes these after creation: EKS takes serviceIpv4Cidr only in CreateCluster
          // (terraform-provider-aws aws_eks_cluster kubernetes_network_config.service_ipv4_cidr ForceNew),
          // AKS's network_profile service_cidr and pod_cidr are ForceNew too
          // (terraform-provider-azurerm internal/services/containers/kubernetes_cluster_resource.go).
          serviceCidr: cel(
            ipv4Cidr.default("172.20.0.0/16").describe("Cluster-IP range for Services; must not overlap the Network or podCidr (AKS's own default, 10.0.0.0/16, overlaps many VNets). The DNS service gets its tenth address. Immutable."),
            { rule: "self == oldSelf", message: "spec.networking.serviceCidr is immutable: EKS and AKS set the service range only when the cluster is created; set it back, or create a new cluster with the new range and move the workloads" },
          ),
          podCidr: cel(
            ipv4Cidr.default("10.244.0.0/16").describe("Azure only (Azure CNI Overlay): pod range, each node taking a /24. On AWS pods take private-subnet IPs (VPC CNI) and this is unused. Immutable."),
            { rule: "self == oldSelf", message: "spec.networking.podCidr is immutable: AKS sets the pod range only when the cluster is created; set it back, or create a new cluster with the new range and move the workloads" },
          ),
        })
        .strict()
        .prefault({}),
      nodePools: cel(
        z.array(nodePool).min(1).max(10).describe("Node pools, each autoscaled between minNodes and maxNodes. Exactly one has mode: system."),
        { rule: "self.exists_one(p, has(p.mode) && p.mode == 'system')", message: "spec.nodePools: exactly one pool must have mode: system (it runs the cluster's add-ons)" },
        { rule: "self.all(a, self.exists_one(b, b.name == a.name))", message: "spec.nodePools: pool names must be unique (the name is the pool's identity)" },
      ),
      autoscaler: z
        .object({
          scaleDownDelayAfterAdd: z.string().regex(/^\d+[smh]$/, "must be a duration such as 10m").default("10m"),
          scaleDownUnneeded: z.string().regex(/^\d+[smh]$/, "must be a duration such as 10m").default("10m").describe("How long a node must be unneeded before it is removed."),
          scaleDownUtilizationThreshold: z.string().regex(/^(0(\.\d{1,2})?|1(\.0{1,2})?)$/, "must be a fraction such as 0.5").default("0.5").describe("Requested-resources share below which a node is a scale-down candidate."),
          skipNodesWithLocalStorage: z.boolean().default(false),
          skipNodesWithSystemPods: z.boolean().default(true),
          expander: z.enum(EXPANDERS).default("least-waste").describe("Which pool grows when several could."),
          chart: z
            .object({
              repository: z.string().max(512).default("https://kubernetes.github.io/autoscaler").describe("Helm repository (or a mirror) holding the cluster-autoscaler chart."),
              version: z.string().max(32).regex(/^\d+\.\d+\.\d+$/).default("9.52.1").describe("Chart version; pick one whose app version matches the cluster's minor."),
            })
            .strict()
            .prefault({})
            .describe("AWS only: the cluster-autoscaler Helm chart installed into the cluster (AKS has the autoscaler built in)."),
        })
        .strict()
        .prefault({})
        .describe("Cluster autoscaler settings (the seed's by default). Azure: the cluster's autoScalerProfile. AWS: the cluster-autoscaler chart."),
      gpu: z
        .object({
          devicePlugin: z
            .object({
              // 0.20.0 is NVIDIA's newest release as of December 2026 (NVIDIA/k8s-device-plugin tag
              // v0.20.0, chart and app version 0.20.0); eksctl pins the same build (eksctl-io/eksctl
              // "Update nvidia-device-plugin to v0.20.0 (#8840)", pkg/addons/assets/nvidia-device-plugin.yaml).
              // The repository is the one AWS's and NVIDIA's install steps add
              // (docs.aws.amazon.com/eks/latest/userguide/ml-eks-k8s-device-plugin.html).
              chart: z
                .object({
                  repository: z.string().max(512).default("https://nvidia.github.io/k8s-device-plugin").describe("Helm repository (or a mirror) holding NVIDIA's nvidia-device-plugin chart."),
                  version: z.string().max(32).regex(/^\d+\.\d+\.\d+$/).default("0.20.0").describe("Chart version (NVIDIA's chart and plugin share it)."),
                })
                .strict()
                .prefault({})
                .describe("The nvidia-device-plugin Helm chart installed into the cluster when a pool is a GPU pool."),
            })
            .strict()
            .prefault({})
            .describe("NVIDIA's device plugin, which makes GPU nodes advertise nvidia.com/gpu. Neither EKS's NVIDIA AMI nor AKS's GPU driver install runs it."),
        })
        .strict()
        .prefault({})
        .describe("GPU pools (instance types g*, p* on AWS, Standard_N* on Azure). When any pool is one, Tessera installs NVIDIA's device plugin (both clouds, through provider-helm, once the system pool is Ready), scheduled only on GPU pools' nodes and tolerating their taints. GPU pods request nvidia.com/gpu in resources.limits and tolerate the pool's taints (e.g. nvidia.com/gpu=true:NoSchedule)."),
      admins: z
        .array(z.string().min(1).max(2048))
        .max(20)
        .default([])
        .describe("Cluster administrators: IAM role/user ARNs (EKS access entries with AmazonEKSClusterAdminPolicy) or Entra object ids (AKS RBAC Cluster Admin)."),
      namespaces: cel(
        z
          .array(
            z
              .object({
                name: z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label such as broxiva-production"),
                labels: z.record(k8sLabelKey, z.string().max(63).regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/)).optional().meta({ maxProperties: 20 }),
              })
              .strict(),
          )
          .max(30)
          .default([])
          .describe("Namespaces created in the new cluster (through provider-kubernetes, with the connection's kubeconfig), once the system pool is Ready."),
        { rule: "self.all(n, n.name != 'default' && !n.name.startsWith('kube-'))", message: "spec.namespaces: default and kube-* belong to Kubernetes itself; pick other names" },
        { rule: "self.all(a, self.exists_one(b, b.name == a.name))", message: "spec.namespaces: names must be unique" },
      ),
      encryption: z
        .object({
          keyId: z.string().max(2048).optional().describe("Customer key for Kubernetes Secrets at rest: a KMS key ARN (AWS) or a Key Vault key id (Azure, KMS etcd encryption). Unset: the cloud's own keys. Not used for volumes: EBS volumes of the default StorageClass use the account's default EBS key, Azure disks Microsoft-managed keys."),
        })
        .strict()
        .prefault({}),
      monitoring: z
        .object({
          containerInsights: z.boolean().default(true).describe("Container Insights: node, pod and container metrics and logs (the amazon-cloudwatch-observability add-on with a Pod Identity role on AWS; on Azure the monitoring add-on with managed-identity auth and the data collection rule, associated with the cluster, that sends them to the Log Analytics workspace)."),
          controlPlaneLogs: z.array(z.enum(LOG_TYPES)).max(5).default(["audit", "authenticator"]).describe("Control-plane log streams sent to CloudWatch Logs (AWS) / Log Analytics (Azure)."),
          logRetentionDays: cel(z.int().default(30).describe("Days logs are kept: the control-plane log group (AWS); the Log Analytics workspace holding Container Insights and control-plane logs (Azure, which takes 30 to 545 of these values)."), {
            rule: "self in [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731]",
            message: "spec.monitoring.logRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731 (CloudWatch Logs' values; Azure takes those from 30 to 545)",
          }),
        })
        .strict()
        .prefault({}),
      deletionProtection: z
        .boolean()
        .default(true)
        .describe("Keep the cluster and its node pools when this resource is deleted (EKS also refuses deletion itself). Turn off, and wait for Synced, before deleting."),
      connectionSecretName: secretNameField.describe("Name of the connection Secret written in this namespace (default: <metadata.name>-kubeconfig), holding kubeconfig, endpoint, clusterCA, clusterName, provider and region. It must be this resource's own: a Secret of that name that this resource did not create is refused, never overwritten."),
      tags: tagsField,
    })
    .strict(),
  ...commonRules(),
  {
    rule: `!has(self.version) || (self.provider == 'aws' ? self.version in ${celList(K8S_VERSIONS.aws)} : self.version in ${celList(K8S_VERSIONS.azure)})`,
    messageExpression: `'spec.version: ' + self.version + ' cannot be created on ' + self.provider + ' (only supported minors are offered for new clusters; 1.33 and older are past standard support); the oldest Tessera offers there is ' + (self.provider == 'aws' ? '${K8S_VERSIONS.aws[0]} (with extendedSupport: true)' : '${K8S_VERSIONS.azure[0]} (with extendedSupport: true)') + ', the newest ' + (self.provider == 'aws' ? '${K8S_VERSIONS.aws.at(-1)}' : '${K8S_VERSIONS.azure.at(-1)}')`,
    fieldPath: ".version",
  },
  {
    rule: "self.provider != 'aws' || !has(self.version) || self.version != '1.34' || (has(self.extendedSupport) && self.extendedSupport)",
    message: "spec.version: 1.34 left EKS standard support on 2026-12-02; set extendedSupport: true (billed hourly by AWS) or use 1.35",
    fieldPath: ".version",
  },
  {
    rule: "self.provider != 'azure' || !has(self.version) || self.version != '1.34' || (has(self.extendedSupport) && self.extendedSupport)",
    message: "spec.version: 1.34 left AKS community support on 2026-11-30; set extendedSupport: true (AKS long-term support on the Premium tier, billed hourly by Azure) or use 1.35",
    fieldPath: ".version",
  },
  {
    // Log Analytics keeps a workspace's data 30 to 730 days (azurerm log_analytics_workspace
    // retention_in_days: IntBetween(30, 730)); the AWS-only values would leave the workspace uncreated.
    rule: "self.provider != 'azure' || !has(self.monitoring) || !has(self.monitoring.logRetentionDays) || (self.monitoring.logRetentionDays >= 30 && self.monitoring.logRetentionDays <= 730)",
    messageExpression: "'spec.monitoring.logRetentionDays: ' + string(self.monitoring.logRetentionDays) + ' is refused on azure; a Log Analytics workspace keeps data 30 to 730 days, so use 30, 60, 90, 120, 150, 180, 365, 400 or 545'",
    fieldPath: ".monitoring.logRetentionDays",
  },
  {
    rule: "self.provider != 'azure' || !has(self.addonVersions)",
    message: "spec.addonVersions is AWS only (EKS add-ons); AKS upgrades its add-ons with the cluster, so remove addonVersions",
    fieldPath: ".addonVersions",
  },
  {
    rule: "!has(self.addonVersions) || !has(self.addonVersions.cloudwatchObservability) || !has(self.monitoring) || !has(self.monitoring.containerInsights) || self.monitoring.containerInsights",
    message: "spec.addonVersions.cloudwatchObservability pins the Container Insights add-on, which monitoring.containerInsights: false leaves out; remove the pin or turn Container Insights on",
    fieldPath: ".addonVersions.cloudwatchObservability",
  },
  {
    rule: "!has(self.apiAccess) || !has(self.apiAccess.public) || self.apiAccess.public || !has(self.apiAccess.allowedCidrs) || size(self.apiAccess.allowedCidrs) == 0",
    message: "spec.apiAccess.allowedCidrs limits the public endpoint; with public: false there is none, so remove allowedCidrs",
    fieldPath: ".apiAccess.allowedCidrs",
  },
  ...nodeGroupRules,
  {
    rule: "self.provider != 'aws' || self.nodePools.all(p, p.maxNodes <= 450)",
    message: "spec.nodePools[].maxNodes: an EKS managed node group holds at most 450 nodes",
    fieldPath: ".nodePools",
  },
  {
    rule: "self.provider != 'azure' || self.nodePools.all(p, !has(p.mode) || p.mode != 'system' || !has(p.capacity) || p.capacity == 'onDemand')",
    message: "spec.nodePools[].capacity: the AKS system pool cannot run on spot VMs; use onDemand for the system pool",
    fieldPath: ".nodePools",
  },
  {
    rule: "self.provider != 'azure' || self.nodePools.all(p, !has(p.mode) || p.mode != 'system' || !has(p.taints) || p.taints.all(t, t.key == 'CriticalAddonsOnly' && (!has(t.value) || t.value == 'true') && (!has(t.effect) || t.effect == 'NoSchedule')))",
    message: "spec.nodePools[].taints: the AKS system pool takes only CriticalAddonsOnly=true:NoSchedule (as onlyCriticalAddonsEnabled); move other taints to a user pool",
    fieldPath: ".nodePools",
  },
);

export type K8sClusterSpec = z.output<typeof K8sClusterSpec>;
export type NodePool = K8sClusterSpec["nodePools"][number];

const poolStatus = z.object({
  name: z.string(),
  minNodes: z.int().optional(),
  maxNodes: z.int().optional(),
  ready: z.boolean().optional(),
  gpu: z
    .object({
      resource: z.string().optional().describe("The extended resource pods request in resources.limits to get a GPU: nvidia.com/gpu."),
      tolerations: z.array(z.string()).optional().describe("The pool's taints (key=value:effect, AKS's spot taint included), which GPU pods must tolerate."),
      devicePluginReady: z.boolean().optional().describe("Whether NVIDIA's device plugin is installed, so the pool's nodes advertise the resource."),
    })
    .optional()
    .describe("GPU pools only: what GPU pods request and tolerate to run there."),
});

export const K8sClusterStatus = z.object({
  provider: z.string().optional(),
  region: z.string().optional(),
  clusterName: z.string().optional().describe("The cloud's cluster name: what Pod Identity associations (EKS) and kubectl contexts use."),
  clusterId: z.string().optional().describe("EKS cluster ARN or AKS resource id."),
  endpoint: z.string().optional().describe("API server URL."),
  version: z.string().optional().describe("Kubernetes version the cloud reports (it may run ahead of spec.version after an automatic upgrade)."),
  versionSupport: z.string().optional().describe("Support level of spec.version today: standard, extended (EKS extended support, AKS long-term support with extendedSupport on) or unsupported."),
  oidcIssuerUrl: z.string().optional().describe("OIDC issuer of the cluster's service-account tokens (AKS workload identity federates to it)."),
  nodeResourceGroup: z.string().optional().describe("Azure: resource group AKS keeps the nodes in."),
  nodePools: z.array(poolStatus).optional(),
  addons: z.array(z.object({ name: z.string(), version: z.string().optional() })).optional().describe("AWS: each EKS add-on and the build EKS reports it runs."),
  warnings: z.array(z.string()).optional().describe("Things to act on: an automatic upgrade past spec.version, an open public endpoint, an EKS add-on Tessera cannot move."),
  connectionSecretName: z.string().optional().describe("Secret in this namespace with kubeconfig, endpoint, clusterCA, clusterName, provider and region."),
  message: z.string().optional().describe("What the cluster waits for, or 'Available'."),
});
