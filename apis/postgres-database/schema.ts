/**
 * PostgresDatabase: a private, encrypted, TLS-only PostgreSQL server (RDS for PostgreSQL on AWS,
 * Flexible Server on Azure). Written once here; the XRD is generated from it and the function parses
 * XRs with it, so every default below is the only default.
 */
import { z } from "zod";
import { cel, localRef, providerField, commonRules, regionField, secretNameField, tagsField } from "../shared/common.ts";

export const MAJOR_VERSIONS = ["14", "15", "16", "17"] as const;
export const SIZES = ["small", "medium", "large", "xlarge", "2xlarge"] as const;
export type Size = (typeof SIZES)[number];

/** Flexible Server offers fixed storage sizes only (GiB). */
export const AZURE_STORAGE_GB = [32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32767] as const;

export const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;

export const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM in 24-hour UTC");

const replica = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$/, "must be 1-20 lowercase letters, digits or dashes")
      .describe("Stable name of this replica; it is the replica's identity, so renaming it replaces the replica."),
    region: z.string().max(32).optional().describe("Region of the replica. Default: spec.region. Another region makes a cross-region replica."),
    networkRef: localRef("Network")
      .optional()
      .describe("Network for a cross-region replica, in the replica's region. Same-region replicas use spec.networkRef."),
    keyId: z
      .string()
      .max(2048)
      .optional()
      .describe("AWS cross-region replicas: KMS key ARN in the replica's region (RDS cannot use the source region's key there)."),
  })
  .strict();

