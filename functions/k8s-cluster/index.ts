import { APIS } from "../../apis/index.ts";
import { K8sClusterSpec } from "../../apis/k8s-cluster/schema.ts";
import { API_VERSION } from "../../apis/shared/common.ts";
import { block, contains, isAligned, overlaps } from "../shared/cidr.ts";

const PRIVATE_BLOCKS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
import { SpecError } from "../shared/errors.ts";
import { checkNetwork } from "../shared/network-ref.ts";
import { parseSpec } from "../shared/parse.ts";
import { azureZones } from "../shared/zones.ts";
import type { KindModule, RenderContext } from "../shared/types.ts";
import { connectionSecretName } from "./connection.ts";
import { buildOf, newer, renderAws } from "./aws.ts";
import { renderAzure } from "./azure.ts";
import { minor, networkOf, seen, today, type NetworkFacts } from "./common.ts";
import { CLUSTER, NETWORK, ROTATION_NAME } from "./names.ts";
import { ADDON_MIN_BUILD, AKS_MAX_PODS, AKS_NODE_POD_PREFIX, AKS_SUPPORT_PLAN, aksSurge, AWS_RESERVED_PER_SUBNET, AZURE_RESERVED_PER_SUBNET, EKS_CONTROL_PLANE_IPS_PER_SUBNET, EKS_UPDATE_SURGE_PER_ZONE, eniLimits, INSTANCE_TYPE, nodeAddresses, supportOn, VERSION_SUPPORT } from "./tables.ts";
import { atProvider, str } from "../shared/observed.ts";

