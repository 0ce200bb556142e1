import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../../scripts/generate.ts";
import type { K8sObject } from "../../functions/shared/types.ts";
import { render, RESOURCE_NAME } from "../../scripts/render-engine.ts";
import { example, observe } from "../support/fixtures.ts";
import { admission, expectRefused, withSpec, xrdSpecSchema } from "../support/refusals.ts";
import { NetworkSpec } from "../../apis/network/schema.ts";
import { network } from "../../functions/network/index.ts";
import { peerKey } from "../../functions/network/azure.ts";
import { networkUsage } from "../../functions/shared/usage.ts";
import { NETWORKS } from "../support/fixtures.ts";

const aws = example("examples/network/aws-minimal.yaml");
const azure = example("examples/network/azure-minimal.yaml");
const byKey = async (xr: typeof aws): Promise<Record<string, K8sObject>> => Object.fromEntries((await render({ xr })).resources.map((r) => [r.metadata?.annotations?.[RESOURCE_NAME], r]));

describe("Network on AWS", () => {
  it("opens no data port to the internet: only 80 and 443 take 0.0.0.0/0", async () => {
    const rs = await byKey(example("examples/network/aws-broxiva.yaml"));
    const open = Object.values(rs).filter((r) => r.kind === "SecurityGroupIngressRule" && (r.spec as any).forProvider.cidrIpv4 === "0.0.0.0/0");
    expect(open.map((r) => (r.spec as any).forProvider.fromPort).sort()).toEqual([443, 80]);
    expect((rs["sg-database-ingress-postgres"]?.spec as any).forProvider.referencedSecurityGroupIdSelector.matchLabels["platform.tessera.io/resource"]).toBe("security-group-app");
    expect((rs["sg-cache-ingress-redis"]?.spec as any).forProvider.fromPort).toBe(6379);
  });
  it("routes only the public tier to the internet gateway, the app tier through its zone's NAT, data tiers nowhere", async () => {
    const rs = await byKey(example("examples/network/aws-broxiva.yaml"));
    expect((rs["route-table-association-database-a"]?.spec as any).forProvider.routeTableIdSelector.matchLabels["platform.tessera.io/resource"]).toBe("route-table-isolated");
    expect(Object.keys(rs).filter((k) => k.startsWith("route-") && !k.startsWith("route-table")).sort()).toEqual(["route-private-a-nat", "route-private-b-nat", "route-private-c-nat", "route-public-internet"]);
    expect((rs["route-private-b-nat"]?.spec as any).forProvider.natGatewayIdSelector.matchLabels["platform.tessera.io/resource"]).toBe("nat-gateway-b");
  });
  it("shares one NAT gateway when asked, keeping its per-zone key", async () => {
    const rs = await byKey(example("examples/network/aws-vivr.yaml"));
    expect(Object.keys(rs).filter((k) => k.startsWith("nat-gateway"))).toEqual(["nat-gateway-a"]);
    expect((rs["route-private-c-nat"]?.spec as any).forProvider.natGatewayIdSelector.matchLabels["platform.tessera.io/resource"]).toBe("nat-gateway-a");
  });
  it("surfaces a managed resource's Synced=False on the XR", async () => {
    const first = await render({ xr: aws });
    const out = await render({ xr: aws, observed: observe(first.resources, { synced: { key: "vpc", message: "VpcLimitExceeded: too many VPCs" } }) });
    const cond = (out.xr.status as any).conditions.find((c: any) => c.type === "ResourcesSynced");
    expect(cond).toMatchObject({ status: "False", reason: "ManagedResourceError", message: "vpc: VpcLimitExceeded: too many VPCs" });
    expect((out.xr.status as any).message).toBe("Failing: vpc: VpcLimitExceeded: too many VPCs");
  });
});

describe("Network on Azure", () => {
  it("delegates the database subnet to Flexible Server and denies other VNet traffic to the data tier", async () => {
    const rs = await byKey(azure);
    expect((rs["subnet-database"]?.spec as any).forProvider.delegation[0].serviceDelegation.name).toBe("Microsoft.DBforPostgreSQL/flexibleServers");
    const rules = (rs["security-group-database"]?.spec as any).forProvider.securityRule;
    const inbound = rules.filter((r: any) => r.direction === "Inbound");
    expect(inbound.map((r: any) => [r.name, r.access, r.destinationPortRange ?? r.destinationPortRanges.join(), r.sourceAddressPrefix])).toEqual([
      ["AllowPostgresFromAppTier", "Allow", "5432", "10.30.10.0/24"],
      ["AllowSelfInbound", "Allow", "5432,6432", "10.30.20.0/24"],
      ["DenyOtherVnetInbound", "Deny", "*", "VirtualNetwork"],
    ]);
    const internet = Object.values(rs).flatMap((r) => ((r.spec as any).forProvider.securityRule ?? []).filter((x: any) => x.sourceAddressPrefix === "Internet"));
    expect(internet.map((x: any) => x.destinationPortRange).sort()).toEqual(["443", "80"]);
  });
});

