/**
 * MessageQueue on AWS: per queue an SQS queue and (by default) its dead-letter queue, both encrypted
 * at rest (SQS-managed keys or a customer KMS key), each with a queue policy that denies every request
 * not made over TLS, a redrive policy on the queue and a redrive allow policy on the dead-letter queue
 * naming only that queue; a CloudWatch backlog alarm where asked; and EKS Pod Identity grants.
 *
 * The redrive and redrive-allow policies are set on the Queue resources themselves, not through the
 * separate QueueRedrivePolicy / QueueRedriveAllowPolicy kinds: the provider late-initialises a queue's
 * redrive_policy and redrive_allow_policy into the Queue resource (config/namespaced/sqs/config.go in
 * crossplane-contrib/provider-upjet-aws ignores only name_prefix and policy), so a separate resource
 * would be a second writer of the same attribute and the two would undo each other's changes. The
 * access policy is different: `policy` is not late-initialised, so QueuePolicy is its single writer.
 */
import type { MessageQueueSpec, QueueSpec } from "../../apis/message-queue/schema.ts";
import { SpecError } from "../shared/errors.ts";
import { atProvider, str } from "../shared/observed.ts";
import { managed, own, RETAIN } from "../shared/resources.ts";
import { tagsFor } from "../shared/tags.ts";
import type { ForProvider, K8sObject, Obj, ObservedResource, Renderer } from "../shared/types.ts";
import type * as sqs from "../crds/sqs.aws.m.upbound.io.ts";
import type * as iam from "../crds/iam.aws.m.upbound.io.ts";
import type * as eks from "../crds/eks.aws.m.upbound.io.ts";
import type * as cloudwatch from "../crds/cloudwatch.aws.m.upbound.io.ts";
import { clusterFacts } from "./access.ts";
import { type AccessOut, finish, type QueueOut } from "./connection.ts";
import { accessHash, accessRoleName, alarmName, KEY, SQS_MAX_NAME, sqsBase, sqsName } from "./names.ts";
import { ALARM, DEFAULT_MAX_MESSAGE_KB, DLQ_RETENTION_SECONDS, SQS_ACTIONS } from "./tables.ts";

const SQS = "sqs.aws.m.upbound.io/v1beta1";
const IAM = "iam.aws.m.upbound.io/v1beta1";
const EKS = "eks.aws.m.upbound.io/v1beta1";
const CLOUDWATCH = "cloudwatch.aws.m.upbound.io/v1beta1";

/** Policy JSON with a fixed key order and no whitespace, so an unchanged policy never shows a diff. */
const policyJson = (v: unknown) => JSON.stringify(v);

/** Denies every request to the queue not made over TLS (aws:SecureTransport false). */
const tlsOnlyPolicy = (arn: string) =>
  policyJson({
    Version: "2012-10-17",
    Statement: [{ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: arn, Condition: { Bool: { "aws:SecureTransport": "false" } } }],
  });

/** EKS Pod Identity: the agent assumes the role for pods and tags the session. */
const POD_IDENTITY_TRUST = policyJson({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
});

const forProvider = (o: ObservedResource | undefined) => (o?.resource.spec?.["forProvider"] ?? {}) as Obj;

/** A value computed from observed outputs, or what the resource was last given while those are briefly unknown. */
const known = (fresh: string | undefined, o: ObservedResource | undefined, field: string) => fresh ?? str(forProvider(o)[field]);

function checkQueue(q: QueueSpec, i: number, observed: Record<string, ObservedResource>): void {
  const fifo = q.ordering === "fifo";
  const seen = observed[KEY.queue(q.name)];
  if (seen && forProvider(seen)["fifoQueue"] !== undefined && forProvider(seen)["fifoQueue"] !== fifo) {
    throw SpecError.field(`spec.queues[${i}].ordering`, `got ${JSON.stringify(q.ordering)}, but queue ${q.name} exists as ${fifo ? "standard" : "fifo"}`, "SQS cannot convert a queue; set it back, or add a queue with a new name and move consumers over");
  }
}

