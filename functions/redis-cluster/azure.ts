/**
 * RedisCluster on Azure: Azure Cache for Redis with public access off, reached through a private
 * endpoint in the Network's cache subnet (Microsoft's recommended isolation, on every tier), TLS 1.2
 * only with the plain port off, access keys read from the provider's connection details.
 */
import type { RedisClusterSpec } from "../../apis/redis-cluster/schema.ts";
import { SpecError } from "../shared/errors.ts";
import { atProvider, num, str } from "../shared/observed.ts";
import { managed, ofNetwork, RETAIN } from "../shared/resources.ts";
import { tagsFor } from "../shared/tags.ts";
import type { K8sObject, Obj, Renderer } from "../shared/types.ts";
import { finish } from "./connection.ts";
import { accessKeysSecretName } from "./names.ts";
import { AZURE_DAYS, AZURE_NODE, AZURE_PARAMETERS, PORT, VERSION } from "./tables.ts";

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
  if (spec.nodeType?.startsWith("C") && needs.length) {
    const [field, what] = needs[0]!;
    throw SpecError.field("spec.nodeType", `got ${JSON.stringify(spec.nodeType)} (Standard tier), but ${field} asks for ${what}, which Azure offers on Premium only`, "use a Premium size P1 to P5, or remove nodeType");
  }
  const skuName = spec.nodeType ? (spec.nodeType.startsWith("P") ? "Premium" : "Standard") : needs.length ? "Premium" : "Standard";
  const node = spec.nodeType ?? AZURE_NODE[spec.size][skuName];
  return { skuName, family: node.slice(0, 1), capacity: Number(node.slice(1)) };
}

function redisConfiguration(spec: RedisClusterSpec): Obj {
  const out: Obj = { maxmemoryPolicy: spec.evictionPolicy, authenticationEnabled: true };
  for (const [name, value] of Object.entries(spec.parameters)) {
    const p = AZURE_PARAMETERS[name];
    if (!p) {
      throw SpecError.field(`spec.parameters.${name}`, `got ${JSON.stringify(value)}, but Azure Cache for Redis does not let a cache set ${name}`, `remove it; Azure accepts ${Object.keys(AZURE_PARAMETERS).join(", ")}`);
    }
    if (p.type === "number" && !/^\d+$/.test(value)) {
      throw SpecError.field(`spec.parameters.${name}`, `got ${JSON.stringify(value)}`, "give a whole number of megabytes");
    }
    out[p.field] = p.type === "number" ? Number(value) : value;
  }
  const ps = spec.persistence;
  if (ps) {
    Object.assign(out, {
      rdbBackupEnabled: true,
      rdbBackupFrequency: ps.snapshotEveryMinutes,
      rdbBackupMaxSnapshotCount: ps.maxSnapshots,
      rdbStorageConnectionStringSecretRef: { name: ps.storageConnectionSecretRef.name, key: ps.storageConnectionSecretRef.key },
    });
  }
  return out;
}

export const renderAzure: Renderer<RedisClusterSpec> = (ctx) => {
  const { xr, spec, observed } = ctx;
  const net = spec.networkRef.name;
  const location = spec.region;
  const tags = tagsFor("RedisCluster", xr, spec.tags);
  const { skuName, family, capacity } = sku(spec);
  const premium = skuName === "Premium";
  const rg = { resourceGroupNameSelector: ofNetwork(net, { resource: "resource-group" }) };
  const mw = spec.maintenanceWindow;
  const r: Record<string, K8sObject> = {};
  const pending: string[] = [];

  r["cache"] = managed(CACHE, "RedisCache", "cache", {
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
    // Zone redundancy: the primary and each replica in a different zone.
    zones: premium && spec.highAvailability ? ["1", "2", "3"].slice(0, Math.min(3, spec.replicasPerShard + 1)) : undefined,
    redisConfiguration: redisConfiguration(spec),
    patchSchedule: mw ? [{ dayOfWeek: AZURE_DAYS[mw.day], startHourUtc: Number(mw.startTime.slice(0, 2)), maintenanceWindow: `PT${mw.hours ?? 5}H` }] : undefined,
    tags,
  }, {
    connectionSecret: accessKeysSecretName(xr.name),
    // Without Delete the provider never deletes the cache: deleting the XR orphans it.
    managementPolicies: spec.deletionProtection ? RETAIN : undefined,
  });

  const cache = atProvider(observed["cache"]);
  const cacheId = str(cache["id"]);
  // The endpoint needs the cache's id, which exists only once the cache is observed. Once the
  // endpoint exists it keeps the id it was made with, even if the cache's status is briefly empty.
  const seenEndpoint = observed["private-endpoint"]?.resource.spec?.["forProvider"] as { privateServiceConnection?: { privateConnectionResourceId?: string } } | undefined;
  const target = cacheId ?? seenEndpoint?.privateServiceConnection?.privateConnectionResourceId;
  if (target) {
    r["private-endpoint"] = managed(NET, "PrivateEndpoint", "private-endpoint", {
      location,
      ...rg,
      subnetIdSelector: ofNetwork(net, { tier: "cache" }),
      privateServiceConnection: { name: "redis", isManualConnection: false, privateConnectionResourceId: target, subresourceNames: ["redisCache"] },
      privateDnsZoneGroup: { name: "redis", privateDnsZoneIdsSelector: ofNetwork(net, { resource: "private-dns-zone-redis" }) },
      tags,
    });
  } else {
    pending.push("private-endpoint");
  }

  const host = str(cache["hostname"]);
  const port = num(cache["sslPort"]) ?? PORT.azure;
  const password = observed["cache"]?.connectionDetails[ACCESS_KEY];
  return finish(ctx, r, pending, { host, reader: host, port, password }, cacheId);
};