describe("Network refusals (one fatal naming field, value and fix)", () => {
  it.each([
    ["subnet outside the network", aws, (s: any): unknown => (s.subnets.private[0].cidr = "10.99.0.0/24"), ["spec.subnets.private[0].cidr", "10.99.0.0/24", "outside spec.cidr"]],
    ["overlapping subnets", aws, (s: any): unknown => (s.subnets.private[0].cidr = "10.20.0.0/23"), ["overlaps spec.subnets.public[0].cidr"]],
    ["unaligned CIDR", aws, (s: any): unknown => (s.cidr = "10.20.0.5/16"), ["spec.cidr", "use 10.20.0.0/16"]],
    ["zone on Azure", azure, (s: any): unknown => (s.subnets.public[0].zone = "a"), ["remove zone"]],
    ["no zone on AWS", aws, (s: any): unknown => delete s.subnets.private[0].zone, ["every subnet needs a zone"]],
    ["PerZone NAT without a public subnet in the zone", aws, (s: any): unknown => s.subnets.private.push({ zone: "c", cidr: "10.20.12.0/24" }), ["natGateway", "Shared"]],
    ["region of the other cloud", aws, (s: any): unknown => (s.region = "eastus"), ["spec.region: eastus is not a region of provider aws"]],
    ["unknown field", aws, (s: any): unknown => (s.vpcCidr = "x"), ["spec", "unknown field(s) vpcCidr"]],
  ] as const)("%s", async (_name, xr, patch, fragments) => {
    await expectRefused({ xr: withSpec(xr, patch) }, ...fragments);
  });

  it("refuses a provider switch once resources exist, keeping them", async () => {
    const created = observe((await render({ xr: aws })).resources);
    const switched = withSpec(aws, (s) => { s.provider = "azure"; s.region = "westeurope"; s.subnets = { public: [{ cidr: "10.20.0.0/24" }], private: [{ cidr: "10.20.10.0/24" }], database: [{ cidr: "10.20.20.0/24" }] }; });
    await expectRefused({ xr: switched, observed: created }, "spec.provider", "already runs on aws", "set spec.provider back to aws");
  });
});

describe("Network admission rules (XRD CEL)", () => {
  const schema = xrdSpecSchema("network");
  const spec = NetworkSpec.parse(aws.spec);
  it("accepts the example", () => expect(admission(schema, spec, spec)).toEqual([]));
  it("refuses changing provider or region", () => {
    expect(admission(schema, { ...spec, provider: "azure" }, spec).join()).toContain("spec.provider is immutable");
    expect(admission(schema, { ...spec, region: "us-east-1" }, spec).join()).toContain("spec.region is immutable");
  });
  it("needs two database zones on AWS", () =>
    expect(admission(schema, { ...spec, subnets: { ...spec.subnets, database: [spec.subnets.database[0]] } }).join()).toContain("at least two zones"));
});

// ---------------------------------------------------------------------------------------------
// Issue 11/12/15: the Network in the real clouds, and what live dependants stand on.
// ---------------------------------------------------------------------------------------------

const broxivaAws = example("examples/network/aws-broxiva.yaml");
const vivr = example("examples/network/aws-vivr.yaml");
const eastus = example("examples/network/azure-broxiva.yaml");
const westus = example("examples/network/azure-broxiva-westus.yaml");
const fp = (r: K8sObject | undefined): any => (r?.spec as any)?.forProvider;
const keysOf = (xr: K8sObject, required: K8sObject[] = NETWORKS) => render({ xr, required }).then((o) => Object.fromEntries(o.resources.map((r) => [r.metadata?.annotations?.[RESOURCE_NAME], r])) as Record<string, K8sObject>);
const nsgRules = (rs: Record<string, K8sObject>, key: string): any[] => fp(rs[key]).securityRule;
const rule = (rs: Record<string, K8sObject>, key: string, name: string) => nsgRules(rs, key).find((r) => r.name === name);

