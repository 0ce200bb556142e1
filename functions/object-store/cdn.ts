/**
 * Which CloudFront distributions may read this bucket through origin access control (AWS). The bucket
 * policy is this XR's own and its only writer, so the grant is decided here, from what other XRs
 * publish, never written by them: the distributions of the Tessera CdnEdges in this namespace that use
 * this store as an origin, and spec.cdn.distributionArns. CloudFront's guide asks for exactly that: the
 * policy names each distribution by AWS:SourceArn, so the origin is reachable "only through the
 * specified CloudFront distribution" and not "through an unintended CloudFront distribution"
 * (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-origin.html;
 * the bucket policy example in .../private-content-restricting-access-to-s3.html). Granting every
 * distribution of the account would let any of them, made by anyone with CloudFront rights there, read it.
 *
 * Ordering: a CdnEdge publishes status.distributionArn once its distribution exists; Crossplane re-runs
 * this store when it does (see cdnRequirements) or after the TTL, and the policy then names it. Until
 * then CloudFront is not granted, and the CdnEdge's MESSAGE says it waits for this store; it is Ready
 * once status.cdnDistributionArns (the policy as S3 holds it) lists its distribution. A CdnEdge deleted,
 * moved to other origins or switched to Azure drops out on the next render.
 */
import { DISTRIBUTION_ARN, type ObjectStoreSpec } from "../../apis/object-store/schema.ts";
import { API_VERSION } from "../../apis/shared/common.ts";
import { atProvider, str } from "../shared/observed.ts";
import type { K8sObject, Obj, ObservedResource, RenderContext, Selector, XrMeta } from "../shared/types.ts";
import { CDN_EDGES } from "./names.ts";

const CLOUDFRONT = "cloudfront.amazonaws.com";
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Every CdnEdge in this namespace, with cdn.originAccess on AWS. An empty label set lists them all:
 * Crossplane lists a label requirement with client.MatchingLabels(labels), and an empty set is
 * labels.Everything() (crossplane/crossplane internal/xfn/required_resources.go,
 * ExistingRequiredResourcesFetcher.Fetch; controller-runtime pkg/client/options.go). Its realtime
 * dependency tracker matches the same selector against every CdnEdge change in the namespace
 * (internal/controller/apiextensions/composite/dependency/tracker.go, Dependants), so a CdnEdge that
 * publishes its distribution, changes its origins or goes re-runs this store at once. A name or a label
 * cannot select better: which CdnEdges use this store is in their specs, which selectors cannot read.
 */
export function cdnRequirements(spec: ObjectStoreSpec, xr: XrMeta): Record<string, Selector> {
  if (spec.provider !== "aws" || !spec.cdn.originAccess) return {};
  return { [CDN_EDGES]: { apiVersion: API_VERSION, kind: "CdnEdge", matchLabels: {}, namespace: xr.namespace } };
}

export interface CloudFrontGrant {
  /** Distribution ARNs the grant names by AWS:SourceArn, sorted and unique (so the policy never churns). */
  arns: string[];
  /** The condition of an earlier grant that named no ARN list, kept as it was rendered (see cloudFrontGrant). */
  kept?: Obj;
}

/**
 * Whether a listed object is a CdnEdge of this namespace on AWS with an origin that is this store. The
 * log target (spec.logging) is not: CloudFront standard logging writes with an ACL (acceptsCdnLogs), it
 * does not read through OAC. Anything malformed counts as not using it. The namespace is checked again
 * (Crossplane lists only this one) so that no distribution of another namespace is ever granted.
 */
function usesThisStore(e: unknown, xr: XrMeta): e is K8sObject {
  if (!isObj(e) || e["apiVersion"] !== API_VERSION || e["kind"] !== "CdnEdge") return false;
  const meta = e["metadata"];
  if (!isObj(meta) || meta["namespace"] !== xr.namespace) return false;
  const spec = e["spec"];
  if (!isObj(spec) || spec["provider"] !== "aws" || !Array.isArray(spec["origins"])) return false;
  return spec["origins"].some((o) => isObj(o) && isObj(o["objectStoreRef"]) && o["objectStoreRef"]["name"] === xr.name);
}

/**
 * What a policy document grants CloudFront: the ARNs of statements conditioned only on AWS:SourceArn
 * (condition keys are case-insensitive), and the first other condition (the account-wide grant of
 * earlier Tessera versions). Anything unreadable grants nothing.
 */
