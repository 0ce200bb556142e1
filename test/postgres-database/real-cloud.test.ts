/**
 * PostgresDatabase against how RDS and Flexible Server behave (issues 11 and 12): what the clouds
 * refuse is refused here, settings that would loop are sent so they settle, and nothing an XR owns
 * is renamed or dropped by a later render.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { PostgresDatabaseSpec } from "../../apis/postgres-database/schema.ts";
import { REGIONS } from "../../apis/shared/common.ts";
import { rdsCaBundle } from "../../functions/postgres-database/ca.ts";
import { finalSnapshotIdentifier, rdsIdentifier } from "../../functions/postgres-database/names.ts";
import { normalise, PARAMETERS, RESERVED } from "../../functions/postgres-database/parameters.ts";
import type { K8sObject } from "../../functions/shared/types.ts";
import { ROOT } from "../../scripts/generate.ts";
import { render, RESOURCE_NAME } from "../../scripts/render-engine.ts";
import { example, NETWORKS, observe, passwordSecret } from "../support/fixtures.ts";
import { admission, expectRefused, withSpec, xrdSpecSchema } from "../support/refusals.ts";

const aws = example("examples/postgres-database/aws-minimal.yaml");
const azure = example("examples/postgres-database/azure-minimal.yaml");
const vivr = example("examples/postgres-database/aws-vivr.yaml");
const broxiva = example("examples/postgres-database/aws-broxiva.yaml");
const broxivaAzure = example("examples/postgres-database/azure-broxiva.yaml");
const required = (xr: K8sObject) => [...NETWORKS, passwordSecret(xr)];
const keyOf = (r: K8sObject) => r.metadata?.annotations?.[RESOURCE_NAME] as string;
const byKey = (rs: K8sObject[], key: string) => rs.find((r) => keyOf(r) === key) as (K8sObject & { spec: any }) | undefined;
const fp = (rs: K8sObject[], key: string) => byKey(rs, key)?.spec.forProvider;
const params = (rs: K8sObject[], key: string) => Object.fromEntries(fp(rs, key).parameter.map((p: any) => [p.name, [p.value, p.applyMethod]]));
const run = (xr: K8sObject, observed: K8sObject[] = []) => render({ xr, required: required(xr), observed });
const refused = async (xr: K8sObject, ...fragments: string[]): Promise<void> => void (await expectRefused({ xr, required: required(xr) }, ...fragments));
/** Renders until nothing new appears, as the fake cluster creates what was asked for. */
async function settle(xr: K8sObject) {
  let out = await run(xr);
  for (let i = 0; i < 4; i++) out = await run(xr, observe(out.resources));
  return out;
}

