/**
 * RedisCluster on Azure: Azure Managed Redis (cache.azure.m.upbound.io ManagedRedis), public network
 * access off, reached through a private endpoint in the Network's cache subnet that resolves through
 * the Network's privatelink.redis.azure.net zone, TLS only (the Encrypted client protocol), access
 * keys read from the provider's connection details, persistence kept by the service itself.
 *
 * Azure Cache for Redis is closed to new caches and retires on 2028-09-30, so every new cache is
 * Managed Redis; an XR that already has a legacy RedisCache keeps it (azure-legacy.ts), because a
 * composed resource the function stops returning is deleted with its data.
 */
import type { RedisClusterSpec } from "../../apis/redis-cluster/schema.ts";
import { SpecError } from "../shared/errors.ts";
import { atProvider, num, str } from "../shared/observed.ts";
import { managed, ofNetwork, own, RETAIN } from "../shared/resources.ts";
import { tagsFor } from "../shared/tags.ts";
import type { ForProvider, K8sObject, Obj, ObservedResource, Renderer } from "../shared/types.ts";
import type * as cache from "../crds/cache.azure.m.upbound.io.ts";
import type * as network from "../crds/network.azure.m.upbound.io.ts";
import { networkUsage } from "../shared/usage.ts";
import { azureZones } from "../shared/zones.ts";
import { renderAzureLegacy } from "./azure-legacy.ts";
import { finish } from "./connection.ts";
import { accessKeysSecretName, accessPolicyKey, KEYS } from "./names.ts";
import { AZURE_SHARD_GB, LEGACY_TO_MANAGED, MANAGED_EVICTION, MANAGED_RDB_FREQUENCY, MANAGED_REDIS_SKUS, PORT } from "./tables.ts";

const CACHE = "cache.azure.m.upbound.io/v1beta1";
const NET = "network.azure.m.upbound.io/v1beta1";
/**
 * Where the provider puts the default database's primary access key among a ManagedRedis's connection
 * details: upjet names a sensitive attribute by its Terraform path (default_database[0].primary_access_key).
 */
const ACCESS_KEY = "attribute.default_database.0.primary_access_key";

/** The SKU: nodeType, or the smallest Balanced SKU holding size x shards. */
function skuFor(spec: RedisClusterSpec): string {
  if (spec.nodeType) {
    const managedSku = LEGACY_TO_MANAGED[spec.nodeType];
    if (managedSku) {
      throw SpecError.field("spec.nodeType", `got ${JSON.stringify(spec.nodeType)}, an Azure Cache for Redis size, which Microsoft no longer sells to new caches (it retires on 2028-09-30)`, `use the Azure Managed Redis SKU with about the same memory, ${managedSku}, or remove nodeType and pick spec.size`);
    }
    return spec.nodeType;
  }
  const gb = AZURE_SHARD_GB[spec.size] * spec.shards;
  const found = MANAGED_REDIS_SKUS.find(([name, mem]) => name.startsWith("Balanced_") && mem >= gb);
  if (!found) {
    throw SpecError.field("spec.shards", `got ${spec.shards} shards of size ${spec.size} (${gb} GB), more than the largest Balanced SKU holds`, "use fewer shards or a smaller size, or name a Memory Optimized SKU (up to MemoryOptimized_M2000) in nodeType");
  }
  return found[0];
}

/** What Azure Managed Redis cannot take, refused with the field and what to do instead. */
function checkManaged(spec: RedisClusterSpec): void {
  if (spec.version === "6") {
    throw SpecError.field("spec.version", "got \"6\", but Azure Managed Redis runs Redis 7.4 and has no version setting", "set version \"7\" or remove it");
  }
  if (spec.replicasPerShard > 1) {
    throw SpecError.field("spec.replicasPerShard", `got ${spec.replicasPerShard}, but Azure Managed Redis keeps exactly one replica of each shard (with highAvailability on)`, "set replicasPerShard: 1");
  }
  const names = Object.keys(spec.parameters);
  if (names.length) {
    throw SpecError.field(`spec.parameters.${names[0]}`, "is set, but Azure Managed Redis lets a cache set no Redis parameters (eviction has its own field)", "remove spec.parameters on Azure");
  }
  if (spec.maintenanceWindow) {
    throw SpecError.field("spec.maintenanceWindow", "is set, but Azure Managed Redis is patched by Microsoft without a window the provider can set", "remove it on Azure");
  }
  const ps = spec.persistence;
  if (ps?.storageConnectionSecretRef) {
    throw SpecError.field("spec.persistence.storageConnectionSecretRef", `names Secret ${JSON.stringify(ps.storageConnectionSecretRef.name)}, but Azure Managed Redis keeps its persistence itself, without a storage account`, "remove storageConnectionSecretRef (no Secret is handed to Azure)");
  }
  if (ps?.maxSnapshots !== undefined) {
    throw SpecError.field("spec.persistence.maxSnapshots", `got ${ps.maxSnapshots}, but Azure Managed Redis keeps its own snapshots and takes no count`, "remove maxSnapshots");
  }
  if (ps?.snapshotEveryMinutes !== undefined && !MANAGED_RDB_FREQUENCY[ps.snapshotEveryMinutes]) {
    throw SpecError.field("spec.persistence.snapshotEveryMinutes", `got ${ps.snapshotEveryMinutes}, but Azure Managed Redis writes RDB snapshots every 1, 6 or 12 hours`, "use 60, 360 or 720, or appendOnly: true for a write log flushed every second");
  }
}