/** A Usage as a cluster would serve it: composed by a dependant XR (networkUsage), named, owned, labelled by Crossplane. */
function usageOf(net: K8sObject, tier: string, owner: { kind: string; name: string }): K8sObject {
  const u = networkUsage("network-usage", {
    network: net.metadata?.name as string,
    tier,
    by: { apiVersion: "rds.aws.m.upbound.io/v1beta1", kind: tier === "cache" ? "ReplicationGroup" : "Instance", key: "instance" },
    reason: `${owner.kind} ${owner.name} stands on this Network`,
  });
  u.metadata = {
    ...u.metadata,
    name: `${owner.name}-x7k2p`,
    namespace: net.metadata?.namespace as string,
    labels: { ...u.metadata?.labels, "crossplane.io/composite": owner.name },
    ownerReferences: [{ apiVersion: "platform.tessera.io/v1alpha1", kind: owner.kind, name: owner.name, controller: true, uid: "u" }],
  };
  return u;
}

/** Renders `xr` to the last pass with `usages` served, returning what exists (observed) afterwards. */
async function live(xr: K8sObject, usages: K8sObject[]): Promise<K8sObject[]> {
  const required = [...NETWORKS, ...usages];
  let out = await render({ xr, required });
  for (let i = 0; i < 3; i++) out = await render({ xr, required, observed: observe(out.resources) });
  expect(out.fatal).toBeUndefined();
  return observe(out.resources);
}

describe("Network on Azure: tier rules in the real cloud (issue 11.1, 11.14, 11.15)", () => {
  it("lets every private, database and cache subnet reach itself, above the deny rules", async () => {
    const rs = await keysOf(eastus);
    for (const [tier, nsg, cidr] of [["private", "security-group-app", "10.0.11.0/24"], ["database", "security-group-database", "10.0.21.0/24"], ["cache", "security-group-cache", "10.0.31.0/24"]] as const) {
      const selfIn = rule(rs, nsg, "AllowSelfInbound");
      const denyIn = rule(rs, nsg, "DenyOtherVnetInbound");
      expect(selfIn, tier).toMatchObject({ access: "Allow", direction: "Inbound", sourceAddressPrefix: cidr });
      expect(selfIn.priority).toBeLessThan(denyIn.priority);
      expect(rule(rs, nsg, "AllowSelfOutbound")).toMatchObject({ access: "Allow", direction: "Outbound", destinationAddressPrefix: cidr });
    }
    expect(rule(rs, "security-group-database", "AllowSelfInbound").destinationPortRanges).toEqual(["5432", "6432"]);
  });

  it("gives the database subnet what Flexible Server zone-redundant HA needs: a Storage service endpoint and Storage outbound", async () => {
    const rs = await keysOf(eastus);
    expect(fp(rs["subnet-database"]).serviceEndpoints).toEqual(["Microsoft.Storage"]);
    expect(rule(rs, "security-group-database", "AllowStorageOutbound")).toMatchObject({ direction: "Outbound", destinationAddressPrefix: "Storage", destinationPortRange: "443" });
  });

  it("enables private-endpoint network policies on the cache subnet only, so its NSG applies to the Redis endpoint", async () => {
    const rs = await keysOf(eastus);
    expect(fp(rs["subnet-cache"]).privateEndpointNetworkPolicies).toBe("Enabled");
    expect(fp(rs["subnet-private"]).privateEndpointNetworkPolicies).toBeUndefined();
  });

  it("sends nothing to the internet from the database and cache tiers but Flexible Server's platform needs; the app tier only 443 and DNS", async () => {
    const rs = await keysOf(eastus);
    const internetOut = (nsg: string) => nsgRules(rs, nsg).filter((r) => r.direction === "Outbound" && r.access === "Allow" && !/^\d/.test(r.destinationAddressPrefix) && r.destinationAddressPrefix !== "*");
    expect(internetOut("security-group-database").map((r) => r.destinationAddressPrefix)).toEqual(["Storage", "AzureActiveDirectory"]);
    expect(internetOut("security-group-cache")).toEqual([]);
    expect(internetOut("security-group-app").map((r) => [r.protocol, r.destinationPortRange, r.destinationAddressPrefix])).toEqual([["Tcp", "443", "Internet"], ["Udp", "53", "Internet"]]);
    for (const nsg of ["security-group-app", "security-group-database", "security-group-cache"]) {
      const denyOut = rule(rs, nsg, "DenyInternetOutbound");
      expect(denyOut, nsg).toMatchObject({ access: "Deny", direction: "Outbound", destinationAddressPrefix: "Internet" });
      expect(internetOut(nsg).every((r) => r.priority < denyOut.priority)).toBe(true);
    }
  });

  it("leaves the gateway tier's egress open, as Application Gateway v2 requires", async () => {
    const rs = await keysOf(eastus);
    expect(nsgRules(rs, "security-group-load-balancer").filter((r) => r.direction === "Outbound")).toEqual([]);
  });

  it("allows AKS overlay pod traffic in the application tier when a pod range is reserved (issue 15)", async () => {
    const rs = await keysOf(eastus);
    expect(rule(rs, "security-group-app", "AllowPodsInbound")).toMatchObject({ sourceAddressPrefix: "10.244.0.0/16", access: "Allow" });
    expect(rule(rs, "security-group-app", "AllowPodsOutbound")).toMatchObject({ destinationAddressPrefix: "10.244.0.0/16", access: "Allow" });
    expect(fp(rs["nat-gateway-association-private"]).subnetIdSelector.matchLabels["platform.tessera.io/resource"]).toBe("subnet-private");
  });

  it("composes the Azure Managed Redis zone under a new key, keeps the Azure Cache for Redis zone, and opens the Managed Redis ports (issue 11.8)", async () => {
    const rs = await keysOf(eastus);
    expect(rs["private-dns-zone-managed-redis"]?.metadata?.annotations?.["crossplane.io/external-name"]).toBe("privatelink.redis.azure.net");
    expect(fp(rs["private-dns-zone-link-managed-redis"]).privateDnsZoneNameSelector.matchLabels["platform.tessera.io/resource"]).toBe("private-dns-zone-managed-redis");
    expect(rs["private-dns-zone-redis"]?.metadata?.annotations?.["crossplane.io/external-name"]).toBe("privatelink.redis.cache.windows.net");
    expect(rule(rs, "security-group-cache", "AllowRedisFromAppTier").destinationPortRanges).toEqual(["10000", "8500-8599", "6380", "15000-15999"]);
    expect(rule(rs, "security-group-app", "AllowRedisToCacheTier").destinationPortRanges).toEqual(["10000", "8500-8599", "6380", "15000-15999"]);
  });

  it("composes the Service Bus Private Link zone, linked to the VNet, for MessageQueues' private endpoints", async () => {
    const rs = await keysOf(eastus);
    expect(rs["private-dns-zone-servicebus"]?.metadata?.annotations?.["crossplane.io/external-name"]).toBe("privatelink.servicebus.windows.net");
    expect(rs["private-dns-zone-servicebus"]?.metadata?.labels?.["platform.tessera.io/network"]).toBe("broxiva-eastus");
    expect(fp(rs["private-dns-zone-link-servicebus"])).toMatchObject({
      privateDnsZoneNameSelector: { matchLabels: { "platform.tessera.io/resource": "private-dns-zone-servicebus" } },
      virtualNetworkIdSelector: { matchLabels: { "platform.tessera.io/resource": "virtual-network" } },
      registrationEnabled: false,
    });
  });
});