describe("RDS parameters (11.6, 11.9, 12.3)", () => {
  it("sends static parameters with pending-reboot, dynamic ones immediately, defaults as pending-reboot", async () => {
    const xr = withSpec(aws, (s) => (s.parameters = {
      autovacuum_max_workers: "5", "rds.logical_replication": "1", "pg_stat_statements.max": "10000", max_logical_replication_workers: "8",
      track_commit_timestamp: "on", random_page_cost: "1.1", checkpoint_completion_target: "0.90", default_statistics_target: "100", log_min_duration_statement: "2s",
    }));
    const { resources } = await run(xr);
    expect(params(resources, "parameter-group-postgres17")).toEqual({
      autovacuum_max_workers: ["5", "pending-reboot"], "rds.logical_replication": ["1", "pending-reboot"], "pg_stat_statements.max": ["10000", "pending-reboot"],
      max_logical_replication_workers: ["8", "pending-reboot"], track_commit_timestamp: ["1", "pending-reboot"], random_page_cost: ["1.1", "immediate"],
      checkpoint_completion_target: ["0.90", "pending-reboot"], default_statistics_target: ["100", "pending-reboot"], log_min_duration_statement: ["2000", "immediate"],
      "rds.force_ssl": ["1", "pending-reboot"], ssl_min_protocol_version: ["TLSv1.2", "pending-reboot"],
    });
  });
  it("sends rds.force_ssl immediately where it is not RDS's default (PostgreSQL 14)", async () => {
    const { resources } = await run(withSpec(aws, (s) => (s.version = "14")));
    expect(params(resources, "parameter-group-postgres14")["rds.force_ssl"]).toEqual(["1", "immediate"]);
  });
  it("finds parameters by name regardless of case and '.' versus '_'", async () => {
    const { resources } = await run(withSpec(aws, (s) => (s.parameters = { TimeZone: "Europe/Berlin", pg_stat_statements_track: "all" })));
    expect(params(resources, "parameter-group-postgres17")).toMatchObject({ timezone: ["Europe/Berlin", "immediate"], "pg_stat_statements.track": ["all", "immediate"] });
  });
  it.each([
    ["a word for a memory size", { shared_buffers: "lots" }, ["spec.parameters.shared_buffers", "\"lots\"", "not a whole number"]],
    ["a memory size out of range", { shared_buffers: "999999GB" }, ["spec.parameters.shared_buffers", "outside 16..1073741823 8kB pages"]],
    ["a unit the parameter does not take", { max_connections: "200MB" }, ["spec.parameters.max_connections", "a plain number"]],
    ["a value outside an enum", { log_statement: "everything" }, ["spec.parameters.log_statement", "none, ddl, mod, all"]],
    ["a number out of range", { checkpoint_completion_target: "2" }, ["spec.parameters.checkpoint_completion_target", "outside 0..1"]],
    ["an unknown name", { shared_buffer: "4GB" }, ["spec.parameters.shared_buffer", "not a parameter Tessera knows"]],
    ["two names for one parameter", { max_connections: "200", MAX_CONNECTIONS: "300" }, ["spec.parameters.MAX_CONNECTIONS", "same parameter (max_connections)"]],
    ["a TLS setting spelled differently", { "RDS.FORCE_SSL": "0" }, ["spec.parameters.RDS.FORCE_SSL", "Tessera manages"]],
    ["an Azure-only parameter on AWS", { "pg_qs.query_capture_mode": "all" }, ["spec.parameters.pg_qs.query_capture_mode", "not available on aws"]],
  ] as const)("refuses %s", (_n, parameters, fragments) => refused(withSpec(aws, (s) => (s.parameters = parameters)), ...fragments));
  it("refuses require.secure_transport: OFF on Azure (it maps to require_secure_transport)", () =>
    refused(withSpec(azure, (s) => (s.parameters = { "require.secure_transport": "OFF" })), "spec.parameters.require.secure_transport", "is require_secure_transport, which Tessera manages"));
  it("refuses RDS-only parameters on Azure", () =>
    refused(withSpec(azure, (s) => (s.parameters = { "rds.logical_replication": "1" })), "not available on azure"));
  it("has no two parameters that normalise to one name", () => {
    const names = [...Object.keys(PARAMETERS), ...RESERVED].map(normalise);
    expect(names.length).toBe(new Set(names).size);
  });
});

describe("RDS windows (11.5)", () => {
  it("refuses a backup window under 30 minutes", () => refused(withSpec(aws, (s) => (s.backup = { window: "00:00-00:10" })), "spec.backup.window", "lasts 10 minutes", "at least 30 minutes"));
  it("accepts a backup window across midnight", async () => {
    const out = await run(withSpec(aws, (s) => (s.backup = { window: "23:45-00:30" })));
    expect(out.fatal).toBeUndefined();
    expect(fp(out.resources, "instance").backupWindow).toBe("23:45-00:30");
  });
  it("writes a maintenance window that crosses midnight into the next day", async () => {
    const { resources } = await run(withSpec(aws, (s) => (s.maintenanceWindow = { day: "Sat", startTime: "23:30" })));
    expect(fp(resources, "instance").maintenanceWindow).toBe("sat:23:30-sun:00:30");
  });
  it.each([
    ["maintenance across midnight into a backup after it", { day: "Sun", startTime: "23:30" }, "00:00-00:45"],
    ["maintenance inside a backup window across midnight", { day: "Tue", startTime: "00:10" }, "23:30-00:40"],
    ["maintenance on Saturday night into Sunday's backup", { day: "Sat", startTime: "23:45" }, "00:15-00:45"],
  ])("refuses %s", (_n, mw, window) =>
    refused(withSpec(aws, (s) => { s.maintenanceWindow = mw; s.backup = { window }; }), "spec.maintenanceWindow.startTime", "overlapping backup.window"));
  it("accepts windows apart across midnight", async () => {
    const out = await run(withSpec(aws, (s) => { s.maintenanceWindow = { day: "Sun", startTime: "23:00" }; s.backup = { window: "00:00-00:30" }; }));
    expect(out.fatal).toBeUndefined();
  });
});

