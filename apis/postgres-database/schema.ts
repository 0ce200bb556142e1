/**
 * PostgresDatabase: a private, encrypted, TLS-only PostgreSQL server (RDS for PostgreSQL on AWS,
 * Flexible Server on Azure). Written once here; the XRD is generated from it and the function parses
 * XRs with it, so every default below is the only default.
 */
import { z } from "zod";
import { cel, commonRules, localRef, providerField, REGIONS, regionField, secretNameField, tagsField } from "../shared/common.ts";

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
      .describe("Network for a cross-region replica, in the replica's region: the replica is placed in its database subnets (AWS) / delegated subnet and private DNS zone (Azure). Same-region replicas use spec.networkRef. On Azure the two Networks must be peered (VNet peering, declared on the Networks) so the replica can reach its primary on 5432."),
    keyId: z
      .string()
      .min(1)
      .max(2048)
      .optional()
      .describe("AWS cross-region replicas: KMS key ARN in the replica's region (RDS cannot use the source region's key there)."),
  })
  .strict()
  .describe("A read replica: same version, class and storage as the primary, its own endpoint.");

const celList = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(", ")}]`;

/** Azure SKU prefixes and the burstable one (CEL cannot match patterns; the function checks the full pattern). */
const AZURE_BURSTABLE = "(has(self.instanceType) ? self.instanceType.startsWith('B_') : self.size == 'small')";

export const PostgresDatabaseSpec = cel(
  z
    .object({
      provider: providerField,
      region: regionField,
      networkRef: localRef("Network").describe("The Network to place the server in: its database subnets and security group (AWS), its delegated subnet and private DNS zone (Azure)."),
      version: z
        .enum(MAJOR_VERSIONS, {
          error: (iss) =>
            typeof iss.input === "number"
              ? `a number is not a version string: write version: "${iss.input}" in quotes (YAML reads an unquoted 16 as a number)`
              : `must be one of ${MAJOR_VERSIONS.map((v) => `"${v}"`).join(", ")} (quoted)`,
        })
        .default("17")
        .describe(
          "PostgreSQL major version, quoted (\"16\", not 16). Minor versions are applied by the cloud (automatic minor upgrades stay on). Raising it is an in-place major upgrade: on AWS a new parameter group of the new family is composed and the instance switched to it in the same change; lowering it is refused by both clouds.",
        ),
      size: z
        .enum(SIZES)
        .default("small")
        .describe(
          "Compute class, mapped per cloud: small = 2 vCPU/4 GiB burstable (AWS db.t4g.medium, Azure B_Standard_B2s); medium = 2/8 (db.m7g.large, GP_Standard_D2ds_v5); large = 4/16 (db.m7g.xlarge, GP_Standard_D4ds_v5); xlarge = 4/32 memory optimised (db.r7g.xlarge, MO_Standard_E4ds_v5); 2xlarge = 8/64 (db.r7g.2xlarge, MO_Standard_E8ds_v5). Burstable small has no zone-redundant HA and no read replicas on Azure. instanceType overrides it.",
        ),
      instanceType: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .describe("Exact instance class, overriding size: an RDS class such as db.r6g.xlarge (AWS, starts with db.) or a Flexible Server SKU such as GP_Standard_D4s_v3 (Azure, B_/GP_/MO_Standard_...). The full pattern is checked by the function."),
      storage: z
        .object({
          sizeGB: z.int().min(20).max(65536).default(128).describe("Allocated storage in GiB (RDS allocatedStorage / Flexible Server storageMb). Azure offers 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32767. With autoGrow on Azure it is the size at creation only: Azure grows the disk and it is not shrunk back."),
          autoGrow: z.boolean().default(false).describe("Grow storage automatically when it runs low (RDS storage autoscaling / Flexible Server storage auto-grow). AWS needs maxSizeGB as the ceiling, which read replicas get too; Azure grows without a ceiling."),
          maxSizeGB: z.int().min(21).max(65536).optional().describe("AWS only: storage autoscaling ceiling in GiB (needs autoGrow); read replicas get the same ceiling so they do not fill up when the primary grows."),
          type: z.enum(["gp3", "gp2", "io1", "io2"]).optional().describe("AWS only: EBS volume type. Default gp3. Azure storage is Premium SSD sized by sizeGB."),
          iops: z.int().min(1000).max(256000).optional().describe("AWS only: provisioned IOPS. io1/io2 need it; gp3 takes it only from 400 GiB, and then at least 12000 (below 400 GiB gp3 runs at a fixed 3000). Azure IOPS follow the storage size."),
          throughputMBps: z.int().min(125).max(4000).optional().describe("AWS gp3 only, from 400 GiB: storage throughput in MiB/s, at least 500."),
        })
        .strict()
        .prefault({})
        .describe("Storage of the server and its replicas."),
      highAvailability: z
        .boolean()
        .default(false)
        .describe(
          "Synchronous standby: Multi-AZ (AWS) / zone-redundant HA (Azure, not on burstable sizes). In an Azure region without availability zones (westus, westcentralus, northcentralus, canadaeast, ukwest, japanwest, southindia, australiasoutheast) the standby is placed in the same zone (SameZone HA, which Azure offers everywhere); the function says so in a warning and in status.highAvailability.",
        ),
      backup: cel(
        z
          .object({
            retentionDays: z.int().min(1).max(35).default(7).describe("Days of automated backups kept; point-in-time restore covers this window on both clouds. Azure needs at least 7."),
            window: z
              .string()
              .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM-HH:MM in UTC")
              .optional()
              .describe("AWS only: daily backup window, HH:MM-HH:MM UTC, at least 30 minutes (may cross midnight, e.g. 23:45-00:30), and apart from maintenanceWindow. The length and overlap are checked by the function. Azure schedules backups itself."),
            geoRedundant: z.boolean().optional().describe("Azure only: keep backups in the paired region. Set at creation and immutable (Azure replaces the server to change it): to change it, create a new PostgresDatabase and restore into it."),
            crossRegionCopy: z
              .object({
                region: z.string().min(1).max(32).describe("Region the automated backups are replicated to (an AWS region other than spec.region)."),
                keyId: z.string().min(1).max(2048).describe("KMS key ARN in that region; the copies are encrypted with it."),
                retentionDays: z.int().min(1).max(35).optional().describe("Days the copies are kept there. Default: backup.retentionDays."),
              })
              .strict()
              .optional()
              .describe("AWS only: replicate automated backups (snapshots and transaction logs, for point-in-time restore) to another region (RDS DBInstanceAutomatedBackupsReplication). A read replica is not a backup: it replicates deletes too."),
          })
          .strict()
          .prefault({})
          .describe("Automated backups and point-in-time restore."),
        {
          rule: "(has(self.geoRedundant) && self.geoRedundant) == (has(oldSelf.geoRedundant) && oldSelf.geoRedundant)",
          message: "spec.backup.geoRedundant is fixed at creation (Azure would have to replace the server): create a new PostgresDatabase with the setting you want and restore or migrate into it",
          fieldPath: ".geoRedundant",
        },
      ),
      encryption: z
        .object({
          keyId: z
            .string()
            .min(1)
            .max(2048)
            .optional()
            .describe("Customer-managed key: a KMS key ARN in spec.region (arn:aws:kms:<region>:<account>:key/<id> or alias/<name>) on AWS, or a Key Vault key id (https://<vault>.vault.azure.net/keys/<name>[/<version>]) on Azure. Storage is always encrypted; unset uses the cloud-managed key."),
          identityId: z
            .string()
            .min(1)
            .max(2048)
            .optional()
            .describe("Azure only: id of a user-assigned identity allowed to use keyId."),
        })
        .strict()
        .prefault({})
        .describe("Encryption at rest (always on)."),
      readReplicas: cel(
        z
          .array(replica)
          .max(5)
          .default([])
          .describe(
            "Read replicas, in spec.region or other regions. Not on Azure burstable sizes (Azure does not offer replicas there). Removing one from this list stops managing it: with deletionProtection on it is orphaned and keeps running (and billing) in the cloud; with it off it is deleted. The function says which in a warning and status.releasedReplicas.",
          ),
        { rule: "self.all(a, self.exists_one(b, b.name == a.name))", message: "spec.readReplicas: replica names must be unique" },
      ),
      parameters: z
        .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_.]*$/).max(64), z.string().max(1024))
        .default({})
        .describe(
          "PostgreSQL server parameters, e.g. max_connections: \"200\", shared_buffers: \"4GB\", timezone: UTC. Names are matched without regard to case or '.' versus '_' (two names that match the same parameter are refused). Only parameters Tessera knows are accepted (functions/postgres-database/parameters.ts, from the PostgreSQL and RDS/Flexible Server parameter lists), and each value is checked against the parameter's type and range. Memory and time values take PostgreSQL units (kB, MB, GB; ms, s, min, h, d) and are converted to the parameter's base unit. On AWS, parameters that take effect only after a restart (static) are applied at the next reboot (applyMethod pending-reboot); dynamic ones immediately. TLS settings (ssl*, rds.force_ssl, require_secure_transport) are Tessera's: use spec.tls. Names, values and duplicates are checked by the function.",
        )
        .meta({ maxProperties: 64 }),
      maintenanceWindow: z
        .object({
          day: z.enum(DAYS).describe("Day the window starts, UTC: Sun, Mon, Tue, Wed, Thu, Fri or Sat."),
          startTime: hhmm.describe("Start, HH:MM UTC. The window lasts one hour (and may run past midnight into the next day)."),
        })
        .strict()
        .optional()
        .describe("Weekly window for patching and for changes the cloud defers. Default: chosen by the cloud. On AWS it must not overlap backup.window (checked by the function)."),
      tls: z
        .object({
          minVersion: z
            .enum(["1.2", "1.3"])
            .default("1.2")
            .describe("Lowest TLS version the server accepts: 1.2 (default) or 1.3 (ssl_min_protocol_version on both clouds). Cannot be lowered below 1.2; TLS is always required."),
        })
        .strict()
        .prefault({})
        .describe("Encryption in transit. Always required; clients verify the server with the CA in the connection Secret (ca.crt, sslmode=verify-full)."),
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
          logExports: z
            .array(z.enum(["postgresql", "upgrade"]))
            .max(2)
            .optional()
            .describe("AWS only: PostgreSQL logs exported to CloudWatch Logs. Tessera composes each log group (/aws/rds/instance/<identifier>/<log>) itself, with logRetentionDays, so RDS does not create it with unlimited retention."),
          logRetentionDays: cel(z.int().min(1).max(3653), {
            rule: "self in [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]",
            message: "spec.monitoring.logRetentionDays must be a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653",
          })
            .default(7)
            .describe("AWS only: days the exported logs are kept in CloudWatch Logs. Default 7."),
          logAnalyticsWorkspaceId: z
            .string()
            .min(1)
            .max(1024)
            .optional()
            .describe("Azure only: resource id of a Log Analytics workspace (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>); the server's PostgreSQL logs are sent there by a diagnostic setting. Retention is the workspace's (or its table's) setting."),
          enhancedMonitoringSeconds: cel(z.int().min(1).max(60), { rule: "self in [1, 5, 10, 15, 30, 60]", message: "spec.monitoring.enhancedMonitoringSeconds must be 1, 5, 10, 15, 30 or 60" })
            .optional()
            .describe("AWS only: OS metrics interval for Enhanced Monitoring (a monitoring role is composed for it)."),
        })
        .strict()
        .prefault({})
        .describe("Monitoring and logs. AWS: Performance Insights, Enhanced Monitoring and CloudWatch log exports (logRetentionDays is defaulted on both clouds and used on AWS). Azure: logAnalyticsWorkspaceId sends the server's logs to a workspace; query statistics are server parameters (pg_qs.query_capture_mode)."),
      deletionProtection: z
        .boolean()
        .default(true)
        .describe("Keep the server when this resource is deleted (and refuse deletes in the cloud console on AWS); removed read replicas are kept too. Turn off, and wait for Synced, before deleting to remove the data (AWS still keeps a final snapshot, named <identifier>-final-<hash of this resource's uid>)."),
      databaseName: cel(
        z
          .string()
          .regex(/^[a-z][a-z0-9_]{0,62}$/)
          .default("app")
          .describe("Database created on the server. Immutable: both clouds create it only with the server (RDS dbName) or as its own resource that a rename would replace with a new, empty database. To move to another name, create the database yourself (CREATE DATABASE), migrate, and point applications at it."),
        {
          rule: "self == oldSelf",
          message: "spec.databaseName is immutable: changing it would point applications at a new, empty database. Create the new database on the server yourself (CREATE DATABASE), migrate the data, and switch applications to it",
        },
      ),
      adminUsername: cel(
        z.string().regex(/^[a-z][a-z0-9_]{0,15}$/).default("tessera_admin").describe("Administrator login. The password is generated by the provider into a Secret, never written in a spec."),
        { rule: "!(self in ['admin', 'administrator', 'root', 'postgres', 'azure_superuser', 'azure_pg_admin', 'guest', 'public', 'rdsadmin'])", message: "spec.adminUsername: this name is reserved by PostgreSQL or the cloud; choose another" },
        { rule: "self == oldSelf", message: "spec.adminUsername is immutable: the administrator login is set when the server is created" },
      ),
      connectionSecretName: secretNameField,
      tags: tagsField,
    })
    .strict()
    .describe(
      "A PostgreSQL server. Changes are applied immediately (RDS applyImmediately: true), not at the next maintenance window: a class or storage change restarts or fails over the server when you apply it, so apply such changes when a short interruption is acceptable. Static parameters still wait for the next reboot. Rules only the function checks (a kubectl apply succeeds, then the XR reports the refusal): the referenced Networks (exist in this namespace, same provider and region), parameter names, values and duplicates, the backup window's length and its overlap with maintenanceWindow, the full instanceType and KMS key formats, and removed replicas' fate.",
    ),
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
    message: "spec.monitoring: performanceInsightsRetentionDays, logExports and enhancedMonitoringSeconds are AWS only; on Azure use monitoring.logAnalyticsWorkspaceId and server parameters (e.g. pg_qs.query_capture_mode) instead",
    fieldPath: ".monitoring",
  },
  {
    rule: "self.provider != 'aws' || !has(self.monitoring.logAnalyticsWorkspaceId)",
    message: "spec.monitoring.logAnalyticsWorkspaceId is an Azure setting; on AWS use monitoring.logExports (CloudWatch Logs)",
    fieldPath: ".monitoring.logAnalyticsWorkspaceId",
  },
  {
    rule: "!has(self.monitoring.logAnalyticsWorkspaceId) || (self.monitoring.logAnalyticsWorkspaceId.startsWith('/subscriptions/') && self.monitoring.logAnalyticsWorkspaceId.contains('/providers/Microsoft.OperationalInsights/workspaces/'))",
    message: "spec.monitoring.logAnalyticsWorkspaceId must be a workspace resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>",
    fieldPath: ".monitoring.logAnalyticsWorkspaceId",
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
  {
    rule: "!has(self.instanceType) || (self.provider == 'aws' ? self.instanceType.startsWith('db.') : (self.instanceType.startsWith('B_Standard_') || self.instanceType.startsWith('GP_Standard_') || self.instanceType.startsWith('MO_Standard_')))",
    message: "spec.instanceType: use an RDS class such as db.r6g.xlarge on AWS, a Flexible Server SKU such as GP_Standard_D4s_v3 on Azure, or remove it and pick spec.size",
    fieldPath: ".instanceType",
  },
  {
    rule: `self.provider != 'azure' || !self.highAvailability || !${AZURE_BURSTABLE}`,
    message: "spec.highAvailability: Azure offers no HA on burstable servers (size small, B_ SKUs); use size medium or larger, or a GP_/MO_ SKU",
    fieldPath: ".highAvailability",
  },
  {
    rule: `self.provider != 'azure' || size(self.readReplicas) == 0 || !${AZURE_BURSTABLE}`,
    message: "spec.readReplicas: Azure does not offer read replicas of burstable servers (size small, B_ SKUs); use size medium or larger, or a GP_/MO_ SKU",
    fieldPath: ".readReplicas",
  },
  {
    rule: "self.provider != 'aws' || (has(self.storage.type) && self.storage.type != 'gp3') || self.storage.sizeGB < 400 || ((!has(self.storage.iops) || self.storage.iops >= 12000) && (!has(self.storage.throughputMBps) || self.storage.throughputMBps >= 500))",
    message: "spec.storage: RDS for PostgreSQL gp3 volumes of 400 GiB or more run at least 12000 IOPS and 500 MiB/s; set iops to 12000 or more and throughputMBps to 500 or more, or remove them for that baseline",
    fieldPath: ".storage",
  },
  {
    rule: "self.provider != 'aws' || !has(self.encryption.keyId) || ((self.encryption.keyId.startsWith('arn:aws:kms:' + self.region + ':')) && (self.encryption.keyId.contains(':key/') || self.encryption.keyId.contains(':alias/')))",
    messageExpression: "'spec.encryption.keyId: on AWS use a KMS key ARN in ' + self.region + ' (arn:aws:kms:' + self.region + ':<account>:key/<id>); RDS cannot use a key from another region'",
    fieldPath: ".encryption.keyId",
  },
  {
    rule: "self.provider != 'azure' || !has(self.encryption.keyId) || (self.encryption.keyId.startsWith('https://') && (self.encryption.keyId.contains('.vault.azure.net/keys/') || self.encryption.keyId.contains('.managedhsm.azure.net/keys/')))",
    message: "spec.encryption.keyId: on Azure use a Key Vault key id, https://<vault>.vault.azure.net/keys/<name>[/<version>]",
    fieldPath: ".encryption.keyId",
  },
  {
    rule: "self.provider != 'aws' || self.readReplicas.all(r, !has(r.keyId) || ((r.keyId.startsWith('arn:aws:kms:' + (has(r.region) ? r.region : self.region) + ':')) && (r.keyId.contains(':key/') || r.keyId.contains(':alias/'))))",
    message: "spec.readReplicas: keyId must be a KMS key ARN in the replica's own region (arn:aws:kms:<replica region>:<account>:key/<id>)",
    fieldPath: ".readReplicas",
  },
  {
    rule: `self.readReplicas.all(r, !has(r.region) || (self.provider == 'aws' ? r.region in ${celList(REGIONS.aws)} : r.region in ${celList(REGIONS.azure)}))`,
    message: "spec.readReplicas: a replica's region must be a region of spec.provider (AWS regions look like us-west-2, Azure regions like westus)",
    fieldPath: ".readReplicas",
  },
  {
    rule: `!has(self.backup.crossRegionCopy) || self.backup.crossRegionCopy.region in ${celList(REGIONS.aws)}`,
    message: "spec.backup.crossRegionCopy.region must be an AWS region, such as us-west-2",
    fieldPath: ".backup.crossRegionCopy.region",
  },
  {
    rule: "self.provider != 'azure' || !has(self.backup.crossRegionCopy)",
    message: "spec.backup.crossRegionCopy is an AWS setting; on Azure use backup.geoRedundant",
    fieldPath: ".backup.crossRegionCopy",
  },
  {
    rule: "!has(self.backup.crossRegionCopy) || (self.backup.crossRegionCopy.region != self.region && self.backup.crossRegionCopy.keyId.startsWith('arn:aws:kms:' + self.backup.crossRegionCopy.region + ':'))",
    message: "spec.backup.crossRegionCopy: the region must differ from spec.region, and keyId must be a KMS key ARN in that region",
    fieldPath: ".backup.crossRegionCopy",
  },
);

export type PostgresDatabaseSpec = z.output<typeof PostgresDatabaseSpec>;

export const PostgresDatabaseStatus = z.object({
  provider: z.string().optional().describe("Cloud the database runs on (spec.provider)."),
  region: z.string().optional().describe("Region of the primary (spec.region)."),
  endpoint: z.string().optional().describe("Host name clients connect to (private), once observed."),
  port: z.int().min(1).max(65535).optional().describe("Port clients connect to (5432)."),
  connectionSecretName: z.string().optional().describe("Secret in this namespace with host, port, username, password, database, sslmode (verify-full), ca.crt (the CA that signs the server certificate) and uri."),
  serverId: z.string().optional().describe("Native id: DB instance ARN (AWS) or Flexible Server resource id (Azure)."),
  identifier: z.string().optional().describe("AWS: the RDS DB instance identifier (its name in the console)."),
  highAvailability: z.string().optional().describe("HA as composed: MultiAZ (AWS), ZoneRedundant or SameZone (Azure), or absent when off."),
  replicas: z
    .array(
      z
        .object({
          name: z.string().describe("spec.readReplicas[].name."),
          region: z.string().optional().describe("Region of the replica."),
          endpoint: z.string().optional().describe("Host name of the replica, once observed."),
          serverId: z.string().optional().describe("Native id of the replica."),
        })
        .describe("A read replica as observed."),
    )
    .max(5)
    .optional()
    .describe("Read replicas in spec.readReplicas, as observed."),
  releasedReplicas: z
    .array(z.string())
    .max(5)
    .optional()
    .describe("Replicas removed from spec.readReplicas and what happened to them (orphaned and still running under deletion protection, or deleted)."),
  message: z.string().optional().describe("Why the database is not ready yet, or 'Available'."),
}).describe("What the function observed: endpoint, ids, replicas and readiness. Crossplane adds conditions.");