/** Rules of the clouds that need no other resource: instance types, names, CIDR shapes, zones. */
function checkSpec(spec: K8sClusterSpec): K8sClusterSpec {
  const t = INSTANCE_TYPE[spec.provider];
  spec.nodePools.forEach((p, i) => {
    const f = `spec.nodePools[${i}]`;
    if (!t.pattern.test(p.instanceType)) {
      throw SpecError.field(`${f}.instanceType`, `got ${JSON.stringify(p.instanceType)}, which is not ${spec.provider === "aws" ? "an EC2 instance type" : "an Azure VM size"}`, `use one like ${t.example}`);
    }
    if (ROTATION_NAME.test(p.name)) {
      throw SpecError.field(`${f}.name`, `got ${JSON.stringify(p.name)}, which has the shape of Tessera's temporary rotation pool names`, "pick another name");
    }
    if (spec.provider === "aws" && p.zones) {
      for (const z of p.zones) {
        if (!/^[a-f]$/.test(z)) throw SpecError.field(`${f}.zones`, `got ${JSON.stringify(z)}, not an AWS zone letter`, "use zone letters of the Network's private subnets, such as a or b");
      }
    }
    if (spec.provider === "azure" && p.zones) {
      const offered = azureZones(spec.region);
      const bad = p.zones.find((z) => !offered.includes(z));
      if (bad !== undefined) {
        throw SpecError.field(`${f}.zones`, `got ${JSON.stringify(bad)}, but ${spec.region} ${offered.length ? `has zones ${offered.join(", ")}` : "has no availability zones"}`, offered.length ? "use zones 1, 2 or 3" : "remove zones");
      }
    }
    if (spec.provider === "azure" && p.mode === "system" && INSTANCE_TYPE.azure.gpu.test(p.instanceType)) {
      throw SpecError.field(`${f}.instanceType`, `got ${p.instanceType} (GPU) for the system pool`, "run GPUs in a user pool; the AKS system pool runs cluster add-ons");
    }
    // Past the addresses its ENIs carry, the VPC CNI cannot give a pod an address and it stays in
    // ContainerCreating ("failed to assign an IP address to container"): refused for the types listed.
    // (ENIs x (addresses per ENI - 1) + 2, AWS's formula, awslabs/amazon-eks-ami eni-max-pods.txt.)
    const l = spec.provider === "aws" ? eniLimits(p.instanceType) : undefined;
    if (l && p.maxPods !== undefined && p.maxPods > l.enis * (l.ipsPerEni - 1) + 2) {
      const most = l.enis * (l.ipsPerEni - 1) + 2;
      throw SpecError.field(`${f}.maxPods`, `got ${p.maxPods}, but a ${p.instanceType} node has addresses for ${most} pods with the VPC CNI (${l.enis} ENIs x ${l.ipsPerEni - 1} pod addresses, plus the host-network pods)`, `use at most ${most}, or a larger instance type`);
    }
    if (spec.provider === "azure" && p.maxPods !== undefined && p.maxPods > AKS_MAX_PODS) {
      throw SpecError.field(`${f}.maxPods`, `got ${p.maxPods}`, `AKS runs at most ${AKS_MAX_PODS} pods per node`);
    }
  });
  // kube-proxy must not be newer than the API server (kubernetes.io/releases/version-skew-policy); EKS
  // offers no such build for the cluster's minor, so a pin past spec.version is refused here, not by the cloud later.
  const proxy = spec.addonVersions?.kubeProxy && /^v1\.(\d+)\./.exec(spec.addonVersions.kubeProxy);
  if (proxy && Number(proxy[1]) > Number(spec.version.split(".")[1])) {
    throw SpecError.field("spec.addonVersions.kubeProxy", `got ${spec.addonVersions!.kubeProxy}, newer than spec.version ${spec.version}`, `pin a 1.${spec.version.split(".")[1]} build (aws eks describe-addon-versions --addon-name kube-proxy --kubernetes-version ${spec.version}), or remove the pin`);
  }
  for (const [field, min] of Object.entries(ADDON_MIN_BUILD)) {
    const pin = spec.addonVersions?.[field as keyof typeof ADDON_MIN_BUILD];
    const have = buildOf(pin);
    if (have && newer(buildOf(min.build)!, have)) {
      throw SpecError.field(`spec.addonVersions.${field}`, `got ${pin}, older than ${min.build}, ${min.why}`, `pin ${min.build} or later (aws eks describe-addon-versions), or remove the pin`);
    }
  }
  // Admins: IAM role or user ARNs on AWS (access entries take no other principal), Entra object ids on Azure.
  const admin = spec.provider === "aws" ? /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@\/-]+$/ : /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  spec.admins.forEach((a, i) => {
    if (!admin.test(a)) {
      throw SpecError.field(`spec.admins[${i}]`, `got ${JSON.stringify(a)}`, spec.provider === "aws" ? "give an IAM role or user ARN such as arn:aws:iam::111122223333:role/platform-admins" : "give an Entra object id (a GUID) of a user or group");
    }
  });
  for (const [field, cidr] of [["spec.networking.serviceCidr", spec.networking.serviceCidr], ["spec.networking.podCidr", spec.networking.podCidr]] as const) {
    if (!isAligned(cidr)) throw SpecError.field(field, `got ${cidr}, whose address is not the network address of its prefix`, `use ${cidr.split("/")[0]?.split(".").slice(0, 2).join(".")}.0.0/${cidr.split("/")[1]} or another aligned range`);
  }
  const svc = block(spec.networking.serviceCidr);
  // EKS takes /12 to /24 for services; AKS needs room for its services and DNS address, same range.
  if (svc.prefix < 12 || svc.prefix > 24) {
    throw SpecError.field("spec.networking.serviceCidr", `got ${spec.networking.serviceCidr}`, "use a prefix between /12 and /24, such as 172.20.0.0/16");
  }
  // EKS takes a service range only inside the private blocks (CreateCluster KubernetesNetworkConfigRequest.serviceIpv4Cidr).
  if (spec.provider === "aws" && !PRIVATE_BLOCKS.some((b) => contains(block(b), svc))) {
    throw SpecError.field("spec.networking.serviceCidr", `got ${spec.networking.serviceCidr}, outside the private ranges`, "EKS takes a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, such as 172.20.0.0/16");
  }
  if (spec.provider === "azure") {
    const pod = block(spec.networking.podCidr);
    if (overlaps(svc, pod)) {
      throw SpecError.field("spec.networking.podCidr", `got ${spec.networking.podCidr}, overlapping serviceCidr ${spec.networking.serviceCidr}`, "give pods and services separate ranges");
    }
    // Overlay gives every node a /24 of the pod range, surge and rotation nodes included.
    const n = aksNodes(spec);
    const slots = pod.prefix > AKS_NODE_POD_PREFIX ? 0 : 2 ** (AKS_NODE_POD_PREFIX - pod.prefix);
    if (n.total > slots) {
      throw SpecError.field("spec.networking.podCidr", `got ${spec.networking.podCidr}, room for ${slots} nodes at one /24 each, but the pools reach ${n.total} nodes (${n.explain})`, "use a larger pod range (a /16 holds 256 nodes) or lower maxNodes");
    }
  }
  return spec;
}