describe("RDS gp3 from 400 GiB (11.7)", () => {
  it.each([
    ["IOPS below 12000", { sizeGB: 500, iops: 3000 }, ["12000 or more"]],
    ["throughput below 500", { sizeGB: 500, iops: 12000, throughputMBps: 250 }, ["500 or more"]],
  ])("refuses %s (function and XRD)", async (_n, storage, fragments) => {
    await refused(withSpec(aws, (s) => (s.storage = storage)), "spec.storage", ...fragments);
    const spec = { ...PostgresDatabaseSpec.parse(aws.spec), storage: { ...PostgresDatabaseSpec.parse(aws.spec).storage, ...storage } };
    expect(admission(xrdSpecSchema("postgres-database"), spec).join()).toContain("at least 12000 IOPS and 500 MiB/s");
  });
  it("accepts the baseline and leaves it out when not given", async () => {
    expect((await run(broxiva)).fatal).toBeUndefined();
    expect((await run(withSpec(aws, (s) => (s.storage = { sizeGB: 400 })))).fatal).toBeUndefined();
  });
});

describe("RDS identities (11.16, 12.7, 11.11)", () => {
  it("names the instance after the XR, validly, and keeps the name an existing instance has", async () => {
    const { resources } = await run(vivr);
    expect(fp(resources, "instance").identifier).toMatch(/^vivr-db-[0-9a-f]{8}$/);
    expect(fp(resources, "replica-use1").identifier).toMatch(/^vivr-db-[0-9a-f]{8}-use1$/);
    const live = observe(resources).map((o) => (keyOf(o) === "instance" ? ((o.spec as any).forProvider.identifier = "vivr-db-legacy", o) : o));
    expect(fp((await run(vivr, live)).resources, "instance").identifier).toBe("vivr-db-legacy");
  });
  it("does not rename an instance created before identifiers were set", async () => {
    const live = observe((await run(aws)).resources).map((o) => (keyOf(o) === "instance" ? (delete (o.spec as any).forProvider.identifier, o) : o));
    expect(fp((await run(aws, live)).resources, "instance").identifier).toBeUndefined();
  });
  it.each(["1team", "team--x", "orders.v2", `a${"b".repeat(80)}`, "-x-"])("derives a valid identifier from %s", (name) => {
    for (const id of [rdsIdentifier({ name, namespace: "ns" }), rdsIdentifier({ name, namespace: "ns" }, "replica1")]) {
      expect(id).toMatch(/^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$/);
      expect(id.length).toBeLessThanOrEqual(63);
    }
  });
  it("names final snapshots per XR instance (uid), validly", () => {
    const xr = { name: "orders.v2", namespace: "1team" };
    const a = finalSnapshotIdentifier(rdsIdentifier(xr), { ...xr, uid: "11111111-aaaa" });
    const b = finalSnapshotIdentifier(rdsIdentifier(xr), { ...xr, uid: "22222222-bbbb" });
    expect(a).not.toBe(b);
    for (const id of [a, b]) {
      expect(id).toMatch(/^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$/);
      expect(id.length).toBeLessThanOrEqual(255);
    }
  });
  it("switches to a new parameter group of the new family on a major upgrade, keeping the old one until the instance runs it", async () => {
    const v16 = withSpec(aws, (s) => (s.version = "16"));
    const live = observe((await run(v16)).resources);
    const v17 = withSpec(aws, (s) => (s.version = "17"));
    const during = await run(v17, live);
    expect(fp(during.resources, "parameter-group-postgres17").family).toBe("postgres17");
    expect(fp(during.resources, "parameter-group-postgres16").family).toBe("postgres16");
    expect(fp(during.resources, "instance")).toMatchObject({ engineVersion: "17", parameterGroupNameSelector: { matchLabels: { "platform.tessera.io/resource": "parameter-group-postgres17" } } });
    const upgraded = observe(during.resources).map((o) => (keyOf(o) === "instance" ? ((o.status as any).atProvider.engineVersion = "17.2", o) : o));
    const after = await run(v17, upgraded);
    expect(byKey(after.resources, "parameter-group-postgres16")).toBeUndefined();
  });
  it("keeps the key of a parameter group composed before keys carried the family", async () => {
    const live = observe((await run(aws)).resources).map((o) => {
      if (keyOf(o) === "parameter-group-postgres17") o.metadata!.annotations![RESOURCE_NAME] = "parameter-group";
      return o;
    });
    const { resources } = await run(aws, live);
    expect(byKey(resources, "parameter-group-postgres17")).toBeUndefined();
    expect(fp(resources, "instance").parameterGroupNameSelector.matchLabels["platform.tessera.io/resource"]).toBe("parameter-group");
  });
});

