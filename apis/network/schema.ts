/**
 * Network: the private network every other Tessera kind is placed in. Written once here; the XRD
 * (apis/network/definition.yaml) is generated from it and the function parses XRs with it.
 *
 * Rules CEL can express live here (the API server refuses them at `kubectl apply`, and the function
 * evaluates the same rules offline). Rules only the function checks, named in the descriptions below:
 * CIDR alignment, containment and overlap, the peer Networks (exist, same provider, no overlap), the
 * Network's name length, and what live dependants (PostgresDatabase, RedisCluster...) stand on.
 */
import { z } from "zod";
import { cel, commonRules, localRef, providerField, REGIONS, tagsField } from "../shared/common.ts";
import { AWS_ZONES } from "../../functions/shared/zones.ts";

export const TIERS = ["public", "private", "database", "cache"] as const;
export type Tier = (typeof TIERS)[number];

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/**
 * Smallest subnet each cloud accepts: AWS /28 (16 addresses), Azure /29 (8 addresses). Both reserve 5
 * per subnet (network, router, DNS, future use, broadcast on AWS; network, gateway, 2 DNS, broadcast on Azure).
 * https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
 * https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq#are-there-any-restrictions-on-using-ip-addresses-within-these-subnets
 */
export const MAX_SUBNET_PREFIX = { aws: 28, azure: 29 } as const;
export const RESERVED_PER_SUBNET = 5;

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
      .describe("AWS only: availability-zone letter, appended to the region (us-east-1 + a = us-east-1a); it must be a zone the region has (us-west-2 has a-d, us-east-1 a-f, ca-central-1 a, b, d, ap-northeast-1 a, c, d, most others a-c). Azure subnets span all zones, so it must be unset there."),
    cidr: ipv4Cidr.describe(
      "Subnet CIDR. Smallest: /28 on AWS, /29 on Azure; each cloud reserves 5 addresses per subnet, so a /24 holds 251 hosts. Checked by the function only: it must be a network address, lie inside spec.cidr and not overlap another subnet.",
    ),
  })
  .strict()
  .describe("One subnet: its CIDR and (AWS) its availability zone.");

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

const peering = z
  .object({ networkRef: localRef("Network") })
  .strict()
  .describe("A Network to peer with (Azure VNet peering). Checked by the function only: it exists in this namespace, is on Azure, is not this Network, and its address space does not overlap this one's. Another region is allowed.");

const flowLogs = z
  .object({
    enabled: z.boolean().default(true).describe("Record the VPC's traffic (accepted and rejected) to CloudWatch Logs. Default: true."),
    retentionDays: cel(
      z.int().default(30).describe(`Days CloudWatch Logs keeps the flow logs: one of ${LOG_RETENTION_DAYS.join(", ")}. Default: 30.`),
      { rule: `self in [${LOG_RETENTION_DAYS.join(", ")}]`, message: `spec.flowLogs.retentionDays: CloudWatch Logs keeps logs for one of ${LOG_RETENTION_DAYS.join(", ")} days; pick one of those` },
    ),
  })
  .strict()
  .describe("AWS only: VPC flow logs to a CloudWatch Logs group (with its IAM role), on by default. Turning them off deletes the log group and the logs in it. Azure: must be unset (VNet flow logs need a Network Watcher and a storage account, which Tessera does not compose yet).");

const TIER_KEYS = ["public", "private", "database", "cache"] as const;
const everySubnet = (cond: string) =>
  TIER_KEYS.map((t) => (t === "cache" ? `(!has(self.subnets.cache) || self.subnets.cache.all(s, ${cond}))` : `self.subnets.${t}.all(s, ${cond})`)).join(" && ");

