/**
 * ObjectStore on Azure: the kind's own resource group, a StorageV2 account named `<name><hash>` and
 * one private container. The account is HTTPS-only with TLS 1.2, allows no public blobs, no shared
 * keys (Entra ID only) and no cross-tenant replication, encrypts twice (infrastructure encryption, set
 * at creation), keeps versions, deleted blobs and deleted containers (soft delete), and its firewall
 * denies the public internet (default action Deny; trusted Azure services, spec.network.allowedIps and
 * Crossplane's egress from the platform EnvironmentConfig pass: its addresses as IP rules, which admit
 * Crossplane only from outside the account's region, and its subnets as virtual network rules, for
 * Crossplane inside it: shared/platform.ts). Crossplane's rules are recorded on the Account (annotation
 * platform.tessera.io/crossplane-egress) and kept while the EnvironmentConfig is missing or sets no
 * egress: removing them would lock the provider out of every account at once, for good.
 * Lifecycle rules are a ManagementPolicy scoped to the container; replication is object
 * replication to a replica account in spec.replication.region; access logs are a diagnostic setting;
 * workload access is a managed identity with a federated credential and a data role on the container.
 *
 * Cross-region replication: object replication, not geo-redundancy (GRS). GRS copies to the fixed
 * paired region, which the user cannot choose, and the copy is readable only after a failover (or
 * with RA-GRS); object replication copies to the region the spec names, into an account of its own
 * that can be read at any time, the same model as S3 replication. GRS remains available through
 * spec.redundancy: geo, independently.
 *
 * A Front Door origin (spec.cdn.originAccess): Front Door Premium reaches the account through Private
 * Link, which only opens a network path; it sends anonymous GETs, which a private container refuses
 * (Front Door's origin authentication with a managed identity is in preview, "not supported for origins
 * with Private Link enabled", learn.microsoft.com/azure/frontdoor/origin-authentication-with-managed-identities,
 * and neither azurerm 4.80 nor provider-upjet-azure v2.7's FrontdoorOrigin has a field for it,
 * hashicorp/terraform-provider-azurerm#30556). So the container allows anonymous blob reads (access
 * level blob: blobs by name, no listing) and the account's firewall admits nothing but Crossplane's
 * egress addresses and subnets (default action Deny, bypass None), so that only approved private endpoint
 * connections (Front Door's) and Crossplane reach it; the storage firewall "remains in effect and will
 * block anonymous traffic" on the public endpoint (learn.microsoft.com/azure/storage/common/storage-network-security).
 * Public network access stays on: with it off the provider, which reads the account's data plane on
 * every reconcile (hashicorp/terraform-provider-azurerm#33454), could not manage the account from
 * outside its network; the residual exposure is that Crossplane's egress addresses and anything in its
 * subnets can read the container anonymously (README). Without egress addresses or subnets cdn.originAccess is refused. The
 * XRD refuses allowedIps with it (those clients could read anonymously, around the WAF), and a log
 * target (Azure Monitor delivers through the trusted-services exception, which bypass None closes).
 * The container opens only once the account reports these settings; turning it off closes the account
 * in one update (allowNestedItemsToBePublic false overrides the container's level). A store without
 * cdn.originAccess is never changed.
 *
 * Staging: the resource group and the accounts first (never gated), containers and the management
 * policy once their account is Ready, object replication once both containers are Ready, role
 * assignments once the identity's principal and the container's id are observed.
 */
