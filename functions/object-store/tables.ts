/** Abstract ObjectStore terms mapped per cloud, as data. */
import type { ObjectStoreSpec } from "../../apis/object-store/schema.ts";

type Tier = ObjectStoreSpec["lifecycle"][number]["transitions"][number]["tier"];
type Redundancy = ObjectStoreSpec["redundancy"];
type Role = ObjectStoreSpec["access"][number]["role"];

/** Warmest first: transitions must follow this order with growing afterDays, on both clouds. */
export const TIER_ORDER: Record<Tier, number> = { infrequent: 0, cold: 1, archive: 2, deepArchive: 3 };

/**
 * S3 storage classes. cold is Glacier Instant Retrieval (millisecond reads, like Azure Cold);
 * archive is Glacier Flexible Retrieval (hours, like Azure Archive).
 */
export const S3_CLASS: Record<Tier, string> = { infrequent: "STANDARD_IA", cold: "GLACIER_IR", archive: "GLACIER", deepArchive: "DEEP_ARCHIVE" };

/**
 * Azure ManagementPolicy baseBlob actions, by modification time. Azure has one archive tier, so
 * archive and deepArchive both land in it (and one rule may not name both).
 */
export const AZURE_TIER_ACTION: Record<Tier, string> = {
  infrequent: "tierToCoolAfterDaysSinceModificationGreaterThan",
  cold: "tierToColdAfterDaysSinceModificationGreaterThan",
  archive: "tierToArchiveAfterDaysSinceModificationGreaterThan",
  deepArchive: "tierToArchiveAfterDaysSinceModificationGreaterThan",
};

/** Azure accountReplicationType. Moving between the zonal and non-zonal sets replaces the account. */
export const AZURE_REPLICATION: Record<Redundancy, string> = { local: "LRS", zone: "ZRS", geo: "GRS", geoZone: "GZRS" };
export const AZURE_ZONAL = new Set(["ZRS", "GZRS", "RAGZRS"]);

/**
 * S3 actions per access role: object reads and listing for read; object writes, deletes and multipart
 * uploads for write. KMS actions are added when the bucket uses a customer key.
 */
export const S3_ACTIONS: Record<Role, { bucket: string[]; objects: string[]; kms: string[] }> = {
  read: { bucket: ["s3:ListBucket", "s3:GetBucketLocation"], objects: ["s3:GetObject", "s3:GetObjectVersion"], kms: ["kms:Decrypt"] },
  write: {
    bucket: ["s3:ListBucketMultipartUploads", "s3:GetBucketLocation"],
    objects: ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
    kms: ["kms:GenerateDataKey", "kms:Decrypt"],
  },
  readWrite: {
    bucket: ["s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:GetBucketLocation"],
    objects: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
    kms: ["kms:GenerateDataKey", "kms:Decrypt"],
  },
};

/** Azure built-in data-plane roles. There is no write-only role, so write gets Contributor. */
export const AZURE_ROLE: Record<Role, string> = {
  read: "Storage Blob Data Reader",
  write: "Storage Blob Data Contributor",
  readWrite: "Storage Blob Data Contributor",
};

/** Azure Monitor log categories of the blob service (StorageRead, StorageWrite, StorageDelete). */
export const AZURE_BLOB_LOG_CATEGORIES = ["StorageRead", "StorageWrite", "StorageDelete"];

/** Endpoints, the same shape on both clouds: a service endpoint and the bucket's (container's) URL. */
export const ENDPOINT = {
  aws: (region: string, bucket: string) => ({ endpoint: `https://s3.${region}.amazonaws.com`, url: `https://${bucket}.s3.${region}.amazonaws.com` }),
  azure: (account: string, container: string) => ({ endpoint: `https://${account}.blob.core.windows.net`, url: `https://${account}.blob.core.windows.net/${container}` }),
};