export const renderAws: Renderer<MessageQueueSpec> = (ctx) => {
  const { xr, spec, observed } = ctx;
  const region = spec.region;
  const tags = tagsFor("MessageQueue", xr, spec.tags);
  const managementPolicies = spec.deletionProtection ? RETAIN : undefined;
  // Exactly one of the two: terraform-provider-aws declares sqs_managed_sse_enabled ConflictsWith
  // kms_master_key_id. Late-initialisation cannot bring the other back: a false or empty value is
  // skipped, and kms_data_key_reuse_period_seconds conflicts with neither.
  const sse: Pick<ForProvider<sqs.Queue>, "kmsMasterKeyId" | "kmsDataKeyReusePeriodSeconds" | "sqsManagedSseEnabled"> = spec.encryption.keyId ? { kmsMasterKeyId: spec.encryption.keyId, kmsDataKeyReusePeriodSeconds: 300 } : { sqsManagedSseEnabled: true };
  const r: Record<string, K8sObject> = {};
  const pending: string[] = [];
  const released: string[] = [];
  const queues: QueueOut[] = [];
  const arns: string[] = [];

  spec.queues.forEach((q, i) => {
    checkQueue(q, i, observed);
    const fifo = q.ordering === "fifo";
    const dlq = q.deadLetter.enabled;
    const base = sqsBase(xr, q.name);
    const name = sqsName(base, fifo, false);
    const dlqName = sqsName(base, fifo, true);
    const longest = dlq ? dlqName : name;
    if (longest.length > SQS_MAX_NAME) {
      throw SpecError.field(`spec.queues[${i}].name`, `got ${JSON.stringify(q.name)}, which makes the SQS name ${longest} (${longest.length} characters)`, `SQS names are at most ${SQS_MAX_NAME} characters including -dlq and .fifo; shorten the queue name or metadata.name`);
    }
    const common: ForProvider<sqs.Queue> = {
      region,
      fifoQueue: fifo,
      contentBasedDeduplication: fifo ? (q.deduplication?.contentBased ?? false) : undefined,
      visibilityTimeoutSeconds: q.visibilityTimeoutSeconds,
      maxMessageSize: (q.maxMessageKB ?? DEFAULT_MAX_MESSAGE_KB.aws) * 1024,
      ...sse,
      tags,
    };
    const mainKey = KEY.queue(q.name);
    const dlqKey = KEY.dlq(q.name);
    const main = atProvider(observed[mainKey]);
    const dead = atProvider(observed[dlqKey]);
    const mainArn = str(main["arn"]);
    const dlqArn = str(dead["arn"]);

    // The queue's redrive policy names the dead-letter queue's ARN, known once that queue exists.
    const redrive = dlq ? known(dlqArn && policyJson({ deadLetterTargetArn: dlqArn, maxReceiveCount: q.deadLetter.maxReceives }), observed[mainKey], "redrivePolicy") : undefined;
    if (dlq && !redrive) pending.push(`${mainKey} redrive policy`);
    r[mainKey] = managed<sqs.Queue>(SQS, "Queue", mainKey, {
      ...common,
      name,
      messageRetentionSeconds: q.retentionSeconds,
      delaySeconds: q.deliveryDelaySeconds ?? 0,
      redrivePolicy: redrive,
    }, { managementPolicies });

    if (dlq) {
      // Only this queue may move messages here; a redrive back to the source works from the console or StartMessageMoveTask.
      const allow = known(mainArn && policyJson({ redrivePermission: "byQueue", sourceQueueArns: [mainArn] }), observed[dlqKey], "redriveAllowPolicy");
      r[dlqKey] = managed<sqs.Queue>(SQS, "Queue", dlqKey, {
        ...common,
        name: dlqName,
        messageRetentionSeconds: q.deadLetter.retentionSeconds ?? DLQ_RETENTION_SECONDS,
        delaySeconds: 0,
        redriveAllowPolicy: allow,
      }, { managementPolicies });
    } else if (observed[dlqKey]) {
      // deadLetter.enabled: false on a queue that had one: deliberate, and said in a result.
      released.push(dlqKey);
    }

    const policyFor = (key: string, queueKey: string, arn: string | undefined) => {
      const policy = known(arn && tlsOnlyPolicy(arn), observed[key], "policy");
      if (!policy) return pending.push(key);
      // Retained with the queue: a queue kept in the cloud keeps refusing requests without TLS.
      r[key] = managed<sqs.QueuePolicy>(SQS, "QueuePolicy", key, { region, queueUrlSelector: own(queueKey), policy }, { managementPolicies });
    };
    policyFor(KEY.queuePolicy(q.name), mainKey, mainArn);
    if (dlq) policyFor(KEY.dlqPolicy(q.name), dlqKey, dlqArn);

    if (q.backlogAlarm) {
      const key = KEY.alarm(q.name);
      r[key] = managed<cloudwatch.MetricAlarm>(CLOUDWATCH, "MetricAlarm", key, {
        region,
        alarmDescription: `Backlog of ${xr.namespace}/${xr.name} queue ${q.name} above ${q.backlogAlarm.maxMessages} messages`,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: name },
        statistic: "Maximum",
        period: ALARM.periodSeconds,
        evaluationPeriods: 1,
        threshold: q.backlogAlarm.maxMessages,
        comparisonOperator: "GreaterThanThreshold",
        // An idle queue reports nothing for a while; that is no backlog.
        treatMissingData: "notBreaching",
        tags,
      }, { annotations: { "crossplane.io/external-name": alarmName(name) } });
    }

    if (mainArn) arns.push(mainArn);
    if (dlqArn) arns.push(dlqArn);
    queues.push({
      name: q.name,
      nativeName: name,
      url: str(main["url"]),
      id: mainArn,
      deadLetterUrl: dlq ? str(dead["url"]) : undefined,
      deadLetterName: dlq ? dlqName : undefined,
      deadLetterWanted: dlq,
    });
  });

  const wanted = new Set(spec.queues.map((q) => q.name));
  for (const k of Object.keys(observed)) {
    for (const prefix of [KEY.queue(""), KEY.dlq("")]) if (k.startsWith(prefix) && !wanted.has(k.slice(prefix.length))) released.push(k);
  }

  const everyArn = spec.queues.every((q) => observed[KEY.queue(q.name)] && str(atProvider(observed[KEY.queue(q.name)])["arn"]) && (!q.deadLetter.enabled || str(atProvider(observed[KEY.dlq(q.name)])["arn"])));
  // With a customer key, senders need kms:GenerateDataKey and receivers kms:Decrypt on it (SQS asks KMS
  // on the caller's behalf). Scoped to the key when keyId is a key ARN, and to use through SQS in this
  // region in any case; the key's own policy must let the account's IAM policies grant it (the default).
  const keyId = spec.encryption.keyId;
  const kms: Obj | undefined = keyId
    ? {
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: /^arn:aws[a-z-]*:kms:[^:]+:\d{12}:key\//.test(keyId) ? keyId : "*",
        Condition: { StringEquals: { "kms:ViaService": `sqs.${region}.amazonaws.com` } },
      }
    : undefined;
  const access: AccessOut[] = spec.access.map((a) => {
    const h = accessHash(a);
    const roleKey = KEY.accessRole(h);
    r[roleKey] = managed<iam.Role>(IAM, "Role", roleKey, {
      description: `EKS Pod Identity for ${a.namespace}/${a.serviceAccount} in ${a.clusterRef.name}: ${a.role} on queues of ${xr.namespace}/${xr.name}`,
      assumeRolePolicy: POD_IDENTITY_TRUST,
      tags,
    }, { annotations: { "crossplane.io/external-name": accessRoleName(xr, h) } });

    // Scoped to this XR's queues: written once every queue's ARN is known, so a grant never lists fewer queues than the spec.
    const policyKey = KEY.accessPolicy(h);
    const statements: Obj[] = [{ Effect: "Allow", Action: SQS_ACTIONS[a.role], Resource: [...arns].sort() }];
    if (kms) statements.push(kms);
    const policy = known(everyArn ? policyJson({ Version: "2012-10-17", Statement: statements }) : undefined, observed[policyKey], "policy");
    if (policy) r[policyKey] = managed<iam.RolePolicy>(IAM, "RolePolicy", policyKey, { roleSelector: own(roleKey), policy });
    else pending.push(policyKey);

    const assocKey = KEY.podIdentity(h);
    const clusterName = known(clusterFacts(ctx.required, a.clusterRef.name).clusterName, observed[assocKey], "clusterName");
    if (clusterName) {
      r[assocKey] = managed<eks.PodIdentityAssociation>(EKS, "PodIdentityAssociation", assocKey, {
        region,
        clusterName,
        namespace: a.namespace,
        serviceAccount: a.serviceAccount,
        roleArnSelector: own(roleKey),
        tags,
      });
    } else {
      pending.push(assocKey);
    }
    return { clusterRef: a.clusterRef.name, namespace: a.namespace, serviceAccount: a.serviceAccount, roleArn: str(atProvider(observed[roleKey])["arn"]) };
  });

  return finish(ctx, r, pending, released, `https://sqs.${region}.amazonaws.com`, queues, access);
};