/**
 * AKS keeps long-term support on for a minor that has left community support: "once the community
 * support period has ended, you can't disable LTS for that version" (MicrosoftDocs/azure-aks-docs
 * articles/aks/long-term-support.md, FAQ and "Disable long-term support"). Turning extendedSupport off
 * then would fail on every sync, so it is refused, naming the upgrade that allows it. The running
 * minor decides (the cluster may not have reached spec.version yet); it depends on the date, which
 * CEL cannot see.
 */
function checkLongTermSupport(ctx: RenderContext<K8sClusterSpec>, day = today()): void {
  const { spec, observed } = ctx;
  const cluster = atProvider(observed[CLUSTER]);
  const plan = str(cluster["supportPlan"]) ?? (seen(observed[CLUSTER], "supportPlan") as string | undefined);
  const running = minor(str(cluster["currentKubernetesVersion"]));
  if (spec.extendedSupport || plan !== AKS_SUPPORT_PLAN.extended.supportPlan || running === undefined) return;
  const version = `1.${running}`;
  if (supportOn("azure", version, day, false) === "standard") return;
  const next = Object.keys(VERSION_SUPPORT.azure).find((v) => minor(v)! > running && supportOn("azure", v, day, false) === "standard");
  throw SpecError.field(
    "spec.extendedSupport",
    `got false, but the cluster runs ${version} under AKS long-term support and ${version} has left community support, so AKS keeps long-term support on`,
    `keep extendedSupport: true, or first upgrade spec.version${next ? ` to ${next}` : ""} (one minor at a time) and turn it off once the cluster runs a minor in community support`,
  );
}

/**
 * The most nodes an AKS cluster's pools hold at once: every pool at maxNodes plus its upgrade surge
 * (tables.ts aksSurge), plus a full copy of the largest pool that rotates through a temporary pool
 * (temporaryNameForRotation, azure.ts: a change of VM size, zones or OS disk makes AKS create the
 * temporary pool at the pool's node count before it deletes the old one; spot pools do not rotate).
 * Every node takes one address of the node subnet and one /24 of podCidr (Azure CNI Overlay,
 * MicrosoftDocs/azure-aks-docs articles/aks/concepts-network-azure-cni-overlay.md "IP address planning":
 * "only the Kubernetes cluster nodes are assigned IPs from subnets"; size the subnet for "upgrade and
 * scale operations"). AKS itself counts every pool's max count when autoscaling is on
 * (InsufficientSubnetSize: "the max-count from each nodepool is counted towards this total",
 * Azure/AKS-Construction#701) and its planning formula adds max surge (concepts-network-ip-address-planning.md:
 * "n + number-of-additional-scaled-nodes-you-anticipate + max surge"); a pool added later that does not
 * fit fails only at deployment (Azure/AKS#3653).
 * Worked example, Broxiva on AKS (system 4, application 20, worker 15, ai 5): surges 1 + 2 + 2 + 1 = 6,
 * the largest rotation 20 (application): 44 + 6 + 20 = 70 nodes.
 */
export function aksNodes(spec: K8sClusterSpec): { total: number; explain: string } {
  const pools = spec.nodePools.map((p) => ({ p, surge: aksSurge(p.maxNodes) }));
  const rotating = spec.nodePools.filter((p) => p.capacity !== "spot");
  const rotation = rotating.reduce<(typeof rotating)[number] | undefined>((a, b) => (!a || b.maxNodes > a.maxNodes ? b : a), undefined);
  const max = pools.reduce((n, x) => n + x.p.maxNodes, 0);
  const surge = pools.reduce((n, x) => n + x.surge, 0);
  const total = max + surge + (rotation?.maxNodes ?? 0);
  const explain = `${max} at maxNodes + ${surge} upgrade surge` + (rotation ? ` + ${rotation.maxNodes} while pool ${rotation.name} rotates` : "");
  return { total, explain };
}

