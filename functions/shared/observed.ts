/** Reading observed composed resources: conditions, readiness and provider outputs. */
import type { K8sObject, ObservedResource } from "./types.ts";

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export function conditionOf(o: K8sObject | undefined, type: string): Condition | undefined {
  const conditions = (o?.status as { conditions?: Condition[] } | undefined)?.conditions;
  return Array.isArray(conditions) ? conditions.find((c) => c?.type === type) : undefined;
}

/**
 * Core kinds (v1 Secret) have no conditions: they are ready once they exist. So are provider-helm's and
 * provider-kubernetes's ProviderConfigs (K8sCluster composes them): they never report a Ready condition.
 */
export function isReady(o: ObservedResource | undefined): boolean {
  if (!o) return false;
  if (!o.resource.apiVersion.includes(".")) return true;
  if (o.resource.kind === "ProviderConfig" && /^(helm|kubernetes)\.m\.crossplane\.io\//.test(o.resource.apiVersion)) return true;
  return conditionOf(o.resource, "Ready")?.status === "True";
}

export function atProvider(o: ObservedResource | undefined): Record<string, unknown> {
  return ((o?.resource.status as { atProvider?: Record<string, unknown> } | undefined)?.atProvider ?? {}) as Record<string, unknown>;
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === "number" ? v : typeof v === "string" && v !== "" && !Number.isNaN(Number(v)) ? Number(v) : undefined;
}
