/**
 * Crossplane Usages (protection.crossplane.io/v1beta1, namespaced): "this XR's data resource stands on
 * that Network". While one exists, Crossplane refuses to delete the Network, and replays the deletion
 * once the dependant is gone (replayDeletion), so deleting a namespace still converges.
 *
 * The labels are a contract with the Network's function: a Network requires the Usages of itself (by
 * LABELS.network) as required resources and refuses to remove a tier (LABELS.tier) a dependant still
 * uses. Change them only together with functions/network.
 */
import { API_VERSION } from "../../apis/shared/common.ts";
import type { Usage } from "../crds/protection.crossplane.io.ts";
import { LABELS } from "./resources.ts";
import type { Composed, K8sObject } from "./types.ts";

export const USAGE_API_VERSION = "protection.crossplane.io/v1beta1";

export interface UsageOf {
  /** Name of the Network (same namespace) the dependant stands on. */
  network: string;
  /** The Network tier the dependant uses (database, cache, private...). */
  tier: string;
  /** Composed-resource key of this XR's resource that uses the Network (e.g. "instance"). */
  by: { apiVersion: string; kind: string; key: string };
  /** Said by Crossplane when it refuses to delete the Network. */
  reason: string;
}

/**
 * A Usage that keeps Network `of.network` while the composed resource `of.by.key` of this XR exists.
 * Checked against the real Usage CRD (functions/crds): USAGE_API_VERSION must be the CRD's version.
 */
export function networkUsage(key: string, u: UsageOf): K8sObject {
  return {
    apiVersion: USAGE_API_VERSION,
    kind: "Usage",
    metadata: { labels: { [LABELS.resource]: key, [LABELS.network]: u.network, [LABELS.tier]: u.tier } },
    spec: {
      of: { apiVersion: API_VERSION, kind: "Network", resourceRef: { name: u.network } },
      by: {
        apiVersion: u.by.apiVersion,
        kind: u.by.kind,
        resourceSelector: { matchControllerRef: true, matchLabels: { [LABELS.resource]: u.by.key } },
      },
      reason: u.reason,
      replayDeletion: true,
    },
  } satisfies Composed<Usage>;
}
