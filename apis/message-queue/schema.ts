/**
 * MessageQueue: a set of queues for one app, each with a dead-letter queue by default (SQS queues
 * with redrive policies on AWS; queues in one Service Bus namespace with native dead-lettering on
 * Azure). Written once here; the XRD is generated from it and the function parses XRs with it.
 */
import { z } from "zod";
import { cel, commonRules, localRef, providerField, regionField, secretNameField, tagsField } from "../shared/common.ts";

export const ORDERINGS = ["standard", "fifo"] as const;
export const TIERS = ["standard", "premium"] as const;
export const ACCESS_ROLES = ["send", "receive", "both"] as const;
/** Service Bus Premium messaging units a namespace may have. */
export const PREMIUM_CAPACITY = [1, 2, 4, 8, 16] as const;

/** SQS: 14 days; Service Bus: the same bound, so one spec means one thing on both clouds. */
export const MAX_RETENTION_SECONDS = 1_209_600;

const queue = cel(
  z
    .object({
      name: z
        .string()
        // maxLength as well as the pattern: the API server estimates CEL rule cost from it.
        .max(40)
        .regex(/^[a-z][a-z0-9-]{0,38}[a-z0-9]$/, "must be 2-40 lowercase letters, digits or dashes, starting with a letter and not ending with a dash")
        .describe("The queue's name and identity: renaming it creates a new, empty queue. At most 40 characters, so every resource key derived from it stays a valid label value."),
      ordering: z
        .enum(ORDERINGS)
        .default("standard")
        .describe("standard: at-least-once, best-effort order. fifo: ordered per message group (SQS FIFO, name ends in .fifo; senders set MessageGroupId) or per session (Service Bus sessions; senders set SessionId and receivers must accept sessions, so consumer code differs between the clouds). Immutable: the clouds cannot convert a queue."),
      visibilityTimeoutSeconds: z
        .int()
        .min(0)
        .max(43_200)
        .default(30)
        .describe("How long a received message stays invisible to other consumers: SQS visibility timeout (0-43200 s, 12 hours) / Service Bus lock duration (5-300 s; longer work must renew the lock from the client)."),
      retentionSeconds: z
        .int()
        .min(60)
        .max(MAX_RETENTION_SECONDS)
        .default(345_600)
        .describe("How long an unconsumed message is kept: SQS message retention / Service Bus default message time-to-live. 60 s to 14 days; default 4 days."),
      maxMessageKB: z
        .int()
        .min(1)
        .max(102_400)
        .optional()
        .describe("Largest message accepted, in KiB. AWS: 1-1024 (default 256). Azure Standard: 256 only. Azure Premium: 1024-102400 (default 1024)."),
      deliveryDelaySeconds: z
        .int()
        .min(0)
        .max(900)
        .optional()
        .describe("AWS only: delay before a new message becomes visible (0-900 s). Service Bus has no queue-wide delay; senders schedule single messages."),
      deduplication: z
        .object({
          contentBased: z.boolean().default(false).describe("AWS only: deduplicate by a SHA-256 of the body when the sender gives no deduplication id."),
          windowSeconds: z
            .int()
            .min(20)
            .max(604_800)
            .optional()
            .describe("How long a message id is remembered. AWS: fixed at 300. Azure: 20 s to 7 days (default 600)."),
        })
        .strict()
        .optional()
        .describe("FIFO only. AWS: FIFO queues always deduplicate by MessageDeduplicationId; contentBased adds body hashing. Azure: turns on duplicate detection by MessageId, which cannot be changed after creation."),
      deadLetter: z
        .object({
          enabled: z
            .boolean()
            .default(true)
            .describe("A dead-letter queue for messages that fail maxReceives times. Turning it off is AWS only and must be explicit; Service Bus always dead-letters."),
          maxReceives: z.int().min(1).max(1000).default(5).describe("Deliveries before a message is dead-lettered: SQS maxReceiveCount / Service Bus maxDeliveryCount."),
          retentionSeconds: z
            .int()
            .min(60)
            .max(MAX_RETENTION_SECONDS)
            .optional()
            .describe("AWS only: retention of the dead-letter queue (default 14 days; SQS keeps a message's original enqueue time, so it must be at least the queue's retention). Service Bus keeps dead-lettered messages until they are received."),
        })
        .strict()
        .prefault({}),
      backlogAlarm: z
        .object({
          maxMessages: z.int().min(1).max(100_000_000).describe("Alarm when more messages than this wait in the queue (5-minute maximum). Neither cloud caps a queue by count; this is the seed's 'Max Messages'."),
        })
        .strict()
        .optional()
        .describe("A backlog alarm: CloudWatch alarm on ApproximateNumberOfMessagesVisible (AWS) / Azure Monitor metric alert on ActiveMessages (Azure). It has no notification target; wire one in the cloud."),
    })
    .strict(),
  {
    rule: "self.ordering == 'fifo' || !has(self.deduplication)",
    message: "deduplication applies to fifo queues only; remove it or set ordering: fifo",
    fieldPath: ".deduplication",
  },
  {
    rule: "!has(self.deadLetter.retentionSeconds) || self.deadLetter.retentionSeconds >= self.retentionSeconds",
    message: "deadLetter.retentionSeconds must be at least retentionSeconds: SQS keeps a message's original enqueue time when it moves to the dead-letter queue",
    fieldPath: ".deadLetter.retentionSeconds",
  },
);

