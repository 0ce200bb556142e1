/**
 * Network on AWS: a VPC with public, application (private), database and cache subnets per zone,
 * an internet gateway for the public tier only, NAT for the application tier, no internet route at
 * all for the data tiers, a security group per tier whose only internet-facing ports are 80/443,
 * the VPC's default security group taken over with no rules, and VPC flow logs to CloudWatch Logs.
 */
import { RESERVED_PER_SUBNET, type NetworkSpec, type Tier } from "../../apis/network/schema.ts";
import { block } from "../shared/cidr.ts";
import { LABELS, managed, own } from "../shared/resources.ts";
import { atProvider, str } from "../shared/observed.ts";
import { tagsFor } from "../shared/tags.ts";
import type { K8sObject, Renderer } from "../shared/types.ts";

const EC2 = "ec2.aws.m.upbound.io/v1beta1";
const LOGS = "cloudwatchlogs.aws.m.upbound.io/v1beta1";
const IAM = "iam.aws.m.upbound.io/v1beta1";

/**
 * Subnet tags Kubernetes load balancers discover subnets by (AWS Load Balancer Controller and the
 * in-tree cloud provider): internet-facing ones in the public tier, internal ones in the application
 * tier. https://docs.aws.amazon.com/eks/latest/userguide/network-load-balancing.html
 */
const LB_DISCOVERY_TAGS: Partial<Record<Tier, Record<string, string>>> = {
  public: { "kubernetes.io/role/elb": "1" },
  private: { "kubernetes.io/role/internal-elb": "1" },
};

/** Flow-log defaults when spec.flowLogs is unset: on, 30 days (the seeds' log retention). */
const FLOW_LOG_DEFAULTS = { enabled: true, retentionDays: 30 } as const;

/** Log group of a Network's flow logs: fixed, so the IAM policy can name it before it exists. */
export const flowLogGroupName = (xr: { namespace: string; name: string }) => `/tessera/${xr.namespace}/${xr.name}/vpc-flow-logs`;

/** Security-group tier names and what each admits; the data tables below drive every rule. */
const SG_TIER: Record<Tier, string> = { public: "load-balancer", private: "app", database: "database", cache: "cache" };

const defaults = { natGateway: "PerZone" } as const;

/** EC2 kinds whose CRDs have no tags field (routes and associations are not taggable in EC2). */
const UNTAGGED = new Set(["Route", "RouteTableAssociation"]);

