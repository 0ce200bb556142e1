/**
 * What Tessera installs into the new cluster, on both clouds, once the system pool is Ready: a
 * provider-kubernetes and a provider-helm ProviderConfig reading the cluster's admin kubeconfig
 * Secret (EKS: ClusterAuth's, whose token the provider refreshes; AKS: the cluster's admin kubeconfig,
 * azure.ts AKS_ADMIN_KUBECONFIG_KEY), the
 * namespaces of spec.namespaces as provider-kubernetes Objects, and Usages that keep the cluster
 * until each of them is gone (upbound/platform-ref-aws does the same with replayDeletion).
 *
 * When a pool is a GPU pool, NVIDIA's device plugin as a provider-helm Release on both clouds (see
 * renderDevicePlugin). Where the cloud has no encrypted default StorageClass (EKS), one as a
 * provider-kubernetes Object (see renderDefaultStorageClass).
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
import { gpuTolerations, Stages, usage, type Ref } from "./common.ts";
import { CLUSTER, DEVICE_PLUGIN, storageClassKey } from "./names.ts";
import { DEFAULT_STORAGE_CLASS, DEVICE_PLUGIN_HOST_NETWORK, GPU_NODE_SELECTOR, isGpuPool, NVIDIA_DEVICE_PLUGIN } from "./tables.ts";

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
  renderDevicePlugin(s, xr, spec, ic);
}

/**
 * NVIDIA's device plugin, when any pool is a GPU pool: without it GPU nodes never advertise
 * nvidia.com/gpu and GPU pods stay Pending while the autoscaler may add GPU nodes for them (tables.ts
 * NVIDIA_DEVICE_PLUGIN says why neither cloud runs it).
 *
 * Staged like the autoscaler, after the system pool and the helm ProviderConfig, not after a GPU
 * pool: it is a DaemonSet, which installs with no matching node and places a pod on each GPU node
 * as it joins, so it is there before the first one (GPU pools often start at 0 nodes, and a pool
 * going Ready says nothing about the plugin). Waiting for a GPU pool would leave a window of GPU nodes
 * without it, and pick one pool among several. Its gate tests its own key, so it stays once it exists.
 *
 * Values override the chart's scheduling and, on EKS, its network:
 * - affinity: the chart's default needs node-feature-discovery labels (feature.node.kubernetes.io/
 *   pci-10de.present) or nvidia.com/gpu.present, which neither cloud sets and Tessera does not install,
 *   so it would match no node. Helm replaces lists, so this nodeSelectorTerm replaces the chart's:
 *   GPU nodes by a label each cloud sets itself (GPU_NODE_SELECTOR: the GPU pools' node group names
 *   on EKS, the accelerator label on AKS, which survives a pool's rotation through its temporary pool).
 * - devicePlugin.enableHostNetwork on EKS (DEVICE_PLUGIN_HOST_NETWORK): no VPC address per GPU node.
 * - tolerations (common.ts gpuTolerations): the keys of the GPU pools' taints, AKS's spot taint on
 *   spot GPU pools, and nvidia.com/gpu (the chart's default), each with any value and effect, as
 *   eksctl tolerates its NVIDIA node groups' taints (eksctl-io/eksctl#8627, pkg/addons/device_plugin.go
 *   SetTolerations). The chart's CriticalAddonsOnly toleration is kept only when a GPU pool carries
 *   that taint (an EKS system pool on GPUs; AKS refuses a GPU system pool): the pods run on GPU pools
 *   only, so tolerating more would change nothing but hide what they need.
 */
export function renderDevicePlugin(s: Stages, xr: XrMeta, spec: K8sClusterSpec, ic: InCluster): void {
  const gpuPools = spec.nodePools.filter((p) => isGpuPool(spec.provider, p.instanceType));
  if (!gpuPools.length) return;
  const chart = spec.gpu.devicePlugin.chart;
  const selector = GPU_NODE_SELECTOR[spec.provider];
  s.gate(DEVICE_PLUGIN, ic.ready && s.ready("helm-provider-config"), () =>
    inCluster<helm.Release>(HELM, "Release", DEVICE_PLUGIN, xr, {
      chart: { name: NVIDIA_DEVICE_PLUGIN.chart, repository: chart.repository, version: chart.version },
      namespace: NVIDIA_DEVICE_PLUGIN.namespace,
      values: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: selector.key, operator: "In", values: selector.values(gpuPools.map((p) => p.name)) }] }],
            },
          },
        },
        tolerations: gpuTolerations(spec.provider, gpuPools),
        ...(DEVICE_PLUGIN_HOST_NETWORK[spec.provider] ? { devicePlugin: { enableHostNetwork: true } } : {}),
      },
    }, spec.deletionProtection),
  );
  keepCluster<helm.Release>(s, DEVICE_PLUGIN, ic, HELM, "Release", "NVIDIA's device plugin runs in this cluster");
}

/** The annotation that makes a StorageClass the default for claims without storageClassName. */
export const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

/**
 * The cloud's encrypted default StorageClass (tables.ts DEFAULT_STORAGE_CLASS says which and why),
 * as a provider-kubernetes Object like the namespaces, once `driverReady` (its CSI driver runs: a
 * class without its driver leaves claims Pending) and the kubernetes ProviderConfig is Ready. Its gate
 * tests its own key, so it stays when the driver or the system pool goes un-Ready.
 *
 * Marked default. EKS's gp2 class is not default on clusters created at 1.30 or later, and Tessera
 * never touches it (EKS applies it; patching it would fight EKS, and deleting it would break claims
 * that name it). Where another default exists anyway (a gp2 class annotated before 1.30, or a
 * user's), Kubernetes gives claims without storageClassName "the most recently created default
 * StorageClass" (kubernetes.io/docs/concepts/storage/storage-classes, "Default StorageClass"; before
 * 1.26 two defaults refused such claims), which is this one on a new cluster.
 *
 * Everything in the manifest but metadata is immutable in Kubernetes (parameters, provisioner,
 * reclaimPolicy, volumeBindingMode: ValidateStorageClassUpdate), so the class is fixed data, never
 * derived from the spec; another class would be a new name and key.
 */
export function renderDefaultStorageClass(s: Stages, xr: XrMeta, spec: K8sClusterSpec, ic: InCluster, driverReady: boolean): void {
  const sc = DEFAULT_STORAGE_CLASS[spec.provider];
  if (!sc) return;
  const key = storageClassKey(sc.name);
  s.gate(key, ic.ready && s.ready("kubernetes-provider-config") && driverReady, () =>
    inCluster<kubernetes.Object>(KUBERNETES, "Object", key, xr, {
      manifest: {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: sc.name, annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" } },
        provisioner: sc.provisioner,
        parameters: sc.parameters,
        reclaimPolicy: sc.reclaimPolicy,
        volumeBindingMode: sc.volumeBindingMode,
        allowVolumeExpansion: sc.allowVolumeExpansion,
      },
    }, spec.deletionProtection),
  );
  keepCluster<kubernetes.Object>(s, key, ic, KUBERNETES, "Object", `StorageClass ${sc.name} lives in this cluster`);
}

/** A Usage keeping the cluster until the in-cluster resource `key` is gone (only once that resource is desired). */
export function keepCluster<M extends InClusterKind = never>(s: Stages, key: string, ic: InCluster, apiVersion: M["apiVersion"], kind: M["kind"], reason: string): void {
  if (!s.resources[key]) return;
  s.add(`usage-${key}`, usage<ClusterKind, M>(`usage-${key}`, { ...ic.cluster, key: CLUSTER }, { apiVersion, kind, key }, reason));
}
