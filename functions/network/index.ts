import { APIS } from "../../apis/index.ts";
import { NetworkSpec, TIERS } from "../../apis/network/schema.ts";
import { block, contains, isAligned, overlaps, type Block } from "../shared/cidr.ts";
import { SpecError } from "../shared/errors.ts";
import { parseSpec } from "../shared/parse.ts";
import type { KindModule } from "../shared/types.ts";
import { renderAws } from "./aws.ts";
import { renderAzure } from "./azure.ts";

/** CIDR layout checks CEL cannot do here: every subnet aligned, inside spec.cidr, and disjoint. */
function checkLayout(spec: NetworkSpec): void {
  if (!isAligned(spec.cidr)) throw SpecError.field("spec.cidr", `got ${spec.cidr}, which is not a network address`, `use ${cidrFix(spec.cidr)}`);
  const vpc = block(spec.cidr);
  if (vpc.prefix < 16 || vpc.prefix > 24) throw SpecError.field("spec.cidr", `got ${spec.cidr}`, "use a prefix from /16 to /24");
  const seen: Array<{ field: string; cidr: string; block: Block }> = [];
  for (const tier of TIERS) {
    (spec.subnets[tier] ?? []).forEach((s, i) => {
      const field = `spec.subnets.${tier}[${i}].cidr`;
      if (!isAligned(s.cidr)) throw SpecError.field(field, `got ${s.cidr}, which is not a network address`, `use ${cidrFix(s.cidr)}`);
      const b = block(s.cidr);
      if (!contains(vpc, b)) throw SpecError.field(field, `got ${s.cidr}, outside spec.cidr ${spec.cidr}`, "pick a subnet inside the network's address space");
      const clash = seen.find((o) => overlaps(o.block, b));
      if (clash) throw SpecError.field(field, `got ${s.cidr}, which overlaps ${clash.field} (${clash.cidr})`, "give every subnet its own range");
      seen.push({ field, cidr: s.cidr, block: b });
    });
  }
}

function cidrFix(cidr: string): string {
  const b = block(cidr);
  const ip = [24, 16, 8, 0].map((s) => Math.floor(b.start / 2 ** s) % 256).join(".");
  return `${ip}/${b.prefix}`;
}

export const network: KindModule<NetworkSpec> = {
  api: APIS[0],
  parse: (raw) => parseSpec(NetworkSpec, raw, checkLayout),
  renderers: { aws: renderAws, azure: renderAzure },
  // The managed resource kinds (MRD names) these renderers compose: the Configuration activates
  // exactly these, and a test fails if a renderer composes a kind missing here.
  composes: [
    "eips.ec2.aws.m.upbound.io",
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
    "virtualnetworks.network.azure.m.upbound.io",
  ],
  // A Network holds no data itself; what lives in it is protected by its dependants' Usages.
  stateful: [],
};