import type { LifecycleRule, ObjectStoreSpec } from "../../apis/object-store/schema.ts";
import { SpecError } from "../shared/errors.ts";
import { EGRESS_FIELD, egressCidrs, egressSubnetIds, PLATFORM_CONFIG_NAME } from "../shared/platform.ts";
import { atProvider, isReady, str } from "../shared/observed.ts";
import { managed, own, RETAIN } from "../shared/resources.ts";
import { tagsFor } from "../shared/tags.ts";
import type { ForProvider, K8sObject, ManagedKind, Obj, ObservedResource, Renderer } from "../shared/types.ts";
import type * as azure from "../crds/azure.m.upbound.io.ts";
import type * as storage from "../crds/storage.azure.m.upbound.io.ts";
import type * as msi from "../crds/managedidentity.azure.m.upbound.io.ts";
import type * as authorization from "../crds/authorization.azure.m.upbound.io.ts";
import type * as insights from "../crds/insights.azure.m.upbound.io.ts";
import { clusterFor } from "./cluster.ts";
import { finish } from "./connection.ts";
import { accessKey, accountName, containerName, guid, LOG_TARGET } from "./names.ts";
import { AZURE_BLOB_LOG_CATEGORIES, AZURE_REPLICATION, AZURE_ROLE, AZURE_TIER_ACTION, AZURE_ZONAL, ENDPOINT } from "./tables.ts";

const RG = "azure.m.upbound.io/v1beta1";
const STORAGE = "storage.azure.m.upbound.io/v1beta1";
const IDENTITY = "managedidentity.azure.m.upbound.io/v1beta1";
const AUTHZ = "authorization.azure.m.upbound.io/v1beta1";
const INSIGHTS = "insights.azure.m.upbound.io/v1beta1";
/** Which of an Account's network rules are Crossplane's (JSON of Egress), as last composed. */
export const EGRESS_ANNOTATION = "platform.tessera.io/crossplane-egress";
/** Crossplane's egress as an account's firewall takes it: IP rules (Azure's form) and subnet ids. */
interface Egress { ipRules: string[]; subnetIds: string[] }
const NO_EGRESS: Egress = { ipRules: [], subnetIds: [] };
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** The egress rules an observed Account was last composed with (its annotation); none when unreadable. */
function recordedEgress(o: ObservedResource | undefined): Egress {
  const text = o?.resource.metadata?.annotations?.[EGRESS_ANNOTATION];
  if (!text) return NO_EGRESS;
  try {
    const v = JSON.parse(text) as Obj;
    return { ipRules: strings(v["ipRules"]), subnetIds: strings(v["subnetIds"]) };
  } catch {
    return NO_EGRESS;
  }
}
/** Azure's default soft-delete retention, which Tessera keeps when the spec does not say. */
const SOFT_DELETE_DAYS = 7;

type AzureLifecycleRule = NonNullable<ForProvider<storage.ManagementPolicy>["rule"]>[number];

/** ManagementPolicy rules: prefixes are `<container>/<prefix>`, so a rule never reaches beyond this store's container. */
export function azureLifecycle(rules: readonly LifecycleRule[], container: string): AzureLifecycleRule[] {
  return rules.map((r): AzureLifecycleRule => {
    const baseBlob: NonNullable<NonNullable<AzureLifecycleRule["actions"]>["baseBlob"]> = {};
    for (const t of r.transitions) baseBlob[AZURE_TIER_ACTION[t.tier]] = t.afterDays;
    if (r.expireAfterDays) baseBlob["deleteAfterDaysSinceModificationGreaterThan"] = r.expireAfterDays;
    return {
      // Azure rule names are letters and digits only.
      name: r.name.replace(/-/g, ""),
      enabled: true,
      filters: { blobTypes: ["blockBlob"], prefixMatch: [`${container}/${r.prefix ?? ""}`] },
      actions: {
        baseBlob: Object.keys(baseBlob).length ? baseBlob : undefined,
        version: r.noncurrentExpireAfterDays ? { deleteAfterDaysSinceCreation: r.noncurrentExpireAfterDays } : undefined,
      },
    };
  });
}

/** Azure rules the XRD does not see: one archive tier (archive and deepArchive cannot both be named), dash-free names unique. */
function checkAzureLifecycle(rules: readonly LifecycleRule[]): void {
  const names = new Map<string, string>();
  rules.forEach((r, i) => {
    const tiers = r.transitions.map((t) => AZURE_TIER_ACTION[t.tier]);
    if (new Set(tiers).size !== tiers.length) {
      throw SpecError.field(`spec.lifecycle[${i}].transitions`, "got both archive and deepArchive", "Azure has a single Archive tier; keep one of them");
    }
    const n = r.name.replace(/-/g, "");
    const other = names.get(n);
    if (other) throw SpecError.field(`spec.lifecycle[${i}].name`, `got ${JSON.stringify(r.name)}, which Azure names ${n} like ${JSON.stringify(other)} (its rule names have no dashes)`, "rename one of them");
    names.set(n, r.name);
  });
}

