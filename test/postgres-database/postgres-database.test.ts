import { describe, expect, it } from "vitest";
import { PostgresDatabaseSpec } from "../../apis/postgres-database/schema.ts";
import { render, RESOURCE_NAME } from "../../scripts/render-engine.ts";
import { example, NETWORKS, observe, passwordSecret } from "../support/fixtures.ts";
import { admission, expectRefused, withSpec, xrdSpecSchema } from "../support/refusals.ts";

const aws = example("examples/postgres-database/aws-minimal.yaml");
const azure = example("examples/postgres-database/azure-minimal.yaml");
const vivr = example("examples/postgres-database/aws-vivr.yaml");
const required = (xr: typeof aws) => [...NETWORKS, passwordSecret(xr)];
const fp = (rs: any[], key: string) => rs.find((r) => r.metadata.annotations[RESOURCE_NAME] === key)?.spec.forProvider;

describe("PostgresDatabase on AWS", () => {
  it("maps the seed's settings onto the RDS instance", async () => {
    const { resources } = await render({ xr: vivr, required: required(vivr) });
    expect(fp(resources, "instance")).toMatchObject({
      instanceClass: "db.t3.small", engineVersion: "16", allocatedStorage: 100, maxAllocatedStorage: 200, storageType: "gp3",
      multiAz: true, backupRetentionPeriod: 30, backupWindow: "03:00-04:00", dbName: "vivr", iamDatabaseAuthenticationEnabled: true,
      storageEncrypted: true, publiclyAccessible: false, deletionProtection: true, skipFinalSnapshot: false,
      performanceInsightsEnabled: true, performanceInsightsRetentionPeriod: 31, monitoringInterval: 60, enabledCloudwatchLogsExports: ["postgresql"],
    });
    const params = Object.fromEntries(fp(resources, "parameter-group-postgres16").parameter.map((p: any) => [p.name, [p.value, p.applyMethod]]));
    // Static parameters wait for a reboot; values equal to RDS's defaults (rds.force_ssl on 16,
    // work_mem 4MB, timezone UTC) go as pending-reboot so the group settles on provider-upjet-aws v2.6.
    expect(params).toEqual({
      "rds.force_ssl": ["1", "pending-reboot"], ssl_min_protocol_version: ["TLSv1.2", "pending-reboot"],
      shared_buffers: ["32768", "pending-reboot"], max_connections: ["200", "pending-reboot"], work_mem: ["4096", "pending-reboot"],
      timezone: ["UTC", "pending-reboot"], effective_cache_size: ["131072", "immediate"], idle_session_timeout: ["300000", "immediate"],
    });
  });
  it("adds the cross-region replica only once the primary's ARN is known, and never drops it", async () => {
    const first = await render({ xr: vivr, required: required(vivr) });
    expect(fp(first.resources, "replica-usw2")).toBeUndefined();
    expect((first.response.desired?.composite as any).ready).toBe(2); // READY_FALSE while staged
    const second = await render({ xr: vivr, required: required(vivr), observed: observe(first.resources) });
    expect(fp(second.resources, "replica-usw2")).toMatchObject({ region: "us-west-2", replicateSourceDb: expect.stringMatching(/^arn:aws:rds:us-east-1:/), kmsKeyId: expect.stringContaining("us-west-2") });
  });
  it("orphans instead of deleting while deletionProtection is on", async () => {
    const { resources } = await render({ xr: aws, required: required(aws) });
    const inst = resources.find((r) => r.metadata?.annotations?.[RESOURCE_NAME] === "instance") as any;
    expect(inst.spec.managementPolicies).not.toContain("Delete");
    expect(inst.spec.managementPolicies).not.toContain("*");
  });
});

describe("PostgresDatabase on Azure", () => {
  it("places the server privately in the Network and requires TLS", async () => {
    const { resources } = await render({ xr: azure, required: required(azure) });
    expect(fp(resources, "server")).toMatchObject({ publicNetworkAccessEnabled: false, skuName: "B_Standard_B2s", storageMb: 131072, version: "17" });
    expect(fp(resources, "server").delegatedSubnetIdSelector.matchLabels).toEqual({ "platform.tessera.io/network": "minimal-azure", "platform.tessera.io/tier": "database" });
    expect(fp(resources, "server-config-require-secure-transport")).toMatchObject({ name: "require_secure_transport", value: "on" });
  });
});

