import { beforeAll, describe, expect, it } from "vitest";
import { MessageQueueSpec } from "../../apis/message-queue/schema.ts";
import { serviceBusNamespaceName } from "../../functions/message-queue/names.ts";
import { isoSeconds } from "../../functions/message-queue/tables.ts";
import type { K8sObject } from "../../functions/shared/types.ts";
import { render, RESOURCE_NAME } from "../../scripts/render-engine.ts";
import { KINDS } from "../../functions/fn.ts";
import { crdNames, mrdName, validateComposed } from "../support/crds.ts";
import { CONNECTION_DETAILS, example, NETWORKS, observe, requiredFor } from "../support/fixtures.ts";
import { admission, expectRefused, withSpec, xrdSpecSchema } from "../support/refusals.ts";

const aws = example("examples/message-queue/aws-minimal.yaml");
const azure = example("examples/message-queue/azure-minimal.yaml");
const broxiva = example("examples/message-queue/aws-broxiva.yaml");
const broxivaAzure = example("examples/message-queue/azure-broxiva.yaml");
const byKey = (rs: any[], key: string) => rs.find((r) => r.metadata.annotations[RESOURCE_NAME] === key);
const fp = (rs: any[], key: string) => byKey(rs, key)?.spec.forProvider;
const keys = (rs: any[]) => rs.map((r) => r.metadata.annotations[RESOURCE_NAME] as string).sort();

/** A K8sCluster as the K8sCluster kind reports itself once Ready (research/next-apis.md §1.4). */
function cluster(provider: "aws" | "azure", region: string, status: Record<string, string> = {}, name = "apps"): K8sObject {
  return { apiVersion: "platform.tessera.io/v1alpha1", kind: "K8sCluster", metadata: { name, namespace: "team-a" }, spec: { provider, region }, status };
}
const EKS = cluster("aws", "us-east-1", { clusterName: "apps-eks-1234" });
const AKS = cluster("azure", "westeurope", { oidcIssuerUrl: "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/" });

// Reading the provider CRDs is the slow part of the first validation; done once here, outside any test's time.
beforeAll(() => void crdNames(), 180_000);

/** Renders pass after pass, the fake cluster creating what each asks for, until nothing new appears. */
async function settle(xr: K8sObject, required: K8sObject[] = requiredFor(xr), observed: K8sObject[] = []) {
  let out = await render({ xr, required, observed, connectionDetails: CONNECTION_DETAILS });
  for (let i = 0; i < 6; i++) {
    const before = out.resources.length;
    out = await render({ xr, required, observed: observe(out.resources), connectionDetails: CONNECTION_DETAILS });
    expect(out.fatal).toBeUndefined();
    if (out.resources.length === before) break;
  }
  // Every resource valid against the real CRDs, and of a kind the module declares it composes.
  expect(out.resources.flatMap((r) => validateComposed(r).map((e) => `${r.metadata?.annotations?.[RESOURCE_NAME]}: ${e}`))).toEqual([]);
  expect(out.resources.filter((r) => r.apiVersion !== "v1" && !r.apiVersion.startsWith("protection.crossplane.io/") && !KINDS["MessageQueue"]!.composes.includes(mrdName(r) ?? r.kind)).map((r) => r.kind)).toEqual([]);
  return out;
}

