/**
 * RedisCluster on Azure, legacy: Azure Cache for Redis, kept only for XRs that already have one.
 * Microsoft closed Azure Cache for Redis to new caches and retires it on 2028-09-30
 * (https://learn.microsoft.com/azure/azure-cache-for-redis/retirement-faq); new RedisClusters get
 * Azure Managed Redis (azure.ts). A live cache is never dropped or replaced by an upgrade of Tessera:
 * this renderer keeps composing it as before, and says in the status and a warning how to migrate.
 *
 * Public access off, reached through a private endpoint in the Network's cache subnet, TLS 1.2 only
 * with the plain port off, access keys read from the provider's connection details.
 */
import { PERSISTENCE_SECRET_LABEL, type RedisClusterSpec } from "../../apis/redis-cluster/schema.ts";
import { SpecError } from "../shared/errors.ts";
import { atProvider, num, str } from "../shared/observed.ts";
import { LABELS, managed, ofNetwork, RETAIN } from "../shared/resources.ts";
import { tagsFor } from "../shared/tags.ts";
import type { ForProvider, K8sObject, Renderer, RenderContext } from "../shared/types.ts";
import type * as cache from "../crds/cache.azure.m.upbound.io.ts";
import type * as network from "../crds/network.azure.m.upbound.io.ts";
import { networkUsage } from "../shared/usage.ts";
import { azureZones } from "../shared/zones.ts";
import { finish } from "./connection.ts";
import { accessKeysSecretName, KEYS, PERSISTENCE_SECRET } from "./names.ts";
import { AZURE_DAYS, AZURE_NODE, AZURE_PARAMETERS, LEGACY_TO_MANAGED, PORT, VERSION, type RedisConfiguration } from "./tables.ts";

const CACHE = "cache.azure.m.upbound.io/v1beta1";
const NET = "network.azure.m.upbound.io/v1beta1";
/** Where the provider puts the primary access key among a RedisCache's connection details. */
const ACCESS_KEY = "attribute.primary_access_key";

/** The features that need the Premium tier, by the field that asks for them. */
function premiumNeeds(spec: RedisClusterSpec): Array<[string, string]> {
  const needs: Array<[string, string]> = [];
  if (spec.clusterMode) needs.push(["spec.clusterMode", "clustering"]);
  if (spec.highAvailability) needs.push(["spec.highAvailability", "zone redundancy"]);
  if (spec.replicasPerShard > 1) needs.push(["spec.replicasPerShard", "more than one replica"]);
  if (spec.persistence) needs.push(["spec.persistence", "persistence"]);
  return needs;
}

function sku(spec: RedisClusterSpec): { skuName: "Standard" | "Premium"; family: string; capacity: number } {
  const needs = premiumNeeds(spec);
  if (spec.nodeType && !/^[CP]\d$/.test(spec.nodeType)) {
    throw SpecError.field("spec.nodeType", `got ${JSON.stringify(spec.nodeType)}, an Azure Managed Redis SKU, but this RedisCluster runs on Azure Cache for Redis`, "a cache cannot move to Managed Redis in place; keep a C or P size here, and create a new RedisCluster for Managed Redis (see status.notice)");
  }
  if (spec.nodeType?.startsWith("C") && needs.length) {
    const [field, what] = needs[0]!;
    throw SpecError.field("spec.nodeType", `got ${JSON.stringify(spec.nodeType)} (Standard tier), but ${field} asks for ${what}, which Azure offers on Premium only`, "use a Premium size P1 to P5, or remove nodeType");
  }
  const skuName = spec.nodeType ? (spec.nodeType.startsWith("P") ? "Premium" : "Standard") : needs.length ? "Premium" : "Standard";
  const node = spec.nodeType ?? AZURE_NODE[spec.size][skuName];
  return { skuName, family: node.slice(0, 1), capacity: Number(node.slice(1)) };
}

/**
 * The persistence Secret must be one meant for this cache's snapshots (12.2): labelled for this
 * RedisCluster, holding a storage account connection string under the key. Anything else (another
 * app's Secret, a Tessera connection Secret, provider credentials) is refused, never handed to Azure.
 */
