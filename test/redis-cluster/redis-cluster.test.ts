import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { PERSISTENCE_SECRET_LABEL, RedisClusterSpec } from "../../apis/redis-cluster/schema.ts";
import type { K8sObject } from "../../functions/shared/types.ts";
import { ROOT } from "../../scripts/generate.ts";
import { render, RESOURCE_NAME } from "../../scripts/render-engine.ts";
import { crdNames, validateComposed } from "../support/crds.ts";
import { CONNECTION_DETAILS, example, NETWORKS, observe, requiredFor } from "../support/fixtures.ts";
import { admission, expectRefused, withSpec, xrdSpecSchema } from "../support/refusals.ts";

const aws = example("examples/redis-cluster/aws-minimal.yaml");
const azure = example("examples/redis-cluster/azure-minimal.yaml");
const broxiva = example("examples/redis-cluster/aws-broxiva.yaml");
const broxivaAzure = example("examples/redis-cluster/azure-broxiva.yaml");
const vivr = example("examples/redis-cluster/aws-vivr.yaml");
const byKey = (rs: any[], key: string) => rs.find((r) => r.metadata.annotations[RESOURCE_NAME] === key);
const fp = (rs: any[], key: string) => byKey(rs, key)?.spec.forProvider;
/** What is desired once the first pass's resources exist and are ready (the AWS group waits for its parameter group). */
async function settled(xr: typeof aws, required = requiredFor(xr)) {
  const first = await render({ xr, required });
  return render({ xr, required, observed: observe(first.resources), connectionDetails: CONNECTION_DETAILS });
}
/** Passes until nothing new appears, each observing the last; returns the last output and its observed input. */
async function converge(xr: typeof aws, required = requiredFor(xr), start: K8sObject[] = []) {
  let observed = start;
  let out = await render({ xr, required, observed, connectionDetails: CONNECTION_DETAILS });
  for (let i = 0; i < 5 && !out.fatal; i++) {
    observed = observe(out.resources);
    const next = await render({ xr, required, observed, connectionDetails: CONNECTION_DETAILS });
    const same = JSON.stringify(next.resources.map((r) => r.spec)) === JSON.stringify(out.resources.map((r) => r.spec));
    out = next;
    if (same) break;
  }
  return { out, observed };
}
// Parsing the provider CRDs (16 MB) is the slow part of the first validation: done once, up front,
// with room for a loaded machine, so no single test carries it.
beforeAll(() => void crdNames(), 300_000);
const expectValid = (rs: K8sObject[]) => expect(rs.flatMap((r) => validateComposed(r).map((e) => `${r.kind}: ${e}`))).toEqual([]);
const warnings = (out: { results: Array<{ severity: string; message: string }> }) => out.results.filter((r) => r.severity === "SEVERITY_WARNING").map((r) => r.message);
const secretData = (rs: any[]) => Object.fromEntries(Object.entries(byKey(rs, "connection-secret").data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));