describe("MessageQueue on AWS", () => {
  it("maps the Broxiva seed onto SQS queues and FIFO dead-letter queues with redrive, TLS-only policies and backlog alarms", async () => {
    const { resources, xr } = await settle(broxiva);
    const order = fp(resources, "queue-order-processing");
    expect(order).toMatchObject({ fifoQueue: true, contentBasedDeduplication: false, visibilityTimeoutSeconds: 300, messageRetentionSeconds: 345600, maxMessageSize: 262144, sqsManagedSseEnabled: true, delaySeconds: 0 });
    expect(order.name).toMatch(/^broxiva-queues-order-processing-[0-9a-f]{8}\.fifo$/);
    const dlq = fp(resources, "dlq-order-processing");
    expect(dlq).toMatchObject({ fifoQueue: true, messageRetentionSeconds: 1209600, visibilityTimeoutSeconds: 300 });
    expect(dlq.name).toBe(order.name.replace(/\.fifo$/, "-dlq.fifo"));
    const dlqArn = observe([byKey(resources, "dlq-order-processing")])[0]!.status!["atProvider"] as { arn: string };
    expect(JSON.parse(order.redrivePolicy)).toEqual({ deadLetterTargetArn: dlqArn.arn, maxReceiveCount: 5 });
    expect(JSON.parse(dlq.redriveAllowPolicy)).toEqual({ redrivePermission: "byQueue", sourceQueueArns: [expect.stringContaining("arn:aws:")] });
    expect(Object.keys(order.redrivePolicy.startsWith("{\"deadLetterTargetArn\"") ? {} : { unsorted: 1 })).toEqual([]);
    expect([60, 120, 600]).toEqual(["email-notifications", "search-indexing", "inventory-sync"].map((n) => fp(resources, `queue-${n}`).visibilityTimeoutSeconds));
    for (const key of ["queuepolicy-order-processing", "dlqpolicy-order-processing"]) {
      const stmt = JSON.parse(fp(resources, key).policy).Statement[0];
      expect(stmt).toMatchObject({ Effect: "Deny", Principal: "*", Action: "sqs:*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
      expect(stmt.Resource).toMatch(/^arn:aws:/);
    }
    expect(fp(resources, "queuepolicy-order-processing").queueUrlSelector.matchLabels).toEqual({ "platform.tessera.io/resource": "queue-order-processing" });
    expect(fp(resources, "alarm-inventory-sync")).toMatchObject({ namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", threshold: 5000, comparisonOperator: "GreaterThanThreshold", dimensions: { QueueName: fp(resources, "queue-inventory-sync").name } });
    for (const key of ["queue-order-processing", "dlq-order-processing", "queuepolicy-order-processing"]) expect(byKey(resources, key).spec.managementPolicies).toEqual(["Observe", "Create", "Update", "LateInitialize"]);
    expect(xr.status?.["message"]).toBe("Available");
  });

  it("waits for the dead-letter queue's ARN before the redrive policy, and keeps it while that status is briefly empty", async () => {
    const first = await render({ xr: aws, required: requiredFor(aws) });
    expect(fp(first.resources, "queue-jobs").redrivePolicy).toBeUndefined();
    expect(byKey(first.resources, "queuepolicy-jobs")).toBeUndefined();
    expect((first.xr.status?.["conditions"] as Array<{ type: string; message?: string }>).find((c) => c.type === "ResourcesReady")?.message).toContain("(after its dependencies)");
    const settled = await settle(aws);
    const redrive = fp(settled.resources, "queue-jobs").redrivePolicy;
    expect(redrive).toBeTruthy();
    const blank = observe(settled.resources).map((o) => (o.kind === "Queue" ? { ...o, status: { conditions: (o.status as any).conditions } } : o));
    const again = await render({ xr: aws, required: requiredFor(aws), observed: blank });
    expect(fp(again.resources, "queue-jobs").redrivePolicy).toBe(redrive);
    expect(byKey(again.resources, "queuepolicy-jobs")).toBeDefined();
  });

  it("uses a customer KMS key instead of SQS-managed keys, never both", async () => {
    const xr = withSpec(aws, (s) => (s.encryption = { keyId: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" }));
    const { resources } = await render({ xr, required: requiredFor(xr) });
    for (const key of ["queue-jobs", "dlq-jobs"]) {
      expect(fp(resources, key)).toMatchObject({ kmsMasterKeyId: expect.stringContaining(":key/"), kmsDataKeyReusePeriodSeconds: 300 });
      expect(fp(resources, key).sqsManagedSseEnabled).toBeUndefined();
    }
  });

  it("maps content-based deduplication, delivery delay, message size and dead-letter settings", async () => {
    const xr = withSpec(aws, (s) => (s.queues = [{ name: "jobs", ordering: "fifo", deduplication: { contentBased: true }, deliveryDelaySeconds: 30, maxMessageKB: 1024, retentionSeconds: 86400, deadLetter: { maxReceives: 3, retentionSeconds: 604800 } }]));
    const { resources } = await settle(xr);
    expect(fp(resources, "queue-jobs")).toMatchObject({ fifoQueue: true, contentBasedDeduplication: true, delaySeconds: 30, maxMessageSize: 1048576, messageRetentionSeconds: 86400 });
    expect(fp(resources, "dlq-jobs")).toMatchObject({ messageRetentionSeconds: 604800, delaySeconds: 0 });
    expect(JSON.parse(fp(resources, "queue-jobs").redrivePolicy).maxReceiveCount).toBe(3);
  });

  it("turns the dead-letter queue off only when asked, and says so when one existed", async () => {
    const settled = await settle(aws);
    const off = withSpec(aws, (s) => (s.queues = [{ name: "jobs", deadLetter: { enabled: false } }]));
    const out = await render({ xr: off, required: requiredFor(off), observed: observe(settled.resources) });
    expect(out.fatal).toBeUndefined();
    expect(byKey(out.resources, "dlq-jobs")).toBeUndefined();
    expect(fp(out.resources, "queue-jobs").redrivePolicy).toBeUndefined();
    expect(out.results.map((r) => r.message).join()).toContain("Queue dlq-jobs is no longer in the spec");
  });

  it("removes a queue only when the spec removes it, and says in a result what happens to it", async () => {
    const two = withSpec(aws, (s) => s.queues.push({ name: "reports" }));
    const settled = await settle(two);
    const out = await render({ xr: aws, required: requiredFor(aws), observed: observe(settled.resources) });
    expect(out.fatal).toBeUndefined();
    expect(keys(out.resources).filter((k) => k.endsWith("reports"))).toEqual([]);
    const said = out.results.filter((r) => r.severity === "SEVERITY_WARNING").map((r) => r.message);
    expect(said).toEqual(expect.arrayContaining([expect.stringMatching(/^Queue queue-reports is no longer in the spec.*kept, orphaned/), expect.stringMatching(/^Queue dlq-reports/)]));
    const unprotected = withSpec(two, (s) => (s.deletionProtection = false));
    const settledOff = await settle(unprotected);
    const removed = await render({ xr: withSpec(unprotected, (s) => s.queues.pop()), required: requiredFor(aws), observed: observe(settledOff.resources) });
    expect(removed.results.map((r) => r.message).join()).toContain("Crossplane deletes it in the cloud, with its data");
  });

  it("never drops a queue because of a bad spec: changing a queue's ordering is refused", async () => {
    const settled = observe((await settle(aws)).resources);
    const fifo = withSpec(aws, (s) => (s.queues[0].ordering = "fifo"));
    await expectRefused({ xr: fifo, required: requiredFor(aws), observed: settled }, "spec.queues[0].ordering", "cannot convert a queue");
  });

  it("names SQS queues uniquely per namespace and refuses names past 80 characters", async () => {
    const other = structuredClone(aws);
    other.metadata!.namespace = "team-b";
    const name = async (xr: K8sObject) => fp((await render({ xr, required: requiredFor(xr) })).resources, "queue-jobs").name;
    expect(await name(aws)).not.toBe(await name(other));
    const long = structuredClone(aws);
    long.metadata!.name = "a-rather-long-message-queue-name-for-checkout";
    const bad = withSpec(long, (s) => (s.queues = [{ name: "order-processing-events-high-priority", ordering: "fifo" }]));
    await expectRefused({ xr: bad, required: requiredFor(bad) }, "spec.queues[0].name", "at most 80 characters including -dlq and .fifo");
  });

  it("grants a K8sCluster service account through EKS Pod Identity, scoped to these queues", async () => {
    const xr = withSpec(aws, (s) => (s.access = [{ clusterRef: { name: "apps" }, namespace: "shop", serviceAccount: "worker", role: "receive" }]));
    const { resources, xr: out } = await settle(xr, [...requiredFor(xr), EKS]);
    const role = byKey(resources, keys(resources).find((k) => k.startsWith("accessrole-"))!);
    expect(JSON.parse(role.spec.forProvider.assumeRolePolicy).Statement[0]).toEqual({ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] });
    expect(role.metadata.annotations["crossplane.io/external-name"].length).toBeLessThanOrEqual(64);
    const policy = JSON.parse(fp(resources, keys(resources).find((k) => k.startsWith("accesspolicy-"))!).policy).Statement[0];
    expect(policy.Action).toEqual(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]);
    expect(policy.Resource).toHaveLength(2);
    expect(fp(resources, keys(resources).find((k) => k.startsWith("podidentity-"))!)).toMatchObject({ clusterName: "apps-eks-1234", namespace: "shop", serviceAccount: "worker", region: "us-east-1" });
    expect((out.status?.["access"] as any[])[0]).toMatchObject({ clusterRef: "apps", serviceAccount: "worker", roleArn: expect.stringMatching(/^arn:aws:/) });
  });

  it("lets the grant use a customer key through SQS only", async () => {
    const key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const xr = withSpec(aws, (s) => Object.assign(s, { encryption: { keyId: key }, access: [{ clusterRef: { name: "apps" }, namespace: "shop", serviceAccount: "worker", role: "send" }] }));
    const { resources } = await settle(xr, [...requiredFor(xr), EKS]);
    const statements = JSON.parse(fp(resources, keys(resources).find((k) => k.startsWith("accesspolicy-"))!).policy).Statement;
    expect(statements[1]).toEqual({ Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: key, Condition: { StringEquals: { "kms:ViaService": "sqs.us-east-1.amazonaws.com" } } });
    const alias = withSpec(xr, (s) => (s.encryption = { keyId: "alias/queues" }));
    const aliased = await settle(alias, [...requiredFor(alias), EKS]);
    expect(JSON.parse(fp(aliased.resources, keys(aliased.resources).find((k) => k.startsWith("accesspolicy-"))!).policy).Statement[1].Resource).toBe("*");
  });

  it("waits for the cluster's name, and refuses a missing cluster or one in another region", async () => {
    const xr = withSpec(aws, (s) => (s.access = [{ clusterRef: { name: "apps" }, namespace: "shop", serviceAccount: "worker", role: "send" }]));
    const waiting = await render({ xr, required: [...requiredFor(xr), cluster("aws", "us-east-1")] });
    expect(waiting.fatal).toBeUndefined();
    expect(keys(waiting.resources).some((k) => k.startsWith("podidentity-"))).toBe(false);
    const settled = await settle(xr, [...requiredFor(xr), cluster("aws", "us-east-1")]);
    expect(keys(settled.resources).some((k) => k.startsWith("podidentity-"))).toBe(false);
    expect(settled.xr.status?.["message"]).toMatch(/^Waiting for podidentity-[0-9a-f]{8} \(after its dependencies\)$/);
    await expectRefused({ xr, required: requiredFor(xr) }, "spec.access[0].clusterRef.name", "K8sCluster \"apps\" does not exist");
    await expectRefused({ xr, required: [...requiredFor(xr), cluster("aws", "us-west-2")] }, "is in us-west-2");
  });
});

describe("MessageQueue on Azure", () => {
  it("maps the Broxiva seed onto a Standard namespace without SAS keys, session queues and ActiveMessages alerts", async () => {
    const { resources } = await settle(broxivaAzure);
    const ns = byKey(resources, "namespace");
    expect(ns.spec.forProvider).toMatchObject({ sku: "Standard", localAuthEnabled: false, minimumTlsVersion: "1.2", publicNetworkAccessEnabled: true, location: "eastus" });
    expect(ns.spec.forProvider.capacity).toBeUndefined();
    const name = ns.metadata.annotations["crossplane.io/external-name"];
    expect(name).toMatch(/^[a-z][a-z0-9-]{4,48}[a-z0-9]$/);
    expect(byKey(resources, "resource-group").metadata.annotations["crossplane.io/external-name"]).toBe(`rg-${name}`);
    expect(byKey(resources, "resource-group").spec.managementPolicies).not.toContain("Delete");
    expect(fp(resources, "queue-order-processing")).toMatchObject({ lockDuration: "PT5M", requiresSession: true, requiresDuplicateDetection: false, maxDeliveryCount: 5, deadLetteringOnMessageExpiration: true, defaultMessageTtl: "P4D" });
    expect(fp(resources, "queue-email-notifications")).toMatchObject({ lockDuration: "PT1M", requiresSession: false });
    expect(fp(resources, "queue-inventory-sync").lockDuration).toBe("PT5M");
    expect(byKey(resources, "queue-order-processing").metadata.annotations["crossplane.io/external-name"]).toBe("order-processing");
    expect(fp(resources, "queue-order-processing").maxMessageSizeInKilobytes).toBeUndefined();
    const alert = fp(resources, "alarm-search-indexing");
    expect(alert).toMatchObject({ scopes: ["servicebusnamespace-namespace"], frequency: "PT1M", windowSize: "PT5M" });
    expect(alert.criteria[0]).toMatchObject({ metricNamespace: "Microsoft.ServiceBus/namespaces", metricName: "ActiveMessages", operator: "GreaterThan", threshold: 100000, dimension: [{ name: "EntityName", operator: "Include", values: ["search-indexing"] }] });
  });

  it("writes Service Bus timespans the way Azure returns them, so they never diff", () => {
    expect([30, 90, 300, 600, 345600, 86401, 1209600].map(isoSeconds)).toEqual(["PT30S", "PT1M30S", "PT5M", "PT10M", "P4D", "P1DT1S", "P14D"]);
  });

  it("names the namespace within Service Bus's global rules", () => {
    for (const name of ["q", "jobs", "9-lives", "a".repeat(63), "ends-with-sb", "x-mgmt"]) {
      const n = serviceBusNamespaceName({ name, namespace: "team-a" });
      expect(n).toMatch(/^[a-z][a-z0-9-]{4,48}[a-z0-9]$/);
      expect(n).not.toMatch(/--|-sb$|-mgmt$/);
    }
    expect(serviceBusNamespaceName({ name: "jobs", namespace: "a" })).not.toBe(serviceBusNamespaceName({ name: "jobs", namespace: "b" }));
  });

  it("on Premium sets messaging units, partitions and 1 MiB messages by default", async () => {
    const xr = withSpec(azure, (s) => Object.assign(s, { tier: "premium", capacity: 2, queues: [{ name: "jobs" }, { name: "big", maxMessageKB: 10240 }] }));
    const { resources } = await settle(xr);
    expect(fp(resources, "namespace")).toMatchObject({ sku: "Premium", capacity: 2, premiumMessagingPartitions: 1 });
    expect(fp(resources, "queue-jobs").maxMessageSizeInKilobytes).toBe(1024);
    expect(fp(resources, "queue-big").maxMessageSizeInKilobytes).toBe(10240);
  });

  it("turns on duplicate detection with its window for FIFO queues", async () => {
    const xr = withSpec(azure, (s) => (s.queues = [{ name: "jobs", ordering: "fifo", deduplication: { windowSeconds: 3600 } }]));
    const { resources } = await settle(xr);
    expect(fp(resources, "queue-jobs")).toMatchObject({ requiresSession: true, requiresDuplicateDetection: true, duplicateDetectionHistoryTimeWindow: "PT1H" });
  });

  it("encrypts with a customer key on Premium through the namespace's own identity, created only once it holds the key role", async () => {
    const vault = "/subscriptions/0000/resourceGroups/keys/providers/Microsoft.KeyVault/vaults/broxiva-kv";
    const xr = withSpec(azure, (s) => Object.assign(s, { tier: "premium", encryption: { keyId: "https://broxiva-kv.vault.azure.net/keys/sb", keyVaultId: vault } }));
    const first = await render({ xr, required: requiredFor(xr) });
    expect(byKey(first.resources, "namespace")).toBeUndefined();
    expect(byKey(first.resources, "queue-jobs")).toBeUndefined();
    const second = await render({ xr, required: requiredFor(xr), observed: observe(first.resources) });
    expect(fp(second.resources, "key-role")).toMatchObject({ roleDefinitionName: "Key Vault Crypto Service Encryption User", scope: vault, principalType: "ServicePrincipal" });
    expect(byKey(second.resources, "namespace")).toBeUndefined();
    const notReady = await render({ xr, required: requiredFor(xr), observed: [...observe(first.resources), ...observe([byKey(second.resources, "key-role")], { ready: false })] });
    expect(byKey(notReady.resources, "namespace")).toBeUndefined();
    const { resources } = await settle(xr);
    expect(fp(resources, "namespace")).toMatchObject({ identity: { type: "UserAssigned", identityIds: [expect.stringMatching(/\/userAssignedIdentities\/.+-key$/)] }, customerManagedKey: { keyVaultKeyId: "https://broxiva-kv.vault.azure.net/keys/sb", identityId: expect.stringMatching(/\/userAssignedIdentities\/.+-key$/) } });
    // Once on, the key cannot be turned off: refused by the function (and by the XRD on update).
    const off = withSpec(xr, (s) => (s.encryption = {}));
    await expectRefused({ xr: off, required: requiredFor(off), observed: observe(resources) }, "spec.encryption.keyId", "cannot turn a customer-managed key off");
    const schema = xrdSpecSchema("message-queue");
    expect(admission(schema, MessageQueueSpec.parse(off.spec), MessageQueueSpec.parse(xr.spec)).join()).toContain("cannot turn a customer-managed key off");
  });

  it("grants a K8sCluster service account through a federated managed identity and the Service Bus data roles", async () => {
    const xr = withSpec(azure, (s) => (s.access = [{ clusterRef: { name: "apps" }, namespace: "shop", serviceAccount: "worker", role: "both" }]));
    const { resources, xr: out } = await settle(xr, [...requiredFor(xr), AKS]);
    const fed = fp(resources, keys(resources).find((k) => k.startsWith("federation-"))!);
    expect(fed).toMatchObject({ issuer: "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/", subject: "system:serviceaccount:shop:worker", audience: ["api://AzureADTokenExchange"] });
    const roles = keys(resources).filter((k) => /^(sender|receiver)-/.test(k)).map((k) => fp(resources, k));
    expect(roles.map((r) => r.roleDefinitionName).sort()).toEqual(["Azure Service Bus Data Receiver", "Azure Service Bus Data Sender"]);
    expect(roles.every((r) => r.scope === "servicebusnamespace-namespace" && r.principalType === "ServicePrincipal")).toBe(true);
    expect((out.status?.["access"] as any[])[0]).toMatchObject({ serviceAccount: "worker", clientId: expect.stringMatching(/^11111111-/) });
  });

  it("renders a private endpoint in the Network's application tier, resolving through the Network's Service Bus zone", async () => {
    const xr = withSpec(azure, (s) => Object.assign(s, { tier: "premium", networkRef: { name: "minimal-azure" } }));
    const { resources } = await settle(xr);
    expect(fp(resources, "namespace")).toMatchObject({ publicNetworkAccessEnabled: false, networkRuleSet: { defaultAction: "Deny", publicNetworkAccessEnabled: false } });
    expect(fp(resources, "private-endpoint")).toMatchObject({
      subnetIdSelector: { matchLabels: { "platform.tessera.io/network": "minimal-azure", "platform.tessera.io/tier": "private" } },
      privateServiceConnection: { privateConnectionResourceId: "servicebusnamespace-namespace", subresourceNames: ["namespace"], isManualConnection: false },
      privateDnsZoneGroup: { privateDnsZoneIdsSelector: { matchLabels: { "platform.tessera.io/network": "minimal-azure", "platform.tessera.io/resource": "private-dns-zone-servicebus" } } },
    });
    // The Network keeps its private tier while the endpoint stands in it.
    expect(byKey(resources, "network-usage")).toMatchObject({
      metadata: { labels: { "platform.tessera.io/network": "minimal-azure", "platform.tessera.io/tier": "private" } },
      spec: { of: { kind: "Network", resourceRef: { name: "minimal-azure" } }, by: { kind: "PrivateEndpoint", resourceSelector: { matchLabels: { "platform.tessera.io/resource": "private-endpoint" } } }, replayDeletion: true },
    });
  });

  it("refuses changing sessions, duplicate detection or the tier of what exists, so nothing is dropped", async () => {
    const settled = observe((await settle(azure)).resources);
    await expectRefused({ xr: withSpec(azure, (s) => (s.queues[0].ordering = "fifo")), required: requiredFor(azure), observed: settled }, "spec.queues[0].ordering", "exists without sessions");
    const fifo = withSpec(azure, (s) => (s.queues = [{ name: "jobs", ordering: "fifo" }]));
    const settledFifo = observe((await settle(fifo)).resources);
    await expectRefused({ xr: withSpec(fifo, (s) => (s.queues[0].deduplication = {})), required: requiredFor(fifo), observed: settledFifo }, "spec.queues[0].deduplication", "fixes duplicate detection");
    await expectRefused({ xr: withSpec(azure, (s) => (s.tier = "premium")), required: requiredFor(azure), observed: settled }, "spec.tier", "exists as Standard");
  });
});

describe("MessageQueue refusals (one fatal naming field, value and fix)", () => {
  it.each([
    ["Azure lock over 5 minutes", azure, (s: any): unknown => (s.queues[0].visibilityTimeoutSeconds = 600), ["lock lasts 5 to 300 seconds", "renew the lock"]],
    ["SQS visibility over 12 hours", aws, (s: any): unknown => (s.queues[0].visibilityTimeoutSeconds = 43201), ["spec.queues[0].visibilityTimeoutSeconds"]],
    ["retention over 14 days", aws, (s: any): unknown => (s.queues[0].retentionSeconds = 1209601), ["spec.queues[0].retentionSeconds"]],
    ["retention under 60 s", aws, (s: any): unknown => (s.queues[0].retentionSeconds = 59), ["spec.queues[0].retentionSeconds"]],
    ["SQS message over 1 MiB", aws, (s: any): unknown => (s.queues[0].maxMessageKB = 2048), ["up to 1024 KiB"]],
    ["Standard message size other than 256", azure, (s: any): unknown => (s.queues[0].maxMessageKB = 1024), ["Standard takes messages of 256 KiB only"]],
    ["deduplication on a standard queue", aws, (s: any): unknown => (s.queues[0].deduplication = { contentBased: true }), ["deduplication applies to fifo queues only"]],
    ["SQS dedup window", aws, (s: any): unknown => Object.assign(s.queues[0], { ordering: "fifo", deduplication: { windowSeconds: 600 } }), ["exactly 300 seconds"]],
    ["content-based dedup on Azure", azure, (s: any): unknown => Object.assign(s.queues[0], { ordering: "fifo", deduplication: { contentBased: true } }), ["contentBased is AWS only", "MessageId"]],
    ["delivery delay on Azure", azure, (s: any): unknown => (s.queues[0].deliveryDelaySeconds = 30), ["deliveryDelaySeconds is AWS only"]],
    ["dead-lettering off on Azure", azure, (s: any): unknown => (s.queues[0].deadLetter = { enabled: false }), ["Service Bus always dead-letters"]],
    ["DLQ retention shorter than the queue's", aws, (s: any): unknown => Object.assign(s.queues[0], { retentionSeconds: 86400, deadLetter: { retentionSeconds: 3600 } }), ["original enqueue time"]],
    ["duplicate queue names", aws, (s: any): unknown => s.queues.push({ name: "jobs" }), ["every queue needs its own name"]],
    ["queue name with capitals", aws, (s: any): unknown => (s.queues[0].name = "Jobs"), ["spec.queues[0].name", "lowercase"]],
    ["queue name over 40 characters", aws, (s: any): unknown => (s.queues[0].name = "a".repeat(41)), ["spec.queues[0].name"]],
    ["no queues", aws, (s: any): unknown => (s.queues = []), ["spec.queues"]],
    ["tier on AWS", aws, (s: any): unknown => (s.tier = "premium"), ["Azure only"]],
    ["networkRef on AWS", aws, (s: any): unknown => (s.networkRef = { name: "minimal" }), ["Azure only", "VPC endpoint"]],
    ["customer key on Standard", azure, (s: any): unknown => (s.encryption = { keyId: "https://kv.vault.azure.net/keys/k", keyVaultId: "/subscriptions/0/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv" }), ["need spec.tier: premium", "customer-managed keys"]],
    ["private access on Standard", azure, (s: any): unknown => (s.networkRef = { name: "minimal-azure" }), ["need spec.tier: premium", "private endpoints"]],
    ["key without its vault on Azure", azure, (s: any): unknown => Object.assign(s, { tier: "premium", encryption: { keyId: "https://kv.vault.azure.net/keys/k" } }), ["keyVaultId"]],
    ["capacity that Premium does not sell", azure, (s: any): unknown => Object.assign(s, { tier: "premium", capacity: 3 }), ["1, 2, 4, 8 or 16"]],
    ["two entries for one service account", aws, (s: any): unknown => (s.access = [0, 1].map(() => ({ clusterRef: { name: "apps" }, namespace: "shop", serviceAccount: "worker", role: "send" }))), ["spec.access[1]", "repeats spec.access[0]", "one entry per cluster, namespace and service account"]],
  ] as const)("%s", async (_n, xr, patch, fragments) => {
    const bad = withSpec(xr, patch);
    await expectRefused({ xr: bad, required: [...requiredFor(bad), EKS] }, ...fragments);
  });
});

describe("MessageQueue admission rules (XRD CEL)", () => {
  const schema = xrdSpecSchema("message-queue");
  const spec = MessageQueueSpec.parse(broxivaAzure.spec);
  it("accepts the examples", () => {
    expect(admission(schema, spec, spec)).toEqual([]);
    const awsSpec = MessageQueueSpec.parse(broxiva.spec);
    expect(admission(schema, awsSpec, awsSpec)).toEqual([]);
  });
  it("refuses changing a queue's ordering, Azure duplicate detection, or the tier", () => {
    const flipped = { ...spec, queues: spec.queues.map((q) => (q.name === "order-processing" ? { ...q, ordering: "standard" } : q)) };
    expect(admission(schema, flipped, spec).join()).toContain("ordering is immutable");
    const dedup = { ...spec, queues: spec.queues.map((q) => (q.name === "order-processing" ? { ...q, deduplication: { contentBased: false } } : q)) };
    expect(admission(schema, dedup, spec).join()).toContain("duplicate detection is fixed");
    expect(admission(schema, { ...spec, tier: "premium" }, spec).join()).toContain("spec.tier is immutable");
    // A new queue may be anything; renaming is adding.
    const added = { ...spec, queues: [...spec.queues, { ...spec.queues[0]!, name: "returns", ordering: "standard" }] };
    expect(admission(schema, added, spec)).toEqual([]);
  });
});
