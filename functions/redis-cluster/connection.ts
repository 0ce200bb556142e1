/**
 * The connection Secret, identical on both clouds: host, port, password, tls, primaryEndpoint,
 * readerEndpoint and a rediss:// uri. Until the endpoint and the credential exist it is pending;
 * once it exists it is never dropped, because dropping it would delete it.
 */
import type { RedisClusterSpec } from "../../apis/redis-cluster/schema.ts";
import { keptSecret, secret } from "../shared/resources.ts";
import type { K8sObject, RenderContext } from "../shared/types.ts";
import { CONNECTION_SECRET } from "./names.ts";

export function connectionSecretName(ctx: RenderContext<RedisClusterSpec>): string {
  return ctx.spec.connectionSecretName ?? `${ctx.xr.name}-redis`;
}

export interface Endpoints {
  host: string | undefined;
  reader: string | undefined;
  port: number;
  password: string | undefined;
}

export function connectionSecret(ctx: RenderContext<RedisClusterSpec>, e: Endpoints): K8sObject | undefined {
  const name = connectionSecretName(ctx);
  if (e.host && e.password) {
    return secret(name, {
      host: e.host,
      port: String(e.port),
      password: e.password,
      tls: "true",
      primaryEndpoint: `${e.host}:${e.port}`,
      readerEndpoint: `${e.reader ?? e.host}:${e.port}`,
      uri: `rediss://:${encodeURIComponent(e.password)}@${e.host}:${e.port}`,
    });
  }
  return keptSecret(ctx.observed[CONNECTION_SECRET], name);
}
