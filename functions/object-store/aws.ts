/**
 * ObjectStore on AWS: an S3 bucket named `<name>-<hash>` with every setting in its own companion
 * resource, always composed (ownership BucketOwnerEnforced, all four public-access blocks, versioning,
 * default encryption, a TLS-only policy, which also grants CloudFront read to the distributions
 * cdn.ts names), so drift on any of them is seen and reverted; lifecycle,
 * CORS and access logging when asked; replication to a replica bucket with its own companions and an
 * IAM role; and per access entry an IAM role, its policy and an EKS Pod Identity association.
 *
 * Staging ("dependency Ready, or this resource already exists", each gate on its own key): the
 * bucket first, its companions once it is Ready; the replication configuration once both buckets'
 * versioning is Ready (S3 refuses replication on an unversioned bucket). The buckets themselves are
 * never gated: a bucket once desired stays desired.
 */
import type { LifecycleRule, ObjectStoreSpec } from "../../apis/object-store/schema.ts";
import { SpecError } from "../shared/errors.ts";
import { atProvider, isReady, str } from "../shared/observed.ts";
import { managed, own, RETAIN } from "../shared/resources.ts";
import { tagsFor } from "../shared/tags.ts";
import type { ForProvider, K8sObject, Obj, Renderer } from "../shared/types.ts";
import type * as s3 from "../crds/s3.aws.m.upbound.io.ts";
import type * as iam from "../crds/iam.aws.m.upbound.io.ts";
import type * as eks from "../crds/eks.aws.m.upbound.io.ts";
import { cloudFrontGrant, grantedDistributions, kmsKeyPolicyStep } from "./cdn.ts";
import { clusterFor } from "./cluster.ts";
import { finish } from "./connection.ts";
import { accessKey, bucketName, LOG_TARGET } from "./names.ts";
import { accessPolicy, bucketArn, bucketPolicy, replicationPolicy, trustPolicy } from "./policy.ts";
import { ENDPOINT, S3_CLASS } from "./tables.ts";

const S3 = "s3.aws.m.upbound.io/v1beta1";
const IAM = "iam.aws.m.upbound.io/v1beta1";
const EKS = "eks.aws.m.upbound.io/v1beta1";

type S3LifecycleRule = NonNullable<ForProvider<s3.BucketLifecycleConfiguration>["rule"]>[number];

/** S3 lifecycle rules. `filter` is always an explicit prefix: an empty filter drifts (hashicorp/terraform-provider-aws#42624). */
export function s3Lifecycle(rules: readonly LifecycleRule[]): S3LifecycleRule[] {
  // The callback's return type is named so tsc checks each rule's fields (map() alone would not).
  return rules.map((r): S3LifecycleRule => ({
    id: r.name,
    status: "Enabled",
    filter: [{ prefix: r.prefix ?? "" }],
    transition: r.transitions.length ? r.transitions.map((t) => ({ days: t.afterDays, storageClass: S3_CLASS[t.tier] })) : undefined,
    expiration: r.expireAfterDays ? [{ days: r.expireAfterDays }] : undefined,
    noncurrentVersionExpiration: r.noncurrentExpireAfterDays ? [{ noncurrentDays: r.noncurrentExpireAfterDays }] : undefined,
    abortIncompleteMultipartUpload: r.abortIncompleteUploadAfterDays ? [{ daysAfterInitiation: r.abortIncompleteUploadAfterDays }] : undefined,
  }));
}

/**
 * S3 rules the CRD cannot see. STANDARD_IA only from day 30 (docs.aws.amazon.com/AmazonS3/latest/API/
 * API_Transition.html; the XRD refuses less), and objects stay in STANDARD_IA at least 30 days before a
 * Glacier class (S3 User Guide, "Constraints and considerations for transitions"), which the S3 API
 * refuses otherwise. The minimum storage durations of the Glacier classes are billing, not refusals.
 */
