/** Abstract RedisCluster terms mapped per cloud, as data. */
import type { Provider } from "../../apis/shared/common.ts";
import type { RedisClusterSpec } from "../../apis/redis-cluster/schema.ts";
import type { ForProvider } from "../shared/types.ts";
import type * as cache from "../crds/cache.azure.m.upbound.io.ts";

type Size = RedisClusterSpec["size"];

/** ElastiCache node types with about the memory each size promises. */
export const AWS_NODE: Record<Size, string> = {
  small: "cache.t4g.medium",
  medium: "cache.m7g.large",
  large: "cache.r7g.large",
  xlarge: "cache.r7g.xlarge",
  "2xlarge": "cache.r7g.2xlarge",
};

/**
 * Legacy Azure Cache for Redis sizes with about the same memory, on each tier (Standard C-family,
 * Premium P-family). Only caches created before Tessera moved to Azure Managed Redis use these.
 */
export const AZURE_NODE: Record<Size, { Standard: string; Premium: string }> = {
  small: { Standard: "C2", Premium: "P1" },
  medium: { Standard: "C3", Premium: "P1" },
  large: { Standard: "C4", Premium: "P2" },
  xlarge: { Standard: "C5", Premium: "P3" },
  "2xlarge": { Standard: "C6", Premium: "P4" },
};

/**
 * Azure Managed Redis SKUs (the in-memory tiers of the provider's skuName enum) and the memory each
 * holds for data, in GB, from Microsoft's tier table
 * (https://learn.microsoft.com/azure/redis/overview#choosing-the-right-tier). The three tiers have the
 * same memory sizes and differ in vCPUs per GB: Memory Optimized 1:8, Balanced 1:4, Compute Optimized
 * more. Flash Optimized (data partly on NVMe) is left out: it does not take every eviction policy.
 * Listed smallest first, which the size mapping relies on.
 */
export const MANAGED_REDIS_SKUS: ReadonlyArray<readonly [string, number]> = [
  ["Balanced_B0", 0.5], ["Balanced_B1", 1], ["Balanced_B3", 3], ["Balanced_B5", 6], ["Balanced_B10", 12], ["Balanced_B20", 24],
  ["Balanced_B50", 60], ["Balanced_B100", 120], ["Balanced_B150", 180], ["Balanced_B250", 240], ["Balanced_B350", 360],
  ["Balanced_B500", 480], ["Balanced_B700", 720], ["Balanced_B1000", 960],
  ["MemoryOptimized_M10", 12], ["MemoryOptimized_M20", 24], ["MemoryOptimized_M50", 60], ["MemoryOptimized_M100", 120],
  ["MemoryOptimized_M150", 180], ["MemoryOptimized_M250", 240], ["MemoryOptimized_M350", 360], ["MemoryOptimized_M500", 480],
  ["MemoryOptimized_M700", 720], ["MemoryOptimized_M1000", 960], ["MemoryOptimized_M1500", 1440], ["MemoryOptimized_M2000", 1920],
  ["ComputeOptimized_X3", 3], ["ComputeOptimized_X5", 6], ["ComputeOptimized_X10", 12], ["ComputeOptimized_X20", 24],
  ["ComputeOptimized_X50", 60], ["ComputeOptimized_X100", 120], ["ComputeOptimized_X150", 180], ["ComputeOptimized_X250", 240],
  ["ComputeOptimized_X350", 360], ["ComputeOptimized_X500", 480], ["ComputeOptimized_X700", 720],
];
export const MANAGED_REDIS_SKU_NAMES: readonly string[] = MANAGED_REDIS_SKUS.map(([n]) => n);
/** Legacy Azure Cache for Redis sizes, accepted in nodeType only for caches that already exist. */
export const LEGACY_AZURE_NODES: readonly string[] = ["C1", "C2", "C3", "C4", "C5", "C6", "P1", "P2", "P3", "P4", "P5"];

/**
 * Memory per shard, in GB, that each size gives on Azure Managed Redis. Managed Redis places its own
 * shards, so a RedisCluster's memory there is this times spec.shards, and the SKU is the smallest
 * Balanced one holding it (medium x 3 shards = 18 GB -> Balanced_B20, 24 GB).
 */
export const AZURE_SHARD_GB: Record<Size, number> = { small: 3, medium: 6, large: 12, xlarge: 24, "2xlarge": 48 };

/** The Managed Redis SKU with about the memory of each legacy Azure Cache for Redis size: what to migrate to. */
export const LEGACY_TO_MANAGED: Record<string, string> = {
  C1: "Balanced_B1", C2: "Balanced_B3", C3: "Balanced_B5", C4: "Balanced_B10", C5: "Balanced_B20", C6: "Balanced_B50",
  P1: "Balanced_B5", P2: "Balanced_B10", P3: "Balanced_B20", P4: "Balanced_B50", P5: "Balanced_B100",
};

