/**
 * RedisCluster: a private, TLS-only, authenticated Redis (ElastiCache replication group on AWS, Azure
 * Managed Redis behind a private endpoint on Azure; caches created earlier as Azure Cache for Redis
 * keep it). Written once here; the XRD is generated from it and the function parses XRs with it.
 */
import { z } from "zod";
import { cel, localRef, providerField, commonRules, regionField, secretNameField, tagsField } from "../shared/common.ts";
import { DAYS, hhmm, SIZES } from "../postgres-database/schema.ts";
import { AWS_ZONES } from "../../functions/shared/zones.ts";
import { AZURE_PARAMETERS, LEGACY_AZURE_NODES, LOG_RETENTION_DAYS, MANAGED_REDIS_SKU_NAMES, RESERVED_PARAMETERS } from "../../functions/redis-cluster/tables.ts";

export { SIZES };
export const REDIS_VERSIONS = ["6", "7"] as const;
export const EVICTION_POLICIES = [
  "volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random", "allkeys-random", "volatile-ttl", "noeviction",
] as const;
export const SNAPSHOT_MINUTES = [15, 30, 60, 360, 720, 1440] as const;
/** Label a Secret must carry, with this RedisCluster's name as value, to serve as its persistence storage Secret. */
export const PERSISTENCE_SECRET_LABEL = "platform.tessera.io/redis-persistence-for";

const celList = (xs: readonly (string | number)[]) => `[${xs.map((x) => (typeof x === "number" ? String(x) : `'${x}'`)).join(", ")}]`;
/** Every AWS zone name Tessera knows (region + letter), for the CEL rule on spec.zones. */
const AWS_ZONE_NAMES = Object.entries(AWS_ZONES).flatMap(([region, letters]) => letters.map((l) => `${region}${l}`));