/**
 * The worst case of each zone's private subnet on EKS, in addresses (see validate). A pool in one zone
 * counts fully there; a pool over all n zones counts ceil(maxNodes / n) nodes per zone: its Auto
 * Scaling group balances the zones (Availability Zone rebalancing keeps them within one instance of
 * each other, docs.aws.amazon.com/autoscaling/ec2/userguide/auto-scaling-benefits.html), but only
 * roughly: a zone short of capacity makes it launch in the others. On top, each zone keeps free what
 * one node group update adds there (EKS_UPDATE_SURGE_PER_ZONE nodes of the pool with the largest nodes
 * in that zone), which also absorbs a tilt of that many nodes between updates.
 * Tessera's renders roll every pool at once (a spec.version change moves every NodeGroup's version in
 * one render, and a tags change gives every launch template a new version, which every group then
 * rolls to), so an update of all pools while all of them are at maxNodes needs the surge of every pool
 * (`allSurge`), more than the seeds' /24 subnets hold; Tessera keeps one pool's surge free and says
 * how much all of them need.
 */
export function eksZoneBudget(spec: K8sClusterSpec, net: NetworkFacts): Array<{
  zone: string;
  cidrs: string[];
  free: number;
  pools: Array<{ index: number; name: string; nodes: number; perNode: number; ips: number; singleZone: boolean }>;
  scaleOut: number;
  surge: { pool: string; ips: number } | undefined;
  allSurge: number;
  need: number;
}> {
  const zones = [...new Set(net.private.map((s) => s.zone ?? ""))];
  return zones.map((zone) => {
    const subnets = net.private.filter((s) => (s.zone ?? "") === zone);
    const free = subnets.reduce((n, s) => n + 2 ** (32 - block(s.cidr).prefix) - AWS_RESERVED_PER_SUBNET - EKS_CONTROL_PLANE_IPS_PER_SUBNET, 0);
    const pools = spec.nodePools.flatMap((p, index) => {
      const single = p.zones !== undefined && new Set(p.zones).size === 1;
      if (single && p.zones![0] !== zone) return [];
      const nodes = single ? p.maxNodes : Math.ceil(p.maxNodes / zones.length);
      const perNode = nodeAddresses(p.instanceType, p.maxPods).total;
      return [{ index, name: p.name, nodes, perNode, ips: nodes * perNode, singleZone: single }];
    });
    const scaleOut = pools.reduce((n, x) => n + x.ips, 0);
    const widest = pools.reduce<(typeof pools)[number] | undefined>((a, b) => (!a || b.perNode > a.perNode ? b : a), undefined);
    const surge = widest && { pool: widest.name, ips: EKS_UPDATE_SURGE_PER_ZONE * widest.perNode };
    const allSurge = pools.reduce((n, x) => n + EKS_UPDATE_SURGE_PER_ZONE * x.perNode, 0);
    return { zone, cidrs: subnets.map((s) => s.cidr), free, pools, scaleOut, surge, allSurge, need: scaleOut + (surge?.ips ?? 0) };
  });
}