function defaultDatabase(spec: RedisClusterSpec): NonNullable<ForProvider<cache.ManagedRedis>["defaultDatabase"]> {
  const ps = spec.persistence;
  return {
    // TLS only: the plaintext protocol stays off.
    clientProtocol: "Encrypted",
    // Cluster mode: clients speak the cluster protocol and reach each shard (ports 85XX). Off: the
    // Enterprise policy shows one endpoint that routes to the shards, for non-cluster clients.
    clusteringPolicy: spec.clusterMode ? "OSSCluster" : "EnterpriseCluster",
    evictionPolicy: MANAGED_EVICTION[spec.evictionPolicy],
    // The connection Secret carries a password for every client (Entra ID tokens need client support),
    // so access keys stay on unless the user turns them off and names Entra ID principals instead.
    accessKeysAuthenticationEnabled: spec.accessKeys,
    persistenceRedisDatabaseBackupFrequency: ps?.snapshotEveryMinutes !== undefined ? MANAGED_RDB_FREQUENCY[ps.snapshotEveryMinutes] : undefined,
    persistenceAppendOnlyFileBackupFrequency: ps?.appendOnly ? "1s" : undefined,
  };
}

/**
 * Crossplane names the ManagedRedis `<name>-<5 random characters>`, and that name is the cache's Azure
 * name (its host name), which Azure allows up to 60 characters (Microsoft.Cache/redisEnterprise,
 * https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftcache):
 * so at most 54 here. A live cache keeps the name it has.
 */
const MAX_NAME = 54;

