import { APIS } from "../../apis/index.ts";
import { MAX_SUBNET_PREFIX, NetworkSpec, TIERS } from "../../apis/network/schema.ts";
import { API_VERSION } from "../../apis/shared/common.ts";
import { block, contains, isAligned, overlaps, type Block } from "../shared/cidr.ts";
import { SpecError } from "../shared/errors.ts";
import { checkPeerNetwork } from "../shared/network-ref.ts";
import { parseSpec } from "../shared/parse.ts";
import type { KindModule, RenderContext, Renderer, Selector } from "../shared/types.ts";
import { awsZones } from "../shared/zones.ts";
import { renderAws } from "./aws.ts";
import { renderAzure } from "./azure.ts";
import { dependantsOf, refuseTakingFromDependants, USAGES, usageSelector } from "./dependants.ts";

/** Requirement name for a peer Network. */
export const peerRequirement = (name: string) => `peer-${name}`;

/**
 * Label values (platform.tessera.io/network on every composed resource, and on the Usages that find
 * this Network) hold at most 63 characters, and Azure's Flexible Server zone uses the name as a DNS label.
 */
export const MAX_NETWORK_NAME = 63;

/** CIDR layout checks CEL cannot do here: every subnet aligned, inside spec.cidr, and disjoint; sizes and zones per cloud. */
function checkLayout(spec: NetworkSpec): void {
  if (!isAligned(spec.cidr)) throw SpecError.field("spec.cidr", `got ${spec.cidr}, which is not a network address`, `use ${cidrFix(spec.cidr)}`);
  const vpc = block(spec.cidr);
  if (vpc.prefix < 16 || vpc.prefix > 24) throw SpecError.field("spec.cidr", `got ${spec.cidr}`, "use a prefix from /16 to /24");
  const zones = awsZones(spec.region);
  const seen: Array<{ field: string; cidr: string; block: Block }> = [];
  for (const tier of TIERS) {
    (spec.subnets[tier] ?? []).forEach((s, i) => {
      const field = `spec.subnets.${tier}[${i}].cidr`;
      if (spec.provider === "aws" && s.zone && !zones.includes(s.zone)) {
        throw SpecError.field(`spec.subnets.${tier}[${i}].zone`, `got ${JSON.stringify(s.zone)}, but ${spec.region} has no zone ${spec.region}${s.zone}`, `use one of ${spec.region}'s zones: ${zones.join(", ")}`);
      }
      if (!isAligned(s.cidr)) throw SpecError.field(field, `got ${s.cidr}, which is not a network address`, `use ${cidrFix(s.cidr)}`);
      const b = block(s.cidr);
      const max = MAX_SUBNET_PREFIX[spec.provider];
      if (b.prefix > max) {
        throw SpecError.field(field, `got ${s.cidr}, smaller than ${spec.provider === "aws" ? "AWS" : "Azure"} allows (/${max}: ${2 ** (32 - max)} addresses, 5 of them reserved)`, `use a /${max} or larger`);
      }
      if (!contains(vpc, b)) throw SpecError.field(field, `got ${s.cidr}, outside spec.cidr ${spec.cidr}`, "pick a subnet inside the network's address space");
      const clash = seen.find((o) => overlaps(o.block, b));
      if (clash) throw SpecError.field(field, `got ${s.cidr}, which overlaps ${clash.field} (${clash.cidr})`, "give every subnet its own range");
      seen.push({ field, cidr: s.cidr, block: b });
    });
  }
  const k8s = spec.kubernetes ?? {};
  for (const [name, cidr] of Object.entries(k8s) as Array<[string, string]>) {
    const field = `spec.kubernetes.${name}`;
    if (!isAligned(cidr)) throw SpecError.field(field, `got ${cidr}, which is not a network address`, `use ${cidrFix(cidr)}`);
    if (overlaps(block(cidr), vpc)) throw SpecError.field(field, `got ${cidr}, which overlaps spec.cidr ${spec.cidr}`, "pick a range outside the network's address space (e.g. 10.244.0.0/16 for pods, 172.16.0.0/16 for services when the network is in 10.0.0.0/8)");
  }
  if (k8s.podCidr && k8s.serviceCidr && overlaps(block(k8s.podCidr), block(k8s.serviceCidr))) {
    throw SpecError.field("spec.kubernetes.serviceCidr", `got ${k8s.serviceCidr}, which overlaps spec.kubernetes.podCidr ${k8s.podCidr}`, "give pods and services disjoint ranges");
  }
  if (spec.provider === "aws" && k8s.podCidr) throw SpecError.field("spec.kubernetes.podCidr", "is set on AWS", "remove it: EKS pods take addresses of the private tier");
  if (spec.provider === "aws" && spec.peerings?.length) {
    throw SpecError.field("spec.peerings", "is set on AWS", "remove it: Tessera peers Azure VNets only, and RDS cross-region replicas do not need peering");
  }
  if (spec.provider === "azure" && spec.flowLogs) {
    throw SpecError.field("spec.flowLogs", "is set on Azure", "remove it: VPC flow logs are AWS only");
  }
}

