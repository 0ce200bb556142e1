/**
 * What Tessera installs into the new cluster, on both clouds, once the system pool is Ready: a
 * provider-kubernetes and a provider-helm ProviderConfig reading the cluster's admin kubeconfig
 * Secret (EKS: ClusterAuth's, whose token the provider refreshes; AKS: the cluster's admin kubeconfig,
 * azure.ts AKS_ADMIN_KUBECONFIG_KEY), the
 * namespaces of spec.namespaces as provider-kubernetes Objects, and Usages that keep the cluster
 * until each of them is gone (upbound/platform-ref-aws does the same with replayDeletion).
 *
 * While deletionProtection is on the cluster is orphaned on deletion, and so is what is inside it:
 * the Objects and Releases never delete (no Delete policy), so an orphaned cluster keeps its namespaces.
 */
import type { K8sClusterSpec } from "../../apis/k8s-cluster/schema.ts";
import { RETAIN } from "../shared/resources.ts";
import { LABELS } from "../shared/resources.ts";
import type { Composed, ForProvider, K8sObject, XrMeta } from "../shared/types.ts";
import type * as eks from "../crds/eks.aws.m.upbound.io.ts";
import type * as containerservice from "../crds/containerservice.azure.m.upbound.io.ts";
import type * as helm from "../crds/helm.m.crossplane.io.ts";
import type * as kubernetes from "../crds/kubernetes.m.crossplane.io.ts";
import { Stages, usage, type Ref } from "./common.ts";
import { CLUSTER } from "./names.ts";

export const HELM = "helm.m.crossplane.io/v1beta1";
export const KUBERNETES = "kubernetes.m.crossplane.io/v1alpha1";

/** What Tessera manages inside the new cluster: helm Releases and kubernetes Objects. */
type InClusterKind = helm.Release | kubernetes.Object;
type ProviderConfigKind = helm.ProviderConfig | kubernetes.ProviderConfig;
/** The cluster managed resources, whose Usages keep them while something runs in them. */
export type ClusterKind = eks.Cluster | containerservice.KubernetesCluster;

/** Explicit names: managed resources reference a ProviderConfig by name, so it cannot be generated. */
export const providerConfigName = (xr: XrMeta) => `${xr.name}-k8scluster`;
export const namespaceKey = (name: string) => `namespace-${name}`;

export interface InCluster {
  /** Secret (this namespace) and key holding an admin kubeconfig. */
  kubeconfig: { name: string; key: string };
  /** The cluster MR, for the Usages. */
  cluster: Omit<Ref<ClusterKind>, "key">;
  /** Whether the cluster can run workloads (its system pool is Ready). */
  ready: boolean;
}

function providerConfig(apiVersion: ProviderConfigKind["apiVersion"], key: string, xr: XrMeta, ic: InCluster): K8sObject {
  return {
    apiVersion,
    kind: "ProviderConfig",
    metadata: { name: providerConfigName(xr), labels: { [LABELS.resource]: key } },
    spec: { credentials: { source: "Secret", secretRef: { name: ic.kubeconfig.name, namespace: xr.namespace, key: ic.kubeconfig.key } } },
  } satisfies Composed<ProviderConfigKind>;
}

/**
 * An object managed by provider-kubernetes or provider-helm in the new cluster, typed by its kind
 * (`inCluster<helm.Release>(HELM, "Release", ...)`: forProvider is checked against the CRD; a call
 * without the type argument does not compile).
 */
export function inCluster<M extends InClusterKind = never>(apiVersion: M["apiVersion"], kind: M["kind"], key: string, xr: XrMeta, forProvider: ForProvider<M>, deletionProtection: boolean): K8sObject {
  return {
    apiVersion,
    kind,
    metadata: { labels: { [LABELS.resource]: key } },
    spec: {
      forProvider,
      // Checked against both kinds' fields (M is generic here, so the literal cannot be checked as a whole).
      providerConfigRef: { kind: "ProviderConfig", name: providerConfigName(xr) } satisfies InClusterKind["spec"]["providerConfigRef"],
      ...(deletionProtection ? { managementPolicies: RETAIN satisfies InClusterKind["spec"]["managementPolicies"] } : {}),
    },
  };
}

/** Adds the ProviderConfigs, the namespaces and their Usages to `s`. */
export function renderInCluster(s: Stages, xr: XrMeta, spec: K8sClusterSpec, ic: InCluster): void {
  s.gate("kubernetes-provider-config", ic.ready, () => providerConfig(KUBERNETES, "kubernetes-provider-config", xr, ic));
  s.gate("helm-provider-config", ic.ready, () => providerConfig(HELM, "helm-provider-config", xr, ic));
  const configured = s.ready("kubernetes-provider-config");
  for (const ns of spec.namespaces) {
    const key = namespaceKey(ns.name);
    s.gate(key, ic.ready && configured, () =>
      inCluster<kubernetes.Object>(KUBERNETES, "Object", key, xr, { manifest: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns.name, labels: ns.labels } } }, spec.deletionProtection),
    );
    keepCluster<kubernetes.Object>(s, key, ic, KUBERNETES, "Object", `namespace ${ns.name} lives in this cluster`);
  }
}

/** A Usage keeping the cluster until the in-cluster resource `key` is gone (only once that resource is desired). */
export function keepCluster<M extends InClusterKind = never>(s: Stages, key: string, ic: InCluster, apiVersion: M["apiVersion"], kind: M["kind"], reason: string): void {
  if (!s.resources[key]) return;
  s.add(`usage-${key}`, usage<ClusterKind, M>(`usage-${key}`, { ...ic.cluster, key: CLUSTER }, { apiVersion, kind, key }, reason));
}