/** Rules that need the Network: same cloud and region, CIDR overlaps, zones, and room for nodes and pod IPs in the subnets. */
function validate(ctx: RenderContext<K8sClusterSpec>): void {
  const { spec, xr, required } = ctx;
  checkNetwork("spec.networkRef.name", required[NETWORK], spec.networkRef.name, xr.namespace, spec.provider, spec.region, "cluster");
  const net = networkOf(ctx);
  if (!net.private.length) {
    throw SpecError.field("spec.networkRef.name", `Network ${JSON.stringify(net.name)} has no private subnets`, "add spec.subnets.private to that Network");
  }
  // AKS names the cluster after the XR (unique in the Network's resource group): 1-63 characters, letters, digits, - and _.
  if (spec.provider === "azure" && !/^[a-zA-Z0-9]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?$/.test(xr.name)) {
    throw SpecError.field("metadata.name", `got ${JSON.stringify(xr.name)}, which AKS cannot take as a cluster name`, "use at most 63 letters, digits and hyphens (no dots)");
  }
  const vnet = block(net.cidr);
  const ranges: Array<[string, string]> = [["spec.networking.serviceCidr", spec.networking.serviceCidr]];
  if (spec.provider === "azure") ranges.push(["spec.networking.podCidr", spec.networking.podCidr]);
  for (const [field, cidr] of ranges) {
    if (overlaps(block(cidr), vnet)) {
      throw SpecError.field(field, `got ${cidr}, overlapping Network ${JSON.stringify(net.name)}'s ${net.cidr}`, "pick a range outside the network, such as 172.20.0.0/16 for services or 10.244.0.0/16 for pods");
    }
  }
  if (spec.provider === "azure") {
    checkLongTermSupport(ctx);
    // Every node takes an address of the node subnet (the Network's private subnet), counted as aksNodes says.
    const usable = Math.min(...net.private.map((s) => 2 ** (32 - block(s.cidr).prefix) - AZURE_RESERVED_PER_SUBNET));
    const subnet = net.private.find((s) => 2 ** (32 - block(s.cidr).prefix) - AZURE_RESERVED_PER_SUBNET === usable)!;
    const n = aksNodes(spec);
    if (n.total > usable) {
      const i = spec.nodePools.reduce((a, p, j) => (p.maxNodes > spec.nodePools[a]!.maxNodes ? j : a), 0);
      throw SpecError.field(
        `spec.nodePools[${i}].maxNodes`,
        `got ${spec.nodePools[i]!.maxNodes} (pool ${spec.nodePools[i]!.name}); the pools reach ${n.total} nodes (${n.explain}), one address each, but private subnet ${subnet.cidr} has ${usable} (Azure reserves ${AZURE_RESERVED_PER_SUBNET}), so AKS refuses them (InsufficientSubnetSize)`,
        "lower maxNodes (the largest pool counts twice), or widen the Network's private subnet (a /24 holds 251 nodes)",
      );
    }
    return;
  }
  if (spec.provider !== "aws") return;

  const zones = net.private.map((s) => s.zone ?? "");
  if (zones.length < 2) {
    throw SpecError.field("spec.networkRef.name", `Network ${JSON.stringify(net.name)} has private subnets in ${zones.length} zone`, "EKS needs the control plane's subnets in at least two zones; add a private subnet in a second zone");
  }
  spec.nodePools.forEach((p, i) => {
    if (!p.zones) return;
    const missing = p.zones.find((z) => !zones.includes(z));
    if (missing) {
      throw SpecError.field(`spec.nodePools[${i}].zones`, `got zone ${missing}, but Network ${JSON.stringify(net.name)} has private subnets in ${zones.join(", ")}`, "use those zones, or add a private subnet in that zone to the Network");
    }
    if (new Set(p.zones).size !== 1 && new Set(p.zones).size !== zones.length) {
      throw SpecError.field(`spec.nodePools[${i}].zones`, `got ${p.zones.join(", ")}; a node group selects its subnets by label, so it can use one zone or all of the Network's (${zones.join(", ")})`, "give one zone, or remove zones for all");
    }
  });

  // The VPC CNI gives every pod an address of its node's subnet, and a node group's nodes live in the
  // private subnets of its zones, so each zone's subnet must hold its share of every pool at maxNodes,
  // every node full, less AWS's reserved addresses and the control plane's interfaces, and keep one
  // node group update's surge free (eksZoneBudget). A node holds its pods' addresses, the vpc-cni warm
  // pool and one primary address per ENI (tables.ts nodeAddresses, with the warm pool Tessera
  // configures). Prefix delegation would not help: it hands out the same addresses in /28 blocks
  // (research/next-apis.md §1.6).
  for (const z of eksZoneBudget(spec, net)) {
    if (z.need <= z.free) continue;
    const biggest = z.pools.reduce((a, b) => (b.ips > a.ips ? b : a));
    const p = spec.nodePools[biggest.index]!;
    // Kept short (messages are cut at 500 characters); the README's "Pod addresses" spells out the arithmetic.
    throw SpecError.field(
      `spec.nodePools[${biggest.index}].maxNodes`,
      `got ${p.maxNodes} (pool ${p.name}); zone ${z.zone} needs ${z.need} addresses of the ${z.free} free in ${z.cidrs.join(", ")}: ` +
        `${z.pools.map((x) => `${x.name} ${x.nodes} x ${x.perNode}`).join(", ")} at maxNodes, + ${z.surge!.ips} for a node group update (${EKS_UPDATE_SURGE_PER_ZONE} x ${z.surge!.ips / EKS_UPDATE_SURGE_PER_ZONE} ${z.surge!.pool})`,
      `lower maxNodes or ${p.maxPods === undefined ? "set" : "lower"} maxPods${biggest.singleZone ? `, spread pool ${p.name} over all zones (remove zones)` : ""}, or widen zone ${z.zone}'s private subnet (a /20 holds about 4,000)`,
    );
  }
}

