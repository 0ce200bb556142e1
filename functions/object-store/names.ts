/**
 * Names that are identities: requirement names, composed-resource keys and the cloud names of
 * buckets and storage accounts. Changing one replaces (or orphans) what it names, and a bucket or an
 * account is where the data is: these functions must never change their output for a given XR.
 */
import { createHash } from "node:crypto";
import type { XrMeta } from "../shared/types.ts";

export const CONNECTION_SECRET = "connection-secret";
/** Requirement name of the ObjectStore that receives this one's access logs. */
export const LOG_TARGET = "access-log-target";
/** Requirement name of the CdnEdges in this namespace (every one: cdn.ts picks those using this store). */
export const CDN_EDGES = "cdn-edges";
/** Requirement name of a K8sCluster named in spec.access. */
export const clusterRequirement = (name: string) => `k8s-cluster-${name}`;

const hash = (s: string) => createHash("sha256").update(s).digest("hex");
const hash8 = (xr: XrMeta, salt = "") => hash(`${xr.namespace}/${xr.name}${salt}`).slice(0, 8);

/**
 * S3 bucket names are global across every AWS account: `<sanitised name>-<8 hex of sha256(ns/name)>`,
 * so two teams' "assets" never collide. Rules (docs.aws.amazon.com/AmazonS3/latest/userguide/
 * bucketnamingrules.html): 3-63 lowercase letters, digits, '-' and '.'; start and end with a letter
 * or digit; no `xn--`, `sthree-` or `amzn-s3-demo-` prefix; no `-s3alias`, `--ol-s3`, `--x-s3` or
 * `--table-s3` suffix. Tessera uses no dots (virtual-hosted TLS breaks on them) and no double dash,
 * and the name ends in the hash, so no reserved suffix can occur. The replica gets its own hash.
 */
export function bucketName(xr: XrMeta, replica = false): string {
  const h = hash8(xr, replica ? "#replica" : "");
  const base = xr.name.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-").replace(/^-+/, "");
  const safe = /^(sthree-|amzn-s3-demo-|xn-)/.test(base) ? `b-${base}` : base;
  const suffix = replica ? `-replica-${h}` : `-${h}`;
  const head = safe.slice(0, 63 - suffix.length).replace(/-+$/, "");
  return head ? `${head}${suffix}` : `b${suffix}`;
}

/**
 * Storage account names are global across Azure: 3-24 lowercase letters and digits only
 * (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftstorage).
 * `<alphanumerics of the name, up to 16><8 hex>`, and the replica `<up to 15>r<8 hex of its own>`.
 */
export function accountName(xr: XrMeta, replica = false): string {
  const base = xr.name.toLowerCase().replace(/[^a-z0-9]/g, "");
  return replica ? `${base.slice(0, 15)}r${hash8(xr, "#replica")}` : `${base.slice(0, 16)}${hash8(xr)}`;
}

/**
 * The one container of the account: the XR's name as a container name (3-63 lowercase letters,
 * digits and single '-', starting and ending with a letter or digit). The account is this XR's own,
 * so the name needs no hash.
 */
export function containerName(xr: XrMeta): string {
  const base = xr.name.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
  return base.length >= 3 ? base : `${base || "data"}-data`.replace(/^-/, "");
}

/** Key of the resources that give one access entry its identity; stable when entries are reordered. */
export function accessKey(a: { clusterRef: { name: string }; namespace: string; serviceAccount: string }): string {
  return hash(`${a.clusterRef.name}/${a.namespace}/${a.serviceAccount}`).slice(0, 8);
}

/** A deterministic GUID (Azure role assignments are named by one): retries never make a second. */
export function guid(seed: string): string {
  const h = hash(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