describe("Network on Azure: VNet peering (issue 11.2)", () => {
  it("each Broxiva Network composes its half of the peering, selecting the peer's VNet by label", async () => {
    const [e, w] = [await keysOf(eastus), await keysOf(westus)];
    expect(fp(e["peering-broxiva-westus"]).remoteVirtualNetworkIdSelector.matchLabels).toEqual({ "platform.tessera.io/network": "broxiva-westus", "platform.tessera.io/resource": "virtual-network" });
    expect(fp(w["peering-broxiva-eastus"]).remoteVirtualNetworkIdSelector.matchLabels).toEqual({ "platform.tessera.io/network": "broxiva-eastus", "platform.tessera.io/resource": "virtual-network" });
    expect(fp(e["peering-broxiva-westus"])).toMatchObject({ allowVirtualNetworkAccess: true, allowForwardedTraffic: false, useRemoteGateways: false });
    expect(fp(w["private-dns-zone-link-peer-postgres-broxiva-eastus"]).privateDnsZoneNameSelector.matchLabels).toEqual({ "platform.tessera.io/network": "broxiva-eastus", "platform.tessera.io/resource": "private-dns-zone-postgres" });
  });

  it("allows 5432 between the two database subnets, both ways, in both NSGs", async () => {
    const [e, w] = [await keysOf(eastus), await keysOf(westus)];
    expect(rule(e, "security-group-database", "AllowPostgresFromPeer-broxiva-westus")).toMatchObject({ direction: "Inbound", sourceAddressPrefix: "10.1.21.0/24", destinationPortRange: "5432" });
    expect(rule(e, "security-group-database", "AllowPostgresToPeer-broxiva-westus")).toMatchObject({ direction: "Outbound", destinationAddressPrefix: "10.1.21.0/24", destinationPortRange: "5432" });
    expect(rule(w, "security-group-database", "AllowPostgresFromPeer-broxiva-eastus")).toMatchObject({ direction: "Inbound", sourceAddressPrefix: "10.0.21.0/24", destinationPortRange: "5432" });
    expect(rule(w, "security-group-database", "AllowPostgresToPeer-broxiva-eastus")).toMatchObject({ direction: "Outbound", destinationAddressPrefix: "10.0.21.0/24" });
    const deny = rule(w, "security-group-database", "DenyOtherVnetInbound");
    expect(rule(w, "security-group-database", "AllowPostgresFromPeer-broxiva-eastus").priority).toBeLessThan(deny.priority);
  });

  it.each([
    ["a peer that does not exist", (s: any) => (s.peerings = [{ networkRef: { name: "nowhere" } }]), ["spec.peerings[0].networkRef.name", "\"nowhere\" does not exist"]],
    ["itself", (s: any) => (s.peerings = [{ networkRef: { name: "broxiva-eastus" } }]), ["names this Network itself"]],
    ["a peer on AWS", (s: any) => (s.peerings = [{ networkRef: { name: "broxiva-use1" } }]), ["is on aws", "peer with a Network on azure"]],
    ["an overlapping peer", (s: any) => (s.cidr = "10.1.0.0/16", s.subnets = { public: [{ cidr: "10.1.1.0/24" }], private: [{ cidr: "10.1.11.0/24" }], database: [{ cidr: "10.1.21.0/24" }] }, delete s.kubernetes), ["overlaps this Network's 10.1.0.0/16", "disjoint address spaces"]],
    ["the same peer twice", (s: any) => s.peerings.push({ networkRef: { name: "broxiva-westus" } }), ["each Network may be named once"]],
  ] as const)("refuses %s", async (_n, patch, fragments) => {
    await expectRefused({ xr: withSpec(eastus, patch), required: NETWORKS }, ...fragments);
  });

  it("keeps keys (label values) and rule names of long peer names within their limits, distinct per peer", () => {
    const [a, b] = [`${"p".repeat(62)}a`, `${"p".repeat(62)}b`];
    expect(peerKey("private-dns-zone-link-peer-postgres", a).length).toBeLessThanOrEqual(63);
    expect(peerKey("peering", a)).not.toBe(peerKey("peering", b));
    expect(peerKey("peering", "broxiva-westus")).toBe("peering-broxiva-westus");
  });

  it("refuses peerings on AWS, at admission and in the function", async () => {
    await expectRefused({ xr: withSpec(broxivaAws, (s) => (s.peerings = [{ networkRef: { name: "broxiva-usw2" } }])), required: NETWORKS }, "spec.peerings", "RDS cross-region replicas");
  });
});

