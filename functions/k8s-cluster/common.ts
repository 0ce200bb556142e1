/**
 * What both renderers share: the stage gate, the management policies of node resources, Usages,
 * version handling, per-pool status and the Network facts (CIDRs, private subnets) they check against.
 */
import type { K8sClusterSpec, NodePool } from "../../apis/k8s-cluster/schema.ts";
import type { Provider } from "../../apis/shared/common.ts";
import { isReady } from "../shared/observed.ts";
import { LABELS } from "../shared/resources.ts";
import { PLATFORM_CONFIG_NAME } from "../shared/platform.ts";
import { USAGE_API_VERSION } from "../shared/usage.ts";
import type { Composed, K8sObject, ObservedResource, RenderContext } from "../shared/types.ts";
import type { Usage } from "../crds/protection.crossplane.io.ts";
import { DEVICE_PLUGIN, NETWORK, poolKey } from "./names.ts";
import { AKS_SPOT_TAINT, isGpuPool, NVIDIA_DEVICE_PLUGIN, supportOn } from "./tables.ts";

/**
 * Staged creation. A resource enters desired state once `ready` (its dependencies are Ready and
 * whatever it copies from them is known), and stays there once it exists: the gate tests the gated
 * resource's own key, so a dependency that stops being Ready (every node-group update) never drops
 * it (upbound/configuration-aws-eks:functions/eks/main.k tested the wrong key and deleted an add-on).
 */
export class Stages {
  readonly resources: Record<string, K8sObject> = {};
  readonly pending: string[] = [];
  constructor(private readonly observed: Record<string, ObservedResource>) {}

  exists(key: string): boolean {
    return this.observed[key] !== undefined;
  }

  ready(key: string): boolean {
    return isReady(this.observed[key]);
  }

  /** Adds `build()` under `key` if it already exists or `ready` holds; otherwise records it as pending. */
  gate(key: string, ready: boolean, build: () => K8sObject | undefined): void {
    const r = this.exists(key) || ready ? build() : undefined;
    if (r) this.resources[key] = r;
    else this.pending.push(key);
  }

  add(key: string, r: K8sObject): void {
    this.resources[key] = r;
  }
}

/**
 * Node resources never late-initialise: the autoscaler owns the node count, and a late-initialised
 * count in forProvider would make Crossplane scale the pool back (research/next-apis.md §0.6;
 * crossplane-contrib/provider-upjet-aws#756, provider-upjet-azure#636). Without Delete, deleting the
 * XR orphans the nodes instead of deleting them (deletionProtection).
 */
export function nodePolicies(deletionProtection: boolean): string[] {
  return deletionProtection ? ["Observe", "Create", "Update"] : ["Observe", "Create", "Update", "Delete"];
}