export const k8sCluster: KindModule<K8sClusterSpec> = {
  api: APIS[3],
  parse: (raw) => parseSpec(K8sClusterSpec, raw, checkSpec),
  requirements: (spec, xr) => ({ [NETWORK]: { apiVersion: API_VERSION, kind: "Network", name: spec.networkRef.name, namespace: xr.namespace } }),
  validate,
  // A public endpoint limited to allowedCidrs is a firewall provider-kubernetes and provider-helm must pass (shared/platform.ts).
  platform: (spec) => spec.apiAccess.public && spec.apiAccess.allowedCidrs.length > 0,
  // The connection Secret's name is the user's to choose; fn.ts makes sure it is this XR's own.
  secrets: (spec, xr) => [{ field: "spec.connectionSecretName", name: connectionSecretName({ spec, xr, observed: {}, required: {} }) }],
  renderers: { aws: renderAws, azure: renderAzure },
  // The managed resource kinds (MRD names) these renderers compose: the Configuration activates
  // exactly these. Crossplane's own Usage is not a managed resource and needs no activation.
  composes: [
    "clusters.eks.aws.m.upbound.io",
    "nodegroups.eks.aws.m.upbound.io",
    "clusterauths.eks.aws.m.upbound.io",
    "addons.eks.aws.m.upbound.io",
    "accessentries.eks.aws.m.upbound.io",
    "accesspolicyassociations.eks.aws.m.upbound.io",
    "launchtemplates.ec2.aws.m.upbound.io",
    "roles.iam.aws.m.upbound.io",
    "rolepolicyattachments.iam.aws.m.upbound.io",
    "groups.cloudwatchlogs.aws.m.upbound.io",
    "kubernetesclusters.containerservice.azure.m.upbound.io",
    "kubernetesclusternodepools.containerservice.azure.m.upbound.io",
    "userassignedidentities.managedidentity.azure.m.upbound.io",
    "roleassignments.authorization.azure.m.upbound.io",
    "workspaces.operationalinsights.azure.m.upbound.io",
    "monitordiagnosticsettings.insights.azure.m.upbound.io",
    "monitordatacollectionrules.insights.azure.m.upbound.io",
    "monitordatacollectionruleassociations.insights.azure.m.upbound.io",
    "rolepolicies.iam.aws.m.upbound.io",
    "podidentityassociations.eks.aws.m.upbound.io",
    // Installed into the new cluster: provider-helm and provider-kubernetes (crossplane-contrib).
    // (Their ProviderConfigs, like Crossplane's Usage, are not managed resources and need no activation.)
    "releases.helm.m.crossplane.io",
    "objects.kubernetes.m.crossplane.io",
  ],
  // The cluster and its node pools: never dropped from desired state (a bad spec or a missing Network
  // refuses instead). The AKS system pool lives inside the KubernetesCluster.
  stateful: [
    "eks.aws.m.upbound.io/Cluster",
    "eks.aws.m.upbound.io/NodeGroup",
    "containerservice.azure.m.upbound.io/KubernetesCluster",
    "containerservice.azure.m.upbound.io/KubernetesClusterNodePool",
  ],
};