describe("RDS settings that must settle (11.12, 11.13, 11.17)", () => {
  it("applies changes immediately, and gives replicas the primary's storage ceiling", async () => {
    const out = await settle(vivr);
    for (const k of ["instance", "replica-use1", "replica-usw2"]) expect(fp(out.resources, k)).toMatchObject({ applyImmediately: true, maxAllocatedStorage: 200 });
  });
  it("creates the exported log groups with 7 days of retention, under RDS's names", async () => {
    const { resources } = await run(vivr);
    const id = fp(resources, "instance").identifier;
    expect(fp(resources, "log-group-postgresql")).toMatchObject({ region: "us-east-1", retentionInDays: 7 });
    expect(byKey(resources, "log-group-postgresql")!.metadata!.annotations!["crossplane.io/external-name"]).toBe(`/aws/rds/instance/${id}/postgresql`);
  });
  it("replicates automated backups to another region (Broxiva's cross-region copy)", async () => {
    const { resources } = await run(broxiva);
    expect(fp(resources, "backup-replication")).toMatchObject({
      region: "us-west-2", retentionPeriod: 30, kmsKeyId: expect.stringContaining(":us-west-2:"),
      sourceDbInstanceArnSelector: { matchControllerRef: true, matchLabels: { "platform.tessera.io/resource": "instance" } },
    });
  });
});

describe("Keys, types and names refused before the cloud sees them (12.8, 12.10, 12.5)", () => {
  it.each([
    ["an empty instanceType", aws, (s: any): unknown => (s.instanceType = ""), ["spec.instanceType"]],
    ["an empty keyId", aws, (s: any): unknown => (s.encryption = { keyId: "" }), ["spec.encryption.keyId"]],
    ["a KMS key that is not an ARN", aws, (s: any): unknown => (s.encryption = { keyId: "1234abcd-12ab-34cd-56ef-1234567890ab" }), ["spec.encryption.keyId", "KMS key ARN in us-west-2"]],
    ["a KMS key in another region", aws, (s: any): unknown => (s.encryption = { keyId: "arn:aws:kms:us-east-1:111122223333:key/abcd" }), ["spec.encryption.keyId", "us-west-2"]],
    ["a replica key in the primary's region", vivr, (s: any): unknown => (s.readReplicas[1].keyId = s.encryption.keyId), ["spec.readReplicas", "replica's own region"]],
    ["an Azure key that is not a Key Vault key id", azure, (s: any): unknown => (s.encryption = { keyId: "my-key", identityId: "/subscriptions/x/identity" }), ["spec.encryption.keyId", "vault.azure.net/keys"]],
    ["an unquoted version", aws, (s: any): unknown => (s.version = 16), ["spec.version", "write version: \"16\" in quotes"]],
    ["a TLS version below 1.2", aws, (s: any): unknown => (s.tls = { minVersion: "1.1" }), ["spec.tls.minVersion"]],
    ["a backup copy on Azure", azure, (s: any): unknown => (s.backup = { crossRegionCopy: { region: "westus", keyId: "x" } }), ["crossRegionCopy is an AWS setting"]],
  ] as const)("refuses %s", (_n, xr, patch, fragments) => refused(withSpec(xr, patch), ...fragments));

  it("refuses the same in the XRD (kubectl apply)", () => {
    const schema = xrdSpecSchema("postgres-database");
    const spec = PostgresDatabaseSpec.parse(aws.spec);
    expect(admission(schema, { ...spec, encryption: { keyId: "arn:aws:kms:us-east-1:111122223333:key/abcd" } }).join()).toContain("KMS key ARN in us-west-2");
    expect(admission(schema, { ...spec, instanceType: "GP_Standard_D4s_v3" }).join()).toContain("spec.instanceType");
    expect(admission(schema, { ...spec, readReplicas: [{ name: "r", region: "westus" }] }).join()).toContain("a replica's region must be a region of spec.provider");
  });

  it("refuses a databaseName change (XRD transition rule and against the live instance/database)", async () => {
    const schema = xrdSpecSchema("postgres-database");
    const spec = PostgresDatabaseSpec.parse(aws.spec);
    expect(admission(schema, { ...spec, databaseName: "other" }, spec).join()).toContain("spec.databaseName is immutable");
    const liveAws = observe((await run(aws)).resources);
    await expectRefused({ xr: withSpec(aws, (s) => (s.databaseName = "other")), required: required(aws), observed: liveAws }, "spec.databaseName", "RDS cannot rename it");
    const liveAzure = observe((await run(azure)).resources);
    await expectRefused({ xr: withSpec(azure, (s) => (s.databaseName = "other")), required: required(azure), observed: liveAzure }, "spec.databaseName", "new, empty database");
  });
});

