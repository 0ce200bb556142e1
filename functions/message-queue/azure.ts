/**
 * MessageQueue on Azure: the kind's own resource group, one Service Bus namespace (Standard or
 * Premium; never Basic) with SAS keys off (identity only) and TLS 1.2 minimum, and a queue per entry
 * with native dead-lettering (`<queue>/$DeadLetterQueue`, after maxDeliveryCount deliveries and on
 * expiry). Premium adds customer-managed keys through the namespace's own identity and a private
 * endpoint in the Network. Backlog alerts are Azure Monitor metric alerts on ActiveMessages, and
 * workloads get access through a managed identity federated with their cluster's OIDC issuer.
 */
import type { MessageQueueSpec, QueueSpec } from "../../apis/message-queue/schema.ts";
import { SpecError } from "../shared/errors.ts";
import { atProvider, isReady, str } from "../shared/observed.ts";
import { managed, ofNetwork, own, RETAIN } from "../shared/resources.ts";
import { tagsFor } from "../shared/tags.ts";
import { networkUsage } from "../shared/usage.ts";
import type { ForProvider, K8sObject, Obj, ObservedResource, Renderer } from "../shared/types.ts";
import type * as azure from "../crds/azure.m.upbound.io.ts";
import type * as servicebus from "../crds/servicebus.azure.m.upbound.io.ts";
import type * as msi from "../crds/managedidentity.azure.m.upbound.io.ts";
import type * as authorization from "../crds/authorization.azure.m.upbound.io.ts";
import type * as insights from "../crds/insights.azure.m.upbound.io.ts";
import type * as network from "../crds/network.azure.m.upbound.io.ts";
import { clusterFacts } from "./access.ts";
import { type AccessOut, finish, type QueueOut } from "./connection.ts";
import { accessHash, alarmName, KEY, resourceGroupName, serviceBusNamespaceName, SINGLE } from "./names.ts";
import { ALARM, DEFAULT_MAX_MESSAGE_KB, isoSeconds, SERVICE_BUS_ROLE_NAME, SERVICE_BUS_ROLES, SKU } from "./tables.ts";

const SB = "servicebus.azure.m.upbound.io/v1beta1";
const IDENTITY = "managedidentity.azure.m.upbound.io/v1beta1";
const AUTHZ = "authorization.azure.m.upbound.io/v1beta1";
const INSIGHTS = "insights.azure.m.upbound.io/v1beta1";
const NET = "network.azure.m.upbound.io/v1beta1";

/** The Private Link zone Service Bus private endpoints register in; one per VNet, so the Network owns it. */
export const SERVICE_BUS_DNS_ZONE = "privatelink.servicebus.windows.net";
/** Composed-resource key of that zone in a Network (the label contract with functions/network). */
export const NETWORK_ZONE_KEY = "private-dns-zone-servicebus";
/** Audience of Entra ID workload identity federation. */
const TOKEN_EXCHANGE = "api://AzureADTokenExchange";

const forProvider = (o: ObservedResource | undefined) => (o?.resource.spec?.["forProvider"] ?? {}) as Obj;

/** Settings Service Bus fixes at creation (requiresSession, requiresDuplicateDetection): refuse a change. */
function checkImmutable(q: QueueSpec, i: number, observed: Record<string, ObservedResource>): void {
  const seen = forProvider(observed[KEY.queue(q.name)]);
  const session = q.ordering === "fifo";
  if (seen["requiresSession"] !== undefined && seen["requiresSession"] !== session) {
    throw SpecError.field(`spec.queues[${i}].ordering`, `got ${JSON.stringify(q.ordering)}, but queue ${q.name} exists ${seen["requiresSession"] ? "with" : "without"} sessions`, "Service Bus fixes sessions when a queue is created; set it back, or add a queue with a new name");
  }
  const dedup = q.deduplication !== undefined;
  if (seen["requiresDuplicateDetection"] !== undefined && seen["requiresDuplicateDetection"] !== dedup) {
    throw SpecError.field(`spec.queues[${i}].deduplication`, `${dedup ? "is set" : "is removed"}, but queue ${q.name} exists ${seen["requiresDuplicateDetection"] ? "with" : "without"} duplicate detection`, "Service Bus fixes duplicate detection when a queue is created; set it back, or add a queue with a new name");
  }
}