export const renderAws: Renderer<NetworkSpec> = ({ xr, spec, observed }) => {
  const region = spec.region;
  const r: Record<string, K8sObject> = {};
  const tags = (name: string) => tagsFor("Network", xr, spec.tags, `${xr.name}-${name}`);
  const labels = (tier?: Tier) => ({ [LABELS.network]: xr.name, ...(tier ? { [LABELS.tier]: tier } : {}) });
  const add = (kind: string, key: string, forProvider: Record<string, unknown>, tier?: Tier, extraTags?: Record<string, string>) => {
    r[key] = managed(EC2, kind, key, { region, ...forProvider, tags: UNTAGGED.has(kind) ? undefined : { ...tags(key), ...extraTags } }, { labels: labels(tier) });
  };

  add("VPC", "vpc", { cidrBlock: spec.cidr, enableDnsHostnames: true, enableDnsSupport: true });
  add("InternetGateway", "internet-gateway", { vpcIdSelector: own("vpc") });
  // Every VPC comes with a default security group that admits all traffic from its members and sends
  // anywhere; anything launched without a group lands in it. Adopting it with no ingress or egress
  // makes the provider remove all its rules (Terraform's aws_default_security_group does so on
  // adoption), so nothing can use it by accident (AWS Security Hub control EC2.2).
  add("DefaultSecurityGroup", "default-security-group", { vpcIdSelector: own("vpc") });

  const tiers = (Object.keys(SG_TIER) as Tier[]).filter((t) => spec.subnets[t]);
  const zonesOf = (t: Tier) => (spec.subnets[t] ?? []).map((s) => s.zone as string).sort();

  // Route tables: one public (to the internet gateway), one per application zone (to NAT), and one
  // isolated table with no default route for the database and cache tiers.
  add("RouteTable", "route-table-public", { vpcIdSelector: own("vpc") });
  add("Route", "route-public-internet", {
    routeTableIdSelector: own("route-table-public"),
    destinationCidrBlock: "0.0.0.0/0",
    gatewayIdSelector: own("internet-gateway"),
  });
  add("RouteTable", "route-table-isolated", { vpcIdSelector: own("vpc") });

  // NAT gateways live in public subnets. Shared uses the first public zone; keys are per zone either
  // way, so switching modes keeps the shared gateway instead of replacing it.
  const publicZones = zonesOf("public");
  const mode = spec.natGateway ?? defaults.natGateway;
  const natZoneFor = (zone: string) => (mode === "PerZone" ? zone : (publicZones[0] as string));
  const natZones = [...new Set(zonesOf("private").map(natZoneFor))].sort();
  for (const z of natZones) {
    add("EIP", `nat-eip-${z}`, { domain: "vpc" });
    add("NATGateway", `nat-gateway-${z}`, {
      allocationIdSelector: own(`nat-eip-${z}`),
      subnetIdSelector: own(`subnet-public-${z}`),
      connectivityType: "public",
    });
  }
  for (const z of zonesOf("private")) {
    add("RouteTable", `route-table-private-${z}`, { vpcIdSelector: own("vpc") });
    add("Route", `route-private-${z}-nat`, {
      routeTableIdSelector: own(`route-table-private-${z}`),
      destinationCidrBlock: "0.0.0.0/0",
      natGatewayIdSelector: own(`nat-gateway-${natZoneFor(z)}`),
    });
  }

  const routeTableFor = (tier: Tier, zone: string) =>
    tier === "public" ? "route-table-public" : tier === "private" ? `route-table-private-${zone}` : "route-table-isolated";
  for (const tier of tiers) {
    for (const s of spec.subnets[tier] ?? []) {
      const zone = s.zone as string;
      const key = `subnet-${tier}-${zone}`;
      add("Subnet", key, {
        vpcIdSelector: own("vpc"),
        availabilityZone: `${region}${zone}`,
        cidrBlock: s.cidr,
        // Nothing gets a public IP implicitly, not even in the public tier: load balancers bring their own.
        mapPublicIpOnLaunch: false,
      }, tier, LB_DISCOVERY_TAGS[tier]);
      add("RouteTableAssociation", `route-table-association-${tier}-${zone}`, {
        subnetIdSelector: own(key),
        routeTableIdSelector: own(routeTableFor(tier, zone)),
      });
    }
  }

  // Security groups, one per tier. AWS adds an allow-all egress rule to new groups; the provider
  // (Terraform) removes it, so each group allows exactly the egress listed here.
  for (const tier of tiers) {
    add("SecurityGroup", `security-group-${SG_TIER[tier]}`, {
      vpcIdSelector: own("vpc"),
      description: `Tessera ${xr.namespace}/${xr.name} ${SG_TIER[tier]} tier`,
    }, tier);
  }
  const sg = (tier: Tier) => own(`security-group-${SG_TIER[tier]}`);
  const rule = (kind: "SecurityGroupIngressRule" | "SecurityGroupEgressRule", key: string, tier: Tier, body: Record<string, unknown>) =>
    add(kind, key, { securityGroupIdSelector: sg(tier), ...body });
  const tcp = (port: number) => ({ ipProtocol: "tcp", fromPort: port, toPort: port });

  rule("SecurityGroupIngressRule", "sg-load-balancer-ingress-http", "public", { ...tcp(80), cidrIpv4: "0.0.0.0/0", description: "HTTP from the internet (redirect to HTTPS)" });
  rule("SecurityGroupIngressRule", "sg-load-balancer-ingress-https", "public", { ...tcp(443), cidrIpv4: "0.0.0.0/0", description: "HTTPS from the internet" });
  for (const port of spec.appPorts) {
    // The load balancer sends only to the application tier, on the ports it serves (health checks included).
    rule("SecurityGroupEgressRule", `sg-load-balancer-egress-app-${port}`, "public", { ...tcp(port), referencedSecurityGroupIdSelector: sg("private"), description: "To the application tier" });
    rule("SecurityGroupIngressRule", `sg-app-ingress-${port}`, "private", { ...tcp(port), referencedSecurityGroupIdSelector: sg("public"), description: "From the load-balancer tier" });
  }
  // Application-tier egress (VIVR's vivr-app-sg): the data tiers on their ports, HTTPS and DNS out.
  // These stay in Network mode too, so switching modes never takes a data tier's path away.
  rule("SecurityGroupEgressRule", "sg-app-egress-postgres", "private", { ...tcp(5432), referencedSecurityGroupIdSelector: sg("database"), description: "PostgreSQL to the database tier" });
  if (spec.subnets.cache) {
    rule("SecurityGroupEgressRule", "sg-app-egress-redis", "private", { ...tcp(6379), referencedSecurityGroupIdSelector: sg("cache"), description: "Redis to the cache tier" });
  }
  rule("SecurityGroupEgressRule", "sg-app-egress-https", "private", { ...tcp(443), cidrIpv4: "0.0.0.0/0", description: "HTTPS to external APIs" });
  // Security groups do not filter queries to the VPC's own resolver (VPC CIDR base +2); this rule is
  // for resolvers elsewhere, as the seed asks. https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html
  rule("SecurityGroupEgressRule", "sg-app-egress-dns", "private", { ipProtocol: "udp", fromPort: 53, toPort: 53, cidrIpv4: "0.0.0.0/0", description: "DNS" });
  if (spec.appEgress === "Network") {
    rule("SecurityGroupEgressRule", "sg-app-egress-vpc", "private", { ipProtocol: "-1", cidrIpv4: spec.cidr, description: "All to the VPC" });
  }
  rule("SecurityGroupIngressRule", "sg-database-ingress-postgres", "database", { ...tcp(5432), referencedSecurityGroupIdSelector: sg("private"), description: "PostgreSQL from the application tier" });
  if (spec.subnets.cache) {
    rule("SecurityGroupIngressRule", "sg-cache-ingress-redis", "cache", { ...tcp(6379), referencedSecurityGroupIdSelector: sg("private"), description: "Redis from the application tier" });
  }
  // The database and cache groups have no egress rule at all: RDS and ElastiCache answer on the
  // connections they accept (security groups are stateful) and open none themselves.

  // VPC flow logs (accepted and rejected traffic) to a CloudWatch Logs group with a retention. The
  // delivery role may write only to this group. https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html
  const flow = { ...FLOW_LOG_DEFAULTS, ...spec.flowLogs };
  const logGroup = flowLogGroupName(xr);
  if (flow.enabled) {
    r["flow-log-group"] = managed(LOGS, "Group", "flow-log-group", { region, retentionInDays: flow.retentionDays, tags: tags("flow-log-group") }, {
      labels: labels(),
      annotations: { "crossplane.io/external-name": logGroup },
    });
    r["flow-log-role"] = managed(IAM, "Role", "flow-log-role", {
      description: `VPC flow logs of Tessera Network ${xr.namespace}/${xr.name}`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
          Effect: "Allow",
          Principal: { Service: "vpc-flow-logs.amazonaws.com" },
          Action: "sts:AssumeRole",
          // Only flow logs of this region may use the role (confused-deputy guard).
          Condition: { ArnLike: { "aws:SourceArn": `arn:aws:ec2:${region}:*:vpc-flow-log/*` } },
        }],
      }),
      tags: tags("flow-log-role"),
    }, { labels: labels() });
    r["flow-log-role-policy"] = managed(IAM, "RolePolicy", "flow-log-role-policy", {
      roleSelector: own("flow-log-role"),
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: [`arn:aws:logs:${region}:*:log-group:${logGroup}:*`] },
          { Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: [`arn:aws:logs:${region}:*:log-group:*`] },
        ],
      }),
    }, { labels: labels() });
    add("FlowLog", "flow-log", {
      vpcIdSelector: own("vpc"),
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestinationSelector: own("flow-log-group"),
      iamRoleArnSelector: own("flow-log-role"),
      maxAggregationInterval: 600,
    });
  }

  const id = (key: string) => str(atProvider(observed[key])["id"]);
  const ids = (keys: string[]) => {
    const found = keys.map(id);
    return found.every(Boolean) && found.length > 0 ? (found as string[]) : undefined;
  };
  return {
    resources: r,
    status: {
      networkId: id("vpc"),
      subnetIds: Object.fromEntries(tiers.map((t) => [t, ids(zonesOf(t).map((z) => `subnet-${t}-${z}`))])),
      securityGroupIds: {
        loadBalancer: id("security-group-load-balancer"),
        app: id("security-group-app"),
        database: id("security-group-database"),
        cache: id("security-group-cache"),
      },
      natGatewayIds: ids(natZones.map((z) => `nat-gateway-${z}`)),
      usableAddresses: Object.fromEntries(tiers.map((t) => [t, (spec.subnets[t] ?? []).reduce((n, s) => n + 2 ** (32 - block(s.cidr).prefix) - RESERVED_PER_SUBNET, 0)])),
      flowLogGroup: flow.enabled && id("flow-log-group") ? logGroup : undefined,
    },
    pending: [],
    released: [],
  };
};
