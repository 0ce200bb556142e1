/**
 * RunFunction: the only place that speaks the function protocol. It parses the XR once, asks for the
 * resources the kind requires, calls the kind's pure renderer for spec.provider, and turns the result
 * into desired state, readiness, status and conditions. Anything it refuses becomes one fatal result,
 * which Crossplane applies nothing from, so a refusal can never delete a resource.
 */
import type { Resource, RunFunctionRequest, RunFunctionResponse } from "@crossplane-org/function-sdk-typescript";
import { Ready, Severity, Status, Target } from "./runtime/wire.ts";
import type { Provider } from "../apis/shared/common.ts";
import { network } from "./network/index.ts";
import { postgresDatabase } from "./postgres-database/index.ts";
import { redisCluster } from "./redis-cluster/index.ts";
import { SpecError } from "./shared/errors.ts";
import { conditionOf, isReady } from "./shared/observed.ts";
import { applyProviderConfig, chooseProviderConfig, PROVIDER_CONFIG_REQUIREMENT, providerConfigSelector } from "./shared/provider-config.ts";
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

/**
 * Longest message the function puts in a result or condition. Crossplane copies them into the XR's
 * status and events, and the function logs refusals: one provider error or a spec with 10,000
 * subnets once made a 355 KB message. Past this they are cut, saying so.
 */
export const MAX_MESSAGE = 500;
/** Longest text one composed resource's problem takes in a list of them. */
export const MAX_ITEM = 160;

export function clip(s: string, max = MAX_MESSAGE): string {
  if (s.length <= max) return s;
  // The suffix's length depends on the count it states; digits of s.length are enough for both.
  const keep = max - `… ( more chars)`.length - String(s.length).length;
  return `${s.slice(0, keep)}… (${s.length - keep} more chars)`;
}

function fatal(rsp: RunFunctionResponse, message: string, reason: string): RunFunctionResponse {
  rsp.results.push({ severity: Severity.SEVERITY_FATAL, message: clip(message), reason, target: Target.TARGET_COMPOSITE });
  return rsp;
}

/** Crossplane's Capability enum (run_function.proto): what the caller says it supports. */
const CAPABILITY_CAPABILITIES = 1;
const CAPABILITY_REQUIRED_RESOURCES = 2;

/**
 * The answer while required resources are not fetched yet. Crossplane normally calls again at once
 * with them and uses only that answer; but if it ever took this one, an empty desired state would
 * delete everything a live XR composed. So every observed composed resource is returned as it is
 * (its spec as observed, already applied), and a caller that says it cannot fetch resources gets a
 * fatal result, which Crossplane applies nothing from.
 */
