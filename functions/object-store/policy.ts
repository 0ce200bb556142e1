/**
 * AWS policy documents, as data built in one place: the bucket's own policy (its only writer, so a
 * CDN grant or a log-delivery grant never races another resource for the same document; cdn.ts
 * decides which distributions the CDN grant names), the replication role's policy and the workload
 * roles' policies. Rendered as JSON with a fixed key order (and sorted ARN lists), so the same inputs
 * always give the same string and the provider never sees a diff.
 */
import type { ObjectStoreSpec } from "../../apis/object-store/schema.ts";
import type { CloudFrontGrant } from "./cdn.ts";
import { S3_ACTIONS } from "./tables.ts";

type Statement = Record<string, unknown>;
const doc = (statements: Statement[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
export const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;

/**
 * `${aws:ResourceAccount}` is a policy variable the service fills with the bucket owner's account, so
 * a grant to a service principal is limited to this account without knowing its id (the confused-
 * deputy guard AWS documents with aws:SourceAccount; AWS's own key policies for IAM Identity Center
 * use `"aws:SourceAccount": "${aws:ResourceAccount}"`).
 */
const OWN_ACCOUNT = { "aws:SourceAccount": "${aws:ResourceAccount}" };

/** The bucket policy: TLS only (and TLS 1.2 or later), plus the grants the spec asks for. */
export function bucketPolicy(grants: { cloudFront?: CloudFrontGrant | undefined; accessLogs: boolean }, bucket: string): string {
  const arn = bucketArn(bucket);
  const statements: Statement[] = [
    // docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html: deny aws:SecureTransport false.
    { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
    { Sid: "DenyTlsBelow12", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } } },
  ];
  // CloudFront origin access control: the service principal reads objects on behalf of the
  // distributions named by AWS:SourceArn (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/
  // private-content-restricting-access-to-s3.html), each one by its ARN (cdn.ts says which). No
  // distribution: no statement, so no CloudFront distribution can read.
  const cf = (sid: string, condition: Statement) => ({ Sid: sid, Effect: "Allow", Principal: { Service: "cloudfront.amazonaws.com" }, Action: "s3:GetObject", Resource: `${arn}/*`, Condition: condition });
  if (grants.cloudFront?.arns.length) statements.push(cf("AllowCloudFrontOriginAccess", { StringEquals: { "AWS:SourceArn": [...grants.cloudFront.arns] } }));
  // An earlier grant kept as it was while a CdnEdge's distribution cannot be named (cdn.ts).
  if (grants.cloudFront?.kept) statements.push(cf("AllowCloudFrontOriginAccessKept", grants.cloudFront.kept));
  if (grants.accessLogs) {
    // S3 server access log delivery (docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html):
    // the logging service principal, limited to source buckets of this account.
    statements.push({ Sid: "AllowS3ServerAccessLogs", Effect: "Allow", Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject", Resource: `${arn}/*`, Condition: { StringEquals: OWN_ACCOUNT } });
  }
  return doc(statements);
}

/** Trust policy of a role a service assumes. Pod Identity also needs sts:TagSession. */
export function trustPolicy(service: "s3.amazonaws.com" | "pods.eks.amazonaws.com"): string {
  const action = service === "pods.eks.amazonaws.com" ? ["sts:AssumeRole", "sts:TagSession"] : "sts:AssumeRole";
  return doc([{ Effect: "Allow", Principal: { Service: service }, Action: action }]);
}

/**
 * What S3 replication needs (docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html):
 * read the source's configuration and versions, replicate into the replica; with KMS, decrypt with the
 * source key and encrypt with the replica's.
 */
export function replicationPolicy(source: string, replica: string, sourceKey: string | undefined, replicaKey: string | undefined): string {
  const statements: Statement[] = [
    { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: bucketArn(source) },
    { Effect: "Allow", Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"], Resource: `${bucketArn(source)}/*` },
    { Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: `${bucketArn(replica)}/*` },
  ];
  if (sourceKey) statements.push({ Effect: "Allow", Action: "kms:Decrypt", Resource: sourceKey });
  if (replicaKey) statements.push({ Effect: "Allow", Action: ["kms:Encrypt", "kms:GenerateDataKey"], Resource: replicaKey });
  return doc(statements);
}

/** A workload's access to this bucket only, and to its key when it has one. */
export function accessPolicy(role: ObjectStoreSpec["access"][number]["role"], bucket: string, keyId: string | undefined): string {
  const a = S3_ACTIONS[role];
  const statements: Statement[] = [
    { Effect: "Allow", Action: a.bucket, Resource: bucketArn(bucket) },
    { Effect: "Allow", Action: a.objects, Resource: `${bucketArn(bucket)}/*` },
  ];
  if (keyId) statements.push({ Effect: "Allow", Action: a.kms, Resource: keyId });
  return doc(statements);
}