export const renderAzure: Renderer<MessageQueueSpec> = (ctx) => {
  const { xr, spec, observed } = ctx;
  const location = spec.region;
  const tags = tagsFor("MessageQueue", xr, spec.tags);
  const tier = spec.tier ?? "standard";
  const premium = tier === "premium";
  const managementPolicies = spec.deletionProtection ? RETAIN : undefined;
  const nsName = serviceBusNamespaceName(xr);
  const rg = { resourceGroupNameSelector: own(SINGLE.resourceGroup) };
  const r: Record<string, K8sObject> = {};
  const pending: string[] = [];
  const released: string[] = [];

  const seenSku = str(forProvider(observed[SINGLE.namespace])["sku"]);
  if (seenSku && seenSku !== SKU[tier]) {
    throw SpecError.field("spec.tier", `got ${JSON.stringify(tier)}, but namespace ${nsName} exists as ${seenSku}`, "Service Bus moves a namespace between tiers only by migration; set the tier back, or create a new MessageQueue");
  }

  const seenKey = (forProvider(observed[SINGLE.namespace])["customerManagedKey"] as Obj | undefined)?.["keyVaultKeyId"];
  if (seenKey && !spec.encryption.keyId) {
    throw SpecError.field("spec.encryption.keyId", `is removed, but namespace ${nsName} encrypts with ${String(seenKey)}`, "Service Bus cannot turn a customer-managed key off once it is on; set keyId back (another key of the vault is fine)");
  }

  // Deleting a resource group deletes everything in it, so it is retained exactly like the namespace.
  r[SINGLE.resourceGroup] = managed<azure.ResourceGroup>("azure.m.upbound.io/v1beta1", "ResourceGroup", SINGLE.resourceGroup, { location, tags }, {
    annotations: { "crossplane.io/external-name": resourceGroupName(nsName) },
    managementPolicies,
  });

  // Customer-managed key (Premium): the namespace reads the key through its own user-assigned
  // identity, which must hold the key role before the namespace is created with the key.
  let cmk: Pick<ForProvider<servicebus.ServiceBusNamespace>, "identity" | "customerManagedKey"> | undefined;
  let namespaceReady = true;
  if (spec.encryption.keyId && spec.encryption.keyVaultId) {
    r[SINGLE.keyIdentity] = managed<msi.UserAssignedIdentity>(IDENTITY, "UserAssignedIdentity", SINGLE.keyIdentity, { name: `${nsName}-key`, location, ...rg, tags });
    const identity = atProvider(observed[SINGLE.keyIdentity]);
    const principalId = str(identity["principalId"]) ?? str(forProvider(observed[SINGLE.keyRole])["principalId"]);
    const identityId = str(identity["id"]) ?? str((forProvider(observed[SINGLE.namespace])["customerManagedKey"] as Obj | undefined)?.["identityId"]);
    if (principalId) {
      r[SINGLE.keyRole] = managed<authorization.RoleAssignment>(AUTHZ, "RoleAssignment", SINGLE.keyRole, {
        principalId,
        principalType: "ServicePrincipal",
        roleDefinitionName: "Key Vault Crypto Service Encryption User",
        scope: spec.encryption.keyVaultId,
        skipServicePrincipalAadCheck: true,
      });
    } else {
      pending.push(SINGLE.keyRole);
    }
    if (identityId) cmk = { identity: { type: "UserAssigned", identityIds: [identityId] }, customerManagedKey: { keyVaultKeyId: spec.encryption.keyId, identityId } };
    // A namespace that exists is never held back (dropping it would delete it), and never rendered without its key.
    if (observed[SINGLE.namespace] && !cmk) throw new Error(`the identity namespace ${nsName} reads its key with is unknown: neither key-identity nor the namespace reports it`);
    namespaceReady = !!observed[SINGLE.namespace] || (!!cmk && isReady(observed[SINGLE.keyRole]));
  }

  const privateAccess = spec.networkRef !== undefined;
  const namespace = managed<servicebus.ServiceBusNamespace>(SB, "ServiceBusNamespace", SINGLE.namespace, {
    location,
    ...rg,
    sku: SKU[tier],
    capacity: premium ? (spec.capacity ?? 1) : undefined,
    premiumMessagingPartitions: premium ? 1 : undefined,
    // No SAS keys: every client authenticates with Entra ID (spec.access). This also disables SAS keys
    // that existed before, which is the point.
    localAuthEnabled: false,
    minimumTlsVersion: "1.2",
    publicNetworkAccessEnabled: !privateAccess,
    // With a rule set the two public-access settings must agree, or each apply undoes the other
    // (hashicorp/terraform-provider-azurerm#31059); Deny with no rules leaves the private endpoint only.
    networkRuleSet: privateAccess ? { defaultAction: "Deny", publicNetworkAccessEnabled: false, trustedServicesAllowed: false } : undefined,
    ...cmk,
    tags,
  }, { annotations: { "crossplane.io/external-name": nsName }, managementPolicies });
  if (namespaceReady) r[SINGLE.namespace] = namespace;
  else pending.push(SINGLE.namespace);

  const ns = atProvider(observed[SINGLE.namespace]);
  // While the namespace's status is briefly empty, the id the private endpoint was made with stands in.
  const seenConnection = forProvider(observed[SINGLE.privateEndpoint])["privateServiceConnection"] as Obj | undefined;
  const nsId = str(ns["id"]) ?? str(seenConnection?.["privateConnectionResourceId"]);
  const host = nsId ? `${nsName}.servicebus.windows.net` : undefined;

  const queues: QueueOut[] = spec.queues.map((q, i) => {
    checkImmutable(q, i, observed);
    const key = KEY.queue(q.name);
    const dedup = q.deduplication;
    const queue = managed<servicebus.Queue>(SB, "Queue", key, {
      namespaceIdSelector: own(SINGLE.namespace),
      lockDuration: isoSeconds(q.visibilityTimeoutSeconds),
      defaultMessageTtl: isoSeconds(q.retentionSeconds),
      maxDeliveryCount: q.deadLetter.maxReceives,
      deadLetteringOnMessageExpiration: true,
      requiresSession: q.ordering === "fifo",
      requiresDuplicateDetection: dedup !== undefined,
      duplicateDetectionHistoryTimeWindow: dedup ? isoSeconds(dedup.windowSeconds ?? 600) : undefined,
      maxMessageSizeInKilobytes: premium ? (q.maxMessageKB ?? DEFAULT_MAX_MESSAGE_KB.premium) : undefined,
    }, { annotations: { "crossplane.io/external-name": q.name }, managementPolicies });
    // While the namespace waits (for its key), a queue would only fail to resolve it; one that exists stays.
    if (r[SINGLE.namespace] || observed[key]) r[key] = queue;
    else pending.push(key);

    if (q.backlogAlarm) {
      const alarmKey = KEY.alarm(q.name);
      const scope = nsId ?? (forProvider(observed[alarmKey])["scopes"] as string[] | undefined)?.[0];
      if (scope) {
        r[alarmKey] = managed<insights.MonitorMetricAlert>(INSIGHTS, "MonitorMetricAlert", alarmKey, {
          ...rg,
          description: `Backlog of ${xr.namespace}/${xr.name} queue ${q.name} above ${q.backlogAlarm.maxMessages} messages`,
          scopes: [scope],
          criteria: [{
            metricNamespace: "Microsoft.ServiceBus/namespaces",
            metricName: "ActiveMessages",
            aggregation: "Average",
            operator: "GreaterThan",
            threshold: q.backlogAlarm.maxMessages,
            dimension: [{ name: "EntityName", operator: "Include", values: [q.name] }],
          }],
          frequency: ALARM.azureFrequency,
          windowSize: ALARM.azureWindow,
          severity: ALARM.azureSeverity,
          tags,
        }, { annotations: { "crossplane.io/external-name": alarmName(q.name) } });
      } else {
        pending.push(alarmKey);
      }
    }

    const queueId = str(atProvider(observed[key])["id"]);
    return {
      name: q.name,
      nativeName: q.name,
      url: host && queueId ? `https://${host}/${q.name}` : undefined,
      id: queueId,
      deadLetterUrl: host && queueId ? `https://${host}/${q.name}/$DeadLetterQueue` : undefined,
      deadLetterName: `${q.name}/$DeadLetterQueue`,
      deadLetterWanted: false,
    };
  });

  const wanted = new Set(spec.queues.map((q) => q.name));
  for (const k of Object.keys(observed)) if (k.startsWith(KEY.queue("")) && !wanted.has(k.slice(KEY.queue("").length))) released.push(k);

  if (spec.networkRef) {
    const net = spec.networkRef.name;
    if (nsId) {
      r[SINGLE.privateEndpoint] = managed<network.PrivateEndpoint>(NET, "PrivateEndpoint", SINGLE.privateEndpoint, {
        location,
        ...rg,
        // The application tier: the queues' clients live there. Private endpoints are outside NSG
        // rules unless the subnet turns endpoint network policies on, which the Network does not.
        subnetIdSelector: ofNetwork(net, { tier: "private" }),
        privateServiceConnection: { name: "servicebus", isManualConnection: false, privateConnectionResourceId: nsId, subresourceNames: ["namespace"] },
        privateDnsZoneGroup: { name: "servicebus", privateDnsZoneIdsSelector: ofNetwork(net, { resource: NETWORK_ZONE_KEY }) },
        tags,
      });
      // The endpoint stands in the Network's application tier: the Network keeps that tier (and is
      // not deleted) while it exists.
      r[SINGLE.networkUsage] = networkUsage(SINGLE.networkUsage, {
        network: net,
        tier: "private",
        by: { apiVersion: NET, kind: "PrivateEndpoint", key: SINGLE.privateEndpoint },
        reason: `MessageQueue ${xr.namespace}/${xr.name} reaches its Service Bus namespace through a private endpoint in this Network's private tier`,
      });
    } else {
      pending.push(SINGLE.privateEndpoint);
    }
  }

  const access: AccessOut[] = spec.access.map((a) => {
    const h = accessHash(a);
    const idKey = KEY.identity(h);
    r[idKey] = managed<msi.UserAssignedIdentity>(IDENTITY, "UserAssignedIdentity", idKey, { name: `${nsName}-${h}`, location, ...rg, tags });
    const identity = atProvider(observed[idKey]);

    const fedKey = KEY.federation(h);
    const issuer = clusterFacts(ctx.required, a.clusterRef.name).oidcIssuerUrl ?? str(forProvider(observed[fedKey])["issuer"]);
    if (issuer) {
      r[fedKey] = managed<msi.FederatedIdentityCredential>(IDENTITY, "FederatedIdentityCredential", fedKey, {
        ...rg,
        parentIdSelector: own(idKey),
        audience: [TOKEN_EXCHANGE],
        issuer,
        subject: `system:serviceaccount:${a.namespace}:${a.serviceAccount}`,
      });
    } else {
      pending.push(fedKey);
    }

    // At the namespace: exactly this MessageQueue's queues. Needs the identity's principal and the namespace's id.
    for (const role of SERVICE_BUS_ROLES[a.role]) {
      const roleKey = role === "sender" ? KEY.sender(h) : KEY.receiver(h);
      const principalId = str(identity["principalId"]) ?? str(forProvider(observed[roleKey])["principalId"]);
      const scope = nsId ?? str(forProvider(observed[roleKey])["scope"]);
      if (principalId && scope) {
        r[roleKey] = managed<authorization.RoleAssignment>(AUTHZ, "RoleAssignment", roleKey, {
          principalId,
          principalType: "ServicePrincipal",
          roleDefinitionName: SERVICE_BUS_ROLE_NAME[role],
          scope,
          skipServicePrincipalAadCheck: true,
        });
      } else {
        pending.push(roleKey);
      }
    }
    return { clusterRef: a.clusterRef.name, namespace: a.namespace, serviceAccount: a.serviceAccount, clientId: str(identity["clientId"]) };
  });

  return finish(ctx, r, pending, released, host, queues, access);
};