// One entry per cluster, namespace and service account is checked by the function, not CEL: the
// property `namespace` is a CEL reserved word, which the API server makes `__namespace__` in rules.
const access = z
  .object({
    clusterRef: localRef("K8sCluster").describe("The K8sCluster (same namespace, provider and region) whose workloads get access."),
    namespace: z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).describe("Kubernetes namespace of the service account, inside that cluster."),
    serviceAccount: z.string().min(1).max(253).regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/).describe("Kubernetes service account the workload runs as."),
    role: z.enum(ACCESS_ROLES).describe("send, receive (receive, delete, change visibility) or both, on every queue of this MessageQueue."),
  })
  .strict();

export const MessageQueueSpec = cel(
  z
    .object({
      provider: providerField,
      region: regionField,
      tier: cel(z.enum(TIERS), { rule: "self == oldSelf", message: "spec.tier is immutable: Service Bus moves a namespace to Premium only by migration; create a new MessageQueue" })
        .optional()
        .describe("Azure only: Service Bus namespace tier, standard (default) or premium (dedicated capacity, customer keys, private endpoints, messages over 256 KiB). Basic is not offered: it has no sessions and no duplicate detection."),
      capacity: cel(z.int(), { rule: "self in [1, 2, 4, 8, 16]", message: "spec.capacity must be 1, 2, 4, 8 or 16 messaging units" })
        .optional()
        .describe("Azure Premium only: messaging units (1, 2, 4, 8 or 16). Default 1."),
      networkRef: localRef("Network")
        .optional()
        .describe("Azure Premium only: reach the namespace only through a private endpoint in the Network's application (private) tier, with public access off. It resolves through the privatelink.servicebus.windows.net zone the Network composes. AWS: SQS has a regional endpoint; a VPC endpoint belongs to the Network."),
      queues: z.array(queue).min(1).max(20).describe("The queues, 1 to 20. Each queue's name is its identity; removing one from the list deletes the queue and its messages (unless deletionProtection)."),
      encryption: z
        .object({
          keyId: z
            .string()
            .min(1)
            .max(2048)
            .optional()
            .describe("Customer key for encryption at rest. AWS: a KMS key id, ARN or alias (otherwise SQS-managed keys). Azure Premium: a Key Vault key URL (otherwise Microsoft-managed keys). Data is always encrypted at rest."),
          keyVaultId: z
            .string()
            .regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i, "must be the ARM id of a Key Vault")
            .optional()
            .describe("Azure only, with keyId: ARM id of the Key Vault holding the key (Service Bus needs soft delete and purge protection on it, and Azure RBAC authorisation, since access is granted by role). Tessera grants the namespace's own identity 'Key Vault Crypto Service Encryption User' there."),
        })
        .strict()
        .prefault({}),
      access: z
        .array(access)
        .max(10)
        .default([])
        .describe("Workloads that may use the queues, by identity (no keys): EKS Pod Identity role (AWS) / managed identity with a federated credential and the Service Bus Data Sender/Receiver roles (Azure)."),
      deletionProtection: z
        .boolean()
        .default(true)
        .describe("Keep the queues (and on Azure the namespace and its resource group) in the cloud when this resource or a queue is removed. Turn off, and wait for Synced, before deleting to remove the data."),
      connectionSecretName: secretNameField.describe("Name of the connection Secret written in this namespace (default: <metadata.name>-queues), holding provider, region, endpoint and per queue <name>.url, <name>.name, <name>.deadLetterUrl, <name>.deadLetterName (no credentials). It must be this resource's own: a Secret of that name that this resource did not create is refused, never overwritten."),
      tags: tagsField,
    })
    .strict(),
  ...commonRules(),
  {
    rule: "self.queues.all(a, self.queues.exists_one(b, b.name == a.name))",
    message: "spec.queues: every queue needs its own name",
    fieldPath: ".queues",
  },
  {
    rule: "self.provider != 'aws' || (!has(self.tier) && !has(self.capacity) && !has(self.networkRef) && !has(self.encryption.keyVaultId))",
    message: "spec.tier, spec.capacity, spec.networkRef and spec.encryption.keyVaultId are Azure only; SQS has no tiers, and its private access is a VPC endpoint of the Network",
  },
  {
    rule: "self.provider != 'azure' || (has(self.tier) && self.tier == 'premium') || (!has(self.capacity) && !has(self.networkRef) && !has(self.encryption.keyId))",
    message: "spec.capacity, spec.networkRef and spec.encryption.keyId need spec.tier: premium; Service Bus Standard has no dedicated capacity, private endpoints or customer-managed keys",
  },
  {
    rule: "self.provider != 'azure' || has(self.encryption.keyId) == has(self.encryption.keyVaultId)",
    message: "spec.encryption: on Azure give keyId (the key URL) together with keyVaultId (the vault's ARM id), so the namespace's identity can be granted the key",
    fieldPath: ".encryption",
  },
  {
    rule: "self.provider != 'aws' || self.queues.all(q, !has(q.deduplication) || !has(q.deduplication.windowSeconds) || q.deduplication.windowSeconds == 300)",
    message: "spec.queues[].deduplication.windowSeconds: SQS FIFO remembers deduplication ids for exactly 300 seconds; remove windowSeconds or set 300",
  },
  {
    rule: "self.provider != 'aws' || self.queues.all(q, !has(q.maxMessageKB) || q.maxMessageKB <= 1024)",
    message: "spec.queues[].maxMessageKB: SQS accepts messages up to 1024 KiB (1 MiB); store larger payloads in an ObjectStore and send a reference",
  },
  {
    rule: "self.provider != 'azure' || self.queues.all(q, q.visibilityTimeoutSeconds >= 5 && q.visibilityTimeoutSeconds <= 300)",
    message: "spec.queues[].visibilityTimeoutSeconds: a Service Bus lock lasts 5 to 300 seconds; use at most 300 and renew the lock from the client for longer work",
  },
  {
    rule: "self.provider != 'azure' || self.queues.all(q, !has(q.deliveryDelaySeconds) || q.deliveryDelaySeconds == 0)",
    message: "spec.queues[].deliveryDelaySeconds is AWS only: Service Bus has no queue-wide delay; schedule single messages (ScheduledEnqueueTimeUtc) instead",
  },
  {
    rule: "self.provider != 'azure' || self.queues.all(q, !has(q.deduplication) || !q.deduplication.contentBased)",
    message: "spec.queues[].deduplication.contentBased is AWS only: Service Bus detects duplicates by MessageId; set MessageId to a hash of the body in the sender",
  },
  {
    rule: "self.provider != 'azure' || self.queues.all(q, q.deadLetter.enabled && !has(q.deadLetter.retentionSeconds))",
    message: "spec.queues[].deadLetter: Service Bus always dead-letters after maxReceives deliveries and keeps dead-lettered messages until received; remove deadLetter.enabled: false and deadLetter.retentionSeconds",
  },
  {
    rule: "self.provider != 'azure' || self.queues.all(q, !has(q.maxMessageKB) || (has(self.tier) && self.tier == 'premium' ? q.maxMessageKB >= 1024 : q.maxMessageKB == 256))",
    message: "spec.queues[].maxMessageKB: Service Bus Standard takes messages of 256 KiB only; Premium takes 1024 to 102400 KiB",
  },
  {
    rule: "self.provider != 'azure' || !has(oldSelf.encryption.keyId) || has(self.encryption.keyId)",
    message: "spec.encryption.keyId: Service Bus cannot turn a customer-managed key off once it is on; keep a keyId (another key is fine)",
    fieldPath: ".encryption.keyId",
  },
  {
    rule: "self.queues.all(q, oldSelf.queues.all(o, o.name != q.name || o.ordering == q.ordering))",
    message: "spec.queues[].ordering is immutable: neither SQS nor Service Bus converts a queue between standard and fifo; add a queue with a new name instead",
    fieldPath: ".queues",
  },
  {
    rule: "self.provider != 'azure' || self.queues.all(q, oldSelf.queues.all(o, o.name != q.name || has(o.deduplication) == has(q.deduplication)))",
    message: "spec.queues[].deduplication: Service Bus duplicate detection is fixed when a queue is created; add a queue with a new name instead",
    fieldPath: ".queues",
  },
);