function cidrFix(cidr: string): string {
  const b = block(cidr);
  const ip = [24, 16, 8, 0].map((s) => Math.floor(b.start / 2 ** s) % 256).join(".");
  return `${ip}/${b.prefix}`;
}

function validate({ spec, xr, required }: RenderContext<NetworkSpec>): void {
  if (xr.name.length > MAX_NETWORK_NAME) {
    throw SpecError.field("metadata.name", `got ${xr.name.length} characters (${JSON.stringify(xr.name)})`, `use at most ${MAX_NETWORK_NAME}: the name is a label value on every resource of the Network, and labels hold 63 characters`);
  }
  (spec.peerings ?? []).forEach((p, i) => {
    checkPeerNetwork(`spec.peerings[${i}].networkRef.name`, required[peerRequirement(p.networkRef.name)], { name: xr.name, namespace: xr.namespace, provider: spec.provider, cidr: spec.cidr }, p.networkRef.name);
  });
}

/**
 * spec.region is immutable in the XRD (a CEL transition rule), which the function cannot evaluate
 * without the old object; what exists in the cloud says where the network is.
 */
function refuseRegionChange({ spec, observed }: RenderContext<NetworkSpec>): void {
  for (const [key, o] of Object.entries(observed)) {
    const fp = (o.resource.spec?.["forProvider"] ?? {}) as { region?: unknown; location?: unknown };
    const where = fp.region ?? fp.location;
    if (typeof where === "string" && where !== spec.region) {
      throw SpecError.field("spec.region", `got ${spec.region}, but this network already exists in ${where} (${key})`, `set spec.region back to ${where}; to move, create a new Network in ${spec.region} and move what stands on this one`);
    }
  }
}

/** Renders, then refuses the result if it takes away what a live dependant stands on. */
const guarded = (render: Renderer<NetworkSpec>): Renderer<NetworkSpec> => (ctx) => {
  refuseRegionChange(ctx);
  const out = render(ctx);
  const deps = dependantsOf(ctx.required, ctx.xr);
  refuseTakingFromDependants(deps, ctx.observed, out);
  if (deps.length) out.status["dependants"] = deps.map((d) => `${d.who}: ${d.tier} tier`);
  return out;
};

export const network: KindModule<NetworkSpec> = {
  api: APIS[0],
  parse: (raw) => parseSpec(NetworkSpec, raw, checkLayout),
  requirements: (spec, xr) => {
    const net = (name: string): Selector => ({ apiVersion: API_VERSION, kind: "Network", name, namespace: xr.namespace });
    return {
      [USAGES]: usageSelector(xr),
      ...Object.fromEntries((spec.peerings ?? []).map((p) => [peerRequirement(p.networkRef.name), net(p.networkRef.name)])),
    };
  },
  validate,
  renderers: { aws: guarded(renderAws), azure: guarded(renderAzure) },
  // The managed resource kinds (MRD names) these renderers compose: the Configuration activates
  // exactly these, and a test fails if a renderer composes a kind missing here.
  composes: [
    "defaultsecuritygroups.ec2.aws.m.upbound.io",
    "eips.ec2.aws.m.upbound.io",
    "flowlogs.ec2.aws.m.upbound.io",
    "internetgateways.ec2.aws.m.upbound.io",
    "natgateways.ec2.aws.m.upbound.io",
    "routes.ec2.aws.m.upbound.io",
    "routetableassociations.ec2.aws.m.upbound.io",
    "routetables.ec2.aws.m.upbound.io",
    "securitygroupegressrules.ec2.aws.m.upbound.io",
    "securitygroupingressrules.ec2.aws.m.upbound.io",
    "securitygroups.ec2.aws.m.upbound.io",
    "subnets.ec2.aws.m.upbound.io",
    "vpcs.ec2.aws.m.upbound.io",
    "groups.cloudwatchlogs.aws.m.upbound.io",
    "roles.iam.aws.m.upbound.io",
    "rolepolicies.iam.aws.m.upbound.io",
    "resourcegroups.azure.m.upbound.io",
    "natgatewaypublicipassociations.network.azure.m.upbound.io",
    "natgateways.network.azure.m.upbound.io",
    "privatednszones.network.azure.m.upbound.io",
    "privatednszonevirtualnetworklinks.network.azure.m.upbound.io",
    "publicips.network.azure.m.upbound.io",
    "securitygroups.network.azure.m.upbound.io",
    "subnetnatgatewayassociations.network.azure.m.upbound.io",
    "subnetnetworksecuritygroupassociations.network.azure.m.upbound.io",
    "subnets.network.azure.m.upbound.io",
    "virtualnetworkpeerings.network.azure.m.upbound.io",
    "virtualnetworks.network.azure.m.upbound.io",
  ],
  // A Network holds no data itself; what lives in it is protected by its dependants' Usages, and by
  // refuseTakingFromDependants above.
  stateful: [],
};
