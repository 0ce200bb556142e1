/**
 * The connection Secret, identical on both clouds: endpoint (the edge hostname), url (https:// of the
 * first domain, or of the edge hostname) and hosts (the viewer hostnames, comma-separated). It is
 * written once the edge's hostname is known, and once written it is never dropped (that would delete it).
 */
import type { CdnEdgeSpec } from "../../apis/cdn-edge/schema.ts";
import { keptSecret, secret } from "../shared/resources.ts";
import type { K8sObject, Obj, Rendered, RenderContext, XrMeta } from "../shared/types.ts";
import { CONNECTION_SECRET } from "./names.ts";

export function connectionSecretName(spec: Pick<CdnEdgeSpec, "connectionSecretName">, xr: XrMeta): string {
  return spec.connectionSecretName ?? `${xr.name}-cdn`;
}

export interface DnsRecord {
  name: string;
  type: string;
  value: string;
  purpose: string;
  /** Tessera composes it in spec.dnsZoneId (Azure); absent: the user creates it. */
  composed?: boolean;
}

/** The end of both renderers: the Secret (or its wait) and the status, from the same facts. */
export function finish(ctx: RenderContext<CdnEdgeSpec>, resources: Record<string, K8sObject>, pending: string[], endpoint: string | undefined, status: Obj): Rendered {
  const name = connectionSecretName(ctx.spec, ctx.xr);
  const hosts = ctx.spec.domains.map((d) => d.host);
  // A wildcard host has no URL of its own: the URL is the first literal host, or the edge's hostname.
  const first = hosts.find((h) => !h.startsWith("*."));
  const url = endpoint ? `https://${first ?? endpoint}` : undefined;
  const conn = endpoint ? secret(name, { endpoint, url: url!, hosts: (hosts.length ? hosts : [endpoint]).join(",") }) : keptSecret(ctx.observed[CONNECTION_SECRET], name);
  if (conn) resources[CONNECTION_SECRET] = conn;
  else pending.push(CONNECTION_SECRET);
  return { resources, status: { ...status, endpoint, url, connectionSecretName: conn ? name : undefined }, pending, released: [] };
}
