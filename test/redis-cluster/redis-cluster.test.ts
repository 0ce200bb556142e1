import { describe, expect, it } from "vitest";
import { RedisClusterSpec } from "../../apis/redis-cluster/schema.ts";
import { render, RESOURCE_NAME } from "../../scripts/render-engine.ts";
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
async function settled(xr: typeof aws) {
  const first = await render({ xr, required: requiredFor(xr) });
  return render({ xr, required: requiredFor(xr), observed: observe(first.resources), connectionDetails: CONNECTION_DETAILS });
}

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

  it("creates the replication group only once its parameter group is ready", async () => {
    const first = await render({ xr: aws, required: requiredFor(aws) });
    expect(byKey(first.resources, "replication-group")).toBeUndefined();
    // The MESSAGE column shows a count and the first item; the full list is in ResourcesReady.
    expect((first.xr.status?.["conditions"] as Array<{ type: string; message?: string }>).find((c) => c.type === "ResourcesReady")?.message).toContain("replication-group (after its dependencies)");
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

describe("RedisCluster on Azure", () => {
  it("maps the Broxiva seed onto a private Premium cache with TLS 1.2 only", async () => {
    const { resources } = await render({ xr: broxivaAzure, required: requiredFor(broxivaAzure) });
    expect(fp(resources, "cache")).toMatchObject({
      skuName: "Premium", family: "P", capacity: 1, redisVersion: "6", shardCount: 3, replicasPerPrimary: 2, zones: ["1", "2", "3"],
      minimumTlsVersion: "1.2", nonSslPortEnabled: false, publicNetworkAccessEnabled: false,
      redisConfiguration: { maxmemoryPolicy: "volatile-lru", authenticationEnabled: true },
      patchSchedule: [{ dayOfWeek: "Sunday", startHourUtc: 3, maintenanceWindow: "PT5H" }],
    });
    expect(byKey(resources, "cache").spec.writeConnectionSecretToRef).toEqual({ name: "broxiva-cache-azure-redis-keys" });
  });

  it("uses Standard when nothing needs Premium, and adds the private endpoint once the cache id is known", async () => {
    const plain = withSpec(azure, (s) => (s.highAvailability = false));
    const first = await render({ xr: plain, required: requiredFor(plain) });
    expect(fp(first.resources, "cache")).toMatchObject({ skuName: "Standard", family: "C", capacity: 2 });
    expect(fp(first.resources, "cache").zones).toBeUndefined();
    expect(byKey(first.resources, "private-endpoint")).toBeUndefined();
    const second = await render({ xr: plain, required: requiredFor(plain), observed: observe(first.resources), connectionDetails: CONNECTION_DETAILS });
    expect(fp(second.resources, "private-endpoint")).toMatchObject({
      privateServiceConnection: { privateConnectionResourceId: "rediscache-cache", subresourceNames: ["redisCache"], isManualConnection: false },
      privateDnsZoneGroup: { privateDnsZoneIdsSelector: { matchLabels: { "platform.tessera.io/network": "minimal-azure", "platform.tessera.io/resource": "private-dns-zone-redis" } } },
    });
  });

  it("keeps the private endpoint when the cache's status is briefly empty", async () => {
    const first = await render({ xr: azure, required: requiredFor(azure) });
    const second = await render({ xr: azure, required: requiredFor(azure), observed: observe(first.resources) });
    const observed = observe(second.resources).map((o) => (o.kind === "RedisCache" ? { ...o, status: { conditions: [] } } : o));
    const third = await render({ xr: azure, required: requiredFor(azure), observed });
    expect(fp(third.resources, "private-endpoint").privateServiceConnection.privateConnectionResourceId).toBe("rediscache-cache");
  });

  it("maps Azure's settable parameters into redisConfiguration", async () => {
    const xr = withSpec(azure, (s) => (s.parameters = { "maxmemory-reserved": "200", "notify-keyspace-events": "Ex" }));
    const { resources } = await render({ xr, required: requiredFor(xr) });
    expect(fp(resources, "cache").redisConfiguration).toMatchObject({ maxmemoryReserved: 200, notifyKeyspaceEvents: "Ex" });
  });

  it("maps persistence onto RDB backups to the given storage account", async () => {
    const xr = withSpec(azure, (s) => (s.persistence = { snapshotEveryMinutes: 60, storageConnectionSecretRef: { name: "backup-sa", key: "connection" } }));
    const { resources } = await render({ xr, required: requiredFor(xr) });
    expect(fp(resources, "cache").redisConfiguration).toMatchObject({ rdbBackupEnabled: true, rdbBackupFrequency: 60, rdbBackupMaxSnapshotCount: 1, rdbStorageConnectionStringSecretRef: { name: "backup-sa", key: "connection" } });
  });
});

describe("RedisCluster refusals (one fatal naming field, value and fix)", () => {
  it.each([
    ["shards without cluster mode", aws, (s: any): unknown => (s.shards = 3), ["spec.shards above 1 needs spec.clusterMode"]],
    ["HA without replicas", aws, (s: any): unknown => (s.replicasPerShard = 0), ["spec.highAvailability needs a replica"]],
    ["Redis 7 on Azure", azure, (s: any): unknown => (s.version = "7"), ["spec.version", "Redis 6"]],
    ["4 replicas on Azure", azure, (s: any): unknown => (s.replicasPerShard = 4), ["spec.replicasPerShard", "1 to 3"]],
    ["customer key on Azure", azure, (s: any): unknown => (s.encryption = { keyId: "https://kv/keys/k" }), ["spec.encryption.keyId", "Microsoft-managed"]],
    ["persistence on AWS", aws, (s: any): unknown => (s.persistence = { snapshotEveryMinutes: 60, storageConnectionSecretRef: { name: "a", key: "b" } }), ["spec.persistence is Azure only"]],
    ["snapshot frequency", azure, (s: any): unknown => (s.persistence = { snapshotEveryMinutes: 45, storageConnectionSecretRef: { name: "a", key: "b" } }), ["snapshotEveryMinutes must be 15, 30"]],
    ["backup on Azure", azure, (s: any): unknown => (s.backup = { retentionDays: 7 }), ["spec.backup is AWS only"]],
    ["short Azure patch window", azure, (s: any): unknown => (s.maintenanceWindow = { day: "Sun", startTime: "03:00", hours: 2 }), ["at least 5 hours"]],
    ["unsettable parameter on Azure", azure, (s: any): unknown => (s.parameters = { timeout: "0" }), ["spec.parameters.timeout", "does not let a cache set timeout"]],
    ["reserved parameter", aws, (s: any): unknown => (s.parameters = { "cluster-enabled": "yes" }), ["spec.parameters.cluster-enabled", "remove it"]],
    ["node type of the other cloud", aws, (s: any): unknown => (s.nodeType = "P1"), ["spec.nodeType", "cache.r6g.large"]],
    ["Standard size with clustering", azure, (s: any): unknown => Object.assign(s, { nodeType: "C3", clusterMode: true }), ["spec.nodeType", "Premium only"]],
    ["overlapping windows", aws, (s: any): unknown => Object.assign(s, { backup: { window: "03:00-05:00" }, maintenanceWindow: { day: "Sun", startTime: "04:00" } }), ["spec.maintenanceWindow", "overlapping"]],
    ["short snapshot window", aws, (s: any): unknown => (s.backup = { window: "03:00-03:30" }), ["spec.backup.window", "at least 60 minutes"]],
  ] as const)("%s", async (_n, xr, patch, fragments) => {
    const bad = withSpec(xr, patch);
    await expectRefused({ xr: bad, required: requiredFor(bad) }, ...fragments);
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
  it("accepts the example and refuses a provider change", () => {
    expect(admission(schema, spec, spec)).toEqual([]);
    expect(admission(schema, { ...spec, provider: "aws" }, spec).join()).toContain("spec.provider is immutable");
  });
  it("refuses Redis 7 on Azure and shards without cluster mode", () => {
    expect(admission(schema, { ...spec, version: "7" }).join()).toContain("offers Redis 6");
    expect(admission(schema, { ...spec, clusterMode: false }).join()).toContain("spec.shards above 1");
  });
});