function checkPersistenceSecret(ctx: RenderContext<RedisClusterSpec>, ref: { name: string; key: string }): void {
  const field = "spec.persistence.storageConnectionSecretRef";
  const s = ctx.required[PERSISTENCE_SECRET]?.[0] as (K8sObject & { data?: Record<string, string> }) | undefined;
  if (!s) throw SpecError.field(field, `Secret ${JSON.stringify(ref.name)} does not exist in namespace ${ctx.xr.namespace}`, "create it (see the field's description for what it must hold), or fix the name");
  const labels = s.metadata?.labels ?? {};
  if (labels[LABELS.resource] !== undefined) {
    throw SpecError.field(field, `Secret ${JSON.stringify(ref.name)} is composed by a Tessera resource (${labels[LABELS.resource]}), not meant for persistence`, "name a Secret of your own that holds the storage account's connection string");
  }
  if (labels[PERSISTENCE_SECRET_LABEL] !== ctx.xr.name) {
    throw SpecError.field(field, `Secret ${JSON.stringify(ref.name)} is not marked as this cache's persistence Secret`, `label it ${PERSISTENCE_SECRET_LABEL}=${ctx.xr.name} if it holds the connection string of the storage account meant for this cache's snapshots, or name another Secret`);
  }
  const encoded = s.data?.[ref.key];
  const value = encoded ? Buffer.from(encoded, "base64").toString("utf8") : "";
  if (!/(^|;)AccountName=[^;]+/.test(value) || !/(^|;)AccountKey=[^;]+/.test(value)) {
    throw SpecError.field(field, `key ${JSON.stringify(ref.key)} of Secret ${JSON.stringify(ref.name)} does not hold a storage account connection string`, "put DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net under that key");
  }
}

function redisConfiguration(ctx: RenderContext<RedisClusterSpec>): RedisConfiguration {
  const { spec } = ctx;
  const out: RedisConfiguration = { maxmemoryPolicy: spec.evictionPolicy, authenticationEnabled: true };
  for (const [name, value] of Object.entries(spec.parameters)) {
    const p = AZURE_PARAMETERS[name];
    if (!p) {
      throw SpecError.field(`spec.parameters.${name}`, `got ${JSON.stringify(value)}, but Azure Cache for Redis does not let a cache set ${name}`, `remove it; Azure accepts ${Object.keys(AZURE_PARAMETERS).join(", ")}`);
    }
    // Narrowed by type, so each field takes the kind of value its CRD field holds.
    if (p.type === "string") out[p.field] = value;
    else if (/^\d+$/.test(value)) out[p.field] = Number(value);
    else throw SpecError.field(`spec.parameters.${name}`, `got ${JSON.stringify(value)}`, "give a whole number of megabytes");
  }
  const ps = spec.persistence;
  if (ps) {
    if (ps.snapshotEveryMinutes === undefined) {
      throw SpecError.field("spec.persistence.appendOnly", "Azure Cache for Redis (this cache) keeps AOF only with a second storage account, which Tessera does not compose", "use snapshotEveryMinutes (RDB) on this cache, or migrate to Azure Managed Redis (see status.notice)");
    }
    if (!ps.storageConnectionSecretRef) {
      throw SpecError.field("spec.persistence.storageConnectionSecretRef", "is missing, and Azure Cache for Redis writes snapshots to a storage account", "name the Secret with the storage account's connection string (see the field's description)");
    }
    checkPersistenceSecret(ctx, ps.storageConnectionSecretRef);
    Object.assign(out, {
      rdbBackupEnabled: true,
      rdbBackupFrequency: ps.snapshotEveryMinutes,
      rdbBackupMaxSnapshotCount: ps.maxSnapshots ?? 1,
      rdbStorageConnectionStringSecretRef: { name: ps.storageConnectionSecretRef.name, key: ps.storageConnectionSecretRef.key },
    } satisfies RedisConfiguration);
  }
  return out;
}

/** How to leave Azure Cache for Redis, said in status.notice and as a warning on every render. */
export function migrationNotice(spec: RedisClusterSpec, node: string): string {
  const target = LEGACY_TO_MANAGED[node] ?? "a Balanced SKU of the same memory";
  return `this cache runs on Azure Cache for Redis (${node}), which Microsoft closed to new caches and retires on 2028-09-30; Tessera keeps it as it is. `
    + `To move to Azure Managed Redis: create a new RedisCluster with the same spec${spec.nodeType ? ` and nodeType ${target}` : ""} (port 10000 instead of 6380), `
    + "copy the data (export an RDB file and import it, or let the app refill the cache), point the app at the new connection Secret, "
    + "then set deletionProtection: false here, wait for Synced, and delete this RedisCluster";
}

