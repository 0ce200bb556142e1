/** Abstract RedisCluster terms mapped per cloud, as data. */
import type { Provider } from "../../apis/shared/common.ts";
import type { RedisClusterSpec } from "../../apis/redis-cluster/schema.ts";

type Size = RedisClusterSpec["size"];

/** ElastiCache node types with about the memory each size promises. */
export const AWS_NODE: Record<Size, string> = {
  small: "cache.t4g.medium",
  medium: "cache.m7g.large",
  large: "cache.r7g.large",
  xlarge: "cache.r7g.xlarge",
  "2xlarge": "cache.r7g.2xlarge",
};

/** Azure sizes with about the same memory, on each tier (Standard C-family, Premium P-family). */
export const AZURE_NODE: Record<Size, { Standard: string; Premium: string }> = {
  small: { Standard: "C2", Premium: "P1" },
  medium: { Standard: "C3", Premium: "P1" },
  large: { Standard: "C4", Premium: "P2" },
  xlarge: { Standard: "C5", Premium: "P3" },
  "2xlarge": { Standard: "C6", Premium: "P4" },
};

export const NODE_TYPE: Record<Provider, { pattern: RegExp; example: string }> = {
  aws: { pattern: /^cache\.[a-z0-9]+\.[a-z0-9]+$/, example: "cache.r6g.large" },
  azure: { pattern: /^(C[1-6]|P[1-5])$/, example: "P1 (Premium) or C3 (Standard)" },
};

/** Engine version per major, and its parameter-group family (AWS) / redisVersion (Azure). */
export const VERSION: Record<Provider, { default: "6" | "7"; engine: Record<string, string>; family?: Record<string, string>; transitMode?: Record<string, boolean> }> = {
  // transitMode: ElastiCache takes TransitEncryptionMode from Redis 7.0.5 on; 6.2 requires TLS once
  // transit encryption is on, without the setting.
  aws: { default: "7", engine: { "6": "6.2", "7": "7.1" }, family: { "6": "redis6.x", "7": "redis7" }, transitMode: { "6": false, "7": true } },
  azure: { default: "6", engine: { "6": "6" } },
};

/** Ports clients use: ElastiCache serves TLS on the standard port, Azure on 6380. */
export const PORT: Record<Provider, number> = { aws: 6379, azure: 6380 };

/** Parameters Tessera owns: TLS, clustering and eviction have their own fields. */
export const RESERVED_PARAMETERS = new Set(["cluster-enabled", "maxmemory-policy", "tls-port", "port", "requirepass", "appendonly", "appendfsync"]);

/** The Redis parameters Azure lets a cache set, and where each goes in redisConfiguration. */
export const AZURE_PARAMETERS: Record<string, { field: string; type: "number" | "string" }> = {
  "maxmemory-reserved": { field: "maxmemoryReserved", type: "number" },
  "maxmemory-delta": { field: "maxmemoryDelta", type: "number" },
  "maxfragmentationmemory-reserved": { field: "maxfragmentationmemoryReserved", type: "number" },
  "notify-keyspace-events": { field: "notifyKeyspaceEvents", type: "string" },
};

export const AZURE_DAYS: Record<string, string> = { Sun: "Sunday", Mon: "Monday", Tue: "Tuesday", Wed: "Wednesday", Thu: "Thursday", Fri: "Friday", Sat: "Saturday" };