describe("Network on AWS: default security group, flow logs, egress, discovery tags (issue 11.15, 11.17, 15)", () => {
  it("takes over the VPC's default security group with no rules", async () => {
    const rs = await keysOf(vivr);
    const dsg = fp(rs["default-security-group"]);
    expect(rs["default-security-group"]?.kind).toBe("DefaultSecurityGroup");
    expect(dsg.vpcIdSelector.matchLabels["platform.tessera.io/resource"]).toBe("vpc");
    expect(dsg.ingress).toBeUndefined();
    expect(dsg.egress).toBeUndefined();
  });

  it("turns VPC flow logs on by default, to a group with a retention, through a role that may write only there", async () => {
    const rs = await keysOf(vivr);
    expect(fp(rs["flow-log"])).toMatchObject({ trafficType: "ALL", logDestinationType: "cloud-watch-logs" });
    expect(fp(rs["flow-log"]).logDestinationSelector.matchLabels["platform.tessera.io/resource"]).toBe("flow-log-group");
    expect(fp(rs["flow-log-group"]).retentionInDays).toBe(30);
    expect(rs["flow-log-group"]?.metadata?.annotations?.["crossplane.io/external-name"]).toBe("/tessera/vivr/vivr-vpc/vpc-flow-logs");
    expect(JSON.parse(fp(rs["flow-log-role"]).assumeRolePolicy).Statement[0].Principal.Service).toBe("vpc-flow-logs.amazonaws.com");
    expect(JSON.parse(fp(rs["flow-log-role-policy"]).policy).Statement[0].Resource).toEqual(["arn:aws:logs:us-east-1:*:log-group:/tessera/vivr/vivr-vpc/vpc-flow-logs:*"]);
  });

  it("sets the flow-log retention, or turns them off", async () => {
    expect(fp((await keysOf(withSpec(vivr, (s) => (s.flowLogs = { retentionDays: 7 }))))["flow-log-group"]).retentionInDays).toBe(7);
    const off = await keysOf(withSpec(vivr, (s) => (s.flowLogs = { enabled: false })));
    expect(Object.keys(off).filter((k) => k.startsWith("flow-log"))).toEqual([]);
    await expectRefused({ xr: withSpec(vivr, (s) => (s.flowLogs = { retentionDays: 10 })) }, "spec.flowLogs.retentionDays", "one of 1, 3, 5, 7, 14, 30");
    await expectRefused({ xr: withSpec(azure, (s) => (s.flowLogs = { enabled: true })) }, "spec.flowLogs", "AWS only");
  });

  it("reproduces VIVR's app-tier egress (5432 to db, 6379 to cache, 443 and UDP 53 out) and LB egress only to the app tier", async () => {
    const rs = await keysOf(vivr);
    const egress = Object.entries(rs).filter(([, r]) => r.kind === "SecurityGroupEgressRule");
    const of = (sg: string) => egress.filter(([, r]) => fp(r).securityGroupIdSelector.matchLabels["platform.tessera.io/resource"] === sg).map(([, r]) => {
      const f = fp(r);
      return `${f.ipProtocol}/${f.fromPort ?? "*"} -> ${f.cidrIpv4 ?? f.referencedSecurityGroupIdSelector.matchLabels["platform.tessera.io/resource"]}`;
    }).sort();
    expect(of("security-group-app")).toEqual(["tcp/443 -> 0.0.0.0/0", "tcp/5432 -> security-group-database", "tcp/6379 -> security-group-cache", "udp/53 -> 0.0.0.0/0"]);
    expect(of("security-group-load-balancer")).toEqual(["tcp/3000 -> security-group-app"]);
    expect(of("security-group-database")).toEqual([]);
    expect(of("security-group-cache")).toEqual([]);
  });

  it("keeps Broxiva's app-nsg 'All to VPC' with appEgress: Network, beside the data-tier rules", async () => {
    const rs = await keysOf(broxivaAws);
    expect(fp(rs["sg-app-egress-vpc"])).toMatchObject({ ipProtocol: "-1", cidrIpv4: "10.0.0.0/16" });
    expect(rs["sg-app-egress-postgres"]).toBeDefined();
  });

  it("tags public and private subnets for Kubernetes load-balancer discovery", async () => {
    const rs = await keysOf(broxivaAws);
    expect(fp(rs["subnet-public-a"]).tags["kubernetes.io/role/elb"]).toBe("1");
    expect(fp(rs["subnet-private-b"]).tags["kubernetes.io/role/internal-elb"]).toBe("1");
    expect(fp(rs["subnet-database-a"]).tags["kubernetes.io/role/elb"]).toBeUndefined();
    expect(fp(rs["subnet-database-a"]).tags["kubernetes.io/role/internal-elb"]).toBeUndefined();
  });

  it("says in status how many host addresses each tier holds", async () => {
    const observed = await live(broxivaAws, []);
    const out = await render({ xr: broxivaAws, required: NETWORKS, observed });
    expect((out.xr.status as any).usableAddresses).toEqual({ public: 753, private: 753, database: 753, cache: 753 });
    expect((out.xr.status as any).flowLogGroup).toBe("/tessera/broxiva-production/broxiva-use1/vpc-flow-logs");
  });
});

