/**
 * Network: the private network every other Tessera kind is placed in. Written once here; the XRD
 * (apis/network/definition.yaml) is generated from it and the function parses XRs with it.
 */
import { z } from "zod";
import { cel, providerField, commonRules, regionField, tagsField } from "../shared/common.ts";

export const TIERS = ["public", "private", "database", "cache"] as const;
export type Tier = (typeof TIERS)[number];

const ipv4Cidr = z
  .string()
  .max(18)
  .regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(\d|[12]\d|3[0-2])$/, "must be an IPv4 CIDR such as 10.0.1.0/24");

const subnet = z
  .object({
    zone: z
      .string()
      .regex(/^[a-f]$/, "must be an availability-zone letter a-f")
      .optional()
      .describe("AWS only: availability-zone letter, appended to the region (us-east-1 + a = us-east-1a). Azure subnets span all zones, so it must be unset there."),
    cidr: ipv4Cidr.describe("Subnet CIDR; must lie inside spec.cidr and not overlap another subnet."),
  })
  .strict();

// One subnet per zone and tier: the zone is part of each subnet's identity (its composed-resource key),
// so two subnets in one zone would collide.
const subnetList = (tier: string, what: string, min: number) =>
  cel(
    z.array(subnet).min(min).max(6).describe(what),
    {
      rule: "self.all(a, !has(a.zone) || self.exists_one(b, has(b.zone) && b.zone == a.zone))",
      message: `spec.subnets.${tier}: at most one subnet per zone; give each subnet of this tier its own zone`,
    },
  );

export const NetworkSpec = cel(
  z
    .object({
      provider: providerField,
      region: regionField,
      cidr: ipv4Cidr.describe("Address space of the VPC (AWS) / VNet (Azure), e.g. 10.0.0.0/16. Prefix /16 to /24."),
      subnets: z
        .object({
          public: subnetList("public", "Load-balancer tier: the only tier with a route to the internet gateway (AWS) and 80/443 open to the internet.", 1),
          private: subnetList("private", "Application tier: egress through NAT, ingress only from the load-balancer tier on spec.appPorts.", 1),
          database: subnetList("database", "Database tier: no internet route; 5432 reachable from the application tier only. AWS needs two zones.", 1),
          cache: subnetList("cache", "Cache tier (optional): no internet route; 6379 reachable from the application tier only.", 1).optional(),
        })
        .strict()
        .describe("Subnets per tier. AWS: one entry per availability zone. Azure: exactly one entry per tier, without zone."),
      natGateway: z
        .enum(["PerZone", "Shared"])
        .optional()
        .describe("Egress NAT for the application tier. PerZone: one NAT gateway in each zone that has application subnets (survives a zone outage; needs a public subnet in each of those zones). Shared: one NAT gateway for all. Default: PerZone on AWS; Azure offers only Shared (a subnet takes a single NAT gateway)."),
      appPorts: z
        .array(z.int().min(1).max(65535))
        .min(1)
        .max(8)
        .default([8080])
        .describe("TCP ports the application tier accepts from the load-balancer tier. Default: [8080]."),
      tags: tagsField,
    })
    .strict(),
  ...commonRules(),
  {
    rule: "self.provider != 'aws' || (self.subnets.public.all(s, has(s.zone)) && self.subnets.private.all(s, has(s.zone)) && self.subnets.database.all(s, has(s.zone)) && (!has(self.subnets.cache) || self.subnets.cache.all(s, has(s.zone))))",
    message: "spec.subnets: on AWS every subnet needs a zone (a-f)",
    fieldPath: ".subnets",
  },
  {
    rule: "self.provider != 'aws' || size(self.subnets.database) >= 2",
    message: "spec.subnets.database: RDS needs database subnets in at least two zones on AWS; add a second entry",
    fieldPath: ".subnets.database",
  },
  {
    rule: "self.provider != 'azure' || (size(self.subnets.public) == 1 && size(self.subnets.private) == 1 && size(self.subnets.database) == 1 && (!has(self.subnets.cache) || size(self.subnets.cache) == 1))",
    message: "spec.subnets: Azure subnets span all zones, so each tier takes exactly one entry",
    fieldPath: ".subnets",
  },
  {
    rule: "self.provider != 'azure' || (self.subnets.public.all(s, !has(s.zone)) && self.subnets.private.all(s, !has(s.zone)) && self.subnets.database.all(s, !has(s.zone)) && (!has(self.subnets.cache) || self.subnets.cache.all(s, !has(s.zone))))",
    message: "spec.subnets: Azure subnets span all zones; remove zone from every subnet",
    fieldPath: ".subnets",
  },
  {
    rule: "self.provider != 'azure' || !has(self.natGateway) || self.natGateway == 'Shared'",
    message: "spec.natGateway: Azure attaches a single NAT gateway to a subnet; use Shared or leave it unset",
    fieldPath: ".natGateway",
  },
  {
    rule: "self.provider != 'aws' || (has(self.natGateway) && self.natGateway == 'Shared') || self.subnets.private.all(p, self.subnets.public.exists(q, has(q.zone) && has(p.zone) && q.zone == p.zone))",
    message: "spec.natGateway: PerZone puts a NAT gateway in each application zone, which needs a public subnet in that zone; add the public subnet or set natGateway: Shared",
    fieldPath: ".natGateway",
  },
);

export type NetworkSpec = z.output<typeof NetworkSpec>;

const ids = z.array(z.string().max(512)).max(6);

export const NetworkStatus = z.object({
  provider: z.string().optional().describe("Cloud this network lives on."),
  region: z.string().optional(),
  cidr: z.string().optional(),
  networkId: z.string().optional().describe("VPC id (AWS) or VNet id (Azure), once observed."),
  resourceGroupName: z.string().optional().describe("Azure resource group holding the network and the resources placed in it."),
  subnetIds: z
    .object({ public: ids.optional(), private: ids.optional(), database: ids.optional(), cache: ids.optional() })
    .optional()
    .describe("Subnet ids per tier, once observed."),
  securityGroupIds: z
    .object({ loadBalancer: z.string().optional(), app: z.string().optional(), database: z.string().optional(), cache: z.string().optional() })
    .optional()
    .describe("Security group (AWS) / network security group (Azure) ids per tier, once observed."),
  natGatewayIds: ids.optional(),
  privateDnsZoneIds: z.object({ postgres: z.string().optional(), redis: z.string().optional() }).optional().describe("Azure private DNS zones linked to the VNet."),
  message: z.string().optional().describe("Why the network is not ready yet, or 'Available'."),
});
