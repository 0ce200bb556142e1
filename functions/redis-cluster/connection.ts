/**
 * The connection Secret, identical on both clouds: host, port, password, tls, primaryEndpoint,
 * readerEndpoint and a rediss:// uri. Until the endpoint and the credential exist it is pending;
 * once it exists it is never dropped, because dropping it would delete it.
 *
 * TLS: every host is the cache's own DNS name, and its certificate is issued for that name by a public
 * CA (ElastiCache: Amazon Trust Services; Azure: DigiCert Global Root G2 / Microsoft RSA Root CA 2017),
 * so a client verifies the server with its system CA bundle and the host as given; `rediss://` means
 * TLS with verification in redis-cli, redis-py, ioredis, go-redis and Lettuce. No CA key is needed.
 */
import type { RedisClusterSpec } from "../../apis/redis-cluster/schema.ts";
import { keptSecret, secret } from "../shared/resources.ts";
import type { K8sObject, Rendered, RenderContext } from "../shared/types.ts";
import { CONNECTION_SECRET } from "./names.ts";

export function connectionSecretName(ctx: RenderContext<RedisClusterSpec>): string {
  return ctx.spec.connectionSecretName ?? `${ctx.xr.name}-redis`;
}

export interface Endpoints {
  host: string | undefined;
  reader: string | undefined;
  port: number;
  password: string | undefined;
  /** Access keys are off (Azure Managed Redis with Entra ID only): the Secret has no password. */
  passwordless?: boolean;
}

export function connectionSecret(ctx: RenderContext<RedisClusterSpec>, e: Endpoints): K8sObject | undefined {
  const name = connectionSecretName(ctx);
  if (e.host && (e.password || e.passwordless)) {
    const data: Record<string, string> = { host: e.host, port: String(e.port) };
    if (e.password) data["password"] = e.password;
    Object.assign(data, {
      tls: "true",
      primaryEndpoint: `${e.host}:${e.port}`,
      readerEndpoint: `${e.reader ?? e.host}:${e.port}`,
      uri: e.password ? `rediss://:${encodeURIComponent(e.password)}@${e.host}:${e.port}` : `rediss://${e.host}:${e.port}`,
    });
    return secret(name, data);
  }
  return keptSecret(ctx.observed[CONNECTION_SECRET], name);
}

/** What the renderer adds to the status beside the endpoints, and warnings for the user. */
export interface Extra {
  cacheKind: "ElastiCache" | "AzureManagedRedis" | "AzureCacheForRedis";
  notice?: string | undefined;
  warnings?: string[];
}

/**
 * The end of both renderers: the connection Secret (or its wait) and the status, from the same
 * endpoints, so the two clouds cannot drift apart in what they report.
 */
export function finish(ctx: RenderContext<RedisClusterSpec>, resources: Record<string, K8sObject>, pending: string[], e: Endpoints, cacheId: string | undefined, extra: Extra, released: string[] = []): Rendered {
  const conn = connectionSecret(ctx, e);
  if (conn) resources[CONNECTION_SECRET] = conn;
  else pending.push(CONNECTION_SECRET);
  return {
    resources,
    status: {
      endpoint: e.host,
      readerEndpoint: e.reader ?? e.host,
      port: e.host ? e.port : undefined,
      connectionSecretName: conn ? connectionSecretName(ctx) : undefined,
      cacheId,
      cacheKind: extra.cacheKind,
      notice: extra.notice,
    },
    pending,
    released,
    warnings: extra.warnings ?? [],
  };
}