/** The value a field had in the observed resource's forProvider, for keeping it while its source is briefly unreadable. */
export function seen(o: ObservedResource | undefined, ...path: Array<string | number>): unknown {
  let v: unknown = o?.resource.spec?.["forProvider"];
  for (const k of path) v = v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

/** A resource this XR composes, by its kind (a generated CRD type) and its key. */
export interface Ref<M extends { apiVersion: string; kind: string }> {
  apiVersion: M["apiVersion"];
  kind: M["kind"];
  key: string;
}

/**
 * A Usage: `by` (this XR's) keeps `of` (this XR's) from being deleted until it is gone itself. Both
 * kinds are type arguments (`usage<eks.Cluster, eks.NodeGroup>(...)`), so an apiVersion and kind that
 * name no kind do not compile; without them nothing does (never).
 */
export function usage<Of extends { apiVersion: string; kind: string } = never, By extends { apiVersion: string; kind: string } = never>(key: string, of: Ref<Of>, by: Ref<By>, reason: string): K8sObject {
  const sel = (k: string) => ({ matchControllerRef: true, matchLabels: { [LABELS.resource]: k } });
  return {
    apiVersion: USAGE_API_VERSION,
    kind: "Usage",
    metadata: { labels: { [LABELS.resource]: key } },
    spec: {
      of: { apiVersion: of.apiVersion, kind: of.kind, resourceSelector: sel(of.key) },
      by: { apiVersion: by.apiVersion, kind: by.kind, resourceSelector: sel(by.key) },
      reason,
      replayDeletion: true,
    },
  } satisfies Composed<Usage>;
}

export const minor = (v: string | undefined): number | undefined => {
  const m = v ? /^1\.(\d+)/.exec(v) : null;
  return m ? Number(m[1]) : undefined;
};

/**
 * The version to render: spec.version, unless the cloud already upgraded the cluster past it (EKS at
 * the end of standard support, AKS more than 3 minors behind). Rendering spec.version then would ask
 * for a downgrade the cloud refuses, so the observed minor is kept and a warning asks for a bump.
 */
export function renderVersion(spec: K8sClusterSpec, observedVersion: string | undefined): { version: string; warning?: string } {
  const want = minor(spec.version)!;
  const have = minor(observedVersion);
  if (have !== undefined && have > want) {
    const v = `1.${have}`;
    return { version: v, warning: `the cloud upgraded the cluster to ${v}, past spec.version ${spec.version}; set spec.version to ${v}` };
  }
  return { version: spec.version };
}

/**
 * The minor node pools run: the control plane's as observed, so pools upgrade after the control plane
 * finished (nodes may lag it but never lead it; an update asking for more is refused by both clouds),
 * and `version` until the cluster is observed.
 */
export function nodeVersion(version: string, observedVersion: string | undefined): string {
  const have = minor(observedVersion);
  const want = minor(version)!;
  return have !== undefined && have < want ? `1.${have}` : version;
}

/**
 * The CIDRs the public endpoint admits when spec.apiAccess.allowedCidrs limits it: the user's, in
 * their order, then Crossplane's egress addresses (shared/platform.ts, sorted there) not already
 * listed, so that provider-kubernetes and provider-helm, which connect from Crossplane's cluster, reach
 * it. Both clouds hold the list as a set (x-kubernetes-list-type: set): no duplicates. Undefined when
 * the endpoint is not limited (public: false, or open to any address, which the warnings say).
 */
export function apiAccessCidrs(spec: K8sClusterSpec, egress: readonly string[]): string[] | undefined {
  const a = spec.apiAccess;
  if (!a.public || a.allowedCidrs.length === 0) return undefined;
  return [...new Set([...a.allowedCidrs, ...egress])];
}

export const today = () => new Date().toISOString().slice(0, 10);

export function versionStatus(provider: Provider, spec: K8sClusterSpec, observedVersion: string | undefined, day = today()) {
  const support = supportOn(provider, spec.version, day, spec.extendedSupport);
  return { version: observedVersion, versionSupport: support };
}

export function warnings(spec: K8sClusterSpec, versionWarning: string | undefined, egress: readonly string[] = []): string[] | undefined {
  const out: string[] = [];
  if (versionWarning) out.push(versionWarning);
  if (spec.apiAccess.public && spec.apiAccess.allowedCidrs.length === 0) {
    out.push("the API endpoint is public and open to any address; set spec.apiAccess.allowedCidrs (including Crossplane's egress address) or public: false");
  }
  // The nodes reach the API server on their own (EKS: the private endpoint; AKS: the NAT gateway's
  // address, which Tessera adds), but provider-kubernetes and provider-helm connect from wherever
  // Crossplane runs, through the public endpoint: Tessera adds Crossplane's egress addresses when the
  // platform EnvironmentConfig names them (apiAccessCidrs); otherwise nothing here can tell.
  if (spec.apiAccess.public && spec.apiAccess.allowedCidrs.length > 0 && egress.length === 0) {
    out.push(`the API endpoint admits only spec.apiAccess.allowedCidrs (and the cluster's own nodes): unless Crossplane's egress address is among them, provider-kubernetes and provider-helm cannot reach the cluster and its namespaces and Helm releases never become Ready; the platform team can set data.crossplaneEgressCidrs in the cluster-scoped EnvironmentConfig ${PLATFORM_CONFIG_NAME} (README, "Platform settings"), which Tessera then adds`);
  }
  return out.length ? out : undefined;
}

/** The taints on a pool's nodes: its own, and on AKS the spot taint AKS adds to spot pools. */
export function poolTaints(provider: Provider, p: NodePool): Array<{ key: string; value: string; effect: string }> {
  return provider === "azure" && p.capacity === "spot" ? [...p.taints, AKS_SPOT_TAINT] : p.taints;
}

/**
 * What NVIDIA's device plugin tolerates: every taint key of the GPU pools, and nvidia.com/gpu, each
 * with any value and effect. Sorted, so the Release's values do not change with pool order.
 */
export function gpuTolerations(provider: Provider, gpuPools: readonly NodePool[]): Array<{ key: string; operator: "Exists" }> {
  const keys = new Set<string>([NVIDIA_DEVICE_PLUGIN.taintKey, ...gpuPools.flatMap((p) => poolTaints(provider, p).map((t) => t.key))]);
  return [...keys].sort().map((key) => ({ key, operator: "Exists" as const }));
}

/**
 * Per pool: its size and readiness, and for a GPU pool what its pods request and tolerate, and
 * whether the device plugin that advertises the GPUs is installed.
 */
export function poolStatus(spec: K8sClusterSpec, observed: Record<string, ObservedResource>, keyOf: (p: NodePool) => string = (p) => poolKey(p.name)) {
  return spec.nodePools.map((p) => ({
    name: p.name,
    minNodes: p.minNodes,
    maxNodes: p.maxNodes,
    ready: isReady(observed[keyOf(p)]),
    gpu: isGpuPool(spec.provider, p.instanceType)
      ? {
          resource: NVIDIA_DEVICE_PLUGIN.resource,
          tolerations: poolTaints(spec.provider, p).map((t) => `${t.key}=${t.value}:${t.effect}`),
          devicePluginReady: isReady(observed[DEVICE_PLUGIN]),
        }
      : undefined,
  }));
}

export const initialNodes = (p: NodePool) => p.initialNodes ?? Math.max(p.minNodes, p.mode === "system" ? 1 : 0);

/**
 * The Network as served (a required resource): its spec, and on Azure what its status publishes (the
 * ids the cluster identity's roles are scoped to, the NAT gateway's public IPs), each undefined until
 * the Network observed it.
 */
export interface NetworkFacts {
  name: string;
  cidr: string;
  private: Array<{ zone?: string; cidr: string }>;
  networkId?: string | undefined;
  natGatewayId?: string | undefined;
  appSecurityGroupId?: string | undefined;
  natPublicIps?: string[] | undefined;
}

export function networkOf(ctx: RenderContext<K8sClusterSpec>): NetworkFacts {
  const net = ctx.required[NETWORK]?.[0];
  const s = (net?.spec ?? {}) as { cidr?: string; subnets?: { private?: Array<{ zone?: string; cidr: string }> } };
  const st = (net?.status ?? {}) as { networkId?: string; natGatewayIds?: string[]; securityGroupIds?: { app?: string }; natPublicIps?: string[] };
  return {
    name: ctx.spec.networkRef.name,
    cidr: s.cidr ?? "",
    private: s.subnets?.private ?? [],
    networkId: st.networkId,
    natGatewayId: st.natGatewayIds?.[0],
    appSecurityGroupId: st.securityGroupIds?.app,
    natPublicIps: st.natPublicIps?.length ? st.natPublicIps : undefined,
  };
}
