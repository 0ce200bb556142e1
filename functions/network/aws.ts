/**
 * Network on AWS: a VPC with public, application (private), database and cache subnets per zone,
 * an internet gateway for the public tier only, NAT for the application tier, no internet route at
 * all for the data tiers, and a security group per tier whose only internet-facing ports are 80/443.
 */
import type { NetworkSpec, Tier } from "../../apis/network/schema.ts";
import { LABELS, managed, own } from "../shared/resources.ts";
import { atProvider, str } from "../shared/observed.ts";
import { tagsFor } from "../shared/tags.ts";
import type { K8sObject, Renderer } from "../shared/types.ts";

const EC2 = "ec2.aws.m.upbound.io/v1beta1";

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
  const add = (kind: string, key: string, forProvider: Record<string, unknown>, tier?: Tier) => {
    r[key] = managed(EC2, kind, key, { region, ...forProvider, tags: UNTAGGED.has(kind) ? undefined : tags(key) }, { labels: labels(tier) });
  };

  add("VPC", "vpc", { cidrBlock: spec.cidr, enableDnsHostnames: true, enableDnsSupport: true });
  add("InternetGateway", "internet-gateway", { vpcIdSelector: own("vpc") });

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
      }, tier);
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
  rule("SecurityGroupEgressRule", "sg-load-balancer-egress-vpc", "public", { ipProtocol: "-1", cidrIpv4: spec.cidr, description: "All to the VPC" });
  for (const port of spec.appPorts) {
    rule("SecurityGroupIngressRule", `sg-app-ingress-${port}`, "private", { ...tcp(port), referencedSecurityGroupIdSelector: sg("public"), description: "From the load-balancer tier" });
  }
  rule("SecurityGroupEgressRule", "sg-app-egress-vpc", "private", { ipProtocol: "-1", cidrIpv4: spec.cidr, description: "All to the VPC" });
  rule("SecurityGroupEgressRule", "sg-app-egress-https", "private", { ...tcp(443), cidrIpv4: "0.0.0.0/0", description: "HTTPS to external APIs" });
  rule("SecurityGroupIngressRule", "sg-database-ingress-postgres", "database", { ...tcp(5432), referencedSecurityGroupIdSelector: sg("private"), description: "PostgreSQL from the application tier" });
  if (spec.subnets.cache) {
    rule("SecurityGroupIngressRule", "sg-cache-ingress-redis", "cache", { ...tcp(6379), referencedSecurityGroupIdSelector: sg("private"), description: "Redis from the application tier" });
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
    },
    pending: [],
    released: [],
  };
};