const renderManagedRedis: Renderer<RedisClusterSpec> = (ctx) => {
  const { xr, spec, observed } = ctx;
  checkManaged(spec);
  if (xr.name.length > MAX_NAME && !observed[KEYS.managedRedis]) {
    throw SpecError.field("metadata.name", `got ${xr.name.length} characters, but the Azure Managed Redis composed from it is named <name>-<5 characters>, and Azure allows 60`, `use a name of at most ${MAX_NAME} characters`);
  }
  const net = spec.networkRef.name;
  const location = spec.region;
  const tags = tagsFor("RedisCluster", xr, spec.tags);
  // Typed, so the spreads below are checked (a spread of an untyped object would hide its fields).
  const rg: Pick<ForProvider<cache.ManagedRedis>, "resourceGroupNameSelector"> = { resourceGroupNameSelector: ofNetwork(net, { resource: "resource-group" }) };
  const r: Record<string, K8sObject> = {};
  const pending: string[] = [];
  const warnings: string[] = [];

  // Fixed at creation (the provider would replace the cache, and upjet does not): refused here as
  // in the XRD, for offline render and for XRs admitted before the rule existed.
  const seen = observed[KEYS.managedRedis]?.resource.spec?.["forProvider"] as { highAvailabilityEnabled?: boolean; defaultDatabase?: { clusteringPolicy?: string } } | undefined;
  const db = defaultDatabase(spec);
  if (seen?.highAvailabilityEnabled !== undefined && seen.highAvailabilityEnabled !== spec.highAvailability) {
    throw SpecError.field("spec.highAvailability", `got ${spec.highAvailability}, but the cache was created with ${seen.highAvailabilityEnabled}`, "set it back; Azure Managed Redis changes it only by replacing the cache, so create a new RedisCluster and move the data");
  }
  if (seen?.defaultDatabase?.clusteringPolicy && seen.defaultDatabase.clusteringPolicy !== db.clusteringPolicy) {
    throw SpecError.field("spec.clusterMode", `got ${spec.clusterMode}, but the cache was created with the ${seen.defaultDatabase.clusteringPolicy} policy`, "set it back; the clustering policy is fixed at creation, so create a new RedisCluster and move the data");
  }
  if (spec.highAvailability && !azureZones(location).length) {
    warnings.push(`${location} has no availability zones: Azure Managed Redis keeps each shard's replica in another fault domain of the same datacenter, not in another zone`);
  }
  if (!spec.highAvailability && spec.replicasPerShard > 0) {
    warnings.push("Azure Managed Redis without highAvailability keeps no replica, so spec.replicasPerShard has no effect; set replicasPerShard: 0 to say so");
  }

  r[KEYS.managedRedis] = managed<cache.ManagedRedis>(CACHE, "ManagedRedis", KEYS.managedRedis, {
    location,
    ...rg,
    skuName: skuFor(spec),
    highAvailabilityEnabled: spec.highAvailability,
    publicNetworkAccess: "Disabled",
    defaultDatabase: db,
    tags,
  }, {
    connectionSecret: accessKeysSecretName(xr.name),
    // Without Delete the provider never deletes the cache: deleting the XR orphans it.
    managementPolicies: spec.deletionProtection ? RETAIN : undefined,
  });

  // Entra ID: each principal gets the cache's default access policy (full data access); the key is
  // the principal's object id, so adding or removing one never touches the others.
  for (const objectId of spec.entraIdPrincipals ?? []) {
    const key = accessPolicyKey(objectId);
    r[key] = managed<cache.ManagedRedisAccessPolicyAssignment>(CACHE, "ManagedRedisAccessPolicyAssignment", key, { managedRedisIdSelector: own(KEYS.managedRedis), objectId });
  }

  r[KEYS.networkUsage] = networkUsage(KEYS.networkUsage, {
    network: net,
    tier: "cache",
    by: { apiVersion: CACHE, kind: "ManagedRedis", key: KEYS.managedRedis },
    reason: `RedisCluster ${xr.name} reaches its Azure Managed Redis through a private endpoint in this Network's cache subnet`,
  });

  const cache = atProvider(observed[KEYS.managedRedis]);
  const cacheId = str(cache["id"]);
  // The endpoint needs the cache's id, which exists only once the cache is observed; once it exists it
  // keeps the id it was made with, even if the cache's status is briefly empty.
  const seenEndpoint = observed[KEYS.managedEndpoint]?.resource.spec?.["forProvider"] as { privateServiceConnection?: { privateConnectionResourceId?: string } } | undefined;
  const target = cacheId ?? seenEndpoint?.privateServiceConnection?.privateConnectionResourceId;
  if (target) {
    r[KEYS.managedEndpoint] = managed<network.PrivateEndpoint>(NET, "PrivateEndpoint", KEYS.managedEndpoint, {
      location,
      ...rg,
      subnetIdSelector: ofNetwork(net, { tier: "cache" }),
      // The private-link sub-resource of Microsoft.Cache/redisEnterprise, which Managed Redis is
      // (https://learn.microsoft.com/azure/private-link/private-endpoint-overview#private-link-resource).
      privateServiceConnection: { name: "redis", isManualConnection: false, privateConnectionResourceId: target, subresourceNames: ["redisEnterprise"] },
      privateDnsZoneGroup: { name: "redis", privateDnsZoneIdsSelector: ofNetwork(net, { resource: "private-dns-zone-managed-redis" }) },
      tags,
    });
  } else {
    pending.push(KEYS.managedEndpoint);
  }

  const host = str(cache["hostname"]);
  const port = num((cache["defaultDatabase"] as Obj | undefined)?.["port"]) ?? PORT.azureManaged;
  const password = spec.accessKeys ? observed[KEYS.managedRedis]?.connectionDetails[ACCESS_KEY] : undefined;
  return finish(ctx, r, pending, { host, reader: host, port, password, passwordless: !spec.accessKeys }, cacheId, { cacheKind: "AzureManagedRedis", warnings });
};

/**
 * A RedisCache that Azure never created holds no data: Crossplane recorded the create as failed (Azure
 * refuses new Azure Cache for Redis caches) and never as succeeded, and there is no resource id. Only
 * then may the XR move on to Managed Redis; any sign of a live cache keeps the legacy renderer.
 */
function neverCreated(o: ObservedResource): boolean {
  const a = o.resource.metadata?.annotations ?? {};
  return a["crossplane.io/external-create-failed"] !== undefined && a["crossplane.io/external-create-succeeded"] === undefined && !str(atProvider(o)["id"]);
}

/** Legacy caches stay what they are; everything else is Azure Managed Redis. */
export const renderAzure: Renderer<RedisClusterSpec> = (ctx) => {
  const legacy = ctx.observed[KEYS.legacyCache];
  if (legacy?.resource.kind !== "RedisCache") return renderManagedRedis(ctx);
  if (!neverCreated(legacy)) return renderAzureLegacy(ctx);
  const out = renderManagedRedis(ctx);
  out.released.push(KEYS.legacyCache);
  (out.warnings ??= []).push("the Azure Cache for Redis this RedisCluster asked for was never created (Azure no longer creates them), so it is let go and Azure Managed Redis is composed instead");
  return out;
};
