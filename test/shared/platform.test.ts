/**
 * The platform EnvironmentConfig tessera (functions/shared/platform.ts): Crossplane's egress CIDRs in
 * every firewall the providers must pass themselves. Each kind that asks for it renders to the last
 * pass with and without it, every composed resource valid against the CRDs (CEL included); bad
 * entries, and what cannot work without it, are one fatal naming the field, value and fix.
 */
import { describe, expect, it } from "vitest";
import type { K8sObject } from "../../functions/shared/types.ts";
import { parsePlatform } from "../../functions/shared/platform.ts";
import { SpecError } from "../../functions/shared/errors.ts";
import { render, RESOURCE_NAME } from "../../scripts/render-engine.ts";
import { renderUntilReady } from "../../scripts/fake-cluster.ts";
import { validateComposed, validateObject } from "../support/crds.ts";
import { example, NETWORKS, observe, PLATFORM, PLATFORM_EGRESS, requiredFor } from "../support/fixtures.ts";
import { expectRefused, withSpec } from "../support/refusals.ts";

const keyOf = (r: K8sObject) => r.metadata?.annotations?.[RESOURCE_NAME] as string;
const fp = (rs: K8sObject[], key: string) => (rs.find((r) => keyOf(r) === key)?.spec as any)?.forProvider;
const invalid = (rs: K8sObject[]) => rs.flatMap((r) => validateComposed(r).map((e) => `${keyOf(r)}: ${e}`));
const env = (cidrs: unknown): K8sObject => ({ apiVersion: "apiextensions.crossplane.io/v1beta1", kind: "EnvironmentConfig", metadata: { name: "tessera" }, data: { crossplaneEgressCidrs: cidrs } });
const envData = (data: Record<string, unknown>): K8sObject => ({ apiVersion: "apiextensions.crossplane.io/v1beta1", kind: "EnvironmentConfig", metadata: { name: "tessera" }, data });
const without = (xr: K8sObject) => requiredFor(xr).filter((o) => o.kind !== "EnvironmentConfig");
const SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/platform-rg/providers/Microsoft.Network/virtualNetworks/crossplane-vnet/subnets/nodes";
const SUBNET2 = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/platform-rg/providers/Microsoft.Network/virtualNetworks/crossplane-vnet/subnets/a-pool";
const annotationsOf = (rs: K8sObject[], key: string) => rs.find((r) => keyOf(r) === key)?.metadata?.annotations ?? {};

const store = example("examples/object-store/azure-minimal.yaml");
const origin = example("examples/object-store/azure-broxiva.yaml");
const awsStore = example("examples/object-store/aws-minimal.yaml");
const eks = example("examples/k8s-cluster/aws-broxiva.yaml");
const aks = example("examples/k8s-cluster/azure-broxiva.yaml");
const openEks = example("examples/k8s-cluster/aws-minimal.yaml");

async function last(xr: K8sObject, required: K8sObject[]) {
  const { out, settled } = await renderUntilReady({ xr, required }, 12);
  expect(out.fatal).toBeUndefined();
  expect(settled).toBe(true);
  expect(invalid(out.resources)).toEqual([]);
  return out;
}

