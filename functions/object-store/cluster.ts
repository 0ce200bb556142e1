/**
 * spec.access names K8sClusters, read as required resources the way other kinds read their Network
 * (same namespace only: a reference never reaches another team's cluster).
 *
 * Contract with K8sCluster (shared/research/next-apis.md §1.4): spec.provider and spec.region, and in
 * status `clusterName` (AWS: the EKS cluster's name, for Pod Identity associations) and
 * `oidcIssuerUrl` (Azure: the AKS OIDC issuer, for federated credentials). Until a field is reported,
 * the resources that need it wait.
 */
import type { ObjectStoreSpec } from "../../apis/object-store/schema.ts";
import { API_VERSION } from "../../apis/shared/common.ts";
import { SpecError } from "../shared/errors.ts";
import { str } from "../shared/observed.ts";
import type { Obj, RenderContext, Selector, XrMeta } from "../shared/types.ts";
import { clusterRequirement } from "./names.ts";

export function clusterRequirements(spec: ObjectStoreSpec, xr: XrMeta): Record<string, Selector> {
  return Object.fromEntries(spec.access.map((a) => [clusterRequirement(a.clusterRef.name), { apiVersion: API_VERSION, kind: "K8sCluster", name: a.clusterRef.name, namespace: xr.namespace }]));
}

export function checkClusters({ spec, xr, required }: RenderContext<ObjectStoreSpec>): void {
  spec.access.forEach((a, i) => {
    const field = `spec.access[${i}].clusterRef.name`;
    const c = required[clusterRequirement(a.clusterRef.name)]?.[0];
    if (!c) throw SpecError.field(field, `K8sCluster ${JSON.stringify(a.clusterRef.name)} does not exist in namespace ${xr.namespace}`, "create it first, or fix the name (references to other namespaces are not allowed)");
    const p = (c.spec as Obj | undefined)?.["provider"];
    if (p !== spec.provider) throw SpecError.field(field, `K8sCluster ${JSON.stringify(a.clusterRef.name)} is on ${String(p)}, this ObjectStore on ${spec.provider}`, `reference a K8sCluster with provider ${spec.provider}`);
  });
}

export interface ClusterInfo {
  region: string;
  clusterName: string | undefined;
  oidcIssuerUrl: string | undefined;
}

export function clusterFor(ctx: RenderContext<ObjectStoreSpec>, name: string): ClusterInfo {
  const c = ctx.required[clusterRequirement(name)]?.[0];
  const spec = (c?.spec ?? {}) as Obj;
  const status = (c?.status ?? {}) as Obj;
  return { region: str(spec["region"]) ?? ctx.spec.region, clusterName: str(status["clusterName"]), oidcIssuerUrl: str(status["oidcIssuerUrl"]) };
}
