/**
 * Builders for composed resources. Renderers describe forProvider; these add what every composed
 * resource needs (identity label, tags policy, no undefined values) so no renderer repeats it.
 */
import type { Secret } from "../crds/core.ts";
import type { Composed, ForProvider, InitProvider, K8sObject, ManagedKind, Obj, ObservedResource, Untyped } from "./types.ts";

export const LABELS = {
  /** The composed-resource key; selectors with matchControllerRef use it to wire resources of one XR. */
  resource: "platform.tessera.io/resource",
  /** Set on a Network's resources so other XRs in the namespace can select them. */
  network: "platform.tessera.io/network",
  tier: "platform.tessera.io/tier",
} as const;

/** Removes undefined values: protobuf Struct cannot carry them, and SSA would read null as "unset it". */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(compact) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value as Obj)) if (v !== undefined) out[k] = compact(v);
  return out as T;
}

export interface ManagedOptions<I extends object = Obj> {
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  /** Name of the Secret (in the XR's namespace) the provider writes connection details to. */
  connectionSecret?: string | undefined;
  managementPolicies?: string[] | undefined;
  /** Fields set only at creation, so the provider may change them afterwards (e.g. failover zone). */
  initProvider?: I | undefined;
}

/**
 * Undefined values in forProvider are left in place: the protocol codec skips them (a Struct cannot
 * carry them), so walking every resource to drop them would be work on the hot path for nothing.
 *
 * Typed by the kind's generated descriptor (functions/crds, `npm run generate:types`):
 * `managed<rds.Instance>(RDS, "Instance", key, {...})` makes tsc refuse an apiVersion or kind that
 * is not the descriptor's, a forProvider or initProvider field the CRD does not have, and a value
 * of the wrong shape. Without a type argument it takes any object, as before (Untyped).
 */
export function managed<M extends ManagedKind = Untyped>(apiVersion: M["apiVersion"], kind: M["kind"], key: string, forProvider: ForProvider<M>, opts: ManagedOptions<InitProvider<M>> = {}): K8sObject {
  // Assembled field by field (same fields, same order as spreads would give): this runs for every
  // composed resource on every call, and each conditional spread built a throwaway object.
  const labels: Record<string, string> = { [LABELS.resource]: key };
  if (opts.labels) for (const k of Object.keys(opts.labels)) labels[k] = opts.labels[k]!;
  const metadata: NonNullable<K8sObject["metadata"]> = { labels };
  if (opts.annotations) metadata.annotations = opts.annotations;
  const spec: Obj = { forProvider };
  if (opts.initProvider) spec["initProvider"] = opts.initProvider;
  if (opts.managementPolicies) spec["managementPolicies"] = opts.managementPolicies;
  if (opts.connectionSecret) spec["writeConnectionSecretToRef"] = { name: opts.connectionSecret };
  return { apiVersion, kind, metadata, spec };
}

/**
 * A managed resource's `*Selector` (e.g. forProvider.subnetIdSelector), as every generated CRD type
 * has it: typed, not Obj, so that a selector fits a typed forProvider. A type literal, not an
 * interface, so it still passes where code expects an Obj.
 */
export type ResourceSelector = {
  matchControllerRef?: boolean;
  matchLabels: Record<string, string>;
};

/** Selects a resource composed by the same XR, by its key. */
export function own(key: string): ResourceSelector {
  return { matchControllerRef: true, matchLabels: { [LABELS.resource]: key } };
}

/** Selects resources of a Tessera Network (in the same namespace) by tier or key. */
export function ofNetwork(network: string, match: { tier?: string; resource?: string }): ResourceSelector {
  return {
    matchLabels: compact({ [LABELS.network]: network, [LABELS.tier]: match.tier, [LABELS.resource]: match.resource }) as Record<string, string>,
  };
}

/**
 * Management policies that never delete the external resource: deleting the XR orphans it. Typed by
 * the values every CRD's managementPolicies enum has, so it fits a typed spec (provider-helm Release).
 */
export const RETAIN: Array<"Observe" | "Create" | "Update" | "LateInitialize"> = ["Observe", "Create", "Update", "LateInitialize"];

/** A connection Secret: `data` is base64 of each UTF-8 value, as the core v1 Secret type says. */
export function secret(name: string, data: Record<string, string>): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, labels: { [LABELS.resource]: "connection-secret" } },
    type: "Opaque",
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "utf8").toString("base64")])),
  } satisfies Composed<Secret>;
}

/** compact, and also drops objects left empty: status shows a field only once something fills it. */
export function prune<T>(value: T): T {
  if (Array.isArray(value)) return value.map(prune) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value as Obj)) {
    const p = prune(v);
    if (p === undefined || (p !== null && typeof p === "object" && !Array.isArray(p) && Object.keys(p).length === 0)) continue;
    out[k] = p;
  }
  return out as T;
}

/**
 * The connection Secret as last observed, under `name`: a Secret that exists is never dropped from
 * desired state (that would delete it) even while an input it is computed from is briefly unreadable.
 */
export function keptSecret(observed: ObservedResource | undefined, name: string): K8sObject | undefined {
  const data = (observed?.resource as { data?: Record<string, string> } | undefined)?.data;
  if (!data) return undefined;
  const kept = secret(name, {});
  kept["data"] = data;
  return kept;
}