describe("PostgresDatabase refusals (one fatal naming field, value and fix)", () => {
  it.each([
    ["Azure storage size", azure, (s: any): unknown => (s.storage = { sizeGB: 500 }), ["spec.storage.sizeGB", "not 500"]],
    ["AWS autoGrow without ceiling", aws, (s: any): unknown => (s.storage = { autoGrow: true }), ["storage.maxSizeGB"]],
    ["ceiling below size", aws, (s: any): unknown => (s.storage = { sizeGB: 200, autoGrow: true, maxSizeGB: 100 }), ["maxSizeGB must be above"]],
    ["gp3 IOPS below 400 GiB", aws, (s: any): unknown => (s.storage = { sizeGB: 100, iops: 3000 }), ["spec.storage.iops", "sizeGB 100"]],
    ["Azure backup retention", azure, (s: any): unknown => (s.backup = { retentionDays: 3 }), ["retentionDays", "7 or more"]],
    ["HA on a burstable Azure size", azure, (s: any): unknown => (s.highAvailability = true), ["spec.highAvailability", "size medium or larger"]],
    ["TLS parameter", aws, (s: any): unknown => (s.parameters = { "rds.force_ssl": "0" }), ["spec.parameters.rds.force_ssl", "TLS is always required"]],
    ["unknown parameter", aws, (s: any): unknown => (s.parameters = { some_param: "4GB" }), ["spec.parameters.some_param", "not a parameter Tessera knows"]],
    ["instance class of the other cloud", aws, (s: any): unknown => (s.instanceType = "GP_Standard_D4s_v3"), ["spec.instanceType", "db.r6g.xlarge"]],
    ["reserved admin name", aws, (s: any): unknown => (s.adminUsername = "postgres"), ["reserved"]],
    ["size below minimum", aws, (s: any): unknown => (s.storage = { sizeGB: 5 }), ["spec.storage.sizeGB", "got 5"]],
    ["AWS-only monitoring on Azure", azure, (s: any): unknown => (s.monitoring = { logExports: ["postgresql"] }), ["spec.monitoring: performanceInsightsRetentionDays, logExports and enhancedMonitoringSeconds are AWS only"]],
  ] as const)("%s", async (_n, xr, patch, fragments) => {
    const bad = withSpec(xr, patch);
    await expectRefused({ xr: bad, required: required(bad) }, ...fragments);
  });

  it("refuses a Network that does not exist in the namespace", () =>
    expectRefused({ xr: withSpec(aws, (s) => (s.networkRef = { name: "ghost" })), required: required(aws) }, "spec.networkRef.name", "\"ghost\" does not exist in namespace team-a"));
  it("refuses a Network on the other provider", () =>
    expectRefused({ xr: withSpec(aws, (s) => (s.networkRef = { name: "minimal-azure" })), required: required(aws) }, "is on azure, this database on aws"));
  it("refuses a Network in another region", () =>
    expectRefused({ xr: withSpec(aws, (s) => (s.region = "us-east-1")), required: required(aws) }, "is in us-west-2, the database in us-east-1"));
  it("refuses a Network in another namespace (it is not found here)", () => {
    const moved = structuredClone(aws);
    moved.metadata!.namespace = "team-b";
    return expectRefused({ xr: moved, required: required(aws) }, "does not exist in namespace team-b");
  });
  it("refuses a provider switch once the database exists, keeping it", async () => {
    const created = observe((await render({ xr: aws, required: required(aws) })).resources);
    const switched = withSpec(aws, (s) => { s.provider = "azure"; s.region = "westeurope"; s.networkRef = { name: "minimal-azure" }; });
    await expectRefused({ xr: switched, required: required(aws), observed: created }, "spec.provider", "already runs on aws");
  });
});

describe("PostgresDatabase admission rules (XRD CEL)", () => {
  const schema = xrdSpecSchema("postgres-database");
  const spec = PostgresDatabaseSpec.parse(azure.spec);
  it("accepts the example and refuses a provider change", () => {
    expect(admission(schema, spec, spec)).toEqual([]);
    expect(admission(schema, { ...spec, provider: "aws" }, spec).join()).toContain("spec.provider is immutable");
  });
  it("refuses Azure sizes Flexible Server does not offer", () =>
    expect(admission(schema, { ...spec, storage: { ...spec.storage, sizeGB: 500 } }).join()).toContain("not 500"));
});