describe("Network refusals of what the cloud would refuse later (issue 11.4, 12.8)", () => {
  it.each([
    ["zone f in us-west-2", aws, (s: any): unknown => (s.subnets.public[1].zone = "f"), ["us-west-2", "a, b, c, d"]],
    ["a /29 subnet on AWS", aws, (s: any): unknown => (s.subnets.cache[0].cidr = "10.20.30.0/29"), ["spec.subnets", "/28"]],
    ["a /30 subnet on Azure", azure, (s: any): unknown => (s.subnets.cache[0].cidr = "10.30.30.0/30"), ["spec.subnets", "/29"]],
    ["a pod range inside the VNet", azure, (s: any): unknown => (s.kubernetes = { podCidr: "10.30.128.0/17" }), ["spec.kubernetes.podCidr", "overlaps spec.cidr"]],
    ["a pod range on AWS", aws, (s: any): unknown => (s.kubernetes = { podCidr: "10.244.0.0/16" }), ["spec.kubernetes.podCidr", "VPC CNI"]],
    ["AKS's default service range over the VNet", eastus, (s: any): unknown => (s.kubernetes.serviceCidr = "10.0.0.0/16"), ["spec.kubernetes.serviceCidr", "overlaps spec.cidr 10.0.0.0/16"]],
  ] as const)("%s", async (_name, xr, patch, fragments) => {
    await expectRefused({ xr: withSpec(xr, patch), required: NETWORKS }, ...fragments);
  });

  it("accepts a /29 on Azure and a /28 on AWS", async () => {
    expect((await render({ xr: withSpec(azure, (s) => (s.subnets.cache[0].cidr = "10.30.30.0/29")) })).fatal).toBeUndefined();
    expect((await render({ xr: withSpec(aws, (s) => (s.subnets.cache[0].cidr = "10.20.30.0/28")) })).fatal).toBeUndefined();
  });

  it("names the zones the region has when the function refuses a zone", async () => {
    // The function's own check (CEL refuses first at the API server and in parse; both name the zones).
    const spec = NetworkSpec.parse(aws.spec);
    expect(() => network.parse({ ...spec, subnets: { ...spec.subnets, public: [{ zone: "a", cidr: "10.20.0.0/24" }, { zone: "e", cidr: "10.20.1.0/24" }] } })).toThrow(/us-west-2.*a, b, c, d/);
  });

  it("refuses a region change over live resources in the function too (offline render has no old object)", async () => {
    const observed = observe((await render({ xr: aws })).resources);
    await expectRefused({ xr: withSpec(aws, (s) => (s.region = "us-east-1")), observed }, "spec.region", "already exists in us-west-2", "set spec.region back to us-west-2");
    const az = observe((await render({ xr: azure })).resources);
    await expectRefused({ xr: withSpec(azure, (s) => (s.region = "northeurope")), observed: az }, "spec.region", "already exists in westeurope");
  });

  it("refuses a Network name too long for label values", async () => {
    const long = structuredClone(aws);
    long.metadata!.name = "n".repeat(80);
    await expectRefused({ xr: long }, "metadata.name", "80 characters", "at most 63");
  });
});