function checkS3Lifecycle(rules: readonly LifecycleRule[]): void {
  rules.forEach((r, i) => {
    const ia = r.transitions.find((t) => t.tier === "infrequent");
    const after = ia && r.transitions.find((t) => t.tier !== "infrequent" && t.afterDays < ia.afterDays + 30);
    if (ia && after) {
      throw SpecError.field(`spec.lifecycle[${i}].transitions`, `got ${after.tier} after ${after.afterDays} days, only ${after.afterDays - ia.afterDays} days after infrequent`, `S3 keeps objects in STANDARD_IA at least 30 days before a colder class; set afterDays to ${ia.afterDays + 30} or more`);
    }
  });
}

export const renderAws: Renderer<ObjectStoreSpec> = (ctx) => {
  const { xr, spec, observed } = ctx;
  const region = spec.region;
  const tags = tagsFor("ObjectStore", xr, spec.tags);
  const policies = spec.deletionProtection ? RETAIN : undefined;
  const name = bucketName(xr);
  checkS3Lifecycle(spec.lifecycle);
  const r: Record<string, K8sObject> = {};
  const pending: string[] = [];
  const released: string[] = [];
  // Which CloudFront distributions may read (the CdnEdges of this namespace using this store, and cdn.distributionArns).
  const cdn = spec.cdn.originAccess ? cloudFrontGrant(ctx) : undefined;
  /**
   * deletionProtection retains what holds data and what keeps it safe (buckets and their always-present
   * security companions), so an orphaned bucket stays private, encrypted and TLS-only. Optional
   * features (lifecycle, CORS, logging, replication, access) keep the default policies: removing one
   * from the spec must remove it in the cloud. An orphaned expiry rule would go on deleting data, and
   * an orphaned replication would go on writing into a released replica.
   */
  const mr = <K extends keyof s3.Kinds>(kind: K, key: string, forProvider: ForProvider<s3.Kinds[K]>, externalName?: string, retain = true) =>
    managed<s3.Kinds[K]>(S3, kind, key, forProvider, { annotations: externalName ? { "crossplane.io/external-name": externalName } : undefined, managementPolicies: retain ? policies : undefined });
  /** Adds `key` once `ready`, or when it already exists; otherwise says it waits. */
  const gate = (key: string, ready: boolean, make: () => K8sObject) => {
    if (ready || observed[key]) r[key] = make();
    else pending.push(key);
  };

  // Turning versioning off is refused by the XRD on update; this catches what admission cannot see
  // (an XR re-created over a live bucket, offline render): S3 can only suspend it.
  const seenVersioning = (observed["versioning"]?.resource.spec?.["forProvider"] as { versioningConfiguration?: { status?: string } } | undefined)?.versioningConfiguration?.status;
  if (!spec.versioning && seenVersioning === "Enabled") {
    throw SpecError.field("spec.versioning", "got false, but the bucket's versioning is Enabled", "S3 cannot turn versioning off, only suspend it; keep versioning: true and limit old versions with lifecycle noncurrentExpireAfterDays");
  }

  /** A bucket and the companions every Tessera bucket has. */
  const bucket = (prefix: string, bucketRegion: string, bucketName_: string, keyId: string | undefined, versioned: boolean, lifecycle: readonly LifecycleRule[]) => {
    r[`${prefix}bucket`] = mr("Bucket", `${prefix}bucket`, { region: bucketRegion, tags }, bucketName_);
    const up = isReady(observed[`${prefix}bucket`]);
    const on = { region: bucketRegion, bucket: bucketName_ };
    // ACLs off (BucketOwnerEnforced), except on a CloudFront standard-log target, whose delivery
    // writes with an ACL (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html).
    const ownership = !prefix && spec.acceptsCdnLogs ? "BucketOwnerPreferred" : "BucketOwnerEnforced";
    gate(`${prefix}ownership-controls`, up, () => mr("BucketOwnershipControls", `${prefix}ownership-controls`, { ...on, rule: { objectOwnership: ownership } }));
    gate(`${prefix}public-access-block`, up, () =>
      mr("BucketPublicAccessBlock", `${prefix}public-access-block`, { ...on, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }));
    // "Disabled" is only valid for a bucket that was never versioned; an Enabled one was refused above.
    gate(`${prefix}versioning`, up, () => mr("BucketVersioning", `${prefix}versioning`, { ...on, versioningConfiguration: { status: versioned ? "Enabled" : "Disabled" } }));
    gate(`${prefix}encryption`, up, () =>
      mr("BucketServerSideEncryptionConfiguration", `${prefix}encryption`, {
        ...on,
        // SSE-KMS with S3 bucket keys (fewer KMS calls), or SSE-S3 stated explicitly so drift shows.
        rule: [keyId ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyId }, bucketKeyEnabled: true } : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      }));
    // The replica's policy is TLS-only: CloudFront reads the primary, logs go to the primary.
    gate(`${prefix}policy`, up, () => mr("BucketPolicy", `${prefix}policy`, { ...on, policy: bucketPolicy(prefix ? { accessLogs: false } : { cloudFront: cdn?.grant, accessLogs: spec.acceptsAccessLogs }, bucketName_) }));
    if (lifecycle.length) gate(`${prefix}lifecycle`, up, () => mr("BucketLifecycleConfiguration", `${prefix}lifecycle`, { ...on, rule: s3Lifecycle(lifecycle) }, undefined, false));
  };

  bucket("", region, name, spec.encryption.keyId, spec.versioning, spec.lifecycle);
  const up = isReady(observed["bucket"]);
  const on = { region, bucket: name };

  if (spec.cors.length) {
    gate("cors", up, () =>
      mr("BucketCorsConfiguration", "cors", {
        ...on,
        corsRule: spec.cors.map((c): NonNullable<ForProvider<s3.BucketCorsConfiguration>["corsRule"]>[number] => ({ allowedOrigins: c.allowedOrigins, allowedMethods: c.allowedMethods, allowedHeaders: c.allowedHeaders, exposeHeaders: c.exposeHeaders, maxAgeSeconds: c.maxAgeSeconds })),
      }, undefined, false));
  }

  if (spec.accessLogs) {
    // The target's bucket, from its status (so it exists), or as last rendered while that is briefly empty.
    const target = ctx.required[LOG_TARGET]?.[0];
    const seen = (observed["access-logs"]?.resource.spec?.["forProvider"] as Obj | undefined)?.["targetBucket"];
    const targetBucket = str((target?.status as Obj | undefined)?.["bucketName"]) ?? str(seen);
    gate("access-logs", up && !!targetBucket, () =>
      mr("BucketLogging", "access-logs", {
        ...on,
        targetBucket,
        targetPrefix: spec.accessLogs!.prefix ?? `${xr.namespace}/${xr.name}/`,
        // Date-partitioned keys, so logs of one day can be queried (and expired) together.
        targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
      }, undefined, false));
  }

  // Replication: a replica bucket in the other region, its role, and the configuration on the source.
  const rep = spec.replication;
  const seenReplica = observed["replica-bucket"]?.resource.spec?.["forProvider"] as { region?: string } | undefined;
  if (rep && seenReplica?.region && seenReplica.region !== rep.region) {
    throw SpecError.field("spec.replication.region", `got ${JSON.stringify(rep.region)}, but the replica bucket exists in ${seenReplica.region}`, "a bucket cannot move between regions; remove spec.replication first (the replica is kept while deletionProtection is on), then add the new region");
  }
  const replica = bucketName(xr, true);
  if (rep) {
    bucket("replica-", rep.region, replica, rep.keyId, true, spec.lifecycle);
    r["replication-role"] = managed<iam.Role>(IAM, "Role", "replication-role", { assumeRolePolicy: trustPolicy("s3.amazonaws.com"), description: `Tessera ObjectStore ${xr.namespace}/${xr.name}: S3 replication to ${rep.region}`, tags });
    r["replication-role-policy"] = managed<iam.RolePolicy>(IAM, "RolePolicy", "replication-role-policy", { roleSelector: own("replication-role"), policy: replicationPolicy(name, replica, spec.encryption.keyId, rep.keyId) });
    // The role by its ARN as observed (the configuration takes an ARN; the ARN carries the account id,
    // which only the created role tells), or as last rendered while the role's status is briefly empty.
    const roleArn = str(atProvider(observed["replication-role"])["arn"]) ?? str((observed["replication"]?.resource.spec?.["forProvider"] as Obj | undefined)?.["role"]);
    const both = isReady(observed["versioning"]) && isReady(observed["replica-versioning"]) && !!roleArn;
    gate("replication", both, () =>
      mr("BucketReplicationConfiguration", "replication", {
        ...on,
        role: roleArn,
        rule: [{
          id: "replicate-all",
          status: "Enabled",
          priority: 1,
          filter: { prefix: "" },
          deleteMarkerReplication: { status: "Enabled" },
          destination: {
            bucket: bucketArn(replica),
            storageClass: "STANDARD",
            encryptionConfiguration: spec.encryption.keyId ? { replicaKmsKeyId: rep.keyId } : undefined,
          },
          // KMS-encrypted objects replicate only when asked, re-encrypted with the replica's key.
          sourceSelectionCriteria: spec.encryption.keyId ? { sseKmsEncryptedObjects: { status: "Enabled" } } : undefined,
        }],
      }, undefined, false));
  } else if (observed["replica-bucket"]) {
    // The spec removed replication: the replica bucket goes (orphaned under deletionProtection).
    released.push("replica-bucket");
  }

  // Workload access: an IAM role per entry that EKS Pod Identity hands to the service account.
  const identities: Obj[] = [];
  for (const a of spec.access) {
    const h = accessKey(a);
    const cluster = clusterFor(ctx, a.clusterRef.name);
    r[`access-role-${h}`] = managed<iam.Role>(IAM, "Role", `access-role-${h}`, {
      assumeRolePolicy: trustPolicy("pods.eks.amazonaws.com"),
      description: `Tessera ObjectStore ${xr.namespace}/${xr.name}: ${a.role} for ${a.clusterRef.name}/${a.namespace}/${a.serviceAccount}`,
      tags,
    });
    r[`access-policy-${h}`] = managed<iam.RolePolicy>(IAM, "RolePolicy", `access-policy-${h}`, { roleSelector: own(`access-role-${h}`), policy: accessPolicy(a.role, name, spec.encryption.keyId) });
    const seen = observed[`access-association-${h}`]?.resource.spec?.["forProvider"] as Obj | undefined;
    const clusterName = cluster.clusterName ?? str(seen?.["clusterName"]);
    const roleArn = str(atProvider(observed[`access-role-${h}`])["arn"]) ?? str(seen?.["roleArn"]);
    gate(`access-association-${h}`, !!clusterName && !!roleArn, () =>
      managed<eks.PodIdentityAssociation>(EKS, "PodIdentityAssociation", `access-association-${h}`, {
        region: cluster.region,
        clusterName,
        namespace: a.namespace,
        serviceAccount: a.serviceAccount,
        roleArn,
        tags,
      }));
    identities.push({ cluster: a.clusterRef.name, namespace: a.namespace, serviceAccount: a.serviceAccount, roleArn });
  }

  const where = up ? { bucket: name, ...ENDPOINT.aws(region, name) } : undefined;
  const out = finish(ctx, r, pending, released, where, {
    bucketName: name,
    resourceId: up ? bucketArn(name) : undefined,
    replica: rep && isReady(observed["replica-bucket"]) ? { region: rep.region, bucketName: replica } : undefined,
    identities: identities.length ? identities : undefined,
    cdnDistributionArns: spec.cdn.originAccess ? grantedDistributions(observed["policy"]) : undefined,
  });
  const warnings = [...(cdn?.warnings ?? [])];
  // A customer KMS key: CloudFront also needs kms:Decrypt in the key's own policy, which only its owner can add.
  const keyId = spec.encryption.keyId;
  if (keyId && cdn?.grant.arns.length) {
    const step = kmsKeyPolicyStep(keyId, cdn.grant.arns);
    out.status = { ...out.status, manualSteps: [step] };
    warnings.push(`CloudFront reads this bucket's SSE-KMS objects only once the key policy of ${keyId} lets it decrypt (status.manualSteps)`);
  }
  if (warnings.length) out.warnings = warnings;
  return out;
};