describe("Region changes over live resources (12.9)", () => {
  it("refuses moving a live replica to another region", async () => {
    const live = observe((await settle(vivr)).resources);
    const use2 = structuredClone(NETWORKS.find((n) => n.metadata?.name === "vivr-vpc-usw2")!);
    use2.metadata!.name = "vivr-vpc-use2";
    (use2.spec as any).region = "us-east-2";
    const moved = withSpec(vivr, (s) => { s.readReplicas[1].region = "us-east-2"; s.readReplicas[1].keyId = "arn:aws:kms:us-east-2:111122223333:key/abcd"; s.readReplicas[1].networkRef = { name: "vivr-vpc-use2" }; });
    const out = await render({ xr: moved, required: [...NETWORKS, use2, passwordSecret(vivr)], observed: live });
    expect(out.fatal).toContain("spec.readReplicas (usw2).region: got us-east-2, but replica-usw2 runs in us-west-2; a server cannot move between regions");
  });
  it("refuses a spec.region change over the live server, in the function too", async () => {
    const live = observe((await run(azure)).resources);
    const xr = withSpec(azure, (s) => (s.region = "northeurope"));
    const net = structuredClone(NETWORKS.find((n) => n.metadata?.name === "minimal-azure")!);
    (net.spec as any).region = "northeurope";
    const out = await render({ xr, required: [net, passwordSecret(xr)], observed: live });
    expect(out.fatal).toContain("server runs in westeurope; a server cannot move between regions");
  });
});

describe("TLS and the connection Secret (11.15)", () => {
  it("raises the minimum TLS version on both clouds", async () => {
    const a = await run(withSpec(aws, (s) => (s.tls = { minVersion: "1.3" })));
    expect(params(a.resources, "parameter-group-postgres17").ssl_min_protocol_version).toEqual(["TLSv1.3", "immediate"]);
    const z = await run(withSpec(azure, (s) => (s.tls = { minVersion: "1.3" })));
    expect(fp(z.resources, "server-config-ssl-min-protocol-version")).toMatchObject({ name: "ssl_min_protocol_version", value: "TLSv1.3" });
  });
  it("gives the region's RDS root CA and verify-full", async () => {
    const out = await settle(aws);
    const data = (byKey(out.resources, "connection-secret") as any).data as Record<string, string>;
    const ca = Buffer.from(data["ca.crt"]!, "base64").toString();
    expect(new X509Certificate(ca).subject).toContain("CN=Amazon RDS us-west-2 Root CA RSA2048 G1");
    expect(Buffer.from(data["sslmode"]!, "base64").toString()).toBe("verify-full");
  });
  it("has a CA for every AWS region Tessera serves, self-signed and valid", () => {
    for (const region of REGIONS.aws) {
      const cert = new X509Certificate(rdsCaBundle(region));
      expect(cert.subject).toContain(`CN=Amazon RDS ${region} Root CA RSA2048 G1`);
      expect(cert.verify(cert.publicKey)).toBe(true);
      expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.parse("2040-01-01"));
    }
  });
  it("gives the DigiCert and Microsoft roots on Azure", async () => {
    const out = await settle(azure);
    const ca = Buffer.from(((byKey(out.resources, "connection-secret") as any).data["ca.crt"]) as string, "base64").toString();
    expect(ca).toContain("-----BEGIN CERTIFICATE-----");
    const subjects = ca.split(/(?<=-----END CERTIFICATE-----\n)/).filter(Boolean).map((p) => new X509Certificate(p).subject);
    expect(subjects.join()).toContain("DigiCert Global Root G2");
    expect(subjects.join()).toContain("Microsoft RSA Root Certificate Authority 2017");
  });
});