describe("the EnvironmentConfig itself", () => {
  it("the example is a valid EnvironmentConfig, cluster-scoped, and parses to sorted, unique CIDRs", () => {
    expect(PLATFORM).toHaveLength(1);
    expect(validateObject(PLATFORM[0]!)).toEqual([]);
    expect(parsePlatform(PLATFORM).crossplaneEgressCidrs).toEqual(PLATFORM_EGRESS);
    // Order and repeats in the EnvironmentConfig do not reach the firewalls (no churn when someone reorders it).
    expect(parsePlatform([env(["203.0.113.7/32", "198.51.100.16/28", "203.0.113.7/32"])]).crossplaneEgressCidrs).toEqual(PLATFORM_EGRESS);
    expect(parsePlatform([env(["20.0.0.0/8", "20.0.0.0/16", "3.3.3.3/32"])]).crossplaneEgressCidrs).toEqual(["3.3.3.3/32", "20.0.0.0/8", "20.0.0.0/16"]);
    expect(parsePlatform([])).toEqual({ crossplaneEgressCidrs: [], crossplaneSubnetIds: [], configured: false });
    expect(parsePlatform([envData({})]).configured).toBe(false);
    expect(parsePlatform(PLATFORM).configured).toBe(true);
    // Subnet ids alone configure it; sorted and unique.
    expect(parsePlatform([envData({ crossplaneSubnetIds: [SUBNET, SUBNET2, SUBNET] })])).toEqual({ crossplaneEgressCidrs: [], crossplaneSubnetIds: [SUBNET2, SUBNET], configured: true });
  });

  it.each([
    ["an unknown key", { crossplaneEgressCIDRs: ["203.0.113.7/32"] }, "data.crossplaneEgressCIDRs: is not a Tessera platform setting", "the known keys are crossplaneEgressCidrs, crossplaneSubnetIds"],
    ["an empty CIDR list", { crossplaneEgressCidrs: [] }, "data.crossplaneEgressCidrs: got an empty list", "remove the key instead"],
    ["an empty subnet list", { crossplaneSubnetIds: [] }, "data.crossplaneSubnetIds: got an empty list", "remove the key instead"],
    ["a subnet id that is a virtual network", { crossplaneSubnetIds: [SUBNET.replace("/subnets/nodes", "")] }, "data.crossplaneSubnetIds[0]: got", "not an Azure subnet resource id"],
    ["a subnet name, not an id", { crossplaneSubnetIds: ["nodes"] }, "data.crossplaneSubnetIds[0]: got \"nodes\"", "/subscriptions/<id>/resourceGroups/"],
    ["subnet ids not a list", { crossplaneSubnetIds: SUBNET }, "data.crossplaneSubnetIds: got", "not a list"],
    ["too many subnets", { crossplaneSubnetIds: Array.from({ length: 6 }, (_, i) => `${SUBNET}${i}`) }, "got 6 entries", "at most 5"],
  ])("refuses %s, naming the key and the fix", (_what, data, ...fragments) => {
    for (const f of ["EnvironmentConfig tessera data.", ...fragments]) expect(() => parsePlatform([envData(data)])).toThrow(f);
  });

  it("an unknown key is one fatal for every XR that reads it, and nothing is applied", async () => {
    await expectRefused({ xr: store, required: [...NETWORKS, envData({ crossplaneEgressCidrs: ["203.0.113.7/32"], crossplaneSubnetID: [SUBNET] })] }, "invalid ObjectStore", "data.crossplaneSubnetID: is not a Tessera platform setting");
    await expectRefused({ xr: aks, required: [...without(aks), envData({ crossplaneEgressCidrs: [] })] }, "invalid K8sCluster", "data.crossplaneEgressCidrs: got an empty list");
  });

  it.each([
    ["not a list", "203.0.113.7/32", "data.crossplaneEgressCidrs: got \"203.0.113.7/32\", not a list"],
    ["an address without a prefix", ["203.0.113.7"], "data.crossplaneEgressCidrs[0]: got \"203.0.113.7\", not an IPv4 CIDR"],
    ["an octet over 255", ["203.0.113.0/24", "203.0.113.256/32"], "data.crossplaneEgressCidrs[1]"],
    ["host bits set", ["203.0.113.7/24"], "write 203.0.113.0/24"],
    ["a private range", ["10.1.0.0/16"], "a private or reserved range"],
    ["CGNAT", ["100.64.1.1/32"], "a private or reserved range"],
    ["a /31", ["203.0.113.6/31"], "take no /31 ranges"],
    ["a huge range", ["0.0.0.0/0"], "a large part of the internet"],
    ["too many", Array.from({ length: 11 }, (_, i) => `203.0.113.${i}/32`), "got 11 entries"],
  ])("refuses %s, naming the EnvironmentConfig field", (_what, cidrs, fragment) => {
    expect(() => parsePlatform([env(cidrs)])).toThrow(SpecError);
    expect(() => parsePlatform([env(cidrs)])).toThrow(fragment);
    expect(() => parsePlatform([env(cidrs)])).toThrow("EnvironmentConfig tessera data.crossplaneEgressCidrs");
  });

  it("a bad entry is one fatal for every XR that reads it, and nothing is applied", async () => {
    await expectRefused({ xr: store, required: [...NETWORKS, env(["10.0.0.0/8"])] }, "invalid ObjectStore", "EnvironmentConfig tessera data.crossplaneEgressCidrs[0]", "got \"10.0.0.0/8\"", "public address");
    await expectRefused({ xr: aks, required: [...without(aks), env(["10.0.0.0/8"])] }, "invalid K8sCluster", "EnvironmentConfig tessera data.crossplaneEgressCidrs[0]");
  });

  it("is asked for by name, cluster-scoped (no namespace), only by XRs with a firewall Crossplane must pass", async () => {
    const asked = async (xr: K8sObject) => (await render({ xr, required: without(xr) })).unmet.filter((u) => u.name === "tessera-platform");
    for (const xr of [store, origin, eks, aks]) {
      expect(await asked(xr), String(xr.metadata?.name)).toEqual([{ name: "tessera-platform", apiVersion: "apiextensions.crossplane.io/v1beta1", kind: "EnvironmentConfig", matchName: "tessera", namespace: undefined }]);
    }
    // No firewall the providers must pass: an S3 bucket (IAM, no address rules), an EKS endpoint open to all, a Network.
    for (const xr of [awsStore, openEks, example("examples/network/aws-broxiva.yaml")]) expect(await asked(xr), String(xr.metadata?.name)).toEqual([]);
  });
});

