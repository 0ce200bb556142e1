import { APIS } from "../../apis/index.ts";
import { API_VERSION } from "../../apis/shared/common.ts";
import { RedisClusterSpec } from "../../apis/redis-cluster/schema.ts";
import { SpecError } from "../shared/errors.ts";
import { checkNetwork } from "../shared/network-ref.ts";
import { parseSpec } from "../shared/parse.ts";
import type { KindModule, RenderContext, Selector } from "../shared/types.ts";
import { connectionSecretName } from "./connection.ts";
import { renderAws } from "./aws.ts";
import { renderAzure } from "./azure.ts";
import { AUTH_TOKEN, authTokenSecretName, NETWORK, PERSISTENCE_SECRET } from "./names.ts";
import { NODE_TYPE, RESERVED_PARAMETERS } from "./tables.ts";

function checkSpec(spec: RedisClusterSpec): RedisClusterSpec {
  const t = NODE_TYPE[spec.provider];
  if (spec.nodeType && !t.pattern.test(spec.nodeType)) {
    throw SpecError.field("spec.nodeType", `got ${JSON.stringify(spec.nodeType)}, which is not a ${spec.provider} Redis node type`, `use one like ${t.example}, or remove it and pick spec.size`);
  }
  for (const name of Object.keys(spec.parameters)) {
    if ((RESERVED_PARAMETERS as readonly string[]).includes(name)) {
      throw SpecError.field(`spec.parameters.${name}`, "is managed by Tessera through its own field (clusterMode, evictionPolicy) or fixed for security (TLS, AUTH)", "remove it");
    }
  }
  return spec;
}

function validate({ spec, xr, required }: RenderContext<RedisClusterSpec>): void {
  checkNetwork("spec.networkRef.name", required[NETWORK], spec.networkRef.name, xr.namespace, spec.provider, spec.region, "cache");
  const subnets = (required[NETWORK]?.[0]?.spec as { subnets?: { cache?: unknown[] } } | undefined)?.subnets;
  if (!subnets?.cache?.length) {
    throw SpecError.field("spec.networkRef.name", `Network ${JSON.stringify(spec.networkRef.name)} has no cache subnets`, "add spec.subnets.cache to that Network (it creates the cache tier and its security rules), then retry");
  }
}

export const redisCluster: KindModule<RedisClusterSpec> = {
  api: APIS[2],
  parse: (raw) => parseSpec(RedisClusterSpec, raw, checkSpec),
  requirements: (spec, xr) => {
    const out: Record<string, Selector> = { [NETWORK]: { apiVersion: API_VERSION, kind: "Network", name: spec.networkRef.name, namespace: xr.namespace } };
    // AWS writes the generated AUTH token to a Secret; Azure returns its keys as connection details.
    if (spec.provider === "aws") out[AUTH_TOKEN] = { apiVersion: "v1", kind: "Secret", name: authTokenSecretName(xr.name), namespace: xr.namespace };
    // A legacy Azure cache's persistence Secret is read to check it is meant for this cache (label, content).
    const ref = spec.persistence?.storageConnectionSecretRef;
    if (spec.provider === "azure" && ref) out[PERSISTENCE_SECRET] = { apiVersion: "v1", kind: "Secret", name: ref.name, namespace: xr.namespace };
    return out;
  },
  // The connection Secret's name is the user's to choose; fn.ts makes sure it is this XR's own.
  secrets: (spec, xr) => [{ field: "spec.connectionSecretName", name: connectionSecretName({ spec, xr, observed: {}, required: {} }) }],
  validate,
  renderers: { aws: renderAws, azure: renderAzure },
  // The managed resource kinds (MRD names) these renderers compose: the Configuration activates
  // exactly these, and a test fails if a renderer composes a kind missing here.
  composes: [
    "replicationgroups.elasticache.aws.m.upbound.io",
    "parametergroups.elasticache.aws.m.upbound.io",
    "subnetgroups.elasticache.aws.m.upbound.io",
    "groups.cloudwatchlogs.aws.m.upbound.io",
    "managedredis.cache.azure.m.upbound.io",
    "managedredisaccesspolicyassignments.cache.azure.m.upbound.io",
    "rediscaches.cache.azure.m.upbound.io",
    "privateendpoints.network.azure.m.upbound.io",
  ],
  // Kinds holding data: never dropped from desired state unless the spec deliberately releases them.
  stateful: ["elasticache.aws.m.upbound.io/ReplicationGroup", "cache.azure.m.upbound.io/ManagedRedis", "cache.azure.m.upbound.io/RedisCache"],
};