export const NODE_TYPE: Record<Provider, { pattern: RegExp; example: string }> = {
  aws: { pattern: /^cache\.[a-z0-9]+\.[a-z0-9]+$/, example: "cache.r6g.large" },
  azure: { pattern: new RegExp(`^(${[...MANAGED_REDIS_SKU_NAMES, ...LEGACY_AZURE_NODES].join("|")})$`), example: "Balanced_B5 (an Azure Managed Redis SKU)" },
};

/** Engine version per major, and its parameter-group family (AWS) / redisVersion (legacy Azure). */
export const VERSION: Record<Provider, { default: "6" | "7"; engine: Record<string, string>; family?: Record<string, string>; transitMode?: Record<string, boolean> }> = {
  // transitMode: ElastiCache takes TransitEncryptionMode from Redis 7.0.5 on; 6.2 requires TLS once
  // transit encryption is on, without the setting.
  aws: { default: "7", engine: { "6": "6.2", "7": "7.1" }, family: { "6": "redis6.x", "7": "redis7" }, transitMode: { "6": false, "7": true } },
  // Legacy Azure Cache for Redis offers 4 and 6. (Azure Managed Redis has no version setting: it runs
  // Redis 7.4 and Microsoft upgrades it.)
  azure: { default: "6", engine: { "6": "6" } },
};

/**
 * Ports clients use: ElastiCache serves TLS on the standard port, legacy Azure Cache for Redis on
 * 6380, Azure Managed Redis on 10000 (and, with the OSS cluster policy, 85XX to each shard).
 */
export const PORT = { aws: 6379, azureLegacy: 6380, azureManaged: 10000 } as const;

/** Parameters Tessera owns: TLS, clustering and eviction have their own fields. */
export const RESERVED_PARAMETERS = ["cluster-enabled", "maxmemory-policy", "tls-port", "port", "requirepass", "appendonly", "appendfsync"] as const;

/** A legacy Azure cache's redisConfiguration, as its CRD has it. */
export type RedisConfiguration = NonNullable<ForProvider<cache.RedisCache>["redisConfiguration"]>;
/** The redisConfiguration fields that hold a V: a table naming one is checked against the CRD. */
type ConfigField<V> = { [K in keyof RedisConfiguration]-?: NonNullable<RedisConfiguration[K]> extends V ? K : never }[keyof RedisConfiguration];

/** The Redis parameters legacy Azure Cache for Redis lets a cache set, and where each goes in redisConfiguration. */
export const AZURE_PARAMETERS: Record<string, { field: ConfigField<number>; type: "number" } | { field: ConfigField<string>; type: "string" }> = {
  "maxmemory-reserved": { field: "maxmemoryReserved", type: "number" },
  "maxmemory-delta": { field: "maxmemoryDelta", type: "number" },
  "maxfragmentationmemory-reserved": { field: "maxfragmentationmemoryReserved", type: "number" },
  "notify-keyspace-events": { field: "notifyKeyspaceEvents", type: "string" },
};

export const AZURE_DAYS: Record<string, string> = { Sun: "Sunday", Mon: "Monday", Tue: "Tuesday", Wed: "Wednesday", Thu: "Thursday", Fri: "Friday", Sat: "Saturday" };

/** maxmemory-policy names as Azure Managed Redis spells them (defaultDatabase.evictionPolicy). */
export const MANAGED_EVICTION: Record<RedisClusterSpec["evictionPolicy"], string> = {
  "volatile-lru": "VolatileLRU",
  "allkeys-lru": "AllKeysLRU",
  "volatile-lfu": "VolatileLFU",
  "allkeys-lfu": "AllKeysLFU",
  "volatile-random": "VolatileRandom",
  "allkeys-random": "AllKeysRandom",
  "volatile-ttl": "VolatileTTL",
  noeviction: "NoEviction",
};

/** RDB snapshot intervals Azure Managed Redis offers (persistenceRedisDatabaseBackupFrequency), by minutes. */
export const MANAGED_RDB_FREQUENCY: Record<number, string> = { 60: "1h", 360: "6h", 720: "12h" };

/** ElastiCache log types delivered to CloudWatch Logs, each to its own group (composed-resource key). */
export const LOG_TYPES = [
  { logType: "slow-log", key: "slow-log-group" },
  { logType: "engine-log", key: "engine-log-group" },
] as const;

/** Retention values CloudWatch Logs accepts (days); 0 (never expire) is left out on purpose. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