export const RedisClusterSpec = cel(
  z
    .object({
      provider: providerField,
      region: regionField,
      networkRef: localRef("Network").describe("The Network to place the cache in: its cache subnets and security group (AWS), a private endpoint in its cache subnet (Azure). The Network needs spec.subnets.cache; the function checks that it exists here, on the same provider and region (the API server cannot). A Crossplane Usage keeps the Network from being deleted while the cache exists."),
      version: z
        .enum(REDIS_VERSIONS)
        .optional()
        .describe("Redis major version, quoted (\"7\"). AWS: 6 (served as 6.2) or 7 (7.1, the default); upgrading 6 to 7 creates a parameter group of the new family and switches the replication group to it; downgrades are refused. Azure Managed Redis has no version setting (it runs Redis 7.4, patched by Microsoft): leave it unset or \"7\". Caches created earlier as Azure Cache for Redis run 6."),
      size: z
        .enum(SIZES)
        .default("small")
        .describe("Memory per shard. AWS node type: small cache.t4g.medium (~3 GiB), medium cache.m7g.large (~6), large cache.r7g.large (~13), xlarge cache.r7g.xlarge (~26), 2xlarge cache.r7g.2xlarge (~52). Azure Managed Redis: 3, 6, 12, 24 or 48 GB times spec.shards, as the smallest Balanced SKU holding it (small: Balanced_B3, medium: Balanced_B5, large: Balanced_B10, xlarge: Balanced_B20, 2xlarge: Balanced_B50). Legacy Azure Cache for Redis: C2/C3/C4/C5/C6 (Standard) or P1/P1/P2/P3/P4 (Premium). nodeType overrides it."),
      nodeType: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .describe("Exact node type, overriding size: an ElastiCache node type such as cache.r6g.large (AWS), or an Azure Managed Redis SKU such as Balanced_B5, MemoryOptimized_M10 or ComputeOptimized_X5 (Azure; on Azure it names the whole cache, which places its shards itself, so spec.shards must stay 1). Legacy Azure Cache for Redis sizes (C1-C6, P1-P5) are accepted only for caches that already run on it (function check)."),
      clusterMode: z
        .boolean()
        .default(false)
        .describe("Redis Cluster: data sharded over several primaries, clients must speak the cluster protocol. Off: clients see one primary (AWS: one primary with replicas; Azure Managed Redis: the Enterprise cluster policy behind one endpoint). On: AWS cluster mode over spec.shards node groups; Azure Managed Redis OSS cluster policy (clients reach each shard on ports 85XX besides 10000). Immutable on Azure, where the clustering policy is fixed at creation."),
      shards: z.int().min(1).max(30).default(1).describe("Number of shards (primaries) in cluster mode. Azure Managed Redis places shards itself: there it multiplies the memory of size (and must be 1 with nodeType)."),
      replicasPerShard: z.int().min(0).max(5).default(1).describe("Replicas of each primary. AWS: 0 to 5. Azure Managed Redis keeps one replica per shard when highAvailability is on and none when it is off, so more than 1 is refused there (function check); legacy Azure Cache for Redis keeps 1 to 3."),
      highAvailability: z
        .boolean()
        .default(true)
        .describe("Automatic failover to a replica in another zone: Multi-AZ (AWS), high availability (Azure Managed Redis, replicas spread over the region's zones where it has them; in a region without zones the replica is in another fault domain, and the function says so), zone redundancy (legacy Azure Cache, Premium). Needs replicasPerShard of 1 or more. Immutable on Azure (Managed Redis replaces the cache to change it)."),
      zones: z
        .array(z.string().regex(/^[a-f]$/, "must be a zone letter a-f"))
        .min(1)
        .max(6)
        .optional()
        .describe("AWS only, cluster mode off: zone letters of the nodes in order, the first for the primary (e.g. [a, b]); repeated over the nodes when shorter. Each must be a zone of spec.region and of the Network's cache subnets (the second is checked by the function). ElastiCache ignores it after creation, so it is immutable. Default: ElastiCache spreads the nodes over the cache subnets' zones."),
      evictionPolicy: z.enum(EVICTION_POLICIES).default("volatile-lru").describe("maxmemory-policy: what Redis evicts when memory is full. Azure Managed Redis spells it VolatileLRU etc."),
      parameters: z
        .record(z.string().regex(/^[a-z][a-z0-9-]*$/).max(64), z.string().max(256))
        .default({})
        .describe(`Other Redis parameters, e.g. timeout: "0", tcp-keepalive: "300". AWS takes any ElastiCache parameter of the family; Azure Managed Redis takes none (function check); legacy Azure Cache for Redis only ${Object.keys(AZURE_PARAMETERS).join(", ")}. Never ${RESERVED_PARAMETERS.join(", ")}: Tessera sets those from their own fields or fixes them for security.`)
        .meta({ maxProperties: 32 }),
      backup: z
        .object({
          retentionDays: z.int().min(1).max(35).optional().describe("AWS: days of daily snapshots kept (default 7). Azure: use persistence."),
          window: z
            .string()
            .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM-HH:MM in UTC")
            .optional()
            .describe("AWS only: daily snapshot window, HH:MM-HH:MM UTC, at least 60 minutes and apart from maintenanceWindow (both checked by the function)."),
        })
        .strict()
        .prefault({})
        .describe("AWS daily snapshots of the replication group."),
      persistence: z
        .object({
          snapshotEveryMinutes: cel(z.int().min(15).max(1440), {
            rule: "self in [15, 30, 60, 360, 720, 1440]",
            message: "spec.persistence.snapshotEveryMinutes must be 15, 30, 60, 360, 720 or 1440",
          })
            .optional()
            .describe("RDB: how often a snapshot is written. Azure Managed Redis offers 60, 360 and 720 (function check); legacy Azure Cache for Redis 15 to 1440."),
          appendOnly: z.boolean().optional().describe("AOF: log every write, flushed every second (Azure Managed Redis only). Instead of snapshotEveryMinutes."),
          maxSnapshots: z.int().min(1).max(100).optional().describe("Legacy Azure Cache for Redis only: snapshots kept in the storage account (default 1). Azure Managed Redis keeps its own."),
          storageConnectionSecretRef: z
            .object({
              name: z.string().min(1).max(253).describe("Name of the Secret, in this namespace."),
              key: z.string().min(1).max(253).describe("Key of the connection string in the Secret."),
            })
            .strict()
            .optional()
            .describe(`Legacy Azure Cache for Redis only (required there): a Secret in this namespace meant for this cache's snapshots. It must carry the label ${PERSISTENCE_SECRET_LABEL}: <this RedisCluster's name>, and hold under key the connection string of the storage account to write to (DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...). Any other Secret (another app's, a Tessera connection or credentials Secret) is refused. Azure Managed Redis needs no storage account: leave it unset.`),
        })
        .strict()
        .optional()
        .describe("Azure only: Redis persistence, RDB snapshots or AOF, kept by Azure Managed Redis itself (legacy Azure Cache for Redis: RDB to a storage account). AWS has no persistence beyond daily snapshots (spec.backup)."),
      maintenanceWindow: z
        .object({
          day: z.enum(DAYS).describe("Day of the week the window starts."),
          startTime: hhmm.describe("Start, HH:MM UTC. Azure takes whole hours only."),
          hours: z.int().min(1).max(24).optional().describe("Length in hours. Default 1 on AWS, 5 on Azure (its minimum)."),
        })
        .strict()
        .optional()
        .describe("Weekly window for patching: AWS and legacy Azure Cache for Redis. Azure Managed Redis is patched by Microsoft without a window you can set, so it is refused there (function check). Default: chosen by the cloud."),
      encryption: z
        .object({
          keyId: z
            .string()
            .min(1)
            .max(2048)
            .optional()
            .describe("AWS only: ARN of a KMS key in spec.region (arn:aws:kms:<region>:<account>:key/<id>) for encryption at rest. Data is always encrypted at rest; unset uses the AWS-managed key."),
        })
        .strict()
        .prefault({})
        .describe("Encryption at rest (always on) and its key."),
      logs: z
        .object({
          enabled: z.boolean().optional().describe("AWS: deliver the slow log and the engine log to two CloudWatch Logs groups Tessera composes (default true). Azure: must stay unset or false (Azure Managed Redis exports only connection audit logs, through a diagnostic setting to a Log Analytics workspace, which Tessera does not compose)."),
          retentionDays: cel(z.int().min(1).max(3653), {
            rule: `self in ${celList(LOG_RETENTION_DAYS)}`,
            message: `spec.logs.retentionDays must be one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
          })
            .optional()
            .describe("AWS: days CloudWatch Logs keeps the cache's logs (default 7)."),
        })
        .strict()
        .prefault({})
        .describe("Cache log export (AWS)."),
      entraIdPrincipals: z
        .array(z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be an Entra ID object id (a lowercase GUID)"))
        .max(20)
        .optional()
        .describe("Azure Managed Redis only: object ids of Entra ID principals (your apps' managed identities, users or groups) given data access through the cache's default access policy. They sign in with an Entra token as password and their object id as user name: identity instead of a shared key. Legacy Azure Cache for Redis and AWS refuse it (function check for legacy)."),
      accessKeys: z
        .boolean()
        .default(true)
        .describe("Azure Managed Redis: keep access-key authentication on, so the connection Secret carries a password for clients without Entra ID support (default). false turns keys off (the Secret then has no password key; clients use entraIdPrincipals) and needs entraIdPrincipals. AWS always uses its generated AUTH token: must stay true."),
      deletionProtection: z
        .boolean()
        .default(true)
        .describe("Keep the cache when this resource is deleted (AWS also keeps a final snapshot when it is removed). Turn off, and wait for Synced, before deleting to remove the data."),
      connectionSecretName: secretNameField.describe("Name of the connection Secret written in this namespace (keys host, port, password, tls, primaryEndpoint, readerEndpoint, uri; no password with accessKeys: false). Default: <metadata.name>-redis. It must be this resource's own: a Secret of that name that this resource did not create (another resource's connection Secret, a provider's generated password, credentials) is refused, never overwritten. Connections are TLS 1.2 or newer and clients verify the server with the system CA bundle (public CAs, certificate for the host given); no cache lets the TLS floor be raised to 1.3 (ElastiCache and Azure Managed Redis have no such setting, Azure Cache for Redis stops at 1.2)."),
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
    rule: "self.provider != 'azure' || self.replicasPerShard <= 3",
    message: "spec.replicasPerShard: Azure keeps at most 1 replica per shard (Managed Redis) or 3 (legacy Cache for Redis)",
    fieldPath: ".replicasPerShard",
  },
  {
    rule: "self.provider != 'azure' || (!has(self.backup.retentionDays) && !has(self.backup.window))",
    message: "spec.backup is AWS only; on Azure use spec.persistence (RDB snapshots or AOF)",
    fieldPath: ".backup",
  },
  {
    rule: "self.provider != 'aws' || !has(self.persistence)",
    message: "spec.persistence is Azure only; ElastiCache keeps daily snapshots instead (spec.backup)",
    fieldPath: ".persistence",
  },
  {
    rule: "!has(self.persistence) || (has(self.persistence.snapshotEveryMinutes) != (has(self.persistence.appendOnly) && self.persistence.appendOnly))",
    message: "spec.persistence: set exactly one of snapshotEveryMinutes (RDB) and appendOnly: true (AOF)",
    fieldPath: ".persistence",
  },
  {
    rule: "self.provider != 'azure' || !has(self.encryption.keyId)",
    message: "spec.encryption.keyId: Tessera's Azure caches encrypt at rest with Microsoft-managed keys (a customer key needs a managed identity with Key Vault access, which Tessera does not compose); remove keyId",
    fieldPath: ".encryption.keyId",
  },
  {
    rule: "self.provider != 'aws' || !has(self.encryption.keyId) || self.encryption.keyId.matches('^arn:aws:kms:' + self.region + ':[0-9]{12}:key/[A-Za-z0-9-]+$')",
    message: "spec.encryption.keyId must be the ARN of a KMS key in spec.region, arn:aws:kms:<region>:<account>:key/<id> (ElastiCache uses a key of the cache's own region; an alias or a key id is not accepted)",
    fieldPath: ".encryption.keyId",
  },
  {
    rule: "self.provider != 'azure' || !has(self.maintenanceWindow) || ((!has(self.maintenanceWindow.hours) || self.maintenanceWindow.hours >= 5) && self.maintenanceWindow.startTime.endsWith(':00'))",
    message: "spec.maintenanceWindow: Azure patch windows start on the hour and last at least 5 hours",
    fieldPath: ".maintenanceWindow",
  },
  {
    rule: String.raw`!has(self.nodeType) || (self.provider == 'aws' ? self.nodeType.matches('^cache\\.[a-z0-9]+\\.[a-z0-9]+$') : self.nodeType in ` + `${celList([...MANAGED_REDIS_SKU_NAMES, ...LEGACY_AZURE_NODES])})`,
    messageExpression: "'spec.nodeType: ' + self.nodeType + ' is not a ' + self.provider + ' Redis node type; use one like ' + (self.provider == 'aws' ? 'cache.r6g.large' : 'Balanced_B5 (an Azure Managed Redis SKU)') + ', or remove it and pick spec.size'",
    fieldPath: ".nodeType",
  },
  {
    rule: `self.provider != 'azure' || !has(self.nodeType) || self.shards == 1 || self.nodeType in ${celList(LEGACY_AZURE_NODES)}`,
    message: "spec.shards: on Azure, nodeType names the whole Managed Redis SKU, which places its shards itself; set shards to 1 (or remove nodeType and let size x shards pick the SKU)",
    fieldPath: ".shards",
  },
  {
    rule: `!self.parameters.exists(k, k in ${celList(RESERVED_PARAMETERS)})`,
    message: `spec.parameters: ${RESERVED_PARAMETERS.join(", ")} are managed by Tessera through its own fields (clusterMode, evictionPolicy) or fixed for security (TLS, AUTH); remove them`,
    fieldPath: ".parameters",
  },
  {
    rule: `self.provider != 'azure' || self.parameters.all(k, k in ${celList(Object.keys(AZURE_PARAMETERS))})`,
    message: `spec.parameters: Azure lets a cache set only ${Object.keys(AZURE_PARAMETERS).join(", ")} (legacy Azure Cache for Redis) and Azure Managed Redis none; remove the others`,
    fieldPath: ".parameters",
  },
  {
    rule: "self.provider != 'azure' || self.highAvailability == oldSelf.highAvailability",
    message: "spec.highAvailability is immutable on Azure: Azure Managed Redis sets it at creation and the provider would have to replace the cache; create a new RedisCluster with the other setting and move the data",
    fieldPath: ".highAvailability",
  },
  {
    rule: "self.provider != 'azure' || self.clusterMode == oldSelf.clusterMode",
    message: "spec.clusterMode is immutable on Azure: the clustering policy is fixed when the cache is created; create a new RedisCluster with the other mode and move the data",
    fieldPath: ".clusterMode",
  },
  {
    rule: "self.provider != 'azure' || !has(self.zones)",
    message: "spec.zones is AWS only: Azure Managed Redis spreads its replicas over the region's zones itself",
    fieldPath: ".zones",
  },
  {
    rule: "!has(self.zones) || !self.clusterMode",
    message: "spec.zones applies with clusterMode off; in cluster mode ElastiCache spreads each shard's nodes over the cache subnets' zones",
    fieldPath: ".zones",
  },
  {
    rule: `!has(self.zones) || self.zones.all(z, (self.region + z) in ${celList(AWS_ZONE_NAMES)})`,
    messageExpression: "'spec.zones: ' + self.region + ' does not offer every zone listed; use zone letters the region has (e.g. us-west-2 has a to d, ca-central-1 a, b and d)'",
    fieldPath: ".zones",
  },
  {
    rule: "has(self.zones) == has(oldSelf.zones) && (!has(self.zones) || self.zones == oldSelf.zones)",
    message: "spec.zones is immutable: ElastiCache places nodes only at creation; create a new RedisCluster in the other zones and move the data",
    fieldPath: ".zones",
  },
  {
    rule: "!has(oldSelf.version) || !has(self.version) || self.version >= oldSelf.version",
    message: "spec.version cannot go down: Redis has no in-place downgrade; create a new RedisCluster on the older version and move the data",
    fieldPath: ".version",
  },
  {
    rule: "self.provider != 'azure' || !has(self.logs.enabled) || !self.logs.enabled",
    message: "spec.logs: Azure Managed Redis exports only connection audit logs, through a diagnostic setting to a Log Analytics workspace, which Tessera does not compose; remove logs.enabled",
    fieldPath: ".logs.enabled",
  },
  {
    rule: "self.provider != 'aws' || (!has(self.entraIdPrincipals) && self.accessKeys)",
    message: "spec.entraIdPrincipals and accessKeys: false are Azure only; ElastiCache authenticates with the AUTH token Tessera has the provider generate",
    fieldPath: ".entraIdPrincipals",
  },
  {
    rule: "self.accessKeys || (has(self.entraIdPrincipals) && size(self.entraIdPrincipals) > 0)",
    message: "spec.accessKeys: false leaves no way in; list the apps' identities in spec.entraIdPrincipals, or keep accessKeys: true",
    fieldPath: ".accessKeys",
  },
  {
    rule: "!has(self.entraIdPrincipals) || self.entraIdPrincipals.all(a, self.entraIdPrincipals.exists_one(b, b == a))",
    message: "spec.entraIdPrincipals: each principal at most once",
    fieldPath: ".entraIdPrincipals",
  },
  {
    rule: "self.provider != 'azure' || !has(self.logs.retentionDays)",
    message: "spec.logs.retentionDays is AWS only (CloudWatch Logs retention); remove it on Azure",
    fieldPath: ".logs.retentionDays",
  },
);

export type RedisClusterSpec = z.output<typeof RedisClusterSpec>;

export const RedisClusterStatus = z.object({
  provider: z.string().optional().describe("The cloud the cache runs on (spec.provider as composed)."),
  region: z.string().optional().describe("The region the cache runs in."),
  endpoint: z.string().optional().describe("Primary endpoint (cluster mode: the configuration endpoint), private, once observed. Its TLS certificate is issued by a public CA for this name (Amazon Trust Services on AWS, DigiCert/Microsoft on Azure), so clients verify it with the system CA bundle."),
  readerEndpoint: z.string().optional().describe("Endpoint spreading reads over replicas (AWS without cluster mode); otherwise the primary endpoint."),
  port: z.int().min(1).max(65535).optional().describe("TLS port: 6379 (AWS), 10000 (Azure Managed Redis), 6380 (legacy Azure Cache for Redis)."),
  connectionSecretName: z.string().optional().describe("Secret in this namespace with host, port, password, tls, primaryEndpoint, readerEndpoint and uri (rediss://, TLS with server verification)."),
  cacheId: z.string().optional().describe("Native id: replication group ARN (AWS) or the Azure resource id of the Managed Redis (or legacy Redis cache)."),
  cacheKind: z.string().optional().describe("What serves the cache: ElastiCache, AzureManagedRedis, or AzureCacheForRedis (legacy, kept for caches created before Tessera moved to Azure Managed Redis)."),
  notice: z.string().optional().describe("Something to act on that does not stop the cache, e.g. how to migrate a legacy Azure Cache for Redis before its retirement."),
  message: z.string().optional().describe("Why the cache is not ready yet, or 'Available'."),
});