describe("Network XRD documentation (issue 13.16)", () => {
  it("describes every field of spec and status, and lists the supported regions", () => {
    const xrd = parse(readFileSync(join(ROOT, "apis", "network", "definition.yaml"), "utf8"));
    const root = xrd.spec.versions[0].schema.openAPIV3Schema;
    const missing: string[] = [];
    const walk = (n: any, path: string): void => {
      if (!n || typeof n !== "object") return;
      if (!n.description) missing.push(path);
      for (const [k, v] of Object.entries(n.properties ?? {})) walk(v, `${path}.${k}`);
      if (n.items) walk(n.items, `${path}[]`);
    };
    walk(root.properties.spec, "spec");
    walk(root.properties.status, "status");
    expect(missing).toEqual([]);
    expect(root.properties.spec.properties.region.description).toContain("us-west-2");
    expect(root.properties.spec.properties.region.description).toContain("westeurope");
  });
});

describe("Network admission rules (XRD CEL), same as the function", () => {
  const schema = xrdSpecSchema("network");
  const spec = NetworkSpec.parse(aws.spec);
  it("refuses a zone the region does not have, naming its zones", () =>
    expect(admission(schema, { ...spec, subnets: { ...spec.subnets, public: [{ zone: "a", cidr: "10.20.0.0/24" }, { zone: "f", cidr: "10.20.1.0/24" }] } }).join()).toContain("us-west-2; use one of its zones: a, b, c, d"));
  it("accepts zone f in us-east-1", () =>
    expect(admission(schema, { ...spec, region: "us-east-1", natGateway: "Shared", subnets: { ...spec.subnets, public: [{ zone: "a", cidr: "10.20.0.0/24" }, { zone: "f", cidr: "10.20.1.0/24" }] } })).toEqual([]));
  it("refuses /29 subnets on AWS and peerings on AWS", () => {
    expect(admission(schema, { ...spec, subnets: { ...spec.subnets, cache: [{ zone: "a", cidr: "10.20.30.0/29" }] } }).join()).toContain("/28 or larger");
    expect(admission(schema, { ...spec, peerings: [{ networkRef: { name: "x" } }] }).join()).toContain("Tessera peers Azure VNets only");
  });
  it("refuses a VPC prefix outside /16-/24", () => expect(admission(schema, { ...spec, cidr: "10.0.0.0/8" }).join()).toContain("/16 to /24"));
  it("refuses flow logs on Azure and a retention CloudWatch does not offer", () => {
    const az = NetworkSpec.parse(azure.spec);
    expect(admission(schema, { ...az, flowLogs: { enabled: true, retentionDays: 30 } }).join()).toContain("VPC flow logs are AWS only");
    expect(admission(schema, { ...spec, flowLogs: { enabled: true, retentionDays: 10 } }).join()).toContain("retentionDays");
  });
});