export function readGrant(text: unknown): CloudFrontGrant {
  const arns = new Set<string>();
  let kept: Obj | undefined;
  let doc: unknown;
  try {
    doc = typeof text === "string" ? JSON.parse(text) : undefined;
  } catch {
    doc = undefined;
  }
  const raw = isObj(doc) ? doc["Statement"] : undefined;
  for (const s of Array.isArray(raw) ? raw : [raw]) {
    if (!isObj(s) || s["Effect"] !== "Allow" || !isObj(s["Principal"]) || s["Principal"]["Service"] !== CLOUDFRONT) continue;
    const c = s["Condition"];
    if (!isObj(c)) continue;
    const eq = Object.keys(c).length === 1 && isObj(c["StringEquals"]) ? c["StringEquals"] : {};
    const keys = Object.keys(eq);
    const v = keys.length === 1 && keys[0]!.toLowerCase() === "aws:sourcearn" ? eq[keys[0]!] : undefined;
    const list = typeof v === "string" ? [v] : Array.isArray(v) ? v : undefined;
    if (list?.length && list.every((a) => typeof a === "string" && DISTRIBUTION_ARN.test(a))) for (const a of list as string[]) arns.add(a);
    else kept ??= c;
  }
  return { arns: [...arns].sort(), ...(kept ? { kept } : {}) };
}

/**
 * The grant this render writes. A CdnEdge that uses this store with a well-formed status.distributionArn
 * is named; one whose distribution does not exist yet (no distributionId either) has nothing to name.
 * One whose status shows a distribution (distributionId) but no well-formed ARN, an edge last written by
 * a Tessera version before distributionArn or a status someone edited, cannot be named and must not
 * lose access it had: the grant keeps what the policy last rendered granted (its ARNs, or the earlier
 * account-wide condition), never widened, with a warning, until that CdnEdge reports its ARN.
 */
export function cloudFrontGrant({ spec, xr, required, observed }: RenderContext<ObjectStoreSpec>): { grant: CloudFrontGrant; warnings: string[] } {
  const arns = new Set(spec.cdn.distributionArns ?? []);
  const unnamed: string[] = [];
  const edges = required[CDN_EDGES];
  for (const e of Array.isArray(edges) ? edges : []) {
    if (!usesThisStore(e, xr)) continue;
    const status = isObj(e.status) ? e.status : {};
    const arn = status["distributionArn"];
    if (typeof arn === "string" && DISTRIBUTION_ARN.test(arn)) arns.add(arn);
    else if (arn !== undefined || str(status["distributionId"])) unnamed.push(`${String(e.metadata?.name)} (status.distributionArn ${JSON.stringify(arn) ?? "absent"})`);
  }
  if (!unnamed.length) return { grant: { arns: [...arns].sort() }, warnings: [] };
  const last = readGrant((observed["policy"]?.resource.spec?.["forProvider"] as Obj | undefined)?.["policy"]);
  for (const a of last.arns) arns.add(a);
  const grant: CloudFrontGrant = { arns: [...arns].sort(), ...(last.kept ? { kept: last.kept } : {}) };
  return {
    grant,
    warnings: [
      `CdnEdge ${unnamed.join(", ")} uses this store and has a distribution, but its status names no CloudFront distribution ARN; the bucket policy keeps the CloudFront grant it had until it does (the CdnEdge publishes it on its next reconcile with this Tessera version)`,
    ],
  };
}

/** The distributions the bucket policy grants as S3 holds it (the provider's atProvider.policy): what CdnEdges wait for. */
export function grantedDistributions(policy: ObservedResource | undefined): string[] | undefined {
  const arns = readGrant(atProvider(policy)["policy"]).arns;
  return arns.length ? arns : undefined;
}

/**
 * The KMS key policy statement CloudFront needs to read objects encrypted with a customer key
 * (encryption.keyId) through origin access control: OAC signs as the cloudfront.amazonaws.com service
 * principal, which S3 lets decrypt only if the key's policy allows it, conditioned on the
 * distribution (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html,
 * "SSE-KMS"). Only kms:Decrypt: Tessera grants CloudFront reads (s3:GetObject), never writes, so the
 * guide's kms:Encrypt and kms:GenerateDataKey* are not needed. Tessera does not own the key and never
 * edits its policy, so this is a manual step naming exactly the distributions the bucket policy grants.
 */
export function kmsKeyPolicyStep(keyId: string, arns: readonly string[]): string {
  const statement = {
    Sid: "AllowCloudFrontOriginAccessControlDecrypt",
    Effect: "Allow",
    Principal: { Service: CLOUDFRONT },
    Action: "kms:Decrypt",
    Resource: "*",
    Condition: { StringEquals: { "AWS:SourceArn": arns.length === 1 ? arns[0] : [...arns] } },
  };
  return `add this statement to the key policy of KMS key ${keyId} (encryption.keyId), or CloudFront gets 403 for every object (S3 cannot decrypt them for it); Tessera does not own the key and never edits its policy: ${JSON.stringify(statement)}`;
}
