/**
 * RunFunction: the only place that speaks the function protocol. It parses the XR once, asks for the
 * resources the kind requires, calls the kind's pure renderer for spec.provider, and turns the result
 * into desired state, readiness, status and conditions. Anything it refuses becomes one fatal result,
 * which Crossplane applies nothing from, so a refusal can never delete a resource.
 */
import type { Resource, RunFunctionRequest, RunFunctionResponse } from "@crossplane-org/function-sdk-typescript";
import { Ready, Severity, Status, Target } from "./runtime/wire.ts";
import type { Provider } from "../apis/shared/common.ts";
import { cdnEdge } from "./cdn-edge/index.ts";
import { network } from "./network/index.ts";
import { objectStore } from "./object-store/index.ts";
import { postgresDatabase } from "./postgres-database/index.ts";
import { redisCluster } from "./redis-cluster/index.ts";
import { SpecError } from "./shared/errors.ts";
import { conditionOf, isReady } from "./shared/observed.ts";
import { prune } from "./shared/resources.ts";
import type { K8sObject, KindModule, ObservedObject, ObservedResource, Rendered } from "./shared/types.ts";

/** Crossplane re-runs realtime compositions only on watch events or after this TTL. */
export const TTL_SECONDS = 60;

/** Erases each kind's spec type at the dispatch boundary; each module parses its own spec. */
type AnyKind = KindModule<{ provider: Provider; region: string }>;
const erase = <S extends { provider: Provider; region: string }>(m: KindModule<S>) => m as unknown as AnyKind;

/** Keyed by kind, so an XR of an unknown kind is refused, never guessed. */
export const KINDS: Record<string, AnyKind> = {
  Network: erase(network),
  PostgresDatabase: erase(postgresDatabase),
  RedisCluster: erase(redisCluster),
  ObjectStore: erase(objectStore),
  CdnEdge: erase(cdnEdge),
};

/** Managed-resource groups per provider; an observed resource outside them means a provider switch. */
const PROVIDER_GROUP: Record<Provider, RegExp> = { aws: /(^|\.)aws\.m\.upbound\.io$/, azure: /(^|\.)azure\.m\.upbound\.io$/ };

const groupOf = (o: K8sObject) => {
  const slash = o.apiVersion.indexOf("/");
  return slash < 0 ? "" : o.apiVersion.slice(0, slash);
};

