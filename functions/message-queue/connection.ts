/**
 * The connection Secret and the status, the same on both clouds: provider, region, endpoint and per
 * queue <name>.url, <name>.name, <name>.deadLetterUrl and <name>.deadLetterName. No credentials:
 * workloads reach the queues by identity (spec.access). The Secret is written once every queue's
 * URL is known; once it exists it is never dropped, because dropping it would delete it.
 */
import type { MessageQueueSpec } from "../../apis/message-queue/schema.ts";
import { keptSecret, secret } from "../shared/resources.ts";
import type { K8sObject, Rendered, RenderContext } from "../shared/types.ts";
import { CONNECTION_SECRET } from "./names.ts";

export interface QueueOut {
  name: string;
  nativeName: string;
  url: string | undefined;
  id: string | undefined;
  deadLetterUrl: string | undefined;
  deadLetterName: string | undefined;
  /** The spec asks for a dead-letter queue the status must wait for (AWS); Service Bus has one built in. */
  deadLetterWanted: boolean;
}

export interface AccessOut {
  clusterRef: string;
  namespace: string;
  serviceAccount: string;
  roleArn?: string | undefined;
  clientId?: string | undefined;
}

export function connectionSecretName(ctx: RenderContext<MessageQueueSpec>): string {
  return ctx.spec.connectionSecretName ?? `${ctx.xr.name}-queues`;
}

export function connectionSecret(ctx: RenderContext<MessageQueueSpec>, endpoint: string | undefined, queues: QueueOut[]): K8sObject | undefined {
  const name = connectionSecretName(ctx);
  const complete = endpoint && queues.every((q) => q.url && (!q.deadLetterWanted || q.deadLetterUrl));
  if (complete) {
    const data: Record<string, string> = { provider: ctx.spec.provider, region: ctx.spec.region, endpoint };
    for (const q of queues) {
      data[`${q.name}.url`] = q.url!;
      data[`${q.name}.name`] = q.nativeName;
      if (q.deadLetterUrl) data[`${q.name}.deadLetterUrl`] = q.deadLetterUrl;
      if (q.deadLetterName) data[`${q.name}.deadLetterName`] = q.deadLetterName;
    }
    return secret(name, data);
  }
  return keptSecret(ctx.observed[CONNECTION_SECRET], name);
}

/** The end of both renderers: the Secret (or its wait) and the status, from the same values. */
export function finish(
  ctx: RenderContext<MessageQueueSpec>,
  resources: Record<string, K8sObject>,
  pending: string[],
  released: string[],
  endpoint: string | undefined,
  queues: QueueOut[],
  access: AccessOut[],
): Rendered {
  const conn = connectionSecret(ctx, endpoint, queues);
  if (conn) resources[CONNECTION_SECRET] = conn;
  else pending.push(CONNECTION_SECRET);
  return {
    resources,
    pending,
    released,
    status: {
      endpoint,
      queueCount: queues.filter((q) => q.url).length,
      queues: queues.map((q) => ({ name: q.name, nativeName: q.nativeName, url: q.url, id: q.id, deadLetterUrl: q.deadLetterUrl })),
      access: access.length ? access : undefined,
      connectionSecretName: conn ? connectionSecretName(ctx) : undefined,
    },
  };
}

/**
 * Observed keys of queues the spec no longer lists (a removed queue, deliberately), found by the
 * per-queue key prefixes. The function says in a result what happens to each.
 */
export function releasedKeys(observed: Record<string, unknown>, prefixes: readonly string[], wanted: Set<string>): string[] {
  return Object.keys(observed).filter((k) => {
    const p = prefixes.find((x) => k.startsWith(x));
    return p !== undefined && !wanted.has(k.slice(p.length));
  });
}
