/** Abstract MessageQueue terms mapped per cloud, as data. */
import type { MessageQueueSpec } from "../../apis/message-queue/schema.ts";

type Role = MessageQueueSpec["access"][number]["role"];

/** SQS actions each access role grants, on this XR's queues only. */
export const SQS_ACTIONS: Record<Role, string[]> = {
  send: ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
  receive: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
  both: ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
};

/** Azure built-in data-plane roles each access role is given, at the namespace (this XR's queues). */
export const SERVICE_BUS_ROLES: Record<Role, Array<"sender" | "receiver">> = { send: ["sender"], receive: ["receiver"], both: ["sender", "receiver"] };
export const SERVICE_BUS_ROLE_NAME = { sender: "Azure Service Bus Data Sender", receiver: "Azure Service Bus Data Receiver" } as const;

/** Service Bus SKU per tier. Basic is never offered: no sessions, no duplicate detection. */
export const SKU: Record<NonNullable<MessageQueueSpec["tier"]>, string> = { standard: "Standard", premium: "Premium" };

/**
 * Default maximum message size (KiB) where the spec leaves it out. SQS takes up to 1 MiB since
 * January 2026 ("More room to build: serverless services now support payloads up to 1 MB", AWS
 * Compute Blog; the provider CRD's maxMessageSize allows 1048576); 256 KiB stays the default, the
 * size Service Bus Standard takes, so one spec means the same on both clouds unless it asks for more.
 */
export const DEFAULT_MAX_MESSAGE_KB = { aws: 256, premium: 1024 } as const;

/** Backlog alarms: the worst of 5 minutes (AWS: one 300 s period; Azure: PT5M window evaluated every minute). */
export const ALARM = { periodSeconds: 300, azureWindow: "PT5M", azureFrequency: "PT1M", azureSeverity: 2 } as const;

/** Dead-letter queue retention where the spec leaves it out: the most SQS keeps (14 days). */
export const DLQ_RETENTION_SECONDS = 1_209_600;

/**
 * ISO 8601 duration in the form Service Bus returns it (a .NET TimeSpan written by XmlConvert: days,
 * then hours, minutes and seconds, zero parts left out: 345600 s is "P4D", 300 s "PT5M"). Written
 * the same way, the observed value equals the desired one and an unchanged queue never shows a diff.
 */
export function isoSeconds(total: number): string {
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const time = `${h ? `${h}H` : ""}${m ? `${m}M` : ""}${s ? `${s}S` : ""}`;
  return total === 0 ? "PT0S" : `P${d ? `${d}D` : ""}${time ? `T${time}` : ""}`;
}