function awaitingRequired(rsp: RunFunctionResponse, req: RunFunctionRequest, observed: Record<string, ObservedResource>, what: string, name: string): RunFunctionResponse {
  const caps = req.meta?.capabilities ?? [];
  if (caps.includes(CAPABILITY_CAPABILITIES) && !caps.includes(CAPABILITY_REQUIRED_RESOURCES)) {
    return fatal(rsp, `cannot compose ${what}: it needs required resources (${name}), and this Crossplane does not fetch them; upgrade Crossplane to v2`, "RequiredResourcesUnsupported");
  }
  for (const [key, o] of Object.entries(observed)) {
    if (rsp.desired!.resources[key]) continue;
    // Everything but status (a subresource, never applied): spec, and a Secret's data and type, as
    // they are, so applying this changes nothing. Metadata is what the codec decodes of it.
    const { status: _status, ...keep } = o.resource;
    rsp.desired!.resources[key] = { resource: keep as unknown as Resource["resource"], connectionDetails: {}, ready: isReady(o) ? Ready.READY_TRUE : Ready.READY_FALSE };
  }
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
    {
      // Every kind's own requirements, and the ProviderConfig its managed resources use (shared/provider-config.ts).
      const selectors = { ...mod.requirements?.(spec, xr), [PROVIDER_CONFIG_REQUIREMENT]: providerConfigSelector(spec.provider, xr, oxr.metadata?.labels) };
      rsp.requirements = {
        extraResources: {},
        schemas: {},
        resources: Object.fromEntries(
          Object.entries(selectors).map(([k, s]) => [k, { apiVersion: s.apiVersion, kind: s.kind, matchName: s.name, namespace: s.namespace }]),
        ),
      };
      for (const name of Object.keys(selectors)) {
        const got = req.requiredResources?.[name];
        // Not fetched yet: Crossplane calls again with it.
        if (!got) return awaitingRequired(rsp, req, observed, what, name);
        required[name] = got.items.map((i) => i.resource as K8sObject);
      }
    }
    const { [PROVIDER_CONFIG_REQUIREMENT]: providerConfigs = [], ...kindRequired } = required;
    const config = chooseProviderConfig(spec.provider, xr, oxr.metadata?.labels, providerConfigs, observed);
    const ctx = { xr, spec, observed, required: kindRequired };
    mod.validate?.(ctx);
    const out = mod.renderers[spec.provider](ctx);
    refuseStatefulDrop(mod.stateful, observed, out);
    applyProviderConfig(out.resources, config.ref);
    if (config.warning) rsp.results.push({ severity: Severity.SEVERITY_WARNING, message: clip(config.warning), reason: "ProviderConfigKept", target: Target.TARGET_COMPOSITE });
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
      unready.push(clip(o ? `${key}${why ? ` (${why})` : ""}` : `${key} (not created yet)`, MAX_ITEM));
    }
    const synced = conditionOf(o?.resource, "Synced");
    // A provider's message is the cloud's error verbatim, sometimes kilobytes of it.
    if (synced?.status === "False") unsynced.push(clip(`${key}: ${synced.message ?? synced.reason ?? "not synced"}`, MAX_ITEM));
    resources[key] = { resource, connectionDetails: {}, ready: ready ? Ready.READY_TRUE : Ready.READY_FALSE } satisfies Resource;
  }

  // The MESSAGE printer column: short enough for `kubectl get` (a count and the first item); the
  // full lists are in the ResourcesSynced and ResourcesReady conditions (`kubectl describe`).
  const waiting = [...unready, ...out.pending.map((p) => `${p} (after its dependencies)`)];
  const short = (verb: string, items: string[]) =>
    items.length === 1 ? `${verb} ${clip(items[0]!, 80)}` : `${verb} ${items.length} resources: ${clip(items[0]!, 60)} and ${items.length - 1} more`;
  const message = unsynced.length ? short("Failing:", unsynced) : waiting.length ? short("Waiting for", waiting) : "Available";

  rsp.desired!.composite = {
    resource: prune({ apiVersion: oxr.apiVersion, kind: oxr.kind, status: { provider: spec.provider, region: spec.region, ...out.status, message } }),
    connectionDetails: {},
    // Staged resources are not in desired state yet, so Crossplane alone would call the XR ready early.
    ready: out.pending.length ? Ready.READY_FALSE : Ready.READY_UNSPECIFIED,
  };
  rsp.conditions.push(
    unsynced.length
      ? { type: "ResourcesSynced", status: Status.STATUS_CONDITION_FALSE, reason: "ManagedResourceError", message: clip(unsynced.join("; ")), target: Target.TARGET_COMPOSITE }
      : { type: "ResourcesSynced", status: Status.STATUS_CONDITION_TRUE, reason: "AllSynced", message: "Every composed resource is synced with its cloud", target: Target.TARGET_COMPOSITE },
    waiting.length
      ? { type: "ResourcesReady", status: Status.STATUS_CONDITION_FALSE, reason: "Waiting", message: clip(`Waiting for ${waiting.length}: ${waiting.join(", ")}`), target: Target.TARGET_COMPOSITE }
      : { type: "ResourcesReady", status: Status.STATUS_CONDITION_TRUE, reason: "AllReady", message: "Every composed resource is ready", target: Target.TARGET_COMPOSITE },
  );
}