function decodeObserved(req: RunFunctionRequest): Record<string, ObservedResource> {
  const out: Record<string, ObservedResource> = {};
  for (const [key, r] of Object.entries(req.observed?.resources ?? {})) {
    if (!r.resource) continue;
    const details: Record<string, string> = {};
    // Most resources have none. Each is read through a view over its bytes, not a copy.
    for (const k in r.connectionDetails) {
      const v = r.connectionDetails[k]!;
      details[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("utf8");
    }
    out[key] = { resource: r.resource as ObservedObject, connectionDetails: details };
  }
  return out;
}

function response(req: RunFunctionRequest): RunFunctionResponse {
  return {
    meta: { tag: req.meta?.tag ?? "", ttl: { seconds: TTL_SECONDS, nanos: 0 } },
    desired: { composite: req.desired?.composite, resources: { ...(req.desired?.resources ?? {}) } },
    results: [],
    context: req.context,
    requirements: undefined,
    conditions: [],
  };
}

function fatal(rsp: RunFunctionResponse, message: string, reason: string): RunFunctionResponse {
  rsp.results.push({ severity: Severity.SEVERITY_FATAL, message, reason, target: Target.TARGET_COMPOSITE });
  return rsp;
}

export function runFunction(req: RunFunctionRequest): RunFunctionResponse {
  const rsp = response(req);
  const oxr = req.observed?.composite?.resource as K8sObject | undefined;
  if (!oxr) return fatal(rsp, "the request has no observed composite resource; Crossplane always sends one, so this caller is not Crossplane", "NoCompositeResource");
  const mod = KINDS[oxr.kind];
  if (!mod || oxr.apiVersion !== `platform.tessera.io/v1alpha1`) {
    return fatal(rsp, `cannot compose ${oxr.apiVersion} ${oxr.kind}: function-tessera composes platform.tessera.io/v1alpha1 ${Object.keys(KINDS).join(", ")}`, "UnknownKind");
  }
  const xr = { name: oxr.metadata?.name ?? "", namespace: oxr.metadata?.namespace ?? "" };
  const what = `${oxr.kind} ${xr.namespace}/${xr.name}`;
  try {
    const spec = mod.parse(oxr.spec);
    const observed = decodeObserved(req);
    refuseProviderSwitch(spec.provider, observed);

    const required: Record<string, K8sObject[]> = {};
    if (mod.requirements) {
      const selectors = mod.requirements(spec, xr);
      rsp.requirements = {
        extraResources: {},
        schemas: {},
        resources: Object.fromEntries(
          Object.entries(selectors).map(([k, s]) => [k, { apiVersion: s.apiVersion, kind: s.kind, matchName: s.name, namespace: s.namespace }]),
        ),
      };
      for (const name of Object.keys(selectors)) {
        const got = req.requiredResources?.[name];
        // Not fetched yet: Crossplane calls again with it. Return only the requirements until then.
        if (!got) return rsp;
        required[name] = got.items.map((i) => i.resource as K8sObject);
      }
    }
    const ctx = { xr, spec, observed, required };
    mod.validate?.(ctx);
    const out = mod.renderers[spec.provider](ctx);
    refuseStatefulDrop(mod.stateful, observed, out);
    apply(rsp, oxr, spec, observed, out);
    return rsp;
  } catch (e) {
    if (e instanceof SpecError) return fatal(rsp, `invalid ${what}: ${e.message}`, "InvalidSpec");
    const detail = e instanceof Error ? e.message : String(e);
    return fatal(rsp, `cannot compose ${what}: ${detail}. This is a bug in function-tessera; nothing was changed`, "InternalError");
  }
}

function refuseProviderSwitch(provider: Provider, observed: Record<string, ObservedResource>): void {
  const foreign = Object.entries(observed).filter(([, o]) => groupOf(o.resource).includes(".m.upbound.io") && !PROVIDER_GROUP[provider].test(groupOf(o.resource)));
  if (foreign.length === 0) return;
  const group = groupOf(foreign[0]![1].resource);
  const other = (Object.keys(PROVIDER_GROUP) as Provider[]).find((p) => PROVIDER_GROUP[p].test(group)) ?? group;
  throw SpecError.field(
    "spec.provider",
    `got ${JSON.stringify(provider)}, but this resource already runs on ${other} (${foreign.map(([k]) => k).slice(0, 3).join(", ")}); switching would delete those resources and their data`,
    `set spec.provider back to ${other}, or create a new resource on ${provider} and migrate`,
  );
}

function refuseStatefulDrop(stateful: readonly string[], observed: Record<string, ObservedResource>, out: Rendered): void {
  for (const [key, o] of Object.entries(observed)) {
    const kind = `${groupOf(o.resource)}/${o.resource.kind}`;
    if (stateful.includes(kind) && !out.resources[key] && !out.released.includes(key)) {
      throw new Error(`the renderer dropped stateful resource ${key} (${o.resource.kind}) without the spec removing it`);
    }
  }
}

function apply(rsp: RunFunctionResponse, oxr: K8sObject, spec: { provider: string; region: string }, observed: Record<string, ObservedResource>, out: Rendered): void {
  const unready: string[] = [];
  const unsynced: string[] = [];
  const resources = rsp.desired!.resources;
  for (const [key, resource] of Object.entries(out.resources)) {
    const o = observed[key];
    const ready = isReady(o);
    if (!ready) {
      const why = conditionOf(o?.resource, "Ready")?.reason;
      unready.push(o ? `${key}${why ? ` (${why})` : ""}` : `${key} (not created yet)`);
    }
    const synced = conditionOf(o?.resource, "Synced");
    if (synced?.status === "False") unsynced.push(`${key}: ${synced.message ?? synced.reason ?? "not synced"}`);
    resources[key] = { resource, connectionDetails: {}, ready: ready ? Ready.READY_TRUE : Ready.READY_FALSE } satisfies Resource;
  }

  const message = unsynced.length
    ? `Failing: ${unsynced.join("; ")}`
    : unready.length || out.pending.length
      ? `Waiting for ${[...unready, ...out.pending.map((p) => `${p} (after its dependencies)`)].slice(0, 4).join(", ")}${unready.length + out.pending.length > 4 ? ` and ${unready.length + out.pending.length - 4} more` : ""}`
      : "Available";

  rsp.desired!.composite = {
    resource: prune({ apiVersion: oxr.apiVersion, kind: oxr.kind, status: { provider: spec.provider, region: spec.region, ...out.status, message } }),
    connectionDetails: {},
    // Staged resources are not in desired state yet, so Crossplane alone would call the XR ready early.
    ready: out.pending.length ? Ready.READY_FALSE : Ready.READY_UNSPECIFIED,
  };
  rsp.conditions.push(
    unsynced.length
      ? { type: "ResourcesSynced", status: Status.STATUS_CONDITION_FALSE, reason: "ManagedResourceError", message: unsynced.join("; "), target: Target.TARGET_COMPOSITE }
      : { type: "ResourcesSynced", status: Status.STATUS_CONDITION_TRUE, reason: "AllSynced", message: "Every composed resource is synced with its cloud", target: Target.TARGET_COMPOSITE },
  );
}
