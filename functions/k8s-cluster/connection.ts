/**
 * The connection Secret, with the same keys on both clouds:
 * - `kubeconfig`: a kubeconfig for the cluster's admin;
 * - `endpoint`: the API server URL;
 * - `clusterCA`: the cluster's CA certificate (PEM);
 * - `clusterName`: the cloud's cluster name (EKS Pod Identity associations and `az aks` take it);
 * - `provider`, `region`.
 *
 * EKS: the kubeconfig comes from the composed `eks ClusterAuth`'s connection details. Its bearer token
 * lives 15 minutes; the provider refreshes it every 10 (refreshPeriod), and every function call
 * (watch events, and at least every TTL_SECONDS) copies the fresh one here, so consumers must re-read
 * the Secret rather than cache the kubeconfig (a mounted Secret volume follows by itself).
 * AKS: the KubernetesCluster's `attribute.kube_admin_config_raw` connection detail (azure.ts
 * AKS_ADMIN_KUBECONFIG_KEY): the clusterAdmin kubeconfig of the local admin account, a client
 * certificate with cluster-admin rights that bypasses Entra ID and Azure RBAC, valid until the
 * cluster's certificates rotate (az aks rotate-certs), and present only while local accounts are on.
 * Not the provider's own `kubeconfig` key: that is the clusterUser kubeconfig, which with Entra ID
 * runs kubelogin (an exec plugin) and works only where kubelogin and a signed-in Entra identity exist.
 *
 * Until the kubeconfig exists the Secret is pending; once it exists it is never dropped, because
 * dropping it would delete it.
 */
import { parse } from "yaml";
import type { K8sClusterSpec } from "../../apis/k8s-cluster/schema.ts";
import { keptSecret, secret } from "../shared/resources.ts";
import type { K8sObject, RenderContext } from "../shared/types.ts";
import { CONNECTION_SECRET } from "./names.ts";

export function connectionSecretName(ctx: RenderContext<K8sClusterSpec>): string {
  return ctx.spec.connectionSecretName ?? `${ctx.xr.name}-kubeconfig`;
}

/** Server URL and CA (base64 PEM) of a kubeconfig's first cluster, if it parses. */
export function kubeconfigCluster(kubeconfig: string | undefined): { server?: string | undefined; ca?: string | undefined } {
  if (!kubeconfig) return {};
  try {
    const k = parse(kubeconfig) as { clusters?: Array<{ cluster?: { server?: string; "certificate-authority-data"?: string } }> };
    const c = k?.clusters?.[0]?.cluster;
    return { server: c?.server, ca: c?.["certificate-authority-data"] };
  } catch {
    return {};
  }
}

export interface Access {
  kubeconfig: string | undefined;
  endpoint: string | undefined;
  /** base64 of the PEM, as clouds and kubeconfigs carry it. */
  caBase64: string | undefined;
  clusterName: string;
}

export function connectionSecret(ctx: RenderContext<K8sClusterSpec>, a: Access): K8sObject | undefined {
  const name = connectionSecretName(ctx);
  if (a.kubeconfig && a.endpoint && a.caBase64) {
    return secret(name, {
      kubeconfig: a.kubeconfig,
      endpoint: a.endpoint,
      clusterCA: Buffer.from(a.caBase64, "base64").toString("utf8"),
      clusterName: a.clusterName,
      provider: ctx.spec.provider,
      region: ctx.spec.region,
    });
  }
  return keptSecret(ctx.observed[CONNECTION_SECRET], name);
}