describe("XRD descriptions (13.16)", () => {
  it("describes every field of spec and status", () => {
    const xrd = parse(readFileSync(join(ROOT, "apis", "postgres-database", "definition.yaml"), "utf8"));
    const root = xrd.spec.versions[0].schema.openAPIV3Schema.properties;
    const missing: string[] = [];
    const walk = (n: any, path: string): void => {
      if (!n.description) missing.push(path);
      for (const [k, v] of Object.entries(n.properties ?? {})) walk(v, `${path}.${k}`);
      if (n.items?.properties) for (const [k, v] of Object.entries(n.items.properties)) walk(v, `${path}[].${k}`);
    };
    walk(root.spec, "spec");
    walk(root.status, "status");
    expect(missing).toEqual([]);
    // What each size becomes per cloud is in the size description.
    expect(root.spec.properties.size.description).toContain("db.m7g.large, GP_Standard_D2ds_v5");
  });
});

describe("Network Usages (12.4)", () => {
  it("composes a Usage of each Network the primary and its replicas stand on", async () => {
    const out = await settle(vivr);
    expect(byKey(out.resources, "usage-network")!.spec).toMatchObject({
      of: { apiVersion: "platform.tessera.io/v1alpha1", kind: "Network", resourceRef: { name: "vivr-vpc" } },
      by: { apiVersion: "rds.aws.m.upbound.io/v1beta1", kind: "Instance", resourceSelector: { matchControllerRef: true, matchLabels: { "platform.tessera.io/resource": "instance" } } },
    });
    expect(byKey(out.resources, "usage-network")!.metadata!.labels).toMatchObject({ "platform.tessera.io/network": "vivr-vpc", "platform.tessera.io/tier": "database" });
    expect(byKey(out.resources, "usage-network-replica-usw2")!.spec).toMatchObject({ of: { resourceRef: { name: "vivr-vpc-usw2" } }, by: { resourceSelector: { matchLabels: { "platform.tessera.io/resource": "replica-usw2" } } } });
    const az = await settle(broxivaAzure);
    expect(byKey(az.resources, "usage-network-replica-westus")!.spec).toMatchObject({ of: { resourceRef: { name: "broxiva-westus" } }, by: { kind: "FlexibleServer" } });
  });
});

describe("Removed replicas (12.6)", () => {
  it("says the replica is orphaned under deletion protection, in a warning and the status", async () => {
    const live = observe((await settle(vivr)).resources);
    const out = await run(withSpec(vivr, (s) => (s.readReplicas = s.readReplicas.slice(1))), live);
    expect(out.fatal).toBeUndefined();
    expect(out.results.find((r) => r.severity.includes("WARNING"))?.message).toContain("read replica use1 was removed from spec.readReplicas: under deletionProtection it is orphaned");
    expect((out.xr.status as any).releasedReplicas[0]).toContain("keeps running (and billing)");
  });
  it("keeps what an orphaned replica needs (its subnet and parameter groups) out of deletion", async () => {
    const { resources } = await settle(vivr);
    for (const k of ["replica-usw2-subnet-group", "replica-usw2-parameter-group-postgres16", "subnet-group", "log-group-postgresql"]) {
      expect(byKey(resources, k)!.spec.managementPolicies).toEqual(["Observe", "Create", "Update", "LateInitialize"]);
    }
  });
  it("says it is deleted without deletion protection", async () => {
    const xr = withSpec(broxivaAzure, (s) => (s.deletionProtection = false));
    const live = observe((await settle(xr)).resources);
    const out = await run(withSpec(xr, (s) => (s.readReplicas = [])), live);
    expect((out.xr.status as any).releasedReplicas).toEqual(["read replica westus was removed from spec.readReplicas and is being deleted with its data"]);
  });
});

