/**
 * Every platform API Tessera serves. The XRD generator, the function's dispatcher and the tests all
 * iterate this list, so adding a kind here is the one step that makes it exist everywhere.
 */
import type { z } from "zod";
import { NetworkSpec, NetworkStatus } from "./network/schema.ts";
import { PostgresDatabaseSpec, PostgresDatabaseStatus } from "./postgres-database/schema.ts";
import { RedisClusterSpec, RedisClusterStatus } from "./redis-cluster/schema.ts";
import { ObjectStoreSpec, ObjectStoreStatus } from "./object-store/schema.ts";
import { MessageQueueSpec, MessageQueueStatus } from "./message-queue/schema.ts";
import { K8sClusterSpec, K8sClusterStatus } from "./k8s-cluster/schema.ts";
import { CdnEdgeSpec, CdnEdgeStatus } from "./cdn-edge/schema.ts";

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "boolean" | "date";
  jsonPath: string;
  priority?: number;
  description?: string;
}

export interface ApiDefinition {
  kind: string;
  plural: string;
  /** Folder name shared under apis/, functions/, examples/ and test/. */
  folder: string;
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  /** Kind-specific columns; PROVIDER, REGION and MESSAGE are added for every kind. */
  columns: PrinterColumn[];
}

export const APIS = [
  {
    kind: "Network",
    plural: "networks",
    folder: "network",
    description: "A private network (AWS VPC / Azure VNet) with public, application, database and cache tiers.",
    spec: NetworkSpec,
    status: NetworkStatus,
    columns: [{ name: "CIDR", type: "string", jsonPath: ".spec.cidr" }],
  },
  {
    kind: "PostgresDatabase",
    plural: "postgresdatabases",
    folder: "postgres-database",
    description: "A private, encrypted, TLS-only PostgreSQL server (RDS on AWS, Flexible Server on Azure).",
    spec: PostgresDatabaseSpec,
    status: PostgresDatabaseStatus,
    columns: [
      { name: "VERSION", type: "string", jsonPath: ".spec.version" },
      { name: "ENDPOINT", type: "string", jsonPath: ".status.endpoint" },
    ],
  },
  {
    kind: "RedisCluster",
    plural: "redisclusters",
    folder: "redis-cluster",
    description: "A private, TLS-only, authenticated Redis (ElastiCache on AWS, Azure Managed Redis on Azure).",
    spec: RedisClusterSpec,
    status: RedisClusterStatus,
    columns: [
      { name: "SHARDS", type: "integer", jsonPath: ".spec.shards" },
      { name: "ENDPOINT", type: "string", jsonPath: ".status.endpoint" },
    ],
  },
  {
    kind: "ObjectStore",
    plural: "objectstores",
    folder: "object-store",
    description: "A private, encrypted, versioned, TLS-only bucket (S3 on AWS, a storage account and container on Azure) with lifecycle rules, replication and access by workload identity. Azure: the account allows no shared keys, so the provider's ProviderConfig needs storageUseAzureAD: true and a Storage Blob Data role.",
    spec: ObjectStoreSpec,
    status: ObjectStoreStatus,
    columns: [
      { name: "BUCKET", type: "string", jsonPath: ".status.bucketName" },
      { name: "URL", type: "string", jsonPath: ".status.url" },
    ],
  },
  {
    kind: "MessageQueue",
    plural: "messagequeues",
    folder: "message-queue",
    description: "A set of encrypted, TLS-only queues with dead-letter queues, reached by identity (SQS on AWS, a Service Bus namespace on Azure).",
    spec: MessageQueueSpec,
    status: MessageQueueStatus,
    columns: [{ name: "QUEUES", type: "integer", jsonPath: ".status.queueCount" }],
  },
  {
    kind: "K8sCluster",
    plural: "k8sclusters",
    folder: "k8s-cluster",
    description: "A Kubernetes cluster with private, autoscaled node pools and workload identity (EKS on AWS, AKS on Azure).",
    spec: K8sClusterSpec,
    status: K8sClusterStatus,
    columns: [
      { name: "VERSION", type: "string", jsonPath: ".spec.version" },
      { name: "CURRENT", type: "string", jsonPath: ".status.version", priority: 1 },
      { name: "SUPPORT", type: "string", jsonPath: ".status.versionSupport", priority: 1 },
      { name: "ENDPOINT", type: "string", jsonPath: ".status.endpoint" },
    ],
  },
  {
    kind: "CdnEdge",
    plural: "cdnedges",
    folder: "cdn-edge",
    description: "A CDN edge (CloudFront on AWS, Front Door Standard/Premium on Azure) with origins (ObjectStores or HTTPS hosts), path behaviours, TLS for its domains, a web application firewall on by default, and the DNS records to create in status.",
    spec: CdnEdgeSpec,
    status: CdnEdgeStatus,
    columns: [
      { name: "ENDPOINT", type: "string", jsonPath: ".status.endpoint" },
      { name: "DOMAIN", type: "string", jsonPath: ".spec.domains[0].host" },
    ],
  },
] as const satisfies readonly ApiDefinition[];

export type KindName = (typeof APIS)[number]["kind"];
