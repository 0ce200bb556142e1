/**
 * Names that are identities: requirement names, composed-resource keys and cloud names. Changing one
 * replaces (or orphans) what it names. Per queue, the queue's name is the identity: every key of a
 * queue is `<role>-<queue name>`. No role prefix is a prefix of another (each ends in "-"), so two
 * queues can never produce the same key; queue names are at most 40 characters, so the longest key
 * (`redriveallow-<name>`, 53) stays a valid label value (63).
 */
import { createHash } from "node:crypto";
import type { XrMeta } from "../shared/types.ts";

export const NETWORK = "network";
export const CONNECTION_SECRET = "connection-secret";
export const clusterRequirement = (name: string) => `cluster-${name}`;

export const KEY = {
  queue: (q: string) => `queue-${q}`,
  dlq: (q: string) => `dlq-${q}`,
  redrive: (q: string) => `redrive-${q}`,
  redriveAllow: (q: string) => `redriveallow-${q}`,
  queuePolicy: (q: string) => `queuepolicy-${q}`,
  dlqPolicy: (q: string) => `dlqpolicy-${q}`,
  alarm: (q: string) => `alarm-${q}`,
  // Access entries are identified by cluster, namespace and service account, hashed to fit a label.
  accessRole: (h: string) => `accessrole-${h}`,
  accessPolicy: (h: string) => `accesspolicy-${h}`,
  podIdentity: (h: string) => `podidentity-${h}`,
  identity: (h: string) => `identity-${h}`,
  federation: (h: string) => `federation-${h}`,
  sender: (h: string) => `sender-${h}`,
  receiver: (h: string) => `receiver-${h}`,
} as const;

/** Keys of resources that exist once per XR (Azure). None starts with a per-queue or per-access prefix. */
export const SINGLE = {
  resourceGroup: "resource-group",
  namespace: "namespace",
  privateEndpoint: "private-endpoint",
  networkUsage: "network-usage",
  keyIdentity: "key-identity",
  keyRole: "key-role",
} as const;

const hash8 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 8);

/** Identity of an access entry: stable while cluster, namespace and service account stay the same. */
export const accessHash = (a: { clusterRef: { name: string }; namespace: string; serviceAccount: string }) =>
  hash8(`${a.clusterRef.name}/${a.namespace}/${a.serviceAccount}`);

const sanitise = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-").replace(/^-+|-+$/g, "");

/**
 * SQS queue names are unique per account and region, so each carries a hash of the XR's
 * namespace/name: two teams' "orders" never collide. Names are 1-80 characters of [A-Za-z0-9_-],
 * FIFO names end in ".fifo" (counted). Returns the base; the caller adds "-dlq" and ".fifo".
 */
export function sqsBase(xr: XrMeta, queue: string): string {
  return `${sanitise(xr.name)}-${queue}-${hash8(`${xr.namespace}/${xr.name}`)}`;
}
export const SQS_MAX_NAME = 80;
export const sqsName = (base: string, fifo: boolean, dlq: boolean) => `${base}${dlq ? "-dlq" : ""}${fifo ? ".fifo" : ""}`;

/**
 * Service Bus namespace names are global (they become <name>.servicebus.windows.net): 6-50 letters,
 * digits and hyphens, starting with a letter, ending with a letter or digit, and not ending in -sb or
 * -mgmt (Microsoft's naming rules for Microsoft.ServiceBus/namespaces). `<sanitised name>-<8 hex of
 * sha256(namespace/name)>` ends in hex digits, so it never ends in -sb or -mgmt.
 */
export function serviceBusNamespaceName(xr: XrMeta): string {
  const hash = hash8(`${xr.namespace}/${xr.name}`);
  const base = sanitise(xr.name);
  const head = (/^[a-z]/.test(base) ? base : `mq-${base}`).slice(0, 50 - hash.length - 1).replace(/-+$/, "");
  return `${head}-${hash}`;
}

/** The kind's own resource group (Azure resource group names: up to 90 characters). */
export const resourceGroupName = (namespaceName: string) => `rg-${namespaceName}`;

/** IAM role names: up to 64 characters, unique per account. */
export const accessRoleName = (xr: XrMeta, h: string) => `${sanitise(xr.name).slice(0, 30)}-mq-${hash8(`${xr.namespace}/${xr.name}`)}-${h}`;
/** Names of the CloudWatch alarm (unique per account and region) and the Azure metric alert (per resource group). */
export const alarmName = (base: string) => `${base}-backlog`;