export const PostgresDatabaseSpec = cel(
  z
    .object({
      provider: providerField,
      region: regionField,
      networkRef: localRef("Network").describe("The Network to place the server in: its database subnets and security group (AWS), its delegated subnet and private DNS zone (Azure)."),
      version: z.enum(MAJOR_VERSIONS).default("17").describe("PostgreSQL major version. Minor versions are applied by the cloud (automatic minor upgrades stay on)."),
      size: z
        .enum(SIZES)
        .default("small")
        .describe("Compute class: small (2 vCPU/4 GiB, burstable), medium (2/8), large (4/16), xlarge (4/32, memory optimised), 2xlarge (8/64). Mapped per cloud; see instanceType to pick the exact class."),
      instanceType: z
        .string()
        .max(64)
        .optional()
        .describe("Exact instance class, overriding size: an RDS class such as db.r6g.xlarge (AWS) or a Flexible Server SKU such as GP_Standard_D4s_v3 (Azure)."),
      storage: z
        .object({
          sizeGB: z.int().min(20).max(65536).default(128).describe("Allocated storage in GiB. Azure offers 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32767."),
          autoGrow: z.boolean().default(false).describe("Grow storage automatically when it runs low. AWS needs maxSizeGB as the ceiling; Azure grows without a ceiling."),
          maxSizeGB: z.int().min(21).max(65536).optional().describe("AWS only: storage autoscaling ceiling in GiB (needs autoGrow)."),
          type: z.enum(["gp3", "gp2", "io1", "io2"]).optional().describe("AWS only: EBS volume type. Default gp3. Azure storage is Premium SSD sized by sizeGB."),
          iops: z.int().min(1000).max(256000).optional().describe("AWS only: provisioned IOPS (gp3 from 400 GiB, io1/io2 always). Azure IOPS follow the storage size."),
          throughputMBps: z.int().min(125).max(4000).optional().describe("AWS gp3 only (from 400 GiB): storage throughput in MB/s."),
        })
        .strict()
        .prefault({}),
      highAvailability: z
        .boolean()
        .default(false)
        .describe("Synchronous standby in another zone: Multi-AZ (AWS) / zone-redundant HA (Azure, not on burstable sizes)."),
      backup: z
        .object({
          retentionDays: z.int().min(1).max(35).default(7).describe("Days of automated backups kept; point-in-time restore covers this window on both clouds. Azure needs at least 7."),
          window: z
            .string()
            .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM-HH:MM in UTC")
            .optional()
            .describe("AWS only: daily backup window, HH:MM-HH:MM UTC, at least 30 minutes. Azure schedules backups itself."),
          geoRedundant: z.boolean().optional().describe("Azure only: keep backups in the paired region. Set at creation."),
        })
        .strict()
        .prefault({}),
      encryption: z
        .object({
          keyId: z
            .string()
            .max(2048)
            .optional()
            .describe("Customer-managed key: a KMS key ARN (AWS) or a Key Vault key id (Azure). Storage is always encrypted; unset uses the cloud-managed key."),
          identityId: z
            .string()
            .max(2048)
            .optional()
            .describe("Azure only: id of a user-assigned identity allowed to use keyId."),
        })
        .strict()
        .prefault({}),
      readReplicas: cel(
        z.array(replica).max(5).default([]).describe("Read replicas, in spec.region or other regions."),
        { rule: "self.all(a, self.exists_one(b, b.name == a.name))", message: "spec.readReplicas: replica names must be unique" },
      ),
      parameters: z
        .record(z.string().regex(/^[a-z][a-z0-9_.]*$/).max(48), z.string().max(1024))
        .default({})
        .describe("PostgreSQL server parameters, e.g. max_connections: \"200\", shared_buffers: \"4GB\", timezone: UTC. Memory values take PostgreSQL units (kB, MB, GB) and are converted to each parameter's base unit. TLS settings are Tessera's and cannot be set here.")
        .meta({ maxProperties: 64 }),
      maintenanceWindow: z
        .object({
          day: z.enum(DAYS),
          startTime: hhmm.describe("Start, HH:MM UTC. The window lasts one hour."),
        })
        .strict()
        .optional()
        .describe("Weekly window for patching. Default: chosen by the cloud."),
      iamAuthentication: z
        .boolean()
        .default(false)
        .describe("Also allow IAM database authentication (AWS) / Microsoft Entra authentication (Azure). Password login stays on."),
      monitoring: z
        .object({
          performanceInsightsRetentionDays: z
            .int()
            .min(7)
            .max(731)
            .optional()
            .describe("AWS only: turn on Performance Insights, keeping 7 days or a multiple of 31 up to 731."),
          logExports: z.array(z.enum(["postgresql", "upgrade"])).max(2).optional().describe("AWS only: PostgreSQL logs exported to CloudWatch Logs."),
          enhancedMonitoringSeconds: cel(z.int().min(1).max(60), { rule: "self in [1, 5, 10, 15, 30, 60]", message: "spec.monitoring.enhancedMonitoringSeconds must be 1, 5, 10, 15, 30 or 60" })
            .optional()
            .describe("AWS only: OS metrics interval for Enhanced Monitoring (a monitoring role is composed for it)."),
        })
        .strict()
        .prefault({})
        .describe("AWS only. Azure exposes the equivalents as server parameters (pg_qs.query_capture_mode) and diagnostic settings."),
      deletionProtection: z
        .boolean()
        .default(true)
        .describe("Keep the server when this resource is deleted (and refuse deletes in the cloud console on AWS). Turn off, and wait for Synced, before deleting to remove the data."),
      databaseName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).default("app").describe("Database created on the server."),
      adminUsername: cel(
        z.string().regex(/^[a-z][a-z0-9_]{0,15}$/).default("tessera_admin").describe("Administrator login. The password is generated by the provider into a Secret, never written in a spec."),
        { rule: "!(self in ['admin', 'administrator', 'root', 'postgres', 'azure_superuser', 'azure_pg_admin', 'guest', 'public', 'rdsadmin'])", message: "spec.adminUsername: this name is reserved by PostgreSQL or the cloud; choose another" },
      ),
      connectionSecretName: secretNameField,
      tags: tagsField,
    })
    .strict(),
  ...commonRules(),
  {
    rule: "self.provider != 'azure' || self.storage.sizeGB in [32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32767]",
    messageExpression: "'spec.storage.sizeGB: Azure Flexible Server offers 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384 or 32767 GiB, not ' + string(self.storage.sizeGB)",
    fieldPath: ".storage.sizeGB",
  },
  {
    rule: "!has(self.storage.maxSizeGB) || self.storage.maxSizeGB > self.storage.sizeGB",
    message: "spec.storage.maxSizeGB must be above spec.storage.sizeGB",
    fieldPath: ".storage.maxSizeGB",
  },
  {
    rule: "!has(self.storage.maxSizeGB) || self.storage.autoGrow",
    message: "spec.storage.maxSizeGB is the autoscaling ceiling; set storage.autoGrow: true with it",
    fieldPath: ".storage.maxSizeGB",
  },
  {
    rule: "self.provider != 'aws' || !self.storage.autoGrow || has(self.storage.maxSizeGB)",
    message: "spec.storage.autoGrow: RDS needs a ceiling; set storage.maxSizeGB",
    fieldPath: ".storage.autoGrow",
  },
  {
    rule: "self.provider != 'azure' || (!has(self.storage.maxSizeGB) && !has(self.storage.type) && !has(self.storage.iops) && !has(self.storage.throughputMBps))",
    message: "spec.storage: maxSizeGB, type, iops and throughputMBps are AWS settings; Azure storage grows without a ceiling and its IOPS follow sizeGB. Remove them",
    fieldPath: ".storage",
  },
  {
    rule: "self.provider != 'azure' || self.backup.retentionDays >= 7",
    message: "spec.backup.retentionDays: Azure keeps backups for 7 to 35 days; use 7 or more",
    fieldPath: ".backup.retentionDays",
  },
  {
    rule: "self.provider != 'azure' || !has(self.backup.window)",
    message: "spec.backup.window: Azure schedules backups itself; remove backup.window",
    fieldPath: ".backup.window",
  },
  {
    rule: "self.provider != 'aws' || !has(self.backup.geoRedundant)",
    message: "spec.backup.geoRedundant is an Azure setting; on AWS use a cross-region read replica",
    fieldPath: ".backup.geoRedundant",
  },
  {
    rule: "self.provider != 'azure' || (!has(self.monitoring.performanceInsightsRetentionDays) && !has(self.monitoring.logExports) && !has(self.monitoring.enhancedMonitoringSeconds))",
    message: "spec.monitoring is AWS only; on Azure use server parameters (e.g. pg_qs.query_capture_mode) instead",
    fieldPath: ".monitoring",
  },
  {
    rule: "!has(self.monitoring.performanceInsightsRetentionDays) || self.monitoring.performanceInsightsRetentionDays == 7 || (self.monitoring.performanceInsightsRetentionDays % 31 == 0 && self.monitoring.performanceInsightsRetentionDays >= 31 && self.monitoring.performanceInsightsRetentionDays <= 731)",
    message: "spec.monitoring.performanceInsightsRetentionDays must be 7 or a multiple of 31 up to 731",
    fieldPath: ".monitoring.performanceInsightsRetentionDays",
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
    rule: "self.provider != 'aws' || self.readReplicas.all(r, !has(r.region) || r.region == self.region || (has(r.keyId) && has(r.networkRef)))",
    message: "spec.readReplicas: an AWS cross-region replica needs networkRef (a Network in its region) and keyId (a KMS key ARN in its region)",
    fieldPath: ".readReplicas",
  },
  {
    rule: "self.provider != 'azure' || self.readReplicas.all(r, !has(r.keyId) && (!has(r.region) || r.region == self.region || has(r.networkRef)))",
    message: "spec.readReplicas: on Azure keyId is not used, and a cross-region replica needs networkRef (a Network in its region)",
    fieldPath: ".readReplicas",
  },
  {
    rule: "self.readReplicas.all(r, !has(r.networkRef) || (has(r.region) && r.region != self.region))",
    message: "spec.readReplicas: networkRef is for cross-region replicas only; same-region replicas use spec.networkRef",
    fieldPath: ".readReplicas",
  },
);

export type PostgresDatabaseSpec = z.output<typeof PostgresDatabaseSpec>;

export const PostgresDatabaseStatus = z.object({
  provider: z.string().optional(),
  region: z.string().optional(),
  endpoint: z.string().optional().describe("Host name clients connect to (private), once observed."),
  port: z.int().min(1).max(65535).optional(),
  connectionSecretName: z.string().optional().describe("Secret in this namespace with host, port, username, password, database, sslmode and uri."),
  serverId: z.string().optional().describe("Native id: DB instance ARN (AWS) or Flexible Server resource id (Azure)."),
  replicas: z
    .array(z.object({ name: z.string(), region: z.string().optional(), endpoint: z.string().optional(), serverId: z.string().optional() }))
    .max(5)
    .optional(),
  message: z.string().optional().describe("Why the database is not ready yet, or 'Available'."),
});
