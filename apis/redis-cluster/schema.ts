/**
 * RedisCluster: a private, TLS-only, authenticated Redis (ElastiCache replication group on AWS, Azure
 * Cache for Redis behind a private endpoint on Azure). Written once here; the XRD is generated from it
 * and the function parses XRs with it.
 */
import { z } from "zod";
import { cel, localRef, providerField, commonRules, regionField, secretNameField, tagsField } from "../shared/common.ts";
import { DAYS, hhmm, SIZES } from "../postgres-database/schema.ts";

export { SIZES };
export const REDIS_VERSIONS = ["6", "7"] as const;
export const EVICTION_POLICIES = [
  "volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random", "allkeys-random", "volatile-ttl", "noeviction",
] as const;
export const SNAPSHOT_MINUTES = [15, 30, 60, 360, 720, 1440] as const;

export const RedisClusterSpec = cel(
  z
    .object({
      provider: providerField,
      region: regionField,
      networkRef: localRef("Network").describe("The Network to place the cache in: its cache subnets and security group (AWS), a private endpoint in its cache subnet (Azure). The Network needs spec.subnets.cache."),
      version: z
        .enum(REDIS_VERSIONS)
        .optional()
        .describe("Redis major version. Default: the newest the cloud offers (7 on AWS, as 7.1; 6 on Azure, whose Cache for Redis offers 4 and 6)."),
      size: z
        .enum(SIZES)
        .default("small")
        .describe("Memory per node: small (~3 GiB), medium (~6), large (~13), xlarge (~26), 2xlarge (~52). Mapped per cloud; see nodeType to pick the exact one."),
      nodeType: z
        .string()
        .max(64)
        .optional()
        .describe("Exact node type, overriding size: an ElastiCache node type such as cache.r6g.large (AWS), or an Azure Cache for Redis size such as P1 (Premium) or C3 (Standard)."),
      clusterMode: z
        .boolean()
        .default(false)
        .describe("Redis Cluster: data sharded over spec.shards primaries, clients must speak the cluster protocol. Off: one primary with replicas."),
      shards: z.int().min(1).max(30).default(1).describe("Number of shards (primaries) in cluster mode."),
      replicasPerShard: z.int().min(0).max(5).default(1).describe("Replicas of each primary. Azure offers 1 to 3."),
      highAvailability: z
        .boolean()
        .default(true)
        .describe("Automatic failover to a replica in another zone: Multi-AZ (AWS) / zone redundancy (Azure, Premium). Needs replicasPerShard of 1 or more."),
      evictionPolicy: z.enum(EVICTION_POLICIES).default("volatile-lru").describe("maxmemory-policy: what Redis evicts when memory is full."),
      parameters: z
        .record(z.string().regex(/^[a-z][a-z0-9-]*$/).max(64), z.string().max(256))
        .default({})
        .describe("Other Redis parameters, e.g. timeout: \"0\", tcp-keepalive: \"300\". AWS takes any ElastiCache parameter; Azure only maxmemory-reserved, maxmemory-delta, maxfragmentationmemory-reserved (MB) and notify-keyspace-events.")
        .meta({ maxProperties: 32 }),
      backup: z
        .object({
          retentionDays: z.int().min(1).max(35).optional().describe("AWS: days of daily snapshots kept (default 7). Azure: use persistence."),
          window: z
            .string()
            .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM-HH:MM in UTC")
            .optional()
            .describe("AWS only: daily snapshot window, HH:MM-HH:MM UTC, at least 60 minutes."),
        })
        .strict()
        .prefault({}),
      persistence: z
        .object({
          snapshotEveryMinutes: cel(z.int(), {
            rule: "self in [15, 30, 60, 360, 720, 1440]",
            message: "spec.persistence.snapshotEveryMinutes must be 15, 30, 60, 360, 720 or 1440",
          }).describe("How often an RDB snapshot is written."),
          maxSnapshots: z.int().min(1).max(100).default(1).describe("Snapshots kept in the storage account."),
          storageConnectionSecretRef: z
            .object({ name: z.string().min(1).max(253), key: z.string().min(1).max(253) })
            .strict()
            .describe("Secret in this namespace holding the storage account connection string Azure writes snapshots to."),
        })
        .strict()
        .optional()
        .describe("Azure only (Premium): RDB persistence to a storage account. AWS has no persistence beyond daily snapshots (spec.backup)."),
      maintenanceWindow: z
        .object({
          day: z.enum(DAYS),
          startTime: hhmm.describe("Start, HH:MM UTC. Azure takes whole hours only."),
          hours: z.int().min(1).max(24).optional().describe("Length in hours. Default 1 on AWS, 5 on Azure (its minimum)."),
        })
        .strict()
        .optional()
        .describe("Weekly window for patching. Default: chosen by the cloud."),
      encryption: z
        .object({
          keyId: z.string().max(2048).optional().describe("AWS only: KMS key ARN for encryption at rest. Data is always encrypted at rest; unset uses the AWS-managed key."),
        })
        .strict()
        .prefault({}),
      deletionProtection: z
        .boolean()
        .default(true)
        .describe("Keep the cache when this resource is deleted (AWS also keeps a final snapshot when it is removed). Turn off, and wait for Synced, before deleting to remove the data."),
      connectionSecretName: secretNameField,
      tags: tagsField,
    })
    .strict(),
  ...commonRules(),
  {
    rule: "!self.highAvailability || self.replicasPerShard >= 1",
    message: "spec.highAvailability needs a replica to fail over to; set replicasPerShard to 1 or more, or highAvailability: false",
    fieldPath: ".highAvailability",
  },
  {
    rule: "self.clusterMode || self.shards == 1",
    message: "spec.shards above 1 needs spec.clusterMode: true",
    fieldPath: ".shards",
  },
  {
    rule: "self.provider != 'azure' || !has(self.version) || self.version == '6'",
    message: "spec.version: Azure Cache for Redis offers Redis 6; use version \"6\" on Azure",
    fieldPath: ".version",
  },
  {
    rule: "self.provider != 'azure' || (self.replicasPerShard >= 1 && self.replicasPerShard <= 3)",
    message: "spec.replicasPerShard: Azure Cache for Redis (Standard and Premium) keeps 1 to 3 replicas per primary",
    fieldPath: ".replicasPerShard",
  },
  {
    rule: "self.provider != 'azure' || (!has(self.backup.retentionDays) && !has(self.backup.window))",
    message: "spec.backup is AWS only; on Azure use spec.persistence (RDB snapshots to a storage account)",
    fieldPath: ".backup",
  },
  {
    rule: "self.provider != 'aws' || !has(self.persistence)",
    message: "spec.persistence is Azure only; ElastiCache keeps daily snapshots instead (spec.backup)",
    fieldPath: ".persistence",
  },
  {
    rule: "self.provider != 'azure' || !has(self.encryption.keyId)",
    message: "spec.encryption.keyId: Azure Cache for Redis (Standard, Premium) encrypts at rest with Microsoft-managed keys only; remove keyId",
    fieldPath: ".encryption.keyId",
  },
  {
    rule: "self.provider != 'azure' || !has(self.maintenanceWindow) || ((!has(self.maintenanceWindow.hours) || self.maintenanceWindow.hours >= 5) && self.maintenanceWindow.startTime.endsWith(':00'))",
    message: "spec.maintenanceWindow: Azure patch windows start on the hour and last at least 5 hours",
    fieldPath: ".maintenanceWindow",
  },
);

export type RedisClusterSpec = z.output<typeof RedisClusterSpec>;

export const RedisClusterStatus = z.object({
  provider: z.string().optional(),
  region: z.string().optional(),
  endpoint: z.string().optional().describe("Primary endpoint (cluster mode: the configuration endpoint), private, once observed."),
  readerEndpoint: z.string().optional().describe("Endpoint spreading reads over replicas (AWS without cluster mode); otherwise the primary endpoint."),
  port: z.int().min(1).max(65535).optional(),
  connectionSecretName: z.string().optional().describe("Secret in this namespace with host, port, password, tls, primaryEndpoint, readerEndpoint and uri."),
  cacheId: z.string().optional().describe("Native id: replication group ARN (AWS) or Redis cache resource id (Azure)."),
  message: z.string().optional().describe("Why the cache is not ready yet, or 'Available'."),
});