describe("RedisCluster on AWS", () => {
  it("maps the Broxiva seed onto a cluster-mode replication group", async () => {
    const { resources } = await settled(broxiva);
    expect(fp(resources, "replication-group")).toMatchObject({
      engine: "redis", engineVersion: "7.1", nodeType: "cache.r6g.large", clusterMode: "enabled", numNodeGroups: 3, replicasPerNodeGroup: 2,
      automaticFailoverEnabled: true, multiAzEnabled: true, snapshotRetentionLimit: 7, maintenanceWindow: "sun:03:00-sun:05:00",
      transitEncryptionEnabled: true, transitEncryptionMode: "required", atRestEncryptionEnabled: "true",
      autoGenerateAuthToken: true, authTokenSecretRef: { name: "broxiva-cache-redis-auth", key: "token" },
    });
    expect(fp(resources, "replication-group").numCacheClusters).toBeUndefined();
    expect(fp(resources, "replication-group").securityGroupIdSelector.matchLabels).toEqual({ "platform.tessera.io/network": "broxiva-use1", "platform.tessera.io/tier": "cache" });
    const params = Object.fromEntries(fp(resources, "parameter-group").parameter.map((p: any) => [p.name, p.value]));
    expect(params).toEqual({ "cluster-enabled": "yes", "maxmemory-policy": "volatile-lru", timeout: "0", "tcp-keepalive": "300" });
    expect(fp(resources, "parameter-group")).toMatchObject({ family: "redis7" });
    expect(fp(resources, "replication-group").parameterGroupName).toBe(fp(resources, "parameter-group").name);
  });

  it("maps the VIVR seed onto a primary with one replica and a customer key", async () => {
    const { resources } = await settled(vivr);
    expect(fp(resources, "replication-group")).toMatchObject({
      nodeType: "cache.t3.small", clusterMode: "disabled", numCacheClusters: 2, automaticFailoverEnabled: true, multiAzEnabled: true,
      snapshotRetentionLimit: 5, kmsKeyId: expect.stringContaining(":key/"),
    });
  });

  it("names the replication group within ElastiCache's 40 characters, uniquely per namespace", async () => {
    const long = structuredClone(aws);
    long.metadata!.name = "a-very-long-redis-cluster-name-for-the-checkout-service";
    const other = structuredClone(long);
    other.metadata!.namespace = "team-b";
    const teamB = NETWORKS.map((n) => ({ ...n, metadata: { ...n.metadata, namespace: "team-b" } }));
    const id = async (xr: typeof aws) => {
      const first = await render({ xr, required: [...requiredFor(aws), ...teamB] });
      const second = await render({ xr, required: [...requiredFor(aws), ...teamB], observed: observe(first.resources) });
      return byKey(second.resources, "replication-group").metadata.annotations["crossplane.io/external-name"];
    };
    const [a, b] = [await id(long), await id(other)];
    expect(a).toMatch(/^[a-z][a-z0-9-]{0,39}$/);
    expect(a).not.toMatch(/--|-$/);
    expect(a).not.toBe(b);
  });

  it("sets TransitEncryptionMode only where ElastiCache takes it (Redis 7)", async () => {
    const six = withSpec(aws, (s) => (s.version = "6"));
    const rg6 = fp((await settled(six)).resources, "replication-group");
    expect(rg6).toMatchObject({ engineVersion: "6.2", transitEncryptionEnabled: true });
    expect(rg6.transitEncryptionMode).toBeUndefined();
    expect(fp((await render({ xr: six, required: requiredFor(six) })).resources, "parameter-group").family).toBe("redis6.x");
  });

  it("orphans instead of deleting while deletionProtection is on, and deletes when it is off", async () => {
    const on = byKey((await settled(aws)).resources, "replication-group");
    expect(on.spec.managementPolicies).not.toContain("Delete");
    const offXr = withSpec(aws, (s) => (s.deletionProtection = false));
    const off = byKey((await settled(offXr)).resources, "replication-group");
    expect(off.spec.managementPolicies).toBeUndefined();
  });

  it("creates the replication group only once its parameter group and log groups are ready", async () => {
    const first = await render({ xr: aws, required: requiredFor(aws) });
    expect(byKey(first.resources, "replication-group")).toBeUndefined();
    // The MESSAGE column shows a count and the first item; the full list is in ResourcesReady.
    expect((first.xr.status?.["conditions"] as Array<{ type: string; message?: string }>).find((c) => c.type === "ResourcesReady")?.message).toContain("replication-group (after its dependencies)");
    expect(first.xr.status?.["conditions"]).toContainEqual(expect.objectContaining({ type: "Ready", status: "False" }));
    const notReady = await render({ xr: aws, required: requiredFor(aws), observed: observe(first.resources, { ready: false }) });
    expect(byKey(notReady.resources, "replication-group")).toBeUndefined();
  });

  it("writes the connection Secret from the generated token, with the reader endpoint outside cluster mode", async () => {
    const first = await settled(aws);
    const second = await render({ xr: aws, required: requiredFor(aws), observed: observe(first.resources) });
    const data = Object.fromEntries(Object.entries(byKey(second.resources, "connection-secret").data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
    expect(data["host"]).toMatch(/^master\./);
    expect(data["readerEndpoint"]).toMatch(/^replica\..*:6379$/);
  });
});

describe("RedisCluster on AWS: upgrades, logs, zones, Usage", () => {
  it("applies changes immediately and delivers slow and engine logs to 7-day log groups it composes", async () => {
    const { resources } = await settled(vivr);
    const rg = fp(resources, "replication-group");
    expect(rg.applyImmediately).toBe(true);
    expect(rg.logDeliveryConfiguration).toEqual([
      { destination: "/tessera/vivr/vivr-cache/redis/slow-log", destinationType: "cloudwatch-logs", logFormat: "json", logType: "slow-log" },
      { destination: "/tessera/vivr/vivr-cache/redis/engine-log", destinationType: "cloudwatch-logs", logFormat: "json", logType: "engine-log" },
    ]);
    for (const [key, name] of [["slow-log-group", "slow-log"], ["engine-log-group", "engine-log"]]) {
      const g = byKey(resources, key!);
      expect(g.kind).toBe("Group");
      expect(g.spec.forProvider).toMatchObject({ region: "us-east-1", retentionInDays: 7 });
      expect(g.metadata.annotations["crossplane.io/external-name"]).toBe(`/tessera/vivr/vivr-cache/redis/${name}`);
    }
    expectValid(resources);
  });

  it("waits for the log groups before creating the replication group, and turns delivery off with logs.enabled: false", async () => {
    const first = await render({ xr: aws, required: requiredFor(aws) });
    const onlyParams = observe(first.resources).filter((o) => o.kind === "ParameterGroup" || o.kind === "SubnetGroup");
    const waiting = await render({ xr: aws, required: requiredFor(aws), observed: onlyParams });
    expect(byKey(waiting.resources, "replication-group")).toBeUndefined();
    const off = withSpec(aws, (s) => (s.logs = { enabled: false }));
    const { resources } = await settled(off);
    expect(byKey(resources, "slow-log-group")).toBeUndefined();
    expect(fp(resources, "replication-group").logDeliveryConfiguration).toEqual([]);
  });

  it("adds log delivery to a live group only once its log groups are ready", async () => {
    const { resources } = await settled(aws);
    const live = observe(resources).filter((o) => !String(o.metadata?.annotations?.[RESOURCE_NAME]).endsWith("log-group"))
      .map((o) => (o.kind === "ReplicationGroup" ? { ...o, spec: { ...o.spec, forProvider: { ...(o.spec as any).forProvider, logDeliveryConfiguration: undefined } } } : o));
    const out = await render({ xr: aws, required: requiredFor(aws), observed: live });
    expect(fp(out.resources, "replication-group").logDeliveryConfiguration).toBeUndefined();
    expect(byKey(out.resources, "slow-log-group")).toBeDefined();
  });

  it("upgrades 6 to 7 through a new parameter group keyed by family, switching the group to it, then lets the old one go", async () => {
    const six = withSpec(aws, (s) => (s.version = "6"));
    const { observed: live6 } = await converge(six);
    expect(fp(live6, "replication-group")).toMatchObject({ engineVersion: "6.2" });
    const seven = withSpec(aws, (s) => (s.version = "7"));
    // Pass 1: the new group is created; the live group keeps its old group and engine until it is ready.
    const p1 = await render({ xr: seven, required: requiredFor(seven), observed: live6 });
    expect(p1.fatal).toBeUndefined();
    expect(fp(p1.resources, "parameter-group-redis7")).toMatchObject({ family: "redis7" });
    expect(fp(p1.resources, "parameter-group")).toMatchObject({ family: "redis6.x" });
    expect(fp(p1.resources, "replication-group")).toMatchObject({ engineVersion: "6.2", parameterGroupName: fp(p1.resources, "parameter-group").name });
    expect(warnings(p1).join()).toContain("waits for parameter group");
    // Pass 2: the new group is ready: engine and parameter group change together (one modify).
    const withNew = [...live6, ...observe(p1.resources).filter((o) => o.metadata?.annotations?.[RESOURCE_NAME] === "parameter-group-redis7")];
    const p2 = await render({ xr: seven, required: requiredFor(seven), observed: withNew });
    expect(fp(p2.resources, "replication-group")).toMatchObject({ engineVersion: "7.1", transitEncryptionMode: "required", parameterGroupName: fp(p2.resources, "parameter-group-redis7").name });
    expect(byKey(p2.resources, "parameter-group")).toBeDefined();
    // Asked, not yet done: the old group stays while the cloud still reports the old one.
    const asked = await render({ xr: seven, required: requiredFor(seven), observed: observe(p2.resources) });
    expect(byKey(asked.resources, "parameter-group")).toBeDefined();
    // Pass 3: the cloud reports the new family: the old parameter group is no longer desired.
    const done = observe(p2.resources).map((o) => (o.kind === "ReplicationGroup"
      ? { ...o, status: { ...o.status, atProvider: { ...(o.status as any).atProvider, parameterGroupName: fp(p2.resources, "parameter-group-redis7").name, engineVersionActual: "7.1.0" } } }
      : o));
    const p3 = await render({ xr: seven, required: requiredFor(seven), observed: done });
    expect(byKey(p3.resources, "parameter-group")).toBeUndefined();
    expect(byKey(p3.resources, "parameter-group-redis7")).toBeDefined();
    expectValid(p3.resources);
  });

  it("refuses a downgrade of a live group", async () => {
    const { observed } = await converge(aws);
    const six = withSpec(aws, (s) => (s.version = "6"));
    await expectRefused({ xr: six, required: requiredFor(six), observed }, "spec.version", "cannot downgrade");
  });

  it("places nodes in the zones asked for, primary first", async () => {
    const xr = withSpec(aws, (s) => Object.assign(s, { zones: ["b", "a"], replicasPerShard: 2 }));
    const { resources } = await settled(xr);
    expect(fp(resources, "replication-group").preferredCacheClusterAzs).toEqual(["us-west-2b", "us-west-2a", "us-west-2b"]);
    // A live group keeps its placement (ElastiCache ignores the field after creation) and refuses another.
    const live = observe(resources);
    const fewer = withSpec(xr, (s) => (s.replicasPerShard = 1));
    const kept = await render({ xr: fewer, required: requiredFor(fewer), observed: live });
    expect(fp(kept.resources, "replication-group").preferredCacheClusterAzs).toEqual(["us-west-2b", "us-west-2a", "us-west-2b"]);
    const moved = withSpec(xr, (s) => (s.zones = ["a", "b"]));
    await expectRefused({ xr: moved, required: requiredFor(moved), observed: live }, "spec.zones", "created with", "create a new RedisCluster");
  });

  it("composes a Usage that keeps the Network while the replication group exists", async () => {
    const { resources } = await settled(aws);
    const usage = byKey(resources, "network-usage");
    expect(usage).toMatchObject({
      apiVersion: "protection.crossplane.io/v1beta1",
      kind: "Usage",
      metadata: { labels: { "platform.tessera.io/network": "minimal", "platform.tessera.io/tier": "cache" } },
      spec: {
        of: { apiVersion: "platform.tessera.io/v1alpha1", kind: "Network", resourceRef: { name: "minimal" } },
        by: { apiVersion: "elasticache.aws.m.upbound.io/v1beta1", kind: "ReplicationGroup", resourceSelector: { matchControllerRef: true, matchLabels: { "platform.tessera.io/resource": "replication-group" } } },
        replayDeletion: true,
      },
    });
    expectValid([usage]);
    const first = await render({ xr: aws, required: requiredFor(aws) });
    expect(byKey(first.resources, "network-usage")).toBeUndefined();
  });
});

const CACHE = "cache.azure.m.upbound.io/v1beta1";
/** A Network like minimal-azure in another region (westus has no availability zones). */
const westNetwork = (() => {
  const n = structuredClone(NETWORKS.find((x) => x.metadata?.name === "minimal-azure")!);
  n.metadata!.name = "minimal-westus";
  (n.spec as any).region = "westus";
  return n;
})();

describe("RedisCluster on Azure: Azure Managed Redis", () => {
  it("maps the Broxiva seed (Premium P1, clustering) onto Balanced_B5 with the OSS cluster policy, TLS only, private", async () => {
    const { resources } = await render({ xr: broxivaAzure, required: requiredFor(broxivaAzure) });
    expect(byKey(resources, "cache")).toBeUndefined();
    const mr = byKey(resources, "managed-redis");
    expect(mr.kind).toBe("ManagedRedis");
    expect(mr.spec.forProvider).toMatchObject({
      location: "eastus", skuName: "Balanced_B5", highAvailabilityEnabled: true, publicNetworkAccess: "Disabled",
      defaultDatabase: { clientProtocol: "Encrypted", clusteringPolicy: "OSSCluster", evictionPolicy: "VolatileLRU", accessKeysAuthenticationEnabled: true },
      tags: { Project: "broxiva", CostCenter: "BROX-INFRA", Compliance: "pci-dss", ManagedBy: "crossplane" },
    });
    expect(mr.spec.writeConnectionSecretToRef).toEqual({ name: "broxiva-cache-azure-redis-keys" });
    expect(mr.spec.managementPolicies).not.toContain("Delete");
    expectValid(resources);
  });

  it("adds the private endpoint (redisEnterprise, privatelink.redis.azure.net zone) once the cache id is known, and serves port 10000", async () => {
    const first = await render({ xr: azure, required: requiredFor(azure) });
    expect(fp(first.resources, "managed-redis")).toMatchObject({ skuName: "Balanced_B3", defaultDatabase: { clusteringPolicy: "EnterpriseCluster" } });
    expect(byKey(first.resources, "managed-redis-endpoint")).toBeUndefined();
    const second = await render({ xr: azure, required: requiredFor(azure), observed: observe(first.resources), connectionDetails: CONNECTION_DETAILS });
    expect(fp(second.resources, "managed-redis-endpoint")).toMatchObject({
      privateServiceConnection: { privateConnectionResourceId: "managedredis-managed-redis", subresourceNames: ["redisEnterprise"], isManualConnection: false },
      privateDnsZoneGroup: { privateDnsZoneIdsSelector: { matchLabels: { "platform.tessera.io/network": "minimal-azure", "platform.tessera.io/resource": "private-dns-zone-managed-redis" } } },
    });
    const data = secretData(second.resources);
    expect(data).toMatchObject({ port: "10000", password: "p@ss:w/rd", tls: "true" });
    expect(data["uri"]).toMatch(/^rediss:\/\/:p%40ss%3Aw%2Frd@.*:10000$/);
    expect(second.xr.status).toMatchObject({ port: 10000, cacheKind: "AzureManagedRedis" });
    expect(byKey(second.resources, "network-usage").spec.by).toMatchObject({ kind: "ManagedRedis", resourceSelector: { matchLabels: { "platform.tessera.io/resource": "managed-redis" } } });
  });

  it("keeps the private endpoint when the cache's status is briefly empty", async () => {
    const first = await render({ xr: azure, required: requiredFor(azure) });
    const second = await render({ xr: azure, required: requiredFor(azure), observed: observe(first.resources) });
    const observed = observe(second.resources).map((o) => (o.kind === "ManagedRedis" ? { ...o, status: { conditions: [] } } : o));
    const third = await render({ xr: azure, required: requiredFor(azure), observed });
    expect(fp(third.resources, "managed-redis-endpoint").privateServiceConnection.privateConnectionResourceId).toBe("managedredis-managed-redis");
  });

  it.each([
    ["small", 1, "Balanced_B3"],
    ["medium", 1, "Balanced_B5"],
    ["medium", 3, "Balanced_B20"],
    ["large", 1, "Balanced_B10"],
    ["xlarge", 1, "Balanced_B20"],
    ["2xlarge", 1, "Balanced_B50"],
    ["2xlarge", 10, "Balanced_B500"],
  ] as const)("maps size %s x %i shards to %s", async (size, shards, sku) => {
    const xr = withSpec(azure, (s) => Object.assign(s, { size, shards, clusterMode: shards > 1 }));
    const { resources } = await render({ xr, required: requiredFor(xr) });
    expect(fp(resources, "managed-redis").skuName).toBe(sku);
  });

  it("maps persistence onto Managed Redis's own RDB or AOF, without a storage account", async () => {
    const rdb = withSpec(azure, (s) => (s.persistence = { snapshotEveryMinutes: 360 }));
    const aof = withSpec(azure, (s) => (s.persistence = { appendOnly: true }));
    const db = async (xr: typeof azure) => fp((await render({ xr, required: requiredFor(xr) })).resources, "managed-redis").defaultDatabase;
    expect(await db(rdb)).toMatchObject({ persistenceRedisDatabaseBackupFrequency: "6h" });
    expect((await db(rdb)).persistenceAppendOnlyFileBackupFrequency).toBeUndefined();
    expect(await db(aof)).toMatchObject({ persistenceAppendOnlyFileBackupFrequency: "1s" });
  });

  it("says that a region without zones keeps the replica in the same datacenter", async () => {
    const xr = withSpec(azure, (s) => Object.assign(s, { region: "westus", networkRef: { name: "minimal-westus" } }));
    const out = await render({ xr, required: [...requiredFor(xr), westNetwork] });
    expect(out.fatal).toBeUndefined();
    expect(warnings(out).join()).toContain("westus has no availability zones");
    const east = await render({ xr: azure, required: requiredFor(azure) });
    expect(warnings(east)).toEqual([]);
  });

  it("gives Entra ID principals data access, and without access keys writes a Secret without password", async () => {
    const app = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const xr = withSpec(azure, (s) => Object.assign(s, { entraIdPrincipals: [app], accessKeys: false }));
    const { out } = await converge(xr);
    expect(out.fatal).toBeUndefined();
    expect(fp(out.resources, `access-policy-${app}`)).toEqual({ managedRedisIdSelector: { matchControllerRef: true, matchLabels: { "platform.tessera.io/resource": "managed-redis" } }, objectId: app });
    expect(fp(out.resources, "managed-redis").defaultDatabase.accessKeysAuthenticationEnabled).toBe(false);
    const data = secretData(out.resources);
    expect(data["password"]).toBeUndefined();
    expect(data["uri"]).toMatch(/^rediss:\/\/[^@]+:10000$/);
    expect(out.xr.status).toMatchObject({ message: "Available" });
    expectValid(out.resources);
  });

  it("refuses a name too long for Azure Managed Redis's 60 characters", async () => {
    const long = structuredClone(azure);
    long.metadata!.name = "a".repeat(55);
    const message = await expectRefused({ xr: long, required: requiredFor(long) }, "metadata.name", "at most 54");
    expect(message).toContain("Azure allows 60");
  });

  it("refuses to change highAvailability or the clustering policy of a live cache", async () => {
    const { observed } = await converge(azure);
    const noHa = withSpec(azure, (s) => Object.assign(s, { highAvailability: false, replicasPerShard: 0 }));
    await expectRefused({ xr: noHa, required: requiredFor(noHa), observed }, "spec.highAvailability", "created with true", "create a new RedisCluster");
    const clustered = withSpec(azure, (s) => (s.clusterMode = true));
    await expectRefused({ xr: clustered, required: requiredFor(clustered), observed }, "spec.clusterMode", "EnterpriseCluster", "create a new RedisCluster");
  });
});

describe("RedisCluster on Azure: a legacy Azure Cache for Redis is kept", () => {
  /** What an XR created before Azure Managed Redis has: a RedisCache under key "cache" (and its endpoint). */
  const legacyObserved = (zones = ["1", "2"]): K8sObject[] =>
    observe([
      {
        apiVersion: CACHE,
        kind: "RedisCache",
        metadata: { name: "sessions-azure-0a1b2c3d4e5f", annotations: { [RESOURCE_NAME]: "cache" }, labels: { "platform.tessera.io/resource": "cache" } },
        spec: { forProvider: { location: "westeurope", skuName: "Premium", family: "P", capacity: 1, zones, redisVersion: "6" }, writeConnectionSecretToRef: { name: "sessions-azure-redis-keys" } },
      },
    ]).map((o) => ({ ...o, status: { ...o.status, atProvider: { ...(o.status as any).atProvider, id: "rediscache-cache" } } }));

  it("keeps rendering the RedisCache (never a Managed Redis beside it) and says how to migrate", async () => {
    const { out } = await converge(azure, requiredFor(azure), legacyObserved());
    expect(out.fatal).toBeUndefined();
    expect(byKey(out.resources, "managed-redis")).toBeUndefined();
    expect(fp(out.resources, "cache")).toMatchObject({ skuName: "Premium", family: "P", capacity: 1, minimumTlsVersion: "1.2", nonSslPortEnabled: false, publicNetworkAccessEnabled: false, zones: ["1", "2"] });
    expect(fp(out.resources, "private-endpoint").privateServiceConnection.subresourceNames).toEqual(["redisCache"]);
    expect(out.xr.status).toMatchObject({ cacheKind: "AzureCacheForRedis", port: 6380, message: "Available" });
    expect((out.xr.status as any).notice).toContain("retires on 2028-09-30");
    expect(warnings(out).join()).toContain("create a new RedisCluster");
    expect(byKey(out.resources, "network-usage").spec.by.kind).toBe("RedisCache");
    expectValid(out.resources);
  });

  it("moves on to Managed Redis only when Azure never created the legacy cache", async () => {
    const failed = legacyObserved().map((o) => ({
      ...o,
      metadata: { ...o.metadata, annotations: { ...o.metadata?.annotations, "crossplane.io/external-create-failed": "2026-11-01T10:00:00Z" } },
      status: { ...o.status, atProvider: {} },
    }));
    const out = await render({ xr: azure, required: requiredFor(azure), observed: failed });
    expect(out.fatal).toBeUndefined();
    expect(byKey(out.resources, "cache")).toBeUndefined();
    expect(byKey(out.resources, "managed-redis")).toBeDefined();
    expect(warnings(out).join()).toContain("was never created");
    // Created once (or with an id): it stays, whatever else the annotations say.
    const live = failed.map((o) => ({ ...o, metadata: { ...o.metadata, annotations: { ...o.metadata?.annotations, "crossplane.io/external-create-succeeded": "2026-11-01T09:00:00Z" } } }));
    const kept = await render({ xr: azure, required: requiredFor(azure), observed: live });
    expect(byKey(kept.resources, "cache")).toBeDefined();
    expect(byKey(kept.resources, "managed-redis")).toBeUndefined();
  });

  it("keeps the zones the cache was created with when the spec would give others", async () => {
    const more = withSpec(azure, (s) => (s.replicasPerShard = 2));
    const out = await render({ xr: more, required: requiredFor(more), observed: legacyObserved(["1", "2"]) });
    expect(fp(out.resources, "cache")).toMatchObject({ replicasPerPrimary: 2, zones: ["1", "2"] });
    expect(warnings(out).join()).toContain("keeps zones [1, 2]");
  });

  it("refuses what a legacy cache cannot take, naming the migration", async () => {
    const seven = withSpec(azure, (s) => (s.version = "7"));
    await expectRefused({ xr: seven, required: requiredFor(seven), observed: legacyObserved() }, "spec.version", "offers Redis 6");
    const sku = withSpec(azure, (s) => (s.nodeType = "Balanced_B5"));
    await expectRefused({ xr: sku, required: requiredFor(sku), observed: legacyObserved() }, "spec.nodeType", "cannot move to Managed Redis in place");
    const std = withSpec(azure, (s) => Object.assign(s, { nodeType: "C3", clusterMode: true }));
    await expectRefused({ xr: std, required: requiredFor(std), observed: legacyObserved() }, "spec.nodeType", "Premium only");
    const entra = withSpec(azure, (s) => (s.entraIdPrincipals = ["0f8fad5b-d9cb-469f-a165-70867728950e"]));
    await expectRefused({ xr: entra, required: requiredFor(entra), observed: legacyObserved() }, "spec.entraIdPrincipals", "access keys only");
    const param = withSpec(azure, (s) => (s.parameters = { "maxmemory-reserved": "200", "notify-keyspace-events": "Ex" }));
    const ok = await render({ xr: param, required: requiredFor(param), observed: legacyObserved() });
    expect(fp(ok.resources, "cache").redisConfiguration).toMatchObject({ maxmemoryReserved: 200, notifyKeyspaceEvents: "Ex" });
  });

  describe("persistence Secret (only one meant for this cache's snapshots)", () => {
    const ref = { name: "sessions-backup", key: "connection" };
    const xr = withSpec(azure, (s) => (s.persistence = { snapshotEveryMinutes: 60, storageConnectionSecretRef: ref }));
    const secret = (labels: Record<string, string>, value = "DefaultEndpointsProtocol=https;AccountName=sessionsbak;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net"): K8sObject => ({
      apiVersion: "v1", kind: "Secret", metadata: { name: ref.name, namespace: "team-a", labels }, data: { connection: Buffer.from(value).toString("base64") },
    });
    it("hands a labelled storage connection string to Azure", async () => {
      const out = await render({ xr, required: [...requiredFor(xr), secret({ [PERSISTENCE_SECRET_LABEL]: "sessions-azure" })], observed: legacyObserved() });
      expect(out.fatal).toBeUndefined();
      expect(fp(out.resources, "cache").redisConfiguration).toMatchObject({ rdbBackupEnabled: true, rdbBackupFrequency: 60, rdbBackupMaxSnapshotCount: 1, rdbStorageConnectionStringSecretRef: ref });
    });
    it.each([
      ["a missing Secret", [], "does not exist"],
      ["another app's Secret", [secret({})], "is not marked as this cache's persistence Secret"],
      ["a Secret marked for another cache", [secret({ [PERSISTENCE_SECRET_LABEL]: "orders" })], "is not marked"],
      ["a Tessera connection Secret", [secret({ "platform.tessera.io/resource": "connection-secret", [PERSISTENCE_SECRET_LABEL]: "sessions-azure" })], "composed by a Tessera resource"],
      ["a Secret without a connection string", [secret({ [PERSISTENCE_SECRET_LABEL]: "sessions-azure" }, "hunter2")], "does not hold a storage account connection string"],
    ] as const)("refuses %s", async (_n, extra, fragment) => {
      await expectRefused({ xr, required: [...requiredFor(xr), ...extra], observed: legacyObserved() }, "spec.persistence.storageConnectionSecretRef", fragment);
    });
  });
});

describe("RedisCluster refusals (one fatal naming field, value and fix)", () => {
  it.each([
    ["shards without cluster mode", aws, (s: any): unknown => (s.shards = 3), ["spec.shards above 1 needs spec.clusterMode"]],
    ["HA without replicas", aws, (s: any): unknown => (s.replicasPerShard = 0), ["spec.highAvailability needs a replica"]],
    ["Redis 6 on Azure Managed Redis", azure, (s: any): unknown => (s.version = "6"), ["spec.version", "Redis 7.4"]],
    ["2 replicas on Azure Managed Redis", azure, (s: any): unknown => (s.replicasPerShard = 2), ["spec.replicasPerShard", "exactly one replica"]],
    ["4 replicas on Azure", azure, (s: any): unknown => (s.replicasPerShard = 4), ["spec.replicasPerShard", "at most 1"]],
    ["customer key on Azure", azure, (s: any): unknown => (s.encryption = { keyId: "https://kv/keys/k" }), ["spec.encryption.keyId", "Microsoft-managed"]],
    ["persistence on AWS", aws, (s: any): unknown => (s.persistence = { snapshotEveryMinutes: 60 }), ["spec.persistence is Azure only"]],
    ["snapshot frequency", azure, (s: any): unknown => (s.persistence = { snapshotEveryMinutes: 45 }), ["snapshotEveryMinutes must be 15, 30"]],
    ["snapshot frequency Managed Redis lacks", azure, (s: any): unknown => (s.persistence = { snapshotEveryMinutes: 15 }), ["spec.persistence.snapshotEveryMinutes", "every 1, 6 or 12 hours"]],
    ["RDB and AOF together", azure, (s: any): unknown => (s.persistence = { snapshotEveryMinutes: 60, appendOnly: true }), ["exactly one of snapshotEveryMinutes"]],
    ["a storage Secret for Managed Redis", azure, (s: any): unknown => (s.persistence = { snapshotEveryMinutes: 60, storageConnectionSecretRef: { name: "a", key: "b" } }), ["spec.persistence.storageConnectionSecretRef", "without a storage account"]],
    ["backup on Azure", azure, (s: any): unknown => (s.backup = { retentionDays: 7 }), ["spec.backup is AWS only"]],
    ["short Azure patch window", azure, (s: any): unknown => (s.maintenanceWindow = { day: "Sun", startTime: "03:00", hours: 2 }), ["at least 5 hours"]],
    ["patch window on Managed Redis", azure, (s: any): unknown => (s.maintenanceWindow = { day: "Sun", startTime: "03:00", hours: 5 }), ["spec.maintenanceWindow", "patched by Microsoft"]],
    ["unsettable parameter on Azure", azure, (s: any): unknown => (s.parameters = { timeout: "0" }), ["spec.parameters", "Azure lets a cache set only"]],
    ["any parameter on Managed Redis", azure, (s: any): unknown => (s.parameters = { "notify-keyspace-events": "Ex" }), ["spec.parameters.notify-keyspace-events", "no Redis parameters"]],
    ["reserved parameter", aws, (s: any): unknown => (s.parameters = { "cluster-enabled": "yes" }), ["spec.parameters", "cluster-enabled", "remove them"]],
    ["node type of the other cloud", aws, (s: any): unknown => (s.nodeType = "P1"), ["spec.nodeType", "cache.r6g.large"]],
    ["empty node type", aws, (s: any): unknown => (s.nodeType = ""), ["spec.nodeType"]],
    ["a legacy size for a new Azure cache", azure, (s: any): unknown => (s.nodeType = "P1"), ["spec.nodeType", "Balanced_B5"]],
    ["shards with a whole Managed Redis SKU", azure, (s: any): unknown => Object.assign(s, { nodeType: "Balanced_B5", clusterMode: true, shards: 3 }), ["spec.shards", "names the whole Managed Redis SKU"]],
    ["more memory than any Balanced SKU", azure, (s: any): unknown => Object.assign(s, { size: "2xlarge", clusterMode: true, shards: 30 }), ["spec.shards", "1440 GB"]],
    ["overlapping windows", aws, (s: any): unknown => Object.assign(s, { backup: { window: "03:00-05:00" }, maintenanceWindow: { day: "Sun", startTime: "04:00" } }), ["spec.maintenanceWindow", "overlapping"]],
    ["short snapshot window", aws, (s: any): unknown => (s.backup = { window: "03:00-03:30" }), ["spec.backup.window", "at least 60 minutes"]],
    ["empty KMS key", aws, (s: any): unknown => (s.encryption = { keyId: "" }), ["spec.encryption.keyId"]],
    ["KMS key alias", aws, (s: any): unknown => (s.encryption = { keyId: "alias/cache" }), ["spec.encryption.keyId", "ARN of a KMS key in spec.region"]],
    ["KMS key in another region", aws, (s: any): unknown => (s.encryption = { keyId: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" }), ["spec.encryption.keyId", "in spec.region"]],
    ["a zone the region lacks", aws, (s: any): unknown => (s.zones = ["a", "f"]), ["spec.zones", "us-west-2 does not offer"]],
    ["a zone without a cache subnet", aws, (s: any): unknown => (s.zones = ["a", "c"]), ["spec.zones", "no cache subnet in zone c"]],
    ["zones in cluster mode", aws, (s: any): unknown => Object.assign(s, { zones: ["a"], clusterMode: true }), ["spec.zones applies with clusterMode off"]],
    ["zones on Azure", azure, (s: any): unknown => (s.zones = ["a"]), ["spec.zones is AWS only"]],
    ["access keys off without Entra ID principals", azure, (s: any): unknown => (s.accessKeys = false), ["spec.accessKeys: false leaves no way in"]],
    ["Entra ID principals on AWS", aws, (s: any): unknown => (s.entraIdPrincipals = ["0f8fad5b-d9cb-469f-a165-70867728950e"]), ["spec.entraIdPrincipals and accessKeys: false are Azure only"]],
    ["a principal twice", azure, (s: any): unknown => (s.entraIdPrincipals = ["0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b-d9cb-469f-a165-70867728950e"]), ["each principal at most once"]],
    ["log export on Azure", azure, (s: any): unknown => (s.logs = { enabled: true }), ["spec.logs", "Log Analytics"]],
    ["a retention CloudWatch lacks", aws, (s: any): unknown => (s.logs = { retentionDays: 10 }), ["spec.logs.retentionDays must be one of"]],
  ] as const)("%s", async (_n, xr, patch, fragments) => {
    const bad = withSpec(xr, patch);
    await expectRefused({ xr: bad, required: requiredFor(bad) }, ...fragments);
  });

  it("checks the KMS key in the function too (offline render of an XR the API server never saw)", async () => {
    const { renderAws } = await import("../../functions/redis-cluster/aws.ts");
    const spec = RedisClusterSpec.parse({ ...(vivr.spec as object), region: "us-west-2", networkRef: { name: "minimal" } });
    const ctx = { xr: { name: "x", namespace: "team-a" }, spec, observed: {}, required: { network: NETWORKS.filter((n) => n.metadata?.name === "minimal") } };
    expect(() => renderAws(ctx as any)).toThrow(/key in us-east-1, but the cache is in us-west-2/);
  });

  it("refuses a Network without cache subnets", () => {
    const xr = example("examples/redis-cluster/aws-minimal.yaml");
    const nets = NETWORKS.map((n) => (n.metadata?.name === "minimal" ? { ...n, spec: { ...n.spec, subnets: { ...(n.spec as any).subnets, cache: undefined } } } : n));
    return expectRefused({ xr, required: [...nets, ...requiredFor(xr).filter((o) => o.kind === "Secret")] }, "spec.networkRef.name", "has no cache subnets", "spec.subnets.cache");
  });
  it("refuses a Network on the other provider", () =>
    expectRefused({ xr: withSpec(aws, (s) => (s.networkRef = { name: "minimal-azure" })), required: requiredFor(aws) }, "is on azure"));
  it("refuses a provider switch once the cache exists", async () => {
    const created = observe((await settled(aws)).resources);
    const switched = withSpec(aws, (s) => { s.provider = "azure"; s.region = "westeurope"; s.networkRef = { name: "minimal-azure" }; });
    await expectRefused({ xr: switched, required: requiredFor(aws), observed: created }, "spec.provider", "already runs on aws");
  });
});

describe("RedisCluster admission rules (XRD CEL)", () => {
  const schema = xrdSpecSchema("redis-cluster");
  const spec = RedisClusterSpec.parse(broxivaAzure.spec);
  const awsSpec = RedisClusterSpec.parse(vivr.spec);
  it("accepts the examples and refuses a provider change", () => {
    expect(admission(schema, spec, spec)).toEqual([]);
    expect(admission(schema, awsSpec, awsSpec)).toEqual([]);
    expect(admission(schema, { ...spec, provider: "aws" }, spec).join()).toContain("spec.provider is immutable");
  });
  it("refuses shards without cluster mode, reserved parameters and node types of the other cloud", () => {
    expect(admission(schema, { ...awsSpec, shards: 2 }).join()).toContain("spec.shards above 1");
    expect(admission(schema, { ...awsSpec, parameters: { appendonly: "yes" } }).join()).toContain("managed by Tessera");
    expect(admission(schema, { ...spec, nodeType: "cache.r6g.large" }).join()).toContain("is not a azure Redis node type");
  });
  it("refuses changes Azure makes only by replacement, and downgrades", () => {
    expect(admission(schema, { ...spec, highAvailability: false }, spec).join()).toContain("spec.highAvailability is immutable on Azure");
    expect(admission(schema, { ...spec, clusterMode: false }, spec).join()).toContain("spec.clusterMode is immutable on Azure");
    expect(admission(schema, { ...awsSpec, highAvailability: false, replicasPerShard: 0 }, awsSpec)).toEqual([]);
    expect(admission(schema, { ...awsSpec, version: "6" }, awsSpec).join()).toContain("spec.version cannot go down");
    const zoned = { ...awsSpec, zones: ["a", "b"] };
    expect(admission(schema, { ...zoned, zones: ["b", "a"] }, zoned).join()).toContain("spec.zones is immutable");
  });
  it("refuses a KMS key outside the cache's region", () => {
    expect(admission(schema, { ...awsSpec, encryption: { keyId: "arn:aws:kms:eu-west-1:111122223333:key/abc" } }).join()).toContain("in spec.region");
  });
});

describe("RedisCluster XRD", () => {
  const xrd = parse(readFileSync(join(ROOT, "apis", "redis-cluster", "definition.yaml"), "utf8"));
  const root = xrd.spec.versions[0].schema.openAPIV3Schema;
  it("describes every spec and status field", () => {
    const missing: string[] = [];
    const walk = (node: any, path: string) => {
      for (const [k, v] of Object.entries<any>(node.properties ?? {})) {
        if (!v.description) missing.push(`${path}.${k}`);
        walk(v, `${path}.${k}`);
      }
      if (node.items) walk(node.items, `${path}[]`);
    };
    walk(root.properties.spec, "spec");
    walk(root.properties.status, "status");
    expect(missing.filter((p) => !p.startsWith("status.conditions"))).toEqual([]);
  });
  it("gives snapshotEveryMinutes a real range, names the real connection Secret default and what each size becomes", () => {
    const props = root.properties.spec.properties;
    expect(props.persistence.properties.snapshotEveryMinutes).toMatchObject({ minimum: 15, maximum: 1440 });
    expect(props.connectionSecretName.description).toContain("<metadata.name>-redis");
    expect(props.size.description).toMatch(/cache\.t4g\.medium.*Balanced_B3/s);
    expect(props.persistence.properties.storageConnectionSecretRef.description).toContain(PERSISTENCE_SECRET_LABEL);
  });
});