/**
 * Azure IP rules take public IPv4 addresses and ranges only, and not /31 or /32 ranges (a single
 * address is written without a prefix): learn.microsoft.com/azure/storage/common/storage-network-security.
 * `field` names where each entry came from (the spec, or the platform EnvironmentConfig).
 */
function ipRules(ips: readonly string[], field0 = "spec.network.allowedIps"): string[] {
  return ips.map((ip, i) => {
    const [addr = "", bits] = ip.split("/");
    const o = addr.split(".").map(Number);
    const field = `${field0}[${i}]`;
    if (o.some((x) => x > 255)) throw SpecError.field(field, `got ${JSON.stringify(ip)}`, "give an IPv4 address or CIDR");
    const [a = 0, b = 0] = o;
    if (a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) {
      throw SpecError.field(field, `got ${JSON.stringify(ip)}, a private address`, "the storage firewall takes public addresses only (a private network reaches storage through a private endpoint, which Tessera does not compose yet)");
    }
    if (bits !== undefined && Number(bits) < 8) throw SpecError.field(field, `got ${JSON.stringify(ip)}, a large part of the internet`, "allow the specific addresses that need access");
    if (bits === "31") throw SpecError.field(field, `got ${JSON.stringify(ip)}`, "Azure storage firewalls do not take /31 ranges; list the two addresses");
    return bits === "32" || bits === undefined ? addr : ip;
  });
}

/**
 * Whether the account, as Azure reports it (atProvider), has a Front Door origin's firewall: default
 * action Deny, no trusted-service bypass (azurerm reads "None" back as ["None"]), and no IP rule or
 * subnet beyond Crossplane's egress (ARM ids compared case-insensitively: ARM does not keep their case).
 */
function originFirewallHolds(seen: Obj, egress: Egress): boolean {
  const rules = seen["networkRules"] as { defaultAction?: unknown; bypass?: unknown; ipRules?: unknown; virtualNetworkSubnetIds?: unknown } | undefined;
  if (!rules || rules.defaultAction !== "Deny") return false;
  const bypass = Array.isArray(rules.bypass) ? rules.bypass : [];
  const ips = Array.isArray(rules.ipRules) ? rules.ipRules : [];
  const subnets = Array.isArray(rules.virtualNetworkSubnetIds) ? rules.virtualNetworkSubnetIds : [];
  const ours = new Set(egress.subnetIds.map((id) => id.toLowerCase()));
  return bypass.every((b) => b === "None") && ips.every((ip) => egress.ipRules.includes(String(ip))) && subnets.every((id) => ours.has(String(id).toLowerCase()));
}