describe("Network with live dependants (issue 12.4)", () => {
  const orders = { kind: "PostgresDatabase", name: "orders" };
  const sessions = { kind: "RedisCluster", name: "sessions" };

  it("requires the Usages of itself by label, and lists them in status", async () => {
    const out = await render({ xr: aws, required: [usageOf(aws, "database", orders)] });
    expect(out.response.requirements?.resources?.["dependants"]).toMatchObject({ apiVersion: "protection.crossplane.io/v1beta1", kind: "Usage", matchLabels: { labels: { "platform.tessera.io/network": "minimal" } }, namespace: "team-a" });
    expect((out.xr.status as any).dependants).toEqual(["PostgresDatabase orders (its Instance): database tier"]);
  });

  it("refuses to remove the cache tier under a live RedisCluster, naming it", async () => {
    const usages = [usageOf(aws, "cache", sessions)];
    const observed = await live(aws, usages);
    const msg = await expectRefused({ xr: withSpec(aws, (s) => delete s.subnets.cache), required: [...NETWORKS, ...usages], observed }, "spec.subnets.cache", "RedisCluster sessions", "put it back");
    expect(msg).toContain("cache tier");
  });

  it("refuses to drop a database zone under a live PostgresDatabase", async () => {
    const usages = [usageOf(broxivaAws, "database", orders)];
    const observed = await live(broxivaAws, usages);
    await expectRefused({ xr: withSpec(broxivaAws, (s) => s.subnets.database.pop()), required: [...NETWORKS, ...usages], observed }, "spec.subnets.database", "subnet-database-c", "PostgresDatabase orders");
  });

  it("refuses to swap a database zone's range under a live PostgresDatabase", async () => {
    const usages = [usageOf(broxivaAws, "database", orders)];
    const observed = await live(broxivaAws, usages);
    await expectRefused({ xr: withSpec(broxivaAws, (s) => (s.subnets.database[0].cidr = "10.0.24.0/24")), required: [...NETWORKS, ...usages], observed }, "spec.subnets.database", "10.0.21.0/24", "PostgresDatabase orders");
  });

  it("refuses to change appPorts under a live dependant of the application tier", async () => {
    const usages = [usageOf(broxivaAws, "private", { kind: "K8sCluster", name: "shop" })];
    const observed = await live(broxivaAws, usages);
    await expectRefused({ xr: withSpec(broxivaAws, (s) => (s.appPorts = [3000])), required: [...NETWORKS, ...usages], observed }, "spec.appPorts", "sg-app-ingress-4000", "K8sCluster shop");
  });

  it("refuses an Azure port change of a used tier (database rule source) but lets unused tiers change", async () => {
    const usages = [usageOf(eastus, "database", orders)];
    const observed = await live(eastus, usages);
    await expectRefused({ xr: withSpec(eastus, (s) => (s.subnets.private[0].cidr = "10.0.12.0/24")), required: [...NETWORKS, ...usages], observed }, "spec.subnets.database", "AllowPostgresFromAppTier", "PostgresDatabase orders");
    const dropCache = await render({ xr: withSpec(eastus, (s) => delete s.subnets.cache), required: [...NETWORKS, ...usages], observed });
    expect(dropCache.fatal).toBeUndefined();
    expect(dropCache.resources.some((r) => r.metadata?.annotations?.[RESOURCE_NAME] === "subnet-cache")).toBe(false);
  });

  it("allows any change once the dependant's Usage is gone", async () => {
    const usages = [usageOf(aws, "cache", sessions)];
    const observed = await live(aws, usages);
    expect((await render({ xr: withSpec(aws, (s) => delete s.subnets.cache), required: NETWORKS, observed })).fatal).toBeUndefined();
  });

  it("keeps the Azure resource group undeletable (no Delete policy) while anything stands on the Network", async () => {
    const usages = [usageOf(eastus, "database", orders), usageOf(eastus, "cache", sessions)];
    const withDeps = await keysOf(eastus, [...NETWORKS, ...usages]);
    expect((withDeps["resource-group"]?.spec as any).managementPolicies).toEqual(["Observe", "Create", "Update", "LateInitialize"]);
    const without = await keysOf(eastus);
    expect((without["resource-group"]?.spec as any).managementPolicies).toBeUndefined();
    const out = await render({ xr: eastus, required: [...NETWORKS, ...usages] });
    expect((out.xr.status as any).dependants).toEqual(["PostgresDatabase orders (its Instance): database tier", "RedisCluster sessions (its ReplicationGroup): cache tier"]);
  });
});
