/**
 * The connection Secret, identical on both clouds: bucket, endpoint, url, region and provider. It
 * carries no credentials: workloads authenticate by identity (spec.access). It is written once the
 * bucket (account) exists, and once written it is never dropped, because dropping it would delete it.
 */
import type { ObjectStoreSpec } from "../../apis/object-store/schema.ts";
import { keptSecret, secret } from "../shared/resources.ts";
import type { K8sObject, Obj, Rendered, RenderContext } from "../shared/types.ts";
import { CONNECTION_SECRET } from "./names.ts";

export function connectionSecretName(ctx: RenderContext<ObjectStoreSpec>): string {
  return ctx.spec.connectionSecretName ?? `${ctx.xr.name}-bucket`;
}

export interface Location {
  /** Bucket (AWS) or container (Azure) name. */
  bucket: string;
  endpoint: string;
  url: string;
}

/**
 * The end of both renderers: the connection Secret (or its wait) and the status, from the same
 * location, so the two clouds cannot drift apart in what they report. `where` is undefined until the
 * bucket or container is Ready.
 */
export function finish(ctx: RenderContext<ObjectStoreSpec>, resources: Record<string, K8sObject>, pending: string[], released: string[], where: Location | undefined, status: Obj): Rendered {
  const name = connectionSecretName(ctx);
  const conn = where
    ? secret(name, { bucket: where.bucket, endpoint: where.endpoint, url: where.url, region: ctx.spec.region, provider: ctx.spec.provider })
    : keptSecret(ctx.observed[CONNECTION_SECRET], name);
  if (conn) resources[CONNECTION_SECRET] = conn;
  else pending.push(CONNECTION_SECRET);
  return {
    resources,
    status: { ...status, endpoint: where?.endpoint, url: where?.url, connectionSecretName: conn ? name : undefined },
    pending,
    released,
  };
}