export type MessageQueueSpec = z.output<typeof MessageQueueSpec>;
export type QueueSpec = MessageQueueSpec["queues"][number];

const queueStatus = z.object({
  name: z.string().optional(),
  nativeName: z.string().optional().describe("The queue's name in the cloud (SQS adds a unique suffix, and .fifo for FIFO)."),
  url: z.string().optional().describe("SQS queue URL / Service Bus queue URL."),
  id: z.string().optional().describe("SQS queue ARN / Service Bus queue resource id."),
  deadLetterUrl: z.string().optional().describe("Dead-letter queue URL (SQS) / the queue's $DeadLetterQueue subqueue (Service Bus)."),
});

export const MessageQueueStatus = z.object({
  provider: z.string().optional(),
  region: z.string().optional(),
  endpoint: z.string().optional().describe("SQS regional endpoint / Service Bus namespace host name."),
  queueCount: z.int().optional().describe("Queues whose URL is known."),
  queues: z.array(queueStatus).optional(),
  access: z
    .array(
      z.object({
        clusterRef: z.string().optional(),
        namespace: z.string().optional(),
        serviceAccount: z.string().optional(),
        roleArn: z.string().optional().describe("AWS: the IAM role EKS Pod Identity gives the service account."),
        clientId: z.string().optional().describe("Azure: client id of the managed identity; annotate the service account with azure.workload.identity/client-id."),
      }),
    )
    .optional(),
  connectionSecretName: z.string().optional().describe("Secret in this namespace with provider, region, endpoint and per queue <name>.url, <name>.name, <name>.deadLetterUrl, <name>.deadLetterName. No credentials."),
  message: z.string().optional().describe("What the queues wait for, or 'Available'."),
});
