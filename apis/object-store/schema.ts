/**
 * ObjectStore: a private, encrypted, versioned, TLS-only bucket (S3 on AWS; a storage account with one
 * container on Azure) with cloud-neutral lifecycle rules, cross-region replication, access by workload
 * identity (no keys) and a connection Secret that says where it is. Written once here; the XRD is
 * generated from it and the function parses XRs with it.
 */
import { z } from "zod";
import { cel, commonRules, localRef, providerField, regionField, REGIONS, secretNameField, tagsField } from "../shared/common.ts";

/**
 * A CloudFront distribution ARN, as a policy's AWS:SourceArn names it and as CdnEdge reports it in
 * status.distributionArn: arn:aws:cloudfront::<account>:distribution/<id>, the form the provider's
 * Distribution reports in status.atProvider.arn (cloudfront.aws.m.upbound.io Distribution CRD).
 */
export const DISTRIBUTION_ARN = /^arn:aws:cloudfront::\d{12}:distribution\/[A-Z0-9]+$/;

const celList = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(", ")}]`;

/** Abstract storage tiers, coldest last. Mapped per cloud in functions/object-store/tables.ts. */
export const TIERS = ["infrequent", "cold", "archive", "deepArchive"] as const;
export const REDUNDANCY = ["local", "zone", "geo", "geoZone"] as const;
export const ACCESS_ROLES = ["read", "write", "readWrite"] as const;
/** The CORS methods both S3 and Azure Blob Storage take. */
export const CORS_METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"] as const;

const days = (max: number) => z.int().min(1).max(max);
const ruleName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be lowercase letters, digits and '-'");
const prefix = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^*?]+$/, "must be a literal key prefix (no wildcards)");

export const LifecycleRule = cel(
  z
    .object({
      name: ruleName.describe("Rule name, unique in this ObjectStore (S3 rule id; Azure rule name without dashes)."),
      prefix: prefix.optional().describe("Apply only to objects whose key starts with this prefix, e.g. logs/. Default: every object."),
      transitions: z
        .array(
          z
            .object({
              afterDays: days(36500).describe("Days after an object was written (S3: created; Azure: last modified)."),
              tier: z
                .enum(TIERS)
                .describe("infrequent (S3 STANDARD_IA / Azure Cool), cold (S3 GLACIER_IR / Azure Cold), archive (S3 GLACIER / Azure Archive), deepArchive (S3 DEEP_ARCHIVE / Azure Archive)."),
            })
            .strict(),
        )
        .max(4)
        .default([])
        .describe("Moves to colder tiers, warmest first, each later than the one before. S3 keeps objects in infrequent at least 30 days and needs 30 days in infrequent before a colder tier; S3 does not move objects under 128 KiB."),
      expireAfterDays: days(36500).optional().describe("Delete objects this many days after they were written; later than every transition. On a versioned store the object becomes a non-current version."),
      noncurrentExpireAfterDays: days(36500).optional().describe("Delete non-current versions (S3: days after becoming non-current; Azure: days after the version was created). Needs versioning."),
      abortIncompleteUploadAfterDays: days(365).optional().describe("AWS only: abort multipart uploads not completed after this many days. Azure discards uncommitted blocks after 7 days by itself and has no such rule."),
    })
    .strict(),
  {
    rule: "size(self.transitions) > 0 || has(self.expireAfterDays) || has(self.noncurrentExpireAfterDays) || has(self.abortIncompleteUploadAfterDays)",
    message: "spec.lifecycle: every rule needs at least one action: transitions, expireAfterDays, noncurrentExpireAfterDays or abortIncompleteUploadAfterDays",
  },
);

export const ObjectStoreSpec = cel(
  z
    .object({
      provider: providerField,
      region: regionField,
      versioning: z
        .boolean()
        .default(true)
        .describe("Keep every version of every object. Once on, it cannot be turned off on AWS (S3 can only suspend versioning), so turning it off is refused there."),
      softDeleteDays: days(365)
        .optional()
        .describe("Azure only: days deleted blobs and containers stay recoverable (blob and container soft delete). Default 7 on Azure. S3 has no soft delete: with versioning, a deleted object stays as a non-current version (see lifecycle noncurrentExpireAfterDays)."),
      encryption: z
        .object({
          keyId: z.string().min(1).max(2048).optional().describe("Customer-managed key: a KMS key ARN (AWS, SSE-KMS with S3 bucket keys) or a Key Vault key id (Azure). Data is always encrypted at rest; unset uses the cloud-managed key (SSE-S3 AES256 / Microsoft-managed)."),
          identityId: z.string().min(1).max(2048).optional().describe("Azure only: id of a user-assigned identity allowed to use keyId (and replication.keyId)."),
        })
        .strict()
        .prefault({}),
      redundancy: z
        .enum(REDUNDANCY)
        .default("zone")
        .describe("Copies within the region. AWS: zone only (S3 Standard always stores across zones; use replication for another region). Azure: local (LRS), zone (ZRS), geo (GRS: paired region), geoZone (GZRS). Azure cannot archive on zone or geoZone; moving between {local, geo} and {zone, geoZone} would replace the account, so it is refused."),
      lifecycle: z
        .array(LifecycleRule)
        .max(50)
        .default([])
        .describe("Lifecycle rules, cloud-neutral. What a cloud cannot do is refused, never dropped."),
      replication: z
        .object({
          region: z.string().min(1).max(32).describe("Region of the replica, on the same provider, different from spec.region. Cannot change while the replica exists."),
          keyId: z.string().min(1).max(2048).optional().describe("Customer-managed key in the replica's region: a KMS key ARN (AWS; required when encryption.keyId is set, as KMS keys are regional) or a Key Vault key id (Azure, used with encryption.identityId)."),
        })
        .strict()
        .optional()
        .describe("Copy every new object to a replica in another region: an S3 replica bucket with S3 replication (delete markers and KMS-encrypted objects included), or an Azure replica account with object replication (Azure does not replicate archived blobs). Needs versioning."),
      cors: z
        .array(
          z
            .object({
              allowedOrigins: z.array(z.string().min(1).max(256)).min(1).max(16).describe("Origins allowed, e.g. https://www.example.com, or *."),
              allowedMethods: z.array(z.enum(CORS_METHODS)).min(1).max(5),
              allowedHeaders: z.array(z.string().min(1).max(256)).min(1).max(16).default(["*"]).describe("Request headers allowed in a preflight. Default: any."),
              exposeHeaders: z.array(z.string().min(1).max(256)).min(1).max(16).default(["ETag"]).describe("Response headers browsers may read. Default: ETag (multipart uploads need it)."),
              maxAgeSeconds: z.int().min(0).max(86400).default(3600).describe("How long browsers cache a preflight."),
            })
            .strict(),
        )
        .max(5)
        .default([])
        .describe("CORS rules for browsers (at most 5: Azure's limit)."),
      accessLogs: z
        .object({
          objectStoreRef: localRef("ObjectStore").describe("ObjectStore in this namespace, same provider and region, with spec.acceptsAccessLogs: true."),
          prefix: prefix.optional().describe("Key prefix of the log objects (AWS). Default: <namespace>/<name>/."),
        })
        .strict()
        .optional()
        .describe("Write access logs to another ObjectStore: S3 server access logging (AWS), or a diagnostic setting of the blob service to the target's storage account (Azure)."),
      acceptsAccessLogs: z
        .boolean()
        .default(false)
        .describe("Let other ObjectStores of this account write their access logs here (AWS: a statement in this bucket's own policy for logging.s3.amazonaws.com, limited to this account). AWS needs the cloud-managed key on a log target."),
      acceptsCdnLogs: z
        .boolean()
        .default(false)
        .describe("AWS only: let CloudFront standard (legacy) logging write into this bucket. That delivery grants itself an object ACL, so object ownership becomes BucketOwnerPreferred (ACLs enabled; public ACLs stay blocked). CloudFront logging v2 needs no ACLs but has no CRD in provider-upjet-aws yet."),
      cdn: z
        .object({
          originAccess: z
            .boolean()
            .default(false)
            .describe("Let the CDN read objects. AWS: CloudFront through origin access control (OAC), by a statement in this bucket's own policy (its only writer). It names each distribution: those of the Tessera CdnEdges in this namespace that use this store as an origin (added once a CdnEdge reports its distribution in status, dropped when it is deleted or stops using the store), and distributionArns. None: no CloudFront grant at all. With encryption.keyId, the KMS key's policy must also let those distributions decrypt (status.manualSteps names the statement). Azure: Front Door (Premium) through Private Link, which sends anonymous reads: the container allows anonymous blob reads (by name, no listing) and the account's firewall admits nothing but Crossplane's egress addresses (the platform EnvironmentConfig tessera, data.crossplaneEgressCidrs, which must be set: the provider reads the account's data plane), with no trusted-service bypass, so that only approved private endpoint connections (Front Door's, approved by hand; status.manualSteps) and Crossplane's egress addresses reach it, and both can read anonymously; refused with network.allowedIps and acceptsAccessLogs. Uploads then need a private endpoint of your own."),
          distributionArns: z
            .array(z.string().max(128).regex(DISTRIBUTION_ARN, "must be a CloudFront distribution ARN"))
            .max(10)
            .optional()
            .describe("Distributions not made by a CdnEdge of this namespace (another tool, another account) that may read too, besides this namespace's CdnEdges."),
        })
        .strict()
        .prefault({})
        .describe("Read access for the CDN: CloudFront (AWS) or Front Door through Private Link (Azure). A CdnEdge refuses an ObjectStore origin without cdn.originAccess."),
      access: z
        .array(
          z
            .object({
              clusterRef: localRef("K8sCluster").describe("K8sCluster in this namespace whose workloads get access."),
              namespace: z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).describe("Kubernetes namespace of the service account in that cluster."),
              serviceAccount: z.string().min(1).max(253).regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/).describe("Kubernetes service account name."),
              role: z.enum(ACCESS_ROLES).default("read").describe("read, write or readWrite. Azure has no write-only data role: write is granted as Storage Blob Data Contributor, which can also read."),
            })
            .strict(),
        )
        .max(10)
        .default([])
        .describe("Workloads given access by identity, never keys: EKS Pod Identity (an IAM role and policy per entry) or an Azure managed identity with a federated credential and a data-plane role on the container. Needs the K8sCluster platform API."),
      network: z
        .object({
          allowedIps: z
            .array(z.string().max(18).regex(/^(\d{1,3}\.){3}\d{1,3}(\/([0-9]|[12][0-9]|3[0-2]))?$/, "must be an IPv4 address or CIDR"))
            .max(50)
            .default([])
            .describe("Azure only: public IPs or CIDRs (e.g. a cluster's NAT egress) allowed through the account firewall. Everything else is denied except trusted Azure services and Crossplane's egress addresses (the platform EnvironmentConfig tessera). Not with cdn.originAccess, whose account admits only Crossplane's egress."),
        })
        .strict()
        .prefault({})
        .describe("Azure only: the storage firewall. Public network access is denied by default (default action Deny, trusted Azure services allowed). A private endpoint in a Network is not offered yet."),
      deletionProtection: z
        .boolean()
        .default(true)
        .describe("Keep the buckets (AWS: with their public-access block, ownership, encryption, versioning and TLS-only policy) or the resource group, accounts and containers (Azure) when this resource is deleted; lifecycle rules, CORS, logging, replication and access identities are removed. Off: deleting this resource deletes everything; AWS deletes a bucket only when it is empty (Tessera never force-empties one), Azure deletes the account with all its data."),
      connectionSecretName: secretNameField.describe("Name of the connection Secret written in this namespace (default: <metadata.name>-bucket), holding bucket, endpoint, url, region and provider (no credentials). It must be this resource's own: a Secret of that name that this resource did not create is refused, never overwritten."),
      tags: tagsField,
    })
    .strict(),
  ...commonRules(),
  {
    rule: "self.provider != 'aws' || self.versioning || !oldSelf.versioning",
    message: "spec.versioning: S3 cannot turn versioning off once it was on, only suspend it; keep versioning: true (use lifecycle noncurrentExpireAfterDays to limit old versions)",
    fieldPath: ".versioning",
  },
  {
    rule: "self.provider != 'azure' || (self.redundancy in ['zone', 'geoZone']) == (oldSelf.redundancy in ['zone', 'geoZone'])",
    message: "spec.redundancy: Azure replaces the storage account (deleting its data) to move between {local, geo} and {zone, geoZone}; keep the current kind, or create a new ObjectStore and copy the data",
    fieldPath: ".redundancy",
  },
  {
    rule: "self.provider != 'aws' || !has(self.softDeleteDays)",
    message: "spec.softDeleteDays is Azure only: S3 has no soft delete; with versioning a deleted object stays as a non-current version, kept for lifecycle noncurrentExpireAfterDays",
    fieldPath: ".softDeleteDays",
  },
  {
    rule: "self.provider != 'aws' || !has(self.encryption.identityId)",
    message: "spec.encryption.identityId is an Azure setting; AWS uses the KMS key's own policy",
    fieldPath: ".encryption.identityId",
  },
  {
    rule: "self.provider != 'azure' || has(self.encryption.keyId) == has(self.encryption.identityId)",
    message: "spec.encryption: on Azure a customer-managed key needs both keyId and identityId (a user-assigned identity with access to the key)",
    fieldPath: ".encryption",
  },
  {
    rule: "self.provider != 'aws' || self.redundancy == 'zone'",
    message: "spec.redundancy: S3 Standard always stores across the region's zones (zone); for copies in another region use spec.replication",
    fieldPath: ".redundancy",
  },
  {
    rule: "self.provider != 'azure' || !(self.redundancy in ['zone', 'geoZone']) || self.lifecycle.all(r, r.transitions.all(t, !(t.tier in ['archive', 'deepArchive'])))",
    message: "spec.lifecycle: Azure has no Archive tier on zone-redundant accounts (ZRS, GZRS); use redundancy: local or geo (GRS) to archive, or move to cold instead",
    fieldPath: ".lifecycle",
  },
  {
    rule: "self.provider != 'azure' || self.lifecycle.all(r, !has(r.abortIncompleteUploadAfterDays))",
    message: "spec.lifecycle: abortIncompleteUploadAfterDays is AWS only; Azure has no such rule (it discards uncommitted blocks after 7 days by itself); remove it",
    fieldPath: ".lifecycle",
  },
  {
    rule: "self.provider != 'aws' || self.lifecycle.all(r, r.transitions.all(t, t.tier != 'infrequent' || t.afterDays >= 30))",
    message: "spec.lifecycle: S3 moves objects to infrequent (STANDARD_IA) only 30 days or more after they were written; set afterDays to 30 or more",
    fieldPath: ".lifecycle",
  },
  {
    rule: "self.versioning || self.lifecycle.all(r, !has(r.noncurrentExpireAfterDays))",
    message: "spec.lifecycle: noncurrentExpireAfterDays needs versioning: true (without versioning there are no non-current versions)",
    fieldPath: ".lifecycle",
  },
  {
    rule: "!has(self.replication) || self.versioning",
    message: "spec.replication needs versioning: true (S3 replication and Azure object replication both replicate versions)",
    fieldPath: ".replication",
  },
  {
    rule: "!has(self.replication) || self.replication.region != self.region",
    message: "spec.replication.region must differ from spec.region: a replica in the same region does not survive a regional outage (redundancy covers the zones)",
    fieldPath: ".replication.region",
  },
  {
    rule: `!has(self.replication) || (self.provider == 'aws' ? self.replication.region in ${celList(REGIONS.aws)} : self.replication.region in ${celList(REGIONS.azure)})`,
    message: "spec.replication.region must be a region of spec.provider",
    fieldPath: ".replication.region",
  },
  {
    rule: "self.provider != 'aws' || !has(self.encryption.keyId) || !has(self.replication) || has(self.replication.keyId)",
    message: "spec.replication.keyId: objects encrypted with a KMS key replicate only with a KMS key in the replica's region (KMS keys are regional); give its ARN",
    fieldPath: ".replication.keyId",
  },
  {
    rule: "self.provider != 'azure' || !has(self.replication) || !has(self.replication.keyId) || has(self.encryption.identityId)",
    message: "spec.replication.keyId: on Azure the replica's customer-managed key is used through encryption.identityId; set encryption.keyId and identityId too",
    fieldPath: ".replication.keyId",
  },
  {
    rule: "self.provider != 'aws' || !self.acceptsAccessLogs || !has(self.encryption.keyId)",
    message: "spec.acceptsAccessLogs: S3 delivers server access logs only to buckets encrypted with the S3-managed key (SSE-S3); remove encryption.keyId from the log bucket",
    fieldPath: ".acceptsAccessLogs",
  },
  {
    rule: "self.provider != 'azure' || !self.acceptsCdnLogs",
    message: "spec.acceptsCdnLogs is AWS only (CloudFront standard logging); Azure Front Door sends logs through diagnostic settings, which need no grant",
    fieldPath: ".acceptsCdnLogs",
  },
  {
    rule: "self.provider != 'azure' || !has(self.cdn.distributionArns)",
    message: "spec.cdn.distributionArns is AWS only (CloudFront distributions); on Azure, Front Door reaches the account through Private Link connections approved on it",
    fieldPath: ".cdn.distributionArns",
  },
  {
    rule: "self.provider != 'azure' || !self.cdn.originAccess || size(self.network.allowedIps) == 0",
    message: "spec.network.allowedIps: with cdn.originAccess on Azure the container is readable without credentials, so the account's firewall admits only Crossplane's egress addresses (and approved private endpoints such as Front Door's reach it); clients from these addresses could read around Front Door and its WAF. Remove allowedIps (upload through a private endpoint), or keep the store private and serve it some other way",
    fieldPath: ".network.allowedIps",
  },
  {
    rule: "self.provider != 'azure' || !self.cdn.originAccess || !self.acceptsAccessLogs",
    message: "spec.acceptsAccessLogs: with cdn.originAccess on Azure the account's firewall has no trusted-services exception, through which Azure Monitor writes logs; log into another ObjectStore",
    fieldPath: ".acceptsAccessLogs",
  },
  {
    rule: "self.cdn.originAccess || !has(self.cdn.distributionArns)",
    message: "spec.cdn.distributionArns needs originAccess: true",
    fieldPath: ".cdn.distributionArns",
  },
  {
    rule: "self.provider != 'aws' || size(self.network.allowedIps) == 0",
    message: "spec.network.allowedIps is Azure only: S3 access is by IAM identity (spec.access), not by address",
    fieldPath: ".network.allowedIps",
  },
);

export type ObjectStoreSpec = z.output<typeof ObjectStoreSpec>;
export type LifecycleRule = z.output<typeof LifecycleRule>;

export const ObjectStoreStatus = z.object({
  provider: z.string().optional(),
  region: z.string().optional(),
  bucketName: z.string().optional().describe("Bucket (AWS) or container (Azure) name."),
  accountName: z.string().optional().describe("Azure: storage account name."),
  endpoint: z.string().optional().describe("Service endpoint: https://s3.<region>.amazonaws.com or https://<account>.blob.core.windows.net."),
  url: z.string().optional().describe("URL of the bucket or container."),
  resourceId: z.string().optional().describe("Native id: bucket ARN (AWS) or storage account id (Azure)."),
  replica: z
    .object({ region: z.string().optional(), bucketName: z.string().optional(), accountName: z.string().optional() })
    .optional()
    .describe("The replica, once it exists."),
  identities: z
    .array(z.object({ cluster: z.string(), namespace: z.string(), serviceAccount: z.string(), roleArn: z.string().optional(), clientId: z.string().optional() }))
    .optional()
    .describe("Per access entry: the IAM role ARN (AWS, associated by Pod Identity) or the managed identity's client id (Azure: annotate the service account azure.workload.identity/client-id with it)."),
  cdnDistributionArns: z
    .array(z.string())
    .optional()
    .describe("AWS, with cdn.originAccess: the CloudFront distributions the bucket policy in S3 lets read objects, as the provider last observed it. A CdnEdge using this store is ready once its distribution is listed here."),
  manualSteps: z
    .array(z.string())
    .optional()
    .describe("What must be done by hand, because Tessera does not own what it touches: on AWS with encryption.keyId and cdn.originAccess, the KMS key policy statement that lets the granted CloudFront distributions decrypt; on Azure with cdn.originAccess, approving Front Door's Private Link connection."),
  connectionSecretName: z.string().optional().describe("Secret in this namespace with bucket, endpoint, url, region and provider (no credentials)."),
  message: z.string().optional().describe("Why the store is not ready yet, or 'Available'."),
});
