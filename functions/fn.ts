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
import { messageQueue } from "./message-queue/index.ts";
import { k8sCluster } from "./k8s-cluster/index.ts";
import { SpecError } from "./shared/errors.ts";
import { conditionOf, isReady } from "./shared/observed.ts";
import { applyProviderConfig, chooseProviderConfig, PROVIDER_CONFIG_REQUIREMENT, providerConfigSelector } from "./shared/provider-config.ts";
import { prune } from "./shared/resources.ts";
import { parsePlatform, PLATFORM_REQUIREMENT, platformSelector } from "./shared/platform.ts";
import type { K8sObject, KindModule, ObservedObject, ObservedResource, Rendered, Selector } from "./shared/types.ts";

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
  MessageQueue: erase(messageQueue),
  K8sCluster: erase(k8sCluster),
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
  const uid = oxr.metadata?.["uid"];
  const xr = { name: oxr.metadata?.name ?? "", namespace: oxr.metadata?.namespace ?? "", ...(typeof uid === "string" && uid ? { uid } : {}) };
  const what = `${oxr.kind} ${xr.namespace}/${xr.name}`;
  try {
    refuseLongName(xr.name);
    const spec = mod.parse(oxr.spec);
    const observed = decodeObserved(req);
    refuseProviderSwitch(spec.provider, observed);
    refuseRegionChange(spec.region, oxr, observed);

    const required: Record<string, K8sObject[]> = {};
    const secrets = mod.secrets?.(spec, xr) ?? [];
    {
      // Every kind's own requirements, the Secrets it writes under names the user chose (to check they
      // are its own), the ProviderConfig its managed resources use (shared/provider-config.ts), and the
      // platform EnvironmentConfig when the kind renders a firewall Crossplane must pass (shared/platform.ts).
      const selectors = {
        ...mod.requirements?.(spec, xr),
        ...secretRequirements(secrets, xr.namespace),
        [PROVIDER_CONFIG_REQUIREMENT]: providerConfigSelector(spec.provider, xr, oxr.metadata?.labels),
        ...(mod.platform?.(spec) ? { [PLATFORM_REQUIREMENT]: platformSelector } : {}),
      };
      rsp.requirements = {
        extraResources: {},
        schemas: {},
        resources: Object.fromEntries(
          Object.entries(selectors).map(([k, s]) => [
            k,
            s.matchLabels
              ? { apiVersion: s.apiVersion, kind: s.kind, matchLabels: { labels: s.matchLabels }, namespace: s.namespace }
              : { apiVersion: s.apiVersion, kind: s.kind, matchName: s.name, namespace: s.namespace },
          ]),
        ),
      };
      for (const name of Object.keys(selectors)) {
        const got = req.requiredResources?.[name];
        // Not fetched yet: Crossplane calls again with it.
        if (!got) return awaitingRequired(rsp, req, observed, what, name);
        required[name] = got.items.map((i) => i.resource as K8sObject);
      }
    }
    refuseForeignSecrets(secrets, required, oxr);
    const { [PROVIDER_CONFIG_REQUIREMENT]: providerConfigs = [], [PLATFORM_REQUIREMENT]: platformConfigs, ...kindRequired } = required;
    const config = chooseProviderConfig(spec.provider, xr, oxr.metadata?.labels, providerConfigs, observed);
    const ctx = { xr, spec, observed, required: kindRequired, ...(platformConfigs ? { platform: parsePlatform(platformConfigs) } : {}) };
    mod.validate?.(ctx);
    const out = mod.renderers[spec.provider](ctx);
    refuseStatefulDrop(mod.stateful, observed, out);
    applyProviderConfig(out.resources, config.ref);
    if (config.warning) rsp.results.push({ severity: Severity.SEVERITY_WARNING, message: clip(config.warning), reason: "ProviderConfigKept", target: Target.TARGET_COMPOSITE });
    apply(rsp, oxr, spec, observed, out);
    for (const message of out.warnings ?? []) {
      rsp.results.push({ severity: Severity.SEVERITY_WARNING, message: clip(message), reason: "Warning", target: Target.TARGET_COMPOSITE });
    }
    sayReleased(rsp, observed, out);
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

/**
 * Crossplane caps XR names at 63 characters because the name is a label value (LABELS.network and
 * crossplane.io/composite). Offline render sees no API server, so the function says it too.
 */
function refuseLongName(name: string): void {
  if (name.length > 63) {
    throw SpecError.field("metadata.name", `got ${JSON.stringify(name)} (${name.length} characters); Tessera resources are named in labels, which hold at most 63`, "use a name of at most 63 characters");
  }
}

/**
 * The XRD makes spec.region immutable; this is the same rule where no API server runs (offline render,
 * a relaxed XRD). The function writes status.region on every call, so a different spec.region over
 * live composed resources is a move, which would replace every resource and its data.
 */
function refuseRegionChange(region: string, oxr: K8sObject, observed: Record<string, ObservedResource>): void {
  const was = (oxr.status as { region?: unknown } | undefined)?.region;
  if (typeof was !== "string" || was === region || Object.keys(observed).length === 0) return;
  throw SpecError.field(
    "spec.region",
    `got ${JSON.stringify(region)}, but this resource already runs in ${was}; moving would replace every resource and its data`,
    `set spec.region back to ${was}, or create a new resource in ${region} and migrate`,
  );
}

const SECRET_REQUIREMENT = "tessera-owned-secret-";

function secretRequirements(secrets: Array<{ name: string }>, namespace: string): Record<string, Selector> {
  const out: Record<string, Selector> = {};
  secrets.forEach((s, i) => (out[`${SECRET_REQUIREMENT}${i}`] = { apiVersion: "v1", kind: "Secret", name: s.name, namespace }));
  return out;
}

/**
 * A Secret the XR is about to write must be absent or already its own. Crossplane applies composed
 * resources with force ownership: naming someone else's Secret would overwrite it, make this XR its
 * controller and delete it with this XR. "Its own" is the controller owner reference Crossplane puts
 * on composed resources (matched by uid when the XR has one, by kind and name offline).
 */
function refuseForeignSecrets(secrets: Array<{ field: string; name: string }>, required: Record<string, K8sObject[]>, oxr: K8sObject): void {
  secrets.forEach((s, i) => {
    const found = required[`${SECRET_REQUIREMENT}${i}`]?.[0];
    if (!found) return;
    const refs = (found.metadata?.["ownerReferences"] ?? []) as Array<{ kind?: string; name?: string; uid?: string; controller?: boolean }>;
    const controller = refs.find((r) => r.controller);
    const uid = oxr.metadata?.["uid"];
    const mine = controller !== undefined && (typeof uid === "string" && controller.uid ? controller.uid === uid : controller.kind === oxr.kind && controller.name === oxr.metadata?.name);
    if (mine) return;
    const owner = controller ? `${controller.kind ?? "resource"} ${controller.name ?? ""}`.trim() : "nothing Tessera composed (created by hand, by a provider or by another tool)";
    throw SpecError.field(
      s.field,
      `got ${JSON.stringify(s.name)}, but Secret ${s.name} already exists in this namespace and belongs to ${owner}; writing it would overwrite it and delete it with this resource`,
      "choose a name no other Secret has, or remove the field to use the default",
    );
  });
}

function refuseStatefulDrop(stateful: readonly string[], observed: Record<string, ObservedResource>, out: Rendered): void {
  for (const [key, o] of Object.entries(observed)) {
    const kind = `${groupOf(o.resource)}/${o.resource.kind}`;
    if (stateful.includes(kind) && !out.resources[key] && !out.released.includes(key)) {
      throw new Error(`the renderer dropped stateful resource ${key} (${o.resource.kind}) without the spec removing it`);
    }
  }
}

/**
 * A resource the spec deliberately removed (a queue, a replica) leaves desired state, and Crossplane
 * deletes its managed resource. Say so, and say whether the cloud resource goes with it: management
 * policies without Delete (deletionProtection) orphan it with its data.
 */
function sayReleased(rsp: RunFunctionResponse, observed: Record<string, ObservedResource>, out: Rendered): void {
  for (const key of out.released) {
    const o = observed[key];
    if (!o) continue;
    const policies = o.resource.spec?.["managementPolicies"] as string[] | undefined;
    const kept = Array.isArray(policies) && !policies.includes("*") && !policies.includes("Delete");
    rsp.results.push({
      severity: Severity.SEVERITY_WARNING,
      message: clip(`${o.resource.kind} ${key} is no longer in the spec, so it leaves desired state: ${kept ? "its management policies omit Delete (deletionProtection), so the cloud resource and its data are kept, orphaned: it keeps running (and billing) until you delete it in the cloud" : "Crossplane deletes it in the cloud, with its data"}`),
      reason: "ResourceReleased",
      target: Target.TARGET_COMPOSITE,
    });
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
  // What the XR awaits from outside comes first: it says why the pending resources still wait.
  const waiting = [...(out.awaiting ?? []), ...unready, ...out.pending.map((p) => `${p} (after its dependencies)`)];
  const short = (verb: string, items: string[]) =>
    items.length === 1 ? `${verb} ${clip(items[0]!, 80)}` : `${verb} ${items.length} resources: ${clip(items[0]!, 60)} and ${items.length - 1} more`;
  const message = unsynced.length ? short("Failing:", unsynced) : waiting.length ? short("Waiting for", waiting) : "Available";

  rsp.desired!.composite = {
    resource: prune({ apiVersion: oxr.apiVersion, kind: oxr.kind, status: { provider: spec.provider, region: spec.region, ...out.status, message } }),
    connectionDetails: {},
    // Staged resources are not in desired state yet, and what another XR must grant is no resource
    // here, so Crossplane alone would call the XR ready early.
    ready: out.pending.length || out.awaiting?.length ? Ready.READY_FALSE : Ready.READY_UNSPECIFIED,
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