describe("ObjectStore on Azure", () => {
  it("without the EnvironmentConfig: the firewall as the spec says, to the last pass, with a warning saying how the provider reaches the data plane", async () => {
    const xr = withSpec(store, (s) => (s.network = { allowedIps: ["203.0.113.7/32"] }));
    const out = await last(xr, without(xr));
    expect(fp(out.resources, "account").networkRules).toEqual({ defaultAction: "Deny", bypass: ["AzureServices"], ipRules: ["203.0.113.7"] });
    const warnings = out.results.map((r) => r.message);
    expect(warnings).toContainEqual(expect.stringContaining("reads this storage account's data plane through its firewall"));
    expect(warnings).toContainEqual(expect.stringContaining("IP rules (data.crossplaneEgressCidrs) admit Crossplane only from outside the account's region; from inside it, list its subnets (data.crossplaneSubnetIds"));
    expect(warnings).toContainEqual(expect.stringContaining("private endpoint"));
  });

  it("with it: Crossplane's egress in every account's ipRules (/32 as a plain address, no repeats), no warning, no churn", async () => {
    const xr = withSpec(store, (s) => {
      s.network = { allowedIps: ["203.0.113.7", "192.0.2.0/24"] };
      s.replication = { region: "westus" };
    });
    const out = await last(xr, requiredFor(xr));
    for (const key of ["account", "replica-account"]) {
      expect(fp(out.resources, key).networkRules, key).toEqual({ defaultAction: "Deny", bypass: ["AzureServices"], ipRules: ["203.0.113.7", "192.0.2.0/24", "198.51.100.16/28"] });
    }
    expect(out.results.map((r) => r.message)).not.toContainEqual(expect.stringContaining("data plane"));
    // The same input over what it rendered renders the same, whatever order the EnvironmentConfig lists them in.
    const again = await render({ xr, required: [...without(xr), env(["203.0.113.7/32", "198.51.100.16/28"])], observed: observe(out.resources) });
    expect(again.resources).toEqual(out.resources);
  });

  it("a Front Door origin: public network access on, deny by default, no bypass, only Crossplane's egress; to the last pass", async () => {
    const out = await last(origin, requiredFor(origin));
    expect(fp(out.resources, "account")).toMatchObject({ publicNetworkAccessEnabled: true, allowNestedItemsToBePublic: true, networkRules: { defaultAction: "Deny", bypass: ["None"], ipRules: ["198.51.100.16/28", "203.0.113.7"] } });
    expect(fp(out.resources, "container").containerAccessType).toBe("blob");
    expect(out.results.map((r) => r.message)).not.toContainEqual(expect.stringContaining("data plane"));
  });

  it("a new Front Door origin without Crossplane's egress is refused (the store would never be manageable); a live one keeps its recorded rules", async () => {
    await expectRefused({ xr: origin, required: without(origin) }, "spec.cdn.originAccess", "neither Crossplane egress addresses nor subnets are configured", "data.crossplaneSubnetIds (inside it)", "EnvironmentConfig tessera", "or set cdn.originAccess: false");
    await expectRefused({ xr: origin, required: [...without(origin), envData({})] }, "spec.cdn.originAccess", "neither Crossplane egress");
    const live = await last(origin, requiredFor(origin));
    const out = await render({ xr: origin, required: without(origin), observed: observe(live.resources) });
    expect(out.fatal).toBeUndefined();
    expect(out.resources).toEqual(live.resources);
  });

  it("same-region Crossplane: subnet ids become every account's virtual network rules (origin's too), recorded, CRD-valid, to the last pass", async () => {
    const subnets = (xr: K8sObject, data: Record<string, unknown>) => [...without(xr), envData(data)];
    const xr = withSpec(store, (s) => (s.replication = { region: "westus" }));
    const out = await last(xr, subnets(xr, { crossplaneSubnetIds: [SUBNET, SUBNET2] }));
    for (const key of ["account", "replica-account"]) {
      expect(fp(out.resources, key).networkRules, key).toEqual({ defaultAction: "Deny", bypass: ["AzureServices"], ipRules: [], virtualNetworkSubnetIds: [SUBNET2, SUBNET] });
      expect(JSON.parse(annotationsOf(out.resources, key)["platform.tessera.io/crossplane-egress"]!), key).toEqual({ ipRules: [], subnetIds: [SUBNET2, SUBNET] });
    }
    expect(out.results.map((r) => r.message)).not.toContainEqual(expect.stringContaining("data plane"));
    // A Front Door origin with subnet ids only: its Crossplane-only firewall is those subnets; the container opens.
    const o = await last(origin, subnets(origin, { crossplaneSubnetIds: [SUBNET] }));
    expect(fp(o.resources, "account").networkRules).toEqual({ defaultAction: "Deny", bypass: ["None"], ipRules: [], virtualNetworkSubnetIds: [SUBNET] });
    expect(fp(o.resources, "container").containerAccessType).toBe("blob");
    // Both kinds of rule together.
    const both = await last(origin, subnets(origin, { crossplaneEgressCidrs: PLATFORM_EGRESS, crossplaneSubnetIds: [SUBNET] }));
    expect(fp(both.resources, "account").networkRules).toEqual({ defaultAction: "Deny", bypass: ["None"], ipRules: ["198.51.100.16/28", "203.0.113.7"], virtualNetworkSubnetIds: [SUBNET] });
  });

  it("the EnvironmentConfig gone: each account keeps the Crossplane rules it was last composed with, with a warning; present without them: removed", async () => {
    const xr = withSpec(store, (s) => {
      s.network = { allowedIps: ["192.0.2.0/24"] };
      s.replication = { region: "westus" };
    });
    const live = await last(xr, [...without(xr), envData({ crossplaneEgressCidrs: PLATFORM_EGRESS, crossplaneSubnetIds: [SUBNET] })]);
    const rules = { defaultAction: "Deny", bypass: ["AzureServices"], ipRules: ["192.0.2.0/24", "198.51.100.16/28", "203.0.113.7"], virtualNetworkSubnetIds: [SUBNET] };
    for (const key of ["account", "replica-account"]) expect(fp(live.resources, key).networkRules, key).toEqual(rules);
    for (const gone of [without(xr), [...without(xr), envData({})]]) {
      const out = await render({ xr, required: gone, observed: observe(live.resources) });
      expect(out.fatal).toBeUndefined();
      for (const key of ["account", "replica-account"]) {
        expect(fp(out.resources, key).networkRules, key).toEqual(rules);
        expect(annotationsOf(out.resources, key)["platform.tessera.io/crossplane-egress"], key).toBe(annotationsOf(live.resources, key)["platform.tessera.io/crossplane-egress"]);
      }
      expect(out.results.map((r) => r.message)).toContainEqual(expect.stringContaining("EnvironmentConfig tessera is missing or sets no Crossplane egress: account and replica-account keep the Crossplane rules last composed"));
      expect(out.results.map((r) => r.message)).not.toContainEqual(expect.stringContaining("never becomes Ready"));
    }
    // A replica added while it is gone takes the main account's recorded rules.
    const mainOnly = observe(live.resources).filter((o) => !keyOf(o).startsWith("replica-"));
    const added = await render({ xr, required: without(xr), observed: mainOnly });
    expect(fp(added.resources, "replica-account").networkRules).toEqual(rules);
    // Present and listing other rules: the old ones go, the new ones come (no warning).
    const moved = await last(xr, [...without(xr), envData({ crossplaneEgressCidrs: ["198.51.100.16/28"] })]);
    const next = await render({ xr, required: [...without(xr), envData({ crossplaneEgressCidrs: ["198.51.100.16/28"] })], observed: observe(live.resources) });
    for (const key of ["account", "replica-account"]) {
      expect(fp(next.resources, key).networkRules, key).toEqual({ defaultAction: "Deny", bypass: ["AzureServices"], ipRules: ["192.0.2.0/24", "198.51.100.16/28"] });
      expect(JSON.parse(annotationsOf(next.resources, key)["platform.tessera.io/crossplane-egress"]!)).toEqual({ ipRules: ["198.51.100.16/28"], subnetIds: [] });
    }
    expect(next.results.map((r) => r.message)).not.toContainEqual(expect.stringContaining("is missing or sets no Crossplane egress"));
    expect(moved.resources.map(keyOf)).toEqual(next.resources.map(keyOf));
  });
});

