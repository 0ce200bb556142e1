import { describe, expect, it } from "vitest";
import type { K8sObject } from "../../functions/shared/types.ts";
import { render, RESOURCE_NAME } from "../../scripts/render-engine.ts";
import { example, observe } from "../support/fixtures.ts";
import { admission, expectRefused, withSpec, xrdSpecSchema } from "../support/refusals.ts";
import { NetworkSpec } from "../../apis/network/schema.ts";

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
    expect(rules.map((r: any) => [r.access, r.destinationPortRange, r.sourceAddressPrefix])).toEqual([["Allow", "5432", "10.30.10.0/24"], ["Deny", "*", "VirtualNetwork"]]);
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