describe("Flexible Server (11.2, 11.3, 11.4, 11.10, 11.11, 11.13)", () => {
  it("refuses read replicas of a burstable server, with the reason (function and XRD)", async () => {
    await refused(withSpec(azure, (s) => (s.readReplicas = [{ name: "r1" }])), "spec.readReplicas", "Azure does not offer read replicas of burstable servers");
    const spec = PostgresDatabaseSpec.parse({ ...azure.spec, readReplicas: [{ name: "r1" }] });
    expect(admission(xrdSpecSchema("postgres-database"), spec).join()).toContain("Azure does not offer read replicas of burstable servers");
  });
  it("composes SameZone HA in a region without zones, and says so", async () => {
    const xr = withSpec(azure, (s) => { s.region = "westus"; s.networkRef = { name: "broxiva-westus" }; s.size = "medium"; s.highAvailability = true; });
    xr.metadata!.namespace = "broxiva-production";
    const out = await render({ xr, required: [...NETWORKS, passwordSecret(xr)] });
    expect(out.fatal).toBeUndefined();
    expect(fp(out.resources, "server").highAvailability).toEqual({ mode: "SameZone" });
    expect(out.results.find((r) => r.severity.includes("WARNING"))?.message).toContain("westus has no availability zones");
    expect((out.xr.status as any).highAvailability).toBe("SameZone");
  });
  it("composes ZoneRedundant HA where the region has zones", async () => {
    expect(fp((await run(broxivaAzure)).resources, "server").highAvailability).toEqual({ mode: "ZoneRedundant" });
  });
  it("sets storageMb only at creation when autoGrow is on", async () => {
    const { resources } = await run(broxivaAzure);
    for (const k of ["server", "replica-westus"]) {
      expect(fp(resources, k).storageMb).toBeUndefined();
      expect(byKey(resources, k)!.spec.initProvider).toEqual({ storageMb: 524288 });
      expect(fp(resources, k).autoGrowEnabled).toBe(true);
    }
    expect(fp((await run(azure)).resources, "server").storageMb).toBe(131072);
  });
  it("places the cross-region replica in its own Network and gives it the primary's max_connections and TLS", async () => {
    const { resources } = await run(broxivaAzure);
    const rep = fp(resources, "replica-westus");
    expect(rep).toMatchObject({ location: "westus", createMode: "Replica", sourceServerIdSelector: { matchLabels: { "platform.tessera.io/resource": "server" } } });
    for (const sel of ["resourceGroupNameSelector", "delegatedSubnetIdSelector", "privateDnsZoneIdSelector"]) expect(rep[sel].matchLabels["platform.tessera.io/network"]).toBe("broxiva-westus");
    expect(fp(resources, "replica-westus-server-config-max-connections")).toMatchObject({ name: "max_connections", value: "200", serverIdSelector: { matchLabels: { "platform.tessera.io/resource": "replica-westus" } } });
    expect(fp(resources, "replica-westus-server-config-ssl-min-protocol-version")).toMatchObject({ value: "TLSv1.3" });
    expect(fp(resources, "replica-westus-server-config-require-secure-transport")).toMatchObject({ value: "on" });
    // The Networks' peering links the zones; the database composes no link of its own (Azure allows one per zone and VNet).
    expect(resources.filter((r: any) => r.kind === "PrivateDNSZoneVirtualNetworkLink")).toEqual([]);
  });
  it("refuses a cross-region replica whose Networks do not peer each other", async () => {
    const unpeered = required(broxivaAzure).map((o: any) => (o.kind === "Network" && o.metadata.name === "broxiva-westus" ? { ...o, spec: { ...o.spec, peerings: [] } } : o));
    await expectRefused({ xr: broxivaAzure, required: unpeered }, "spec.readReplicas[0].networkRef.name", "Network broxiva-westus does not name broxiva-eastus", "add peerings");
  });
  it("refuses a geoRedundant change (XRD transition rule and against the live server)", async () => {
    const schema = xrdSpecSchema("postgres-database");
    const spec = PostgresDatabaseSpec.parse(broxivaAzure.spec);
    expect(admission(schema, { ...spec, backup: { ...spec.backup, geoRedundant: false } }, spec).join()).toContain("spec.backup.geoRedundant is fixed at creation");
    const live = observe((await run(broxivaAzure)).resources);
    await expectRefused({ xr: withSpec(broxivaAzure, (s) => (s.backup.geoRedundant = false)), required: required(broxivaAzure), observed: live }, "spec.backup.geoRedundant", "create a new PostgresDatabase");
  });
  it("sends the server's logs to Log Analytics once the server's id is known", async () => {
    expect(byKey((await run(broxivaAzure)).resources, "diagnostics")).toBeUndefined();
    const out = await settle(broxivaAzure);
    expect(fp(out.resources, "diagnostics")).toMatchObject({ targetResourceId: "flexibleserver-server", enabledLog: [{ category: "PostgreSQLLogs" }], logAnalyticsWorkspaceId: expect.stringContaining("/workspaces/broxiva-logs") });
  });
});