describe("K8sCluster", () => {
  for (const [cloud, xr, field] of [["EKS", eks, "vpcConfig.publicAccessCidrs"], ["AKS", aks, "apiServerAccessProfile.authorizedIpRanges"]] as const) {
    const cidrsOf = (rs: K8sObject[]) => field.split(".").reduce((o: any, k) => o?.[k], fp(rs, "cluster")) as string[];
    it(`${cloud}: renders to the last pass without the EnvironmentConfig (allowedCidrs as given, warning) and with it (egress added, sorted, once)`, async () => {
      const bare = await last(xr, without(xr));
      expect(cidrsOf(bare.resources)).not.toContain("203.0.113.7/32");
      expect(bare.xr.status?.["warnings"]).toContainEqual(expect.stringContaining("unless Crossplane's egress address is among them"));
      const withEgress = await last(xr, requiredFor(xr));
      expect(cidrsOf(withEgress.resources).slice(0, 3)).toEqual(["203.0.113.0/24", ...PLATFORM_EGRESS]);
      expect(new Set(cidrsOf(withEgress.resources)).size).toBe(cidrsOf(withEgress.resources).length);
      expect((withEgress.xr.status?.["warnings"] as string[] | undefined) ?? []).not.toContainEqual(expect.stringContaining("unless Crossplane's egress"));
      // An egress CIDR the user already listed appears once; reordering the EnvironmentConfig changes nothing.
      const listed = withSpec(xr, (s) => (s.apiAccess.allowedCidrs = ["203.0.113.7/32", "203.0.113.0/24"]));
      const once = await render({ xr: listed, required: requiredFor(listed), observed: observe(withEgress.resources) });
      expect(cidrsOf(once.resources).slice(0, 3)).toEqual(["203.0.113.7/32", "203.0.113.0/24", "198.51.100.16/28"]);
      const reordered = await render({ xr, required: [...without(xr), env(["203.0.113.7/32", "198.51.100.16/28"])], observed: observe(withEgress.resources) });
      expect(reordered.resources).toEqual((await render({ xr, required: requiredFor(xr), observed: observe(withEgress.resources) })).resources);
    });
  }

  it("an endpoint open to all or private gets no egress CIDRs (there is no allow list to add them to)", async () => {
    const out = await last(openEks, [...requiredFor(openEks)]);
    expect(fp(out.resources, "cluster").vpcConfig.publicAccessCidrs).toBeUndefined();
  });

  it("EKS refuses more than 40 public access CIDRs with the egress CIDRs, naming both", async () => {
    const many = withSpec(eks, (s) => (s.apiAccess.allowedCidrs = Array.from({ length: 39 }, (_, i) => `198.18.${i}.0/24`)));
    await expectRefused({ xr: many, required: requiredFor(many) }, "spec.apiAccess.allowedCidrs", "got 39 CIDRs", "Crossplane's 2 egress CIDRs", "make 41, more than the 40 EKS takes", "list at most 38");
    expect((await render({ xr: many, required: without(many) })).fatal).toBeUndefined();
  });
});
