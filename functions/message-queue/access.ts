/**
 * What access entries need from the K8sCluster they name, read as a required resource the way kinds
 * read their Network. The contract (research/next-apis.md §1.4): a K8sCluster's status carries
 * `clusterName` (the EKS cluster, for Pod Identity associations) and `oidcIssuerUrl` (the AKS OIDC
 * issuer, for federated credentials). Until the cluster reports them, the grants wait.
 */
import type { MessageQueueSpec } from "../../apis/message-queue/schema.ts";
import { SpecError } from "../shared/errors.ts";
import { str } from "../shared/observed.ts";
import type { K8sObject, RenderContext } from "../shared/types.ts";
import { clusterRequirement } from "./names.ts";

export interface ClusterFacts {
  clusterName: string | undefined;
  oidcIssuerUrl: string | undefined;
}

export function checkClusters({ spec, xr, required }: RenderContext<MessageQueueSpec>): void {
  spec.access.forEach((a, i) => {
    const field = `spec.access[${i}].clusterRef.name`;
    const cluster = required[clusterRequirement(a.clusterRef.name)]?.[0];
    if (!cluster) {
      throw SpecError.field(field, `K8sCluster ${JSON.stringify(a.clusterRef.name)} does not exist in namespace ${xr.namespace}`, "create the K8sCluster in this namespace first, or fix the name (references to other namespaces are not allowed)");
    }
    const s = (cluster.spec ?? {}) as { provider?: string; region?: string };
    if (s.provider !== spec.provider) {
      throw SpecError.field(field, `K8sCluster ${JSON.stringify(a.clusterRef.name)} is on ${s.provider}, these queues on ${spec.provider}`, `reference a K8sCluster with provider ${spec.provider}`);
    }
    if (s.region !== spec.region) {
      throw SpecError.field(field, `K8sCluster ${JSON.stringify(a.clusterRef.name)} is in ${s.region}, these queues in ${spec.region}`, `reference a K8sCluster in ${spec.region}; EKS Pod Identity and the queues' role policy are regional`);
    }
  });
}

export function clusterFacts(required: Record<string, K8sObject[]>, name: string): ClusterFacts {
  const status = (required[clusterRequirement(name)]?.[0]?.status ?? {}) as Record<string, unknown>;
  return { clusterName: str(status["clusterName"]), oidcIssuerUrl: str(status["oidcIssuerUrl"]) };
}