/** CEL list of the zone letters of the spec's AWS region; regions with a, b, c fall through to the last branch. */
const zonesCel = (() => {
  const celList = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(", ")}]`;
  const special = Object.entries(AWS_ZONES).filter(([, z]) => z.join() !== "a,b,c");
  return special.reduce((acc, [region, zones]) => `self.region == '${region}' ? ${celList(zones)} : (${acc})`, "['a', 'b', 'c']");
})();
/** The same, as one string for messages (CEL has no join in the subset Tessera evaluates). */
const zonesTextCel = Object.entries(AWS_ZONES)
  .filter(([, z]) => z.join() !== "a,b,c")
  .reduce((acc, [region, zones]) => `self.region == '${region}' ? '${zones.join(", ")}' : (${acc})`, "'a, b, c'");

const prefixesBetween = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => `/${lo + i}`);
const endsWithAny = (expr: string, suffixes: string[]) => `(${suffixes.map((p) => `${expr}.endsWith('${p}')`).join(" || ")})`;

export const NetworkSpec = cel(
  z
    .object({
      provider: providerField,
      region: cel(
        z.string().min(1).max(32).describe(`Cloud region; must belong to spec.provider. Immutable. AWS: ${REGIONS.aws.join(", ")}. Azure: ${REGIONS.azure.join(", ")}.`),
        { rule: "self == oldSelf", message: "spec.region is immutable: resources cannot move between regions; create a new resource in the other region" },
      ),
      cidr: ipv4Cidr.describe("Address space of the VPC (AWS) / VNet (Azure), e.g. 10.0.0.0/16. Prefix /16 to /24. Checked by the function only: it must be a network address (10.0.0.0/16, not 10.0.0.5/16)."),
      subnets: z
        .object({
          public: subnetList("public", "Load-balancer tier: the only tier with a route to the internet gateway (AWS) and 80/443 open to the internet; it sends only to the application tier on spec.appPorts. AWS subnets carry kubernetes.io/role/elb=1 so Kubernetes load balancers find them.", 1),
          private: subnetList(
            "private",
            "Application tier: egress through NAT (see spec.appEgress), ingress from the load-balancer tier on spec.appPorts and from itself (Kubernetes node and pod traffic). Room for hosts: each subnet holds 2^(32-prefix)-5 addresses (a /24 holds 251, a /20 4091; status.usableAddresses.private adds them up); on EKS the VPC CNI takes one per pod, so size this tier for nodes x pods per node. AWS subnets carry kubernetes.io/role/internal-elb=1.",
            1,
          ),
          database: subnetList("database", "Database tier: no internet route; 5432 from the application tier, from itself (Flexible Server HA), and on Azure from the database subnets of peered Networks. AWS needs two zones.", 1),
          cache: subnetList("cache", "Cache tier (optional): no internet route; Redis reachable from the application tier only (AWS 6379; Azure 10000 and 8500-8599 for Azure Managed Redis, 6380 and 15000-15999 for Azure Cache for Redis).", 1).optional(),
        })
        .strict()
        .describe("Subnets per tier. AWS: one entry per availability zone. Azure: exactly one entry per tier, without zone. A tier, a zone or a subnet range that a live PostgresDatabase or RedisCluster stands on cannot be removed or changed (the function refuses it, naming the dependant)."),
      natGateway: z
        .enum(["PerZone", "Shared"])
        .optional()
        .describe("Egress NAT for the application tier. PerZone: one NAT gateway in each zone that has application subnets (survives a zone outage; needs a public subnet in each of those zones). Shared: one NAT gateway for all. Default: PerZone on AWS; Azure offers only Shared (a subnet takes a single NAT gateway)."),
      appPorts: z
        .array(z.int().min(1).max(65535).describe("A TCP port of the application tier."))
        .min(1)
        .max(8)
        .default([8080])
        .describe("TCP ports the application tier accepts from the load-balancer tier (and the only ports the load-balancer tier may send to). Default: [8080]."),
      appEgress: z
        .enum(["Restricted", "Network"])
        .default("Restricted")
        .describe("What the application tier may send. Restricted: PostgreSQL (5432) to the database tier, Redis to the cache tier, its own subnets, HTTPS (443) and DNS (UDP 53) to the internet. Network: anything inside the network, plus HTTPS and DNS to the internet. Nothing else leaves for the internet either way. Default: Restricted."),
      peerings: cel(
        z.array(peering).max(8).optional().describe("Azure only: Networks whose VNets this one peers with, e.g. for a PostgresDatabase read replica in another region. Each Network composes its own direction of the peering, so both Networks must name each other. PostgreSQL (5432) is allowed between the peers' database subnets; nothing else."),
        { rule: "self.all(a, self.exists_one(b, b.networkRef.name == a.networkRef.name))", message: "spec.peerings: each Network may be named once; remove the duplicate" },
      ),
      flowLogs: flowLogs.optional(),
      kubernetes: z
        .object({
          podCidr: ipv4Cidr.optional().describe("Azure only: the pod range of AKS clusters in this network (Azure CNI overlay; AKS's default is 10.244.0.0/16). Pod traffic is not encapsulated, so the application tier's NSG allows it to and from this range. Pods of several clusters may share it. AWS: must be unset (the VPC CNI gives pods addresses of the private tier)."),
          serviceCidr: ipv4Cidr.optional().describe("The Kubernetes service range of clusters in this network (AKS's default 10.0.0.0/16 is a common VNet range, so set it). Checked by the function only: neither range may overlap spec.cidr or each other."),
        })
        .strict()
        .optional()
        .describe("Address ranges Kubernetes clusters placed in this network use outside it, reserved here so nothing overlaps them; K8sCluster reads them."),
      tags: tagsField,
    })
    .strict()
    .describe(
      "A private network with public, application, database and cache tiers. Checked by the function only (kubectl apply accepts them, the XR then reports the refusal): CIDR alignment, containment and overlap; Kubernetes ranges outside the network; peers (exist, same cloud, not overlapping); metadata.name at most 63 characters (a label value on every resource); a region change over live resources; and nothing a live dependant (PostgresDatabase, RedisCluster) stands on may be removed.",
    ),
  ...commonRules(),
  {
    rule: `self.provider != 'aws' || (${everySubnet("has(s.zone)")})`,
    message: "spec.subnets: on AWS every subnet needs a zone (a-f)",
    fieldPath: ".subnets",
  },
  {
    rule: `self.provider != 'aws' || (${everySubnet(`!has(s.zone) || s.zone in (${zonesCel})`)})`,
    messageExpression: `'spec.subnets: a zone is not an availability zone of ' + self.region + '; use one of its zones: ' + (${zonesTextCel})`,
    fieldPath: ".subnets",
  },
  {
    rule: "self.provider != 'aws' || size(self.subnets.database) >= 2",
    message: "spec.subnets.database: RDS needs database subnets in at least two zones on AWS; add a second entry",
    fieldPath: ".subnets.database",
  },
  {
    rule: `!${endsWithAny("self.cidr", prefixesBetween(0, 15).concat(prefixesBetween(25, 32)))}`,
    message: "spec.cidr: the prefix must be /16 to /24",
    fieldPath: ".cidr",
  },
  {
    rule: `self.provider != 'aws' || (${everySubnet(`!${endsWithAny("s.cidr", prefixesBetween(29, 32))}`)})`,
    message: "spec.subnets: AWS subnets are /28 or larger (AWS reserves 5 of their addresses); use /28 or a smaller prefix number",
    fieldPath: ".subnets",
  },
  {
    rule: `self.provider != 'azure' || (${everySubnet(`!${endsWithAny("s.cidr", prefixesBetween(30, 32))}`)})`,
    message: "spec.subnets: Azure subnets are /29 or larger (Azure reserves 5 of their addresses); use /29 or a smaller prefix number",
    fieldPath: ".subnets",
  },
  {
    rule: "self.provider != 'azure' || (size(self.subnets.public) == 1 && size(self.subnets.private) == 1 && size(self.subnets.database) == 1 && (!has(self.subnets.cache) || size(self.subnets.cache) == 1))",
    message: "spec.subnets: Azure subnets span all zones, so each tier takes exactly one entry",
    fieldPath: ".subnets",
  },
  {
    rule: `self.provider != 'azure' || (${everySubnet("!has(s.zone)")})`,
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
  {
    rule: "self.provider != 'aws' || !has(self.peerings) || size(self.peerings) == 0",
    message: "spec.peerings: Tessera peers Azure VNets only. On AWS nothing it composes needs peering (RDS cross-region replicas replicate over AWS's own network, not the VPC); remove spec.peerings",
    fieldPath: ".peerings",
  },
  {
    rule: "self.provider != 'aws' || !has(self.kubernetes) || !has(self.kubernetes.podCidr)",
    message: "spec.kubernetes.podCidr: EKS pods take addresses of the private tier (VPC CNI), so there is no pod range to reserve on AWS; remove it",
    fieldPath: ".kubernetes.podCidr",
  },
  {
    rule: "self.provider != 'azure' || !has(self.flowLogs)",
    message: "spec.flowLogs: VPC flow logs are AWS only (Azure VNet flow logs need a Network Watcher and a storage account, which Tessera does not compose yet); remove spec.flowLogs",
    fieldPath: ".flowLogs",
  },
);

export type NetworkSpec = z.output<typeof NetworkSpec>;

const ids = z.array(z.string().max(512).describe("A cloud resource id.")).max(6);
const perTier = <T extends z.ZodType>(t: T, what: string) =>
  z
    .object({
      public: t.optional().describe(`${what} of the load-balancer tier.`),
      private: t.optional().describe(`${what} of the application tier.`),
      database: t.optional().describe(`${what} of the database tier.`),
      cache: t.optional().describe(`${what} of the cache tier.`),
    })
    .optional();

export const NetworkStatus = z.object({
  provider: z.string().optional().describe("Cloud this network lives on."),
  region: z.string().optional().describe("Region this network lives in."),
  cidr: z.string().optional().describe("Address space of the network."),
  networkId: z.string().optional().describe("VPC id (AWS) or VNet id (Azure), once observed."),
  resourceGroupName: z.string().optional().describe("Azure resource group holding the network and the resources placed in it."),
  subnetIds: perTier(ids, "Subnet ids").describe("Subnet ids per tier, once observed."),
  usableAddresses: perTier(z.int(), "Host addresses (all subnets, less the 5 each cloud reserves per subnet)").describe("Host addresses per tier: what fits in the tier's subnets. On EKS each pod takes one address of the private tier."),
  securityGroupIds: z
    .object({
      loadBalancer: z.string().optional().describe("Load-balancer tier."),
      app: z.string().optional().describe("Application tier."),
      database: z.string().optional().describe("Database tier."),
      cache: z.string().optional().describe("Cache tier."),
    })
    .optional()
    .describe("Security group (AWS) / network security group (Azure) ids per tier, once observed."),
  natGatewayIds: ids.optional().describe("NAT gateway ids, once observed."),
  natPublicIps: z.array(z.string().max(45).describe("An IP address.")).max(16).optional().describe("Azure: public IP addresses the NAT gateway sends the application tier's egress from, once observed (an AKS cluster with authorized IP ranges must allow them, or its nodes cannot reach its API server)."),
  privateDnsZoneIds: z
    .object({
      postgres: z.string().optional().describe("Zone Flexible Servers in this network register in."),
      redis: z.string().optional().describe("privatelink.redis.cache.windows.net (Azure Cache for Redis private endpoints)."),
      managedRedis: z.string().optional().describe("privatelink.redis.azure.net (Azure Managed Redis private endpoints)."),
      servicebus: z.string().optional().describe("privatelink.servicebus.windows.net (Service Bus private endpoints of MessageQueues)."),
    })
    .optional()
    .describe("Azure private DNS zones linked to the VNet."),
  flowLogGroup: z.string().optional().describe("AWS: CloudWatch Logs group the VPC flow logs go to."),
  dependants: z.array(z.string().describe("One dependant: kind, name, the resource that uses the network, and the tier.")).max(100).optional().describe("What stands on this network (from the Crossplane Usages of it): kind, name and tier. Their tiers, zones and ports cannot be removed, and on Azure the resource group is kept (not deleted) while any exist."),
  message: z.string().optional().describe("Why the network is not ready yet, or 'Available'."),
}).describe("What the function observed of the network's cloud resources.");
