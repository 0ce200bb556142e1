/** What becomes of replicas removed from spec.readReplicas: said in a Warning result and in status.releasedReplicas. */
import { SpecError } from "../shared/errors.ts";
import type { K8sObject, ObservedResource } from "../shared/types.ts";

export function releasedReplicaNotes(keys: string[], observed: Record<string, ObservedResource>, protect: boolean): string[] {
  return keys
    .filter((k) => observed[k]?.resource.kind === "Instance" || observed[k]?.resource.kind === "FlexibleServer")
    .map((k) => {
      const name = k.slice("replica-".length);
      return protect
        ? `read replica ${name} was removed from spec.readReplicas: under deletionProtection it is orphaned, not deleted; it keeps running (and billing) in the cloud until you delete it there`
        : `read replica ${name} was removed from spec.readReplicas and is being deleted with its data`;
    });
}

/**
 * A server or replica cannot move between regions (upjet would have to replace it, and does not):
 * the XRD keeps spec.region immutable, and this holds the same for replicas' regions and for
 * anything rendered over a live resource, whatever the XRD let through.
 */
export function refuseRegionMoves(desired: Record<string, K8sObject>, observed: Record<string, ObservedResource>): void {
  for (const [key, d] of Object.entries(desired)) {
    if (d.kind !== "Instance" && d.kind !== "FlexibleServer") continue;
    const live = observed[key]?.resource.spec?.["forProvider"] as Record<string, unknown> | undefined;
    const field = d.kind === "Instance" ? "region" : "location";
    const was = live?.[field];
    const now = (d.spec?.["forProvider"] as Record<string, unknown> | undefined)?.[field];
    if (typeof was === "string" && typeof now === "string" && was !== now) {
      const where = key.startsWith("replica-") ? `spec.readReplicas (${key.slice("replica-".length)}).region` : "spec.region";
      throw SpecError.field(where, `got ${now}, but ${key} runs in ${was}; a server cannot move between regions`, `set it back to ${was}; for another region add a new replica there (or a new PostgresDatabase) and remove this one`);
    }
  }
}