export const renderAzure: Renderer<ObjectStoreSpec> = (ctx) => {
  const { xr, spec, observed } = ctx;
  const location = spec.region;
  const tags = tagsFor("ObjectStore", xr, spec.tags);
  const policies = spec.deletionProtection ? RETAIN : undefined;
  const account = accountName(xr);
  const container = containerName(xr);
  const replicationType = AZURE_REPLICATION[spec.redundancy];
  checkAzureLifecycle(spec.lifecycle);
  const allowedIps = ipRules(spec.network.allowedIps);
  // Crossplane's own egress (shared/platform.ts): azurerm reads the account's data plane on every
  // read, through this firewall (hashicorp/terraform-provider-azurerm#33454), or the account never
  // becomes Ready. Sorted by the platform setting, after the user's entries; the fields are sets.
  // Without the setting (EnvironmentConfig deleted, or neither key) each account keeps the rules it was
  // last composed with (its annotation): dropping them would lock the provider out of every account in
  // one wave, and afterwards its refresh gets 403 and nothing could put them back. Only an
  // EnvironmentConfig that no longer lists them removes them.
  const platformEgress: Egress | undefined = ctx.platform?.configured ? { ipRules: ipRules(egressCidrs(ctx), EGRESS_FIELD), subnetIds: egressSubnetIds(ctx) } : undefined;
  // A replica added meanwhile has no record of its own: Crossplane's egress is the same for every
  // account, so it takes the main account's.
  const egressFor = (key: string): Egress => platformEgress ?? (observed[key]?.resource.metadata?.annotations?.[EGRESS_ANNOTATION] ? recordedEgress(observed[key]) : recordedEgress(observed["account"]));
  const warnings: string[] = [];
  const how = `IP rules (data.crossplaneEgressCidrs) admit Crossplane only from outside the account's region; from inside it, list its subnets (data.crossplaneSubnetIds, with a Microsoft.Storage service endpoint)`;
  const kept = platformEgress ? [] : ["account", ...(spec.replication ? ["replica-account"] : [])].filter((k) => egressFor(k).ipRules.length || egressFor(k).subnetIds.length);
  if (kept.length) {
    warnings.push(`EnvironmentConfig ${PLATFORM_CONFIG_NAME} is missing or sets no Crossplane egress: ${kept.join(" and ")} keep${kept.length === 1 ? "s" : ""} the Crossplane rules last composed (annotation ${EGRESS_ANNOTATION}) so the provider is not locked out; restore it (README, "Platform settings"). Rules go only when it is present without them`);
  } else if (!platformEgress) {
    warnings.push(`the Azure provider reads this storage account's data plane through its firewall: unless Crossplane passes it the account never becomes Ready (403). Set Crossplane's egress in EnvironmentConfig ${PLATFORM_CONFIG_NAME} (README, "Platform settings"): ${how}; or reach the account through a private endpoint`);
  }
  const r: Record<string, K8sObject> = {};
  const pending: string[] = [];
  const released: string[] = [];
  /**
   * deletionProtection retains what holds data: the resource group (deleting it deletes the accounts
   * in it), the accounts and the containers. Optional features (lifecycle, replication, access logs,
   * identities) keep the default policies, so removing one from the spec removes it in the cloud: an
   * orphaned expiry rule would go on deleting data, an orphaned replication on writing into a
   * released replica.
   */
  // The kind's descriptor is a type argument of every call (`mr<storage.Account>(...)`); the default
  // `never` makes a call without one fail to compile instead of checking nothing.
  const mr = <M extends ManagedKind = never>(apiVersion: M["apiVersion"], kind: M["kind"], key: string, forProvider: ForProvider<M>, externalName?: string, retain = true) =>
    managed<M>(apiVersion, kind, key, forProvider, { annotations: externalName ? { "crossplane.io/external-name": externalName } : undefined, managementPolicies: retain ? policies : undefined });
  const gate = (key: string, ready: boolean, make: () => K8sObject) => {
    if (ready || observed[key]) r[key] = make();
    else pending.push(key);
  };
  const rg = { resourceGroupNameSelector: own("resource-group") };

  // azurerm replaces the account when its replication type crosses between {LRS, GRS, RA-GRS} and
  // {ZRS, GZRS, RA-GZRS} (the CRD's own description of accountReplicationType): that deletes the data.
  const seenType = str((observed["account"]?.resource.spec?.["forProvider"] as Obj | undefined)?.["accountReplicationType"]);
  if (seenType && AZURE_ZONAL.has(seenType) !== AZURE_ZONAL.has(replicationType)) {
    throw SpecError.field("spec.redundancy", `got ${spec.redundancy} (${replicationType}), but the account is ${seenType}`, "Azure would replace the account (and delete its data) to cross between zonal and non-zonal redundancy; keep the current kind, or create a new ObjectStore and copy the data");
  }

  // The resource group holds the account: deleting it deletes the account, so it is retained with it.
  r["resource-group"] = mr<azure.ResourceGroup>(RG, "ResourceGroup", "resource-group", { location, tags });

  const softDelete = spec.softDeleteDays ?? SOFT_DELETE_DAYS;
  // Front Door origin: only the main account (the replica is never an origin and stays as private as any store).
  const origin = spec.cdn.originAccess;
  const originEgress = egressFor("account");
  if (origin && !originEgress.ipRules.length && !originEgress.subnetIds.length) {
    throw SpecError.field("spec.cdn.originAccess", "got true on Azure, but neither Crossplane egress addresses nor subnets are configured: the origin's firewall admits only Front Door and Crossplane, so the provider could never manage it", `set data.crossplaneEgressCidrs (Crossplane outside the account's region) or data.crossplaneSubnetIds (inside it) in EnvironmentConfig ${PLATFORM_CONFIG_NAME}, or set cdn.originAccess: false`);
  }
  const storageAccount = (key: string, name: string, accountLocation: string, keyId: string | undefined, changeFeed: boolean, cdnOrigin = false) => {
    const egress = egressFor(key);
    // The user's list, then Crossplane's egress not already in it (Azure refuses a repeated rule).
    const ips = cdnOrigin ? egress.ipRules : [...new Set([...allowedIps, ...egress.ipRules])];
    const account = mr<storage.Account>(STORAGE, "Account", key, {
      location: accountLocation,
      ...rg,
      accountKind: "StorageV2",
      accountTier: "Standard",
      accountReplicationType: replicationType,
      accessTier: "Hot",
      httpsTrafficOnlyEnabled: true,
      minTlsVersion: "TLS1_2",
      // Anonymous blob reads only for a Front Door origin, whose firewall admits only Front Door's Private Link and Crossplane (below).
      allowNestedItemsToBePublic: cdnOrigin,
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      crossTenantReplicationEnabled: false,
      infrastructureEncryptionEnabled: true,
      // Reachable from the internet only through the firewall's allow list (the user's addresses and
      // Crossplane's egress); trusted Azure services (Azure Monitor diagnostic settings) pass.
      // A Front Door origin keeps public network access on, or the provider could not manage it (its
      // reads go to the data plane, networkRules do not apply with public access off), but its firewall
      // admits only Crossplane's egress: no user addresses (the XRD refuses allowedIps) and no trusted
      // services (bypass None; "None" is one of the bypass values azurerm and ARM take,
      // learn.microsoft.com/azure/storage/common/storage-network-security "Grant access to trusted
      // Azure services"), so anonymous reads come only through approved private endpoints (Front
      // Door's Private Link, which the firewall does not filter) and from Crossplane's egress.
      publicNetworkAccessEnabled: true,
      // Crossplane's subnets as virtual network rules: IP rules do not apply to requests from the
      // account's own region (learn.microsoft.com/azure/storage/common/storage-network-security).
      networkRules: {
        defaultAction: "Deny",
        bypass: cdnOrigin ? ["None"] : ["AzureServices"],
        ipRules: ips,
        ...(egress.subnetIds.length ? { virtualNetworkSubnetIds: egress.subnetIds } : {}),
      },
      blobProperties: {
        versioningEnabled: key === "account" ? spec.versioning : true,
        changeFeedEnabled: changeFeed,
        deleteRetentionPolicy: { days: softDelete },
        containerDeleteRetentionPolicy: { days: softDelete },
        corsRule: key === "account" && spec.cors.length
          ? spec.cors.map((c): NonNullable<NonNullable<ForProvider<storage.Account>["blobProperties"]>["corsRule"]>[number] => ({ allowedOrigins: c.allowedOrigins, allowedMethods: c.allowedMethods, allowedHeaders: c.allowedHeaders, exposedHeaders: c.exposeHeaders, maxAgeInSeconds: c.maxAgeSeconds }))
          : undefined,
      },
      ...(keyId && spec.encryption.identityId
        ? {
          customerManagedKey: { keyVaultKeyId: keyId, userAssignedIdentityId: spec.encryption.identityId },
          identity: { type: "UserAssigned", identityIds: [spec.encryption.identityId] },
        } satisfies Pick<ForProvider<storage.Account>, "customerManagedKey" | "identity">
        : {}),
      tags,
    }, name);
    if (egress.ipRules.length || egress.subnetIds.length) account.metadata!.annotations = { ...account.metadata!.annotations, [EGRESS_ANNOTATION]: JSON.stringify(egress) };
    return account;
  };
  const blobContainer = (key: string, accountKey: string, accessType: "private" | "blob" = "private") =>
    gate(key, isReady(observed[accountKey]), () =>
      // By storageAccountId (ARM): the deprecated storageAccountName path uses the data plane, which the firewall blocks (crossplane-contrib/provider-upjet-azure#808).
      mr<storage.Container>(STORAGE, "Container", key, { storageAccountIdSelector: own(accountKey), containerAccessType: accessType }, container));

  const rep = spec.replication;
  r["account"] = storageAccount("account", account, location, spec.encryption.keyId, !!rep, origin);
  // The container opens to anonymous reads only once the account reports the origin's firewall (deny
  // by default, no trusted-service bypass, no address but Crossplane's egress) and nested items allowed
  // to be public: never a moment readable from anywhere else on the internet.
  // Once opened it stays open while cdn.originAccess is on, even if the account's status is briefly empty
  // (flipping it back and forth would be an update loop, and Front Door reads would fail meanwhile).
  const seenAccount = atProvider(observed["account"]);
  const closed = seenAccount["allowNestedItemsToBePublic"] === true && originFirewallHolds(seenAccount, originEgress);
  const opened = (observed["container"]?.resource.spec?.["forProvider"] as Obj | undefined)?.["containerAccessType"] === "blob";
  if (origin && !closed && !opened && isReady(observed["account"])) pending.push("container: anonymous read for Front Door waits for the account to report its firewall admitting only Crossplane's egress");
  blobContainer("container", "account", origin && (closed || opened) ? "blob" : "private");
  const accountUp = isReady(observed["account"]);
  if (spec.lifecycle.length) {
    gate("lifecycle", accountUp, () => mr<storage.ManagementPolicy>(STORAGE, "ManagementPolicy", "lifecycle", { storageAccountIdSelector: own("account"), rule: azureLifecycle(spec.lifecycle, container) }, undefined, false));
  }

  // Replication: object replication to an account of its own in the other region.
  const seenReplica = str((observed["replica-account"]?.resource.spec?.["forProvider"] as Obj | undefined)?.["location"]);
  if (rep && seenReplica && seenReplica !== rep.region) {
    throw SpecError.field("spec.replication.region", `got ${JSON.stringify(rep.region)}, but the replica account exists in ${seenReplica}`, "an account cannot move between regions; remove spec.replication first (the replica is kept while deletionProtection is on), then add the new region");
  }
  const replica = accountName(xr, true);
  if (rep) {
    r["replica-account"] = storageAccount("replica-account", replica, rep.region, rep.keyId, false);
    blobContainer("replica-container", "replica-account");
    // The same lifecycle on the replica: Microsoft documents tiering replicated data with lifecycle
    // policies (learn.microsoft.com/azure/storage/blobs/object-replication-overview), and without it
    // the replica would keep every object and version the source expires.
    if (spec.lifecycle.length) {
      gate("replica-lifecycle", isReady(observed["replica-account"]), () => mr<storage.ManagementPolicy>(STORAGE, "ManagementPolicy", "replica-lifecycle", { storageAccountIdSelector: own("replica-account"), rule: azureLifecycle(spec.lifecycle, container) }, undefined, false));
    }
    gate("replication", isReady(observed["container"]) && isReady(observed["replica-container"]), () =>
      mr<storage.ObjectReplication>(STORAGE, "ObjectReplication", "replication", {
        sourceStorageAccountIdSelector: own("account"),
        destinationStorageAccountIdSelector: own("replica-account"),
        // Everything: existing blobs too, not only new ones. Archived blobs are not replicated by Azure.
        rules: [{ sourceContainerName: container, destinationContainerName: container, copyBlobsCreatedAfter: "Everything" }],
      }, undefined, false));
  } else {
    for (const k of ["replica-account", "replica-container"]) if (observed[k]) released.push(k);
  }

  const accountId = str(atProvider(observed["account"])["id"]);
  if (spec.accessLogs) {
    const target = ctx.required[LOG_TARGET]?.[0];
    const seen = str((observed["access-logs"]?.resource.spec?.["forProvider"] as Obj | undefined)?.["storageAccountId"]);
    const targetId = str((target?.status as Obj | undefined)?.["resourceId"]) ?? seen;
    const seenTarget = str((observed["access-logs"]?.resource.spec?.["forProvider"] as Obj | undefined)?.["targetResourceId"]);
    const blobService = accountId ? `${accountId}/blobServices/default` : seenTarget;
    gate("access-logs", !!targetId && !!blobService, () =>
      mr<insights.MonitorDiagnosticSetting>(INSIGHTS, "MonitorDiagnosticSetting", "access-logs", {
        name: "tessera-access-logs",
        targetResourceId: blobService,
        storageAccountId: targetId,
        enabledLog: AZURE_BLOB_LOG_CATEGORIES.map((category) => ({ category })),
      }, undefined, false));
  }

  // Workload access: a managed identity per entry, federated with the cluster's service account,
  // with a data role on this container only.
  const containerId = str(atProvider(observed["container"])["resourceManagerId"]);
  const identities: Obj[] = [];
  for (const a of spec.access) {
    const h = accessKey(a);
    const cluster = clusterFor(ctx, a.clusterRef.name);
    const identity = atProvider(observed[`access-identity-${h}`]);
    r[`access-identity-${h}`] = mr<msi.UserAssignedIdentity>(IDENTITY, "UserAssignedIdentity", `access-identity-${h}`, { location, ...rg, name: `${account}-${h}`, tags }, undefined, false);
    const seenFederation = observed[`access-federation-${h}`]?.resource.spec?.["forProvider"] as Obj | undefined;
    const issuer = cluster.oidcIssuerUrl ?? str(seenFederation?.["issuer"]);
    gate(`access-federation-${h}`, !!issuer, () =>
      mr<msi.FederatedIdentityCredential>(IDENTITY, "FederatedIdentityCredential", `access-federation-${h}`, {
        ...rg,
        userAssignedIdentityIdSelector: own(`access-identity-${h}`),
        audience: ["api://AzureADTokenExchange"],
        issuer,
        subject: `system:serviceaccount:${a.namespace}:${a.serviceAccount}`,
      }, undefined, false));
    const seenAssignment = observed[`access-role-${h}`]?.resource.spec?.["forProvider"] as Obj | undefined;
    const principalId = str(identity["principalId"]) ?? str(seenAssignment?.["principalId"]);
    const scope = containerId ?? str(seenAssignment?.["scope"]);
    gate(`access-role-${h}`, !!principalId && !!scope, () =>
      mr<authorization.RoleAssignment>(AUTHZ, "RoleAssignment", `access-role-${h}`, {
        // A fixed GUID per entry and role: a retry or a re-render never makes a second assignment.
        name: guid(`${xr.namespace}/${xr.name}/${h}/${a.role}`),
        principalId,
        principalType: "ServicePrincipal",
        roleDefinitionName: AZURE_ROLE[a.role],
        scope,
      }, undefined, false));
    identities.push({ cluster: a.clusterRef.name, namespace: a.namespace, serviceAccount: a.serviceAccount, clientId: str(identity["clientId"]) });
  }

  const up = isReady(observed["container"]);
  const where = up ? { bucket: container, ...ENDPOINT.azure(account, container) } : undefined;
  const out = finish(ctx, r, pending, released, where, {
    bucketName: container,
    accountName: account,
    resourceId: accountId,
    replica: rep && isReady(observed["replica-container"]) ? { region: rep.region, accountName: replica, bucketName: container } : undefined,
    identities: identities.length ? identities : undefined,
    // No Crossplane resource can approve a private endpoint connection: the CdnEdge's Private Link waits for someone to.
    manualSteps: origin && accountId
      ? [`approve Front Door's pending Private Link connection on storage account ${account} once a CdnEdge uses this store: az network private-endpoint-connection list --id ${accountId} --query "[?properties.privateLinkServiceConnectionState.status=='Pending'].id" -o tsv, then az network private-endpoint-connection approve --id <that id> --description "Front Door"`]
      : undefined,
  });
  return warnings.length ? { ...out, warnings: [...(out.warnings ?? []), ...warnings] } : out;
};
