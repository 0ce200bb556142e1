/**
 * Which provider credentials (ProviderConfig) an XR's managed resources use: one cloud account or
 * subscription per namespace, or per XR, without a field in any kind's spec.
 *
 * - Per namespace: a namespaced ProviderConfig named `default` (aws.m.upbound.io or
 *   azure.m.upbound.io, v1beta1) in the XR's namespace is used by every XR created there.
 * - Per XR: the label `platform.tessera.io/provider-config: NAME` on the XR names another
 *   ProviderConfig in the XR's own namespace.
 * - Otherwise the providers' default, ClusterProviderConfig `default`.
 *
 * Only namespaced ProviderConfigs can be chosen: app teams write XRs, and letting an XR name any
 * cluster-wide config would let one team's XR use another team's account. Which ProviderConfigs exist
 * in a namespace is the platform team's RBAC decision.
 *
 * A live XR keeps the config its resources were created with: moving a managed resource to another
 * config points it at another account, where the provider would create a second one and lose track
 * of the first. So a namespace `default` added later applies to new XRs only (a warning says so), and
 * a label that asks a live XR to move is refused.
 */
import type { Provider } from "../../apis/shared/common.ts";
import { SpecError } from "./errors.ts";
import type { K8sObject, ObservedResource, Selector, XrMeta } from "./types.ts";

export const PROVIDER_CONFIG_LABEL = "platform.tessera.io/provider-config";
/** The requirement name fn.ts asks Crossplane for the ProviderConfig under (no kind uses it). */
export const PROVIDER_CONFIG_REQUIREMENT = "tessera-provider-config";
export const NAMESPACE_DEFAULT = "default";

export interface ProviderConfigRef {
  kind: "ProviderConfig" | "ClusterProviderConfig";
  name: string;
}

/** What the API server defaults spec.providerConfigRef of a namespaced managed resource to. */
export const PROVIDER_DEFAULT: ProviderConfigRef = { kind: "ClusterProviderConfig", name: "default" };

const isManaged = (o: K8sObject) => /\.m\.upbound\.io\//.test(o.apiVersion);
const same = (a: ProviderConfigRef, b: ProviderConfigRef) => a.kind === b.kind && a.name === b.name;
const show = (r: ProviderConfigRef) => `${r.kind} ${r.name}`;

/** The ProviderConfig to fetch: the XR's label, else the namespace's `default`. */
export function providerConfigSelector(provider: Provider, xr: XrMeta, labels: Record<string, string> | undefined): Selector {
  return { apiVersion: `${provider}.m.upbound.io/v1beta1`, kind: "ProviderConfig", name: labels?.[PROVIDER_CONFIG_LABEL] ?? NAMESPACE_DEFAULT, namespace: xr.namespace };
}

/**
 * The ref every managed resource of this XR gets, and a warning when a live XR stays on its old
 * config. `found` is what Crossplane fetched for providerConfigSelector (empty: none exists).
 */
export function chooseProviderConfig(
  provider: Provider,
  xr: XrMeta,
  labels: Record<string, string> | undefined,
  found: K8sObject[],
  observed: Record<string, ObservedResource>,
): { ref: ProviderConfigRef; warning?: string } {
  const label = labels?.[PROVIDER_CONFIG_LABEL];
  const field = `metadata.labels["${PROVIDER_CONFIG_LABEL}"]`;
  if (label !== undefined && found.length === 0) {
    throw SpecError.field(field, `ProviderConfig ${JSON.stringify(label)} (${provider}.m.upbound.io) does not exist in namespace ${xr.namespace}`, "ask the platform team to create it there, or remove the label to use the namespace's default");
  }
  const wanted: ProviderConfigRef = found.length ? { kind: "ProviderConfig", name: label ?? NAMESPACE_DEFAULT } : PROVIDER_DEFAULT;
  const live = Object.entries(observed).filter(([, o]) => isManaged(o.resource));
  if (live.length === 0) return { ref: wanted };
  const current = ((live[0]![1].resource.spec as { providerConfigRef?: ProviderConfigRef } | undefined)?.providerConfigRef) ?? PROVIDER_DEFAULT;
  if (same(current, wanted)) return { ref: current };
  if (label !== undefined) {
    throw SpecError.field(
      field,
      `got ${JSON.stringify(label)}, but this XR's resources (${live.slice(0, 3).map(([k]) => k).join(", ")}) were created with ${show(current)}; moving them would point them at other credentials, where the provider would create new ones and lose track of these`,
      `set the label back${current.kind === "ProviderConfig" ? ` to ${current.name}` : " (remove it)"}, or create a new XR with this label and migrate`,
    );
  }
  return { ref: current, warning: `keeps ${show(current)}, which its resources were created with; ${show(wanted)} in namespace ${xr.namespace} applies to new XRs` };
}

/** Sets spec.providerConfigRef on every managed resource (left unset for the providers' default). */
export function applyProviderConfig(resources: Record<string, K8sObject>, ref: ProviderConfigRef): void {
  if (same(ref, PROVIDER_DEFAULT)) return;
  for (const r of Object.values(resources)) {
    if (isManaged(r) && r.spec) r.spec = { ...r.spec, providerConfigRef: { kind: ref.kind, name: ref.name } };
  }
}