export const renderAzureLegacy: Renderer<RedisClusterSpec> = (ctx) => {
  const { xr, spec, observed } = ctx;
  const net = spec.networkRef.name;
  const location = spec.region;
  const tags = tagsFor("RedisCluster", xr, spec.tags);
  if (spec.version === "7") {
    throw SpecError.field("spec.version", "got \"7\", but this RedisCluster runs on Azure Cache for Redis, which offers Redis 6", "set version \"6\" (or remove it); Redis 7 comes with Azure Managed Redis (see status.notice)");
  }
  if (spec.replicasPerShard < 1) {
    throw SpecError.field("spec.replicasPerShard", "got 0, but Azure Cache for Redis (Standard and Premium) keeps 1 to 3 replicas per primary", "set 1 to 3");
  }
  if (spec.entraIdPrincipals?.length || !spec.accessKeys) {
    throw SpecError.field(spec.entraIdPrincipals?.length ? "spec.entraIdPrincipals" : "spec.accessKeys", "is set, but this RedisCluster runs on Azure Cache for Redis, where Tessera composes access keys only", "remove it here; Entra ID access comes with Azure Managed Redis (see status.notice)");
  }
  const { skuName, family, capacity } = sku(spec);
  const premium = skuName === "Premium";
  // Typed, so the spreads below are checked (a spread of an untyped object would hide its fields).
  const rg: Pick<ForProvider<cache.RedisCache>, "resourceGroupNameSelector"> = { resourceGroupNameSelector: ofNetwork(net, { resource: "resource-group" }) };
  const mw = spec.maintenanceWindow;
  const r: Record<string, K8sObject> = {};
  const pending: string[] = [];
  const warnings: string[] = [];

  // Zones change only by replacing the cache, which upjet does not do: a live cache keeps the zones
  // it was created with. New zone choices apply only where the region has zones at all.
  // (Only a cache that exists in Azure, with a resource id, holds its zones; one never created takes the new choice.)
  const created = str(atProvider(observed[KEYS.legacyCache])["id"]) !== undefined;
  const seenZones = created ? (observed[KEYS.legacyCache]?.resource.spec?.["forProvider"] as { zones?: string[] } | undefined)?.zones : undefined;
  const regionZones = azureZones(location);
  const wanted = premium && spec.highAvailability && regionZones.length ? regionZones.slice(0, Math.min(regionZones.length, spec.replicasPerShard + 1)) : undefined;
  const zones = seenZones ?? wanted;
  if (seenZones && JSON.stringify(seenZones) !== JSON.stringify(wanted ?? [])) {
    warnings.push(`the cache keeps zones [${seenZones.join(", ")}] it was created with; Azure Cache for Redis changes zones only by replacing the cache`);
  }
  if (premium && spec.highAvailability && !regionZones.length) {
    warnings.push(`${location} has no availability zones: the replicas fail over within the region, without zone redundancy`);
  }

  r[KEYS.legacyCache] = managed<cache.RedisCache>(CACHE, "RedisCache", KEYS.legacyCache, {
    location,
    ...rg,
    skuName,
    family,
    capacity,
    redisVersion: VERSION.azure.engine[spec.version ?? VERSION.azure.default],
    minimumTlsVersion: "1.2",
    nonSslPortEnabled: false,
    publicNetworkAccessEnabled: false,
    shardCount: premium && spec.clusterMode ? spec.shards : undefined,
    replicasPerPrimary: premium ? spec.replicasPerShard : undefined,
    zones,
    redisConfiguration: redisConfiguration(ctx),
    patchSchedule: mw ? [{ dayOfWeek: AZURE_DAYS[mw.day], startHourUtc: Number(mw.startTime.slice(0, 2)), maintenanceWindow: `PT${mw.hours ?? 5}H` }] : undefined,
    tags,
  }, {
    connectionSecret: accessKeysSecretName(xr.name),
    // Without Delete the provider never deletes the cache: deleting the XR orphans it.
    managementPolicies: spec.deletionProtection ? RETAIN : undefined,
  });

  r[KEYS.networkUsage] = networkUsage(KEYS.networkUsage, {
    network: net,
    tier: "cache",
    by: { apiVersion: CACHE, kind: "RedisCache", key: KEYS.legacyCache },
    reason: `RedisCluster ${xr.name} reaches its Azure Cache for Redis through a private endpoint in this Network's cache subnet`,
  });

  const cache = atProvider(observed[KEYS.legacyCache]);
  const cacheId = str(cache["id"]);
  // The endpoint needs the cache's id, which exists only once the cache is observed. Once the
  // endpoint exists it keeps the id it was made with, even if the cache's status is briefly empty.
  const seenEndpoint = observed[KEYS.legacyEndpoint]?.resource.spec?.["forProvider"] as { privateServiceConnection?: { privateConnectionResourceId?: string } } | undefined;
  const target = cacheId ?? seenEndpoint?.privateServiceConnection?.privateConnectionResourceId;
  if (target) {
    r[KEYS.legacyEndpoint] = managed<network.PrivateEndpoint>(NET, "PrivateEndpoint", KEYS.legacyEndpoint, {
      location,
      ...rg,
      subnetIdSelector: ofNetwork(net, { tier: "cache" }),
      privateServiceConnection: { name: "redis", isManualConnection: false, privateConnectionResourceId: target, subresourceNames: ["redisCache"] },
      privateDnsZoneGroup: { name: "redis", privateDnsZoneIdsSelector: ofNetwork(net, { resource: "private-dns-zone-redis" }) },
      tags,
    });
  } else {
    pending.push(KEYS.legacyEndpoint);
  }

  const notice = migrationNotice(spec, `${family}${capacity}`);
  const host = str(cache["hostname"]);
  const port = num(cache["sslPort"]) ?? PORT.azureLegacy;
  const password = observed[KEYS.legacyCache]?.connectionDetails[ACCESS_KEY];
  return finish(ctx, r, pending, { host, reader: host, port, password }, cacheId, { cacheKind: "AzureCacheForRedis", notice, warnings: [notice, ...warnings] });
};
