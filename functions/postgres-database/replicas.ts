/** What becomes of replicas removed from spec.readReplicas: said in a Warning result and in status.releasedReplicas. */
import type { ObservedResource } from "../shared/types.ts";

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
