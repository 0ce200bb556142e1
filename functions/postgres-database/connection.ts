/**
 * The connection Secret, identical on both clouds: host, port, username, password, database, sslmode
 * (verify-full: the client checks the server's certificate chain against ca.crt and its host name),
 * ca.crt (the CA bundle of the cloud and region) and uri. A client using uri needs ca.crt as its
 * root certificate (libpq: sslrootcert=<file with ca.crt>). The password comes from the Secret the provider generated (required resource); the host
 * from the observed server. Until both exist the Secret is pending; once it exists it is never
 * dropped, even if an input is briefly unreadable, because dropping it would delete it.
 */
import type { PostgresDatabaseSpec } from "../../apis/postgres-database/schema.ts";
import { keptSecret, secret } from "../shared/resources.ts";
import type { K8sObject, RenderContext } from "../shared/types.ts";
import { CONNECTION_SECRET, PASSWORD } from "./names.ts";
import { PORT } from "./tables.ts";

export function connectionSecretName(ctx: RenderContext<PostgresDatabaseSpec>): string {
  return ctx.spec.connectionSecretName ?? `${ctx.xr.name}-connection`;
}

export function connectionSecret(ctx: RenderContext<PostgresDatabaseSpec>, host: string | undefined, caBundle: string): K8sObject | undefined {
  const { spec } = ctx;
  const encoded = (ctx.required[PASSWORD]?.[0] as { data?: Record<string, string> } | undefined)?.data?.["password"];
  const password = encoded ? Buffer.from(encoded, "base64").toString("utf8") : undefined;
  const name = connectionSecretName(ctx);
  if (host && password) {
    const user = spec.adminUsername;
    return secret(name, {
      host,
      port: String(PORT),
      username: user,
      password,
      database: spec.databaseName,
      sslmode: "verify-full",
      "ca.crt": caBundle,
      uri: `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${PORT}/${spec.databaseName}?sslmode=verify-full`,
    });
  }
  return keptSecret(ctx.observed[CONNECTION_SECRET], name);
}
