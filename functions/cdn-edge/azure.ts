/**
 * CdnEdge on Azure: Front Door Standard/Premium in its own resource group. A profile and one endpoint;
 * per origin an origin group with one origin (ObjectStore origins through Private Link, Premium, to a
 * store with cdn.originAccess, whose container takes the anonymous reads Front Door sends); per
 * behaviour a route (path behaviours in order, the default as /*) and a rule set carrying what a route
 * cannot say (a fixed TTL, response headers, the origin-verify header); per domain a custom domain
 * (managed certificate, or a customer certificate from Key Vault through a Front Door secret, read by the
 * profile's managed identity, with its Key Vault role when the vault's id is given) and its
 * association with the routes; a firewall policy (with an ObjectStore origin, a custom rule that keeps
 * earlier blob versions and snapshots private: blobVersionRule) and the security policy that binds it
 * to every domain.
 *
 * Front Door's model differs from CloudFront's, and the differences are refused, not approximated:
 * routes pass every method (methods: read is refused); Front Door forwards every header and cookie
 * and keys its cache only on the path and query strings (keying on headers or cookies is refused); it
 * forwards every query string too, so a caching route keys on all of them (a named subset is refused);
 * it cannot answer a CORS preflight; it has no HTTP/3, origin shield or price classes (refused by the XRD).
 *
 * With spec.dnsZoneId (an Azure DNS zone), each custom domain names the zone and each host gets its
 * _dnsauth TXT record (the domain's validation token) and a CNAME to the endpoint in that zone; the
 * zone's apex, which cannot hold a CNAME, gets an Azure DNS alias A record to the endpoint resource.
 *
 * Staging: the Private Link origin waits for the ObjectStore's account id; each route waits for its
 * origin (Front Door refuses a route to an origin group without origins); a TXT record waits for its
 * domain's validation token, a CNAME or alias record for the endpoint's hostname or id and the domain's
 * association with the routes and security policy; each keeps its value once composed. References
 * between the resources are selectors, which Crossplane resolves once the referenced resource exists.
 *
 * Certificates: the provider's FrontdoorCustomDomain reports only the validation token and the token's
 * expiry, not Front Door's domainValidationState, so status never says a managed certificate is issued.
 */
import { AZURE_DNS_ZONE_ID, type CdnEdgeSpec, type Origin } from "../../apis/cdn-edge/schema.ts";
import { accountName, containerName, guid } from "../object-store/names.ts";
import { SpecError } from "../shared/errors.ts";
import { atProvider, isReady, str } from "../shared/observed.ts";
import { LABELS, managed, own, RETAIN } from "../shared/resources.ts";
import { tagsFor } from "../shared/tags.ts";
import type { ForProvider, K8sObject, Obj, Renderer } from "../shared/types.ts";
import type * as azure from "../crds/azure.m.upbound.io.ts";
import type * as authorization from "../crds/authorization.azure.m.upbound.io.ts";
import type * as cdn from "../crds/cdn.azure.m.upbound.io.ts";
import type * as insights from "../crds/insights.azure.m.upbound.io.ts";
import type * as network from "../crds/network.azure.m.upbound.io.ts";
import { finish, type DnsRecord } from "./connection.ts";
import { azureAlnum, hash8, storeRequirement, wafPolicyName } from "./names.ts";
import { caches, compresses, keyed, planBehaviors, verifyValue, type PlannedBehavior } from "./plan.ts";
import { AFD_PRIVATE_LINK_REGIONS, AZURE_BLOB_VERSION_QUERY, AZURE_BOT_RULE_SET, AZURE_COMPRESS_TYPES, AZURE_QUERY_STRING_KEY, AZURE_DEFAULT_RULE_SET, AZURE_RESPONSE_HEADERS, AZURE_SKU, azureCertificateStatus, azureDuration, privateLinkLocation } from "./tables.ts";

const CDN = "cdn.azure.m.upbound.io/v1beta1";
const RG = "azure.m.upbound.io/v1beta1";
const INSIGHTS = "insights.azure.m.upbound.io/v1beta1";
const NETWORK = "network.azure.m.upbound.io/v1beta1";
const AUTHZ = "authorization.azure.m.upbound.io/v1beta1";
/** TTL of the records composed in spec.dnsZoneId (Azure DNS's own default for new record sets). */
const DNS_TTL = 3600;
/** Front Door log categories (learn.microsoft.com/azure/frontdoor/monitor-front-door#resource-logs). */
const LOG_CATEGORIES = ["FrontDoorAccessLog", "FrontDoorHealthProbeLog", "FrontDoorWebApplicationFirewallLog"];
/** Labels that let one selector pick every route / custom domain of this XR (with matchControllerRef). */
const ROLE = "platform.tessera.io/role";
const byRole = (role: string) => ({ matchControllerRef: true, matchLabels: { [ROLE]: role } });
/** Front Door takes at most 5 actions per rule (learn.microsoft.com/azure/frontdoor/front-door-rules-engine#limits). */
const ACTIONS_PER_RULE = 5;

type RuleActions = NonNullable<ForProvider<cdn.FrontdoorRule>["actions"]>;
type HeaderAction = NonNullable<RuleActions["requestHeaderAction"]>[number] & NonNullable<RuleActions["responseHeaderAction"]>[number];
/** What a route cannot say, as rule actions: each kind with the CRD's shape of its action. */
type Action =
  | { kind: "override"; value: NonNullable<RuleActions["routeConfigurationOverrideAction"]> }
  | { kind: "request"; value: HeaderAction }
  | { kind: "response"; value: HeaderAction };
/** The kinds that live in the profile: `profile` is spread into each, and its type says each has the field. */
type InProfile = cdn.FrontdoorEndpoint | cdn.FrontdoorOriginGroup | cdn.FrontdoorSecret | cdn.FrontdoorCustomDomain | cdn.FrontdoorRuleSet | cdn.FrontdoorSecurityPolicy;
type SecurityPolicyDomain = cdn.FrontdoorSecurityPolicySpecForProviderSecurityPoliciesFirewallAssociationDomain;

const ext = (name: string) => ({ "crossplane.io/external-name": name });
const domainKey = (host: string) => hash8(host);

/**
 * The record that routes a host's viewers to the endpoint, by where the host sits in its zone: a CNAME
 * to the endpoint's hostname, or at the apex, which cannot hold a CNAME (RFC 1034 §3.6.2), an Azure DNS
 * alias A record whose target is the endpoint resource (learn.microsoft.com/azure/frontdoor/apex-domain).
 * The endpoint's id, not the profile's: Azure DNS refuses a profile as an alias target ("Reference records
 * are not supported", MicrosoftDocs/azure-docs#90819, hashicorp/terraform-provider-azurerm#8191).
 * `field` is where the composed record holds its value (kept from there while the endpoint's status is empty).
 */
const ROUTE_RECORDS = {
  cname: { key: "dns-cname", type: "CNAME", field: "record", purpose: "route viewers to the edge" },
  alias: { key: "dns-alias", type: "A", field: "targetResourceId", purpose: "route viewers to the edge: an Azure DNS alias record to the endpoint resource (a zone apex cannot be a CNAME)" },
} as const;
/**
 * Without spec.dnsZoneId Tessera cannot tell which host is a zone apex. Microsoft supports an apex on a
 * DNS provider with CNAME flattening (learn.microsoft.com/azure/frontdoor/apex-domain-onboard), so the
 * apex is not refused; the record line says what an apex needs instead of the CNAME.
 */
const OWN_DNS_ROUTE_PURPOSE =
  "route viewers to the edge; a zone apex cannot be a CNAME: point it at the same hostname with your DNS provider's CNAME flattening (ALIAS/ANAME) or an Azure DNS alias record to the endpoint resource, and give it a Key Vault certificate (Front Door does not renew a managed one without a CNAME)";
/** Custom domain names: letters, digits and '-', starting and ending with a letter or digit. */
const domainName = (host: string) => host.replace(/^\*\./, "wildcard.").replace(/[^a-z0-9]+/g, "-");

/**
 * The Azure DNS zone of spec.dnsZoneId: the record kinds name their zone by resource group and name,
 * not by id. The XRD checks the format with the same pattern; this repeats it for offline renders.
 */
interface Zone { id: string; resourceGroupName: string; zoneName: string }
function azureZone(id: string): Zone {
  if (!AZURE_DNS_ZONE_ID.test(id)) {
    throw SpecError.field("spec.dnsZoneId", `got ${JSON.stringify(id)}`, "give an Azure DNS zone's resource id: /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/dnszones/<zone>");
  }
  // "", subscriptions, <sub>, resourceGroups, <group>, providers, Microsoft.Network, dnszones, <zone>
  const parts = id.split("/");
  return { id, resourceGroupName: parts[4]!, zoneName: parts[8]! };
}

/**
 * A host's record names relative to its zone, after refusing a host outside the zone. Front Door
 * validates <host> (a wildcard: the name under it) by a TXT record _dnsauth.<that name>, "_dnsauth" at
 * the apex (learn.microsoft.com/azure/frontdoor/domain#domain-validation, .../apex-domain#txt-record-validation).
 * The apex itself is "@", Azure DNS's name for it.
 */
interface HostNames { apex: boolean; name: string; txt: string }
function relativeNames(zone: Zone, host: string, field: string): HostNames {
  const base = host.replace(/^\*\./, "");
  if (base !== zone.zoneName && !base.endsWith(`.${zone.zoneName}`)) {
    throw SpecError.field(field, `got ${host}, which is not in DNS zone ${zone.zoneName} (spec.dnsZoneId)`, `use hosts in ${zone.zoneName}, or remove spec.dnsZoneId and create the records listed in status.dnsRecords yourself`);
  }
  const rel = (name: string) => (name === zone.zoneName ? "@" : name.slice(0, -(zone.zoneName.length + 1)));
  return { apex: host === zone.zoneName, name: rel(host), txt: base === zone.zoneName ? "_dnsauth" : `_dnsauth.${rel(base)}` };
}

/** What a behaviour forwards of the query string: none, all ("*") or named ones. */
const queryStringKind = (b: PlannedBehavior["b"]) => (b.forward.queryStrings[0] === "*" ? "all" : b.forward.queryStrings.length ? "named" : "none");

/** Refusals of what Front Door cannot do for a behaviour, each with the reason. */
function checkBehavior(p: PlannedBehavior): void {
  const b = p.b;
  if (b.methods === "read") {
    throw SpecError.field(`${p.field}.methods`, 'got "read"', "Front Door routes pass every method to the origin and cannot limit them; use methods: all on Azure (and refuse writes at the origin)");
  }
  if (b.responseHeaders === "cors-preflight-security") {
    throw SpecError.field(`${p.field}.responseHeaders`, 'got "cors-preflight-security"', "Front Door cannot answer a CORS preflight at the edge; use cors-security and let the origin answer OPTIONS");
  }
  if (caches(b) && !AZURE_QUERY_STRING_KEY[queryStringKind(b)]) {
    throw SpecError.field(`${p.field}.forward.queryStrings`, `got ${JSON.stringify(b.forward.queryStrings)} with caching on`, "Front Door forwards every query string to the origin, so keying the cache on only some of them would serve one cached response for requests that differ in another; use [\"*\"] (the cache is then keyed on all of them, as it is with []), or set cache.mode: disabled");
  }
  if (caches(b) && (b.forward.headers.length || b.forward.cookies.length)) {
    throw SpecError.field(`${p.field}.forward`, `got headers ${JSON.stringify(b.forward.headers)} and cookies ${JSON.stringify(b.forward.cookies)} with caching on`, "Front Door forwards every header and cookie but keys its cache only on the path and query strings; remove headers and cookies (they still reach the origin), or set cache.mode: disabled");
  }
}

/** Priorities of the firewall policy's custom rules (lower runs first; rendered in this order, as Front Door lists them). */
const GEO_RULE_PRIORITY = 100;
const BLOB_VERSION_RULE_PRIORITY = 200;

type CustomRule = NonNullable<ForProvider<cdn.FrontdoorFirewallPolicy>["customRule"]>[number];

/**
 * The custom rule that keeps an ObjectStore origin's earlier blob versions and snapshots private
 * (AZURE_BLOB_VERSION_QUERY says why): blocks a request whose query string asks for one, on the store
 * routes' paths. Both conditions URL-decode, then lowercase, what they read, so an encoded or
 * upper-case spelling matches too; conditions of one rule must all match, values of one condition any.
 *
 * The path condition is a superset of the requests Front Door routes to a store: a route "/static/*"
 * takes paths beginning with /static/ (lowercased on both sides, so it holds whether Front Door matches
 * routes with or without regard to case), and every such
 * request URI contains "/static/", whether Front Door gives the rule the path or the whole URL; Contains
 * rather than BeginsWith also catches "/x/../static/" should Front Door normalise the path before
 * routing. A store on the default behaviour ("/*") or a pattern that leaves only "/" takes every path,
 * so the rule then has no path condition and applies to the whole endpoint. The only requests blocked
 * beyond the store's are those of another origin's routes nested under a store path (a store on "/*"
 * and an API on "/api/*": an API call with ?snapshot= is blocked too), which the README says.
 */
function blobVersionRule(plan: PlannedBehavior[], spec: CdnEdgeSpec): CustomRule | undefined {
  const storeOrigins = new Set(spec.origins.filter((o) => o.objectStoreRef).map((o) => o.name));
  const prefixes = [...new Set(plan.filter((p) => storeOrigins.has(p.b.origin)).map((p) => (p.path ?? "/*").replace(/\*$/, "").toLowerCase()))].sort();
  if (!prefixes.length) return undefined;
  const transforms = ["URLDecode", "Lowercase"];
  const everywhere = prefixes.includes("/");
  return {
    name: "blobversions",
    type: "MatchRule",
    priority: BLOB_VERSION_RULE_PRIORITY,
    enabled: true,
    action: "Block",
    matchCondition: [
      ...(everywhere ? [] : [{ matchVariable: "RequestUri", operator: "Contains", matchValues: prefixes, transforms }]),
      { matchVariable: "QueryString", operator: "Contains", matchValues: [...AZURE_BLOB_VERSION_QUERY], transforms },
    ],
  };
}

/** Key Vault Secrets User: read secret contents, which is how Front Door reads a certificate's key (learn.microsoft.com/azure/frontdoor/managed-identity). */
const KEY_VAULT_ROLE = "Key Vault Secrets User";
const keyVaultRoleKey = (vaultId: string) => `key-vault-role-${hash8(vaultId.toLowerCase())}`;
/** The vault name of a Key Vault certificate URL (https://<name>.vault.azure.net/...). */
const vaultOfCertificate = (url: string) => url.slice("https://".length, url.indexOf("."));

/**
 * Front Door's read access to the vaults of the Key Vault certificates: per vault named by
 * domains[].keyVaultId, a role assignment (Key Vault Secrets User on the vault) for the profile's
 * system-assigned identity, once the profile reports its principal id (kept as composed while that is
 * briefly empty). Vaults without keyVaultId get a manual step with the exact command: Tessera cannot
 * derive a vault's resource id from the certificate URL (it has no subscription or group). Both assume
 * a vault with Azure RBAC; a vault on access policies needs `az keyvault set-policy` instead (README).
 */
function keyVaultAccess(ctx: Parameters<Renderer<CdnEdgeSpec>>[0], domains: CdnEdgeSpec["domains"], r: Record<string, K8sObject>, pending: string[], retain: typeof RETAIN | undefined): { manualSteps: string[] } {
  const { xr, observed } = ctx;
  const identity = atProvider(observed["profile"])["identity"] as Obj | undefined;
  const manualSteps: string[] = [];
  const vaults = new Map<string, string>();
  domains.forEach((d) => {
    const i = ctx.spec.domains.indexOf(d);
    const name = vaultOfCertificate(d.keyVaultCertificateId!);
    if (d.keyVaultId) {
      const idName = d.keyVaultId.slice(d.keyVaultId.lastIndexOf("/") + 1);
      if (idName.toLowerCase() !== name.toLowerCase()) {
        throw SpecError.field(`spec.domains[${i}].keyVaultId`, `got vault ${idName}, but keyVaultCertificateId is in vault ${name}`, `give the resource id of vault ${name}`);
      }
      vaults.set(d.keyVaultId.toLowerCase(), d.keyVaultId);
    } else if (!manualSteps.some((m) => m.includes(`--name ${name} `))) {
      const assignee = str(identity?.["principalId"]) ?? "<the profile's principal id: az afd profile show --ids <status.profileId> --query identity.principalId -o tsv>";
      manualSteps.push(`let Front Door read Key Vault ${name} (or give spec.domains[${i}].keyVaultId and Tessera assigns it): az role assignment create --assignee-object-id ${assignee} --assignee-principal-type ServicePrincipal --role "${KEY_VAULT_ROLE}" --scope $(az keyvault show --name ${name} --query id -o tsv)`);
    }
  });
  for (const vaultId of vaults.values()) {
    const key = keyVaultRoleKey(vaultId);
    const seen = observed[key]?.resource.spec?.["forProvider"] as Obj | undefined;
    const principalId = str(identity?.["principalId"]) ?? str(seen?.["principalId"]);
    if (!principalId) {
      pending.push(`${key}: waits for the Front Door profile's managed identity`);
      continue;
    }
    r[key] = managed<authorization.RoleAssignment>(AUTHZ, "RoleAssignment", key, {
      // A fixed GUID per edge and vault: a re-render never makes a second assignment.
      name: guid(`${xr.namespace}/${xr.name}/key-vault/${vaultId.toLowerCase()}`),
      principalId,
      principalType: "ServicePrincipal",
      roleDefinitionName: KEY_VAULT_ROLE,
      scope: vaultId,
    // Kept with the profile under deletionProtection: a kept profile still reads the certificate's renewals.
    }, { managementPolicies: retain });
  }
  return { manualSteps };
}

export const renderAzure: Renderer<CdnEdgeSpec> = (ctx) => {
  const { xr, spec, observed, required } = ctx;
  const tags = tagsFor("CdnEdge", xr, spec.tags);
  const retain = spec.deletionProtection ? RETAIN : undefined;
  const r: Record<string, K8sObject> = {};
  const pending: string[] = [];
  const plan = planBehaviors(spec);
  plan.forEach(checkBehavior);

  const stores = spec.origins.filter((o) => o.objectStoreRef);
  const tier = spec.tier ?? (spec.waf.enabled || stores.length ? "premium" : "standard");
  // The blob version rule blocks only in prevention mode; without it a store's earlier versions would be
  // readable through Front Door (AZURE_BLOB_VERSION_QUERY). The XRD refuses the same (schema.ts).
  if (stores.length && (!spec.waf.enabled || spec.waf.mode !== "prevention")) {
    throw SpecError.field("spec.waf", `got enabled ${spec.waf.enabled}, mode ${spec.waf.mode} with ObjectStore origin ${stores[0]!.name}`, "an ObjectStore origin on Azure needs the WAF on in prevention mode, whose custom rule keeps the store's earlier blob versions and snapshots (?versionid=, ?snapshot=) from anonymous readers through Front Door; set waf.enabled: true and waf.mode: prevention, or use a host origin");
  }
  if (tier === "standard" && stores.length) {
    throw SpecError.field("spec.tier", `got "standard" with ObjectStore origin ${stores[0]!.name}`, "Front Door reaches a private storage account only through Private Link, which needs Premium; use tier premium or a host origin");
  }
  const zone = spec.dnsZoneId ? azureZone(spec.dnsZoneId) : undefined;
  const names = new Map<string, HostNames>();
  const txtNames = new Map<string, string>();
  spec.domains.forEach((d, i) => {
    if (d.host.startsWith("*.") && !d.keyVaultCertificateId) {
      throw SpecError.field(`spec.domains[${i}].keyVaultCertificateId`, `missing for wildcard host ${d.host}`, "Front Door managed certificates do not cover wildcards; give a Key Vault certificate id for it");
    }
    if (!zone) return;
    const n = relativeNames(zone, d.host, `spec.domains[${i}].host`);
    // Front Door issues managed certificates for an apex, but renews one only after checking that the
    // host is a CNAME to the endpoint; an apex is an alias record, so each renewal waits for someone to
    // regenerate the validation token by hand, which no provider resource can do or even observe
    // (learn.microsoft.com/azure/frontdoor/apex-domain#azure-front-door-managed-tls-certificate-rotation,
    // apex-domain-onboard: "Managed certificate autorotation always fails unless domain validation is
    // finished between rotations"; MicrosoftDocs/azure-docs#96572: a renewal failed without asking).
    // A certificate that silently expires is an outage, so the apex takes a Key Vault certificate, which
    // Key Vault can renew and Front Door follows when the id has no version (azurerm cdn_frontdoor_secret:
    // a versionless id uses the latest version). The XRD refuses the same (schema.ts).
    if (n.apex && !d.keyVaultCertificateId) {
      throw SpecError.field(`spec.domains[${i}].keyVaultCertificateId`, `missing for apex host ${d.host}`, "Front Door renews a managed certificate only for a host that is a CNAME to the endpoint, and an apex cannot be one, so every renewal would need a manual revalidation; give a Key Vault certificate id for the apex (without a version, Front Door follows Key Vault's renewals), or use a subdomain such as www");
    }
    // *.a.example.com and a.example.com validate through the same _dnsauth.a name: one record set cannot hold both tokens.
    const other = txtNames.get(n.txt);
    if (other) throw SpecError.field(`spec.domains[${i}].host`, `got ${d.host} beside ${other}, which Front Door validates through the same TXT record ${n.txt}.${zone.zoneName}`, "keep one of the two hosts with spec.dnsZoneId, or remove spec.dnsZoneId and validate them one after the other");
    txtNames.set(n.txt, d.host);
    names.set(d.host, n);
  });
  const sku = AZURE_SKU[tier];
  const firewall = spec.waf.enabled || !!spec.geo;
  // Pick of the union: tsc refuses a field that one of these kinds does not have.
  const profile: Pick<ForProvider<InProfile>, "cdnFrontdoorProfileIdSelector"> = { cdnFrontdoorProfileIdSelector: own("profile") };

  r["resource-group"] = managed<azure.ResourceGroup>(RG, "ResourceGroup", "resource-group", { location: spec.region, tags }, { managementPolicies: retain });
  // Key Vault certificates are read with the profile's system-assigned identity, Microsoft's recommended
  // way (learn.microsoft.com/azure/frontdoor/standard-premium/how-to-configure-https-custom-domain: the
  // app registration "will be deprecated and retired"; learn.microsoft.com/azure/frontdoor/managed-identity).
  const vaultDomains = spec.domains.filter((d) => d.keyVaultCertificateId);
  r["profile"] = managed<cdn.FrontdoorProfile>(CDN, "FrontdoorProfile", "profile", {
    resourceGroupNameSelector: own("resource-group"),
    skuName: sku,
    responseTimeoutSeconds: 60,
    identity: vaultDomains.length ? { type: "SystemAssigned" } : undefined,
    tags,
  }, { managementPolicies: retain });
  const keyVault = keyVaultAccess(ctx, vaultDomains, r, pending, retain);
  // Endpoint names are at most 46 characters (and become <name>-<hash>.z01.azurefd.net): set, not generated.
  r["endpoint"] = managed<cdn.FrontdoorEndpoint>(CDN, "FrontdoorEndpoint", "endpoint", { ...profile, enabled: true, tags }, { annotations: ext(`${xr.name.slice(0, 37)}-${hash8(`${xr.namespace}/${xr.name}`)}`), managementPolicies: retain });

  // Origins: one origin group with one origin each, without health probes: with a single origin Front
  // Door routes to it whatever a probe says (it sends to an enabled origin when none is healthy), and
  // probes come from every edge location (learn.microsoft.com/azure/frontdoor/health-probes), so they
  // only add load; a probe of a blob origin's root (HEAD /) never answers 200 and would only mark the
  // origin unhealthy.
  const originPath = new Map<string, string | undefined>();
  for (const o of spec.origins) {
    r[`origin-group-${o.name}`] = managed<cdn.FrontdoorOriginGroup>(CDN, "FrontdoorOriginGroup", `origin-group-${o.name}`, {
      ...profile,
      sessionAffinityEnabled: false,
      restoreTrafficTimeToHealedOrNewEndpointInMinutes: 10,
      loadBalancing: { sampleSize: 4, successfulSamplesRequired: 3, additionalLatencyInMilliseconds: 50 },
    });
    const originKey = `origin-${o.name}`;
    const base: ForProvider<cdn.FrontdoorOrigin> = { cdnFrontdoorOriginGroupIdSelector: own(`origin-group-${o.name}`), enabled: true, certificateNameCheckEnabled: true, httpPort: 80, priority: 1, weight: 1000 };
    if (o.objectStoreRef) {
      const store = required[storeRequirement(o.objectStoreRef.name)]![0]!;
      const meta = { namespace: xr.namespace, name: o.objectStoreRef.name };
      const host = `${accountName(meta)}.blob.core.windows.net`;
      originPath.set(o.name, `/${containerName(meta)}`);
      const seen = (observed[originKey]?.resource.spec?.["forProvider"] as Obj | undefined)?.["privateLink"] as Obj | undefined;
      const accountId = str((store.status as Obj | undefined)?.["resourceId"]) ?? str(seen?.["privateLinkTargetId"]);
      if (!accountId) {
        pending.push(`${originKey}: ObjectStore ${o.objectStoreRef.name} has no account id yet`);
        continue;
      }
      // The location is fixed at creation (it forces a new origin and a new approval), so a live origin
      // keeps the one it was created with even if the table below changes.
      const storeRegion = String((store.spec as Obj)["region"]);
      const location = str(seen?.["location"]) ?? privateLinkLocation(storeRegion);
      if (!location) {
        throw SpecError.field(`spec.origins[${spec.origins.indexOf(o)}].objectStoreRef`, `ObjectStore ${o.objectStoreRef.name} is in ${storeRegion}, where Tessera knows no Front Door Private Link region to connect from`, `put the store in a region Front Door Private Link serves (${[...AFD_PRIVATE_LINK_REGIONS].join(", ")}) or one of its neighbours`);
      }
      r[originKey] = managed<cdn.FrontdoorOrigin>(CDN, "FrontdoorOrigin", originKey, {
        ...base,
        hostName: host,
        originHostHeader: host,
        httpsPort: 443,
        // Private Link to the blob service: the connection must then be approved on the storage account.
        // The request message is 1-140 characters (the CRD), so a long namespace/name is cut.
        privateLink: { location, privateLinkTargetId: accountId, targetType: "blob", requestMessage: `Tessera CdnEdge ${xr.namespace}/${xr.name}`.slice(0, 140) },
      });
    } else {
      r[originKey] = managed<cdn.FrontdoorOrigin>(CDN, "FrontdoorOrigin", originKey, { ...base, hostName: o.host, originHostHeader: o.host, httpsPort: o.httpsPort });
    }
  }

  // Domains: a custom domain each, with a managed certificate or a Key Vault one.
  const dnsRecords: DnsRecord[] = [];
  const endpointHost = str(atProvider(observed["endpoint"])["hostName"]);
  const endpointId = str(atProvider(observed["endpoint"])["id"]);
  const domains: Obj[] = [];
  for (const d of spec.domains) {
    const h = domainKey(d.host);
    if (d.keyVaultCertificateId) {
      // Front Door reads the certificate when the secret is created: with keyVaultId, only once the
      // profile's identity holds its role on the vault (kept once composed); without, at once (status.manualSteps).
      const roleKey = d.keyVaultId ? keyVaultRoleKey(d.keyVaultId) : undefined;
      if (!roleKey || isReady(observed[roleKey]) || observed[`certificate-secret-${h}`]) {
        r[`certificate-secret-${h}`] = managed<cdn.FrontdoorSecret>(CDN, "FrontdoorSecret", `certificate-secret-${h}`, { ...profile, secret: { customerCertificate: [{ keyVaultCertificateId: d.keyVaultCertificateId }] } }, { annotations: ext(domainName(d.host)) });
      } else {
        pending.push(`certificate-secret-${h}: waits for ${roleKey} (Key Vault Secrets User for the profile's identity)`);
      }
    }
    // A customer certificate is named by the Front Door secret's id (the CRD has no selector for it):
    // the domain waits for it, or keeps the id it was created with while the secret's status is briefly empty.
    const seenTls = (observed[`custom-domain-${h}`]?.resource.spec?.["forProvider"] as Obj | undefined)?.["tls"] as Obj | undefined;
    const secretId = d.keyVaultCertificateId ? (str(atProvider(observed[`certificate-secret-${h}`])["id"]) ?? str(seenTls?.["cdnFrontdoorSecretId"])) : undefined;
    if (d.keyVaultCertificateId && !secretId && !observed[`custom-domain-${h}`]) {
      // (The secret itself waits for its vault's role assignment: see keyVaultAccess.)
      pending.push(`custom-domain-${h}`);
    } else {
      r[`custom-domain-${h}`] = managed<cdn.FrontdoorCustomDomain>(CDN, "FrontdoorCustomDomain", `custom-domain-${h}`, {
        ...profile,
        hostName: d.host,
        tls: { certificateType: d.keyVaultCertificateId ? "CustomerCertificate" : "ManagedCertificate", minimumVersion: "TLS12", cdnFrontdoorSecretId: secretId },
        // Ties the domain to its Azure DNS zone (updated in place; the provider does not force a new domain for it).
        dnsZoneId: zone?.id,
      }, { annotations: ext(domainName(d.host)), labels: { [ROLE]: "custom-domain" }, managementPolicies: retain });
    }
    r[`custom-domain-association-${h}`] = managed<cdn.FrontdoorCustomDomainAssociation>(CDN, "FrontdoorCustomDomainAssociation", `custom-domain-association-${h}`, {
      cdnFrontdoorCustomDomainIdSelector: own(`custom-domain-${h}`),
      cdnFrontdoorRouteIdsSelector: byRole("route"),
    });
    const at = atProvider(observed[`custom-domain-${h}`]);
    // With a zone, each record waits for its value (the token Front Door issues for the domain, the
    // endpoint's hostname or id) and, once composed, keeps the value it was composed with while the
    // source's status is briefly empty: dropping it would delete the record and fail validation or traffic.
    const n = names.get(d.host);
    const txtKey = `dns-txt-${h}`;
    const route = n?.apex ? ROUTE_RECORDS.alias : ROUTE_RECORDS.cname;
    const routeKey = `${route.key}-${h}`;
    const seenTxt = (observed[txtKey]?.resource.spec?.["forProvider"] as Obj | undefined)?.["record"] as Obj[] | undefined;
    const seenRoute = str((observed[routeKey]?.resource.spec?.["forProvider"] as Obj | undefined)?.[route.field]);
    const token = str(at["validationToken"]) ?? (n ? str(seenTxt?.[0]?.["value"]) : undefined);
    const routeTarget = (n?.apex ? endpointId : endpointHost) ?? (n ? seenRoute : undefined);
    // The CNAME or alias goes in only once the domain is associated with the routes and the security policy:
    // Front Door checks the record when it appears and does not enable traffic to a domain it found
    // unassociated (registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/cdn_frontdoor_custom_domain,
    // "Example CNAME Record Usage": depends_on the route and the security policy; apex-domain-onboard
    // adds the alias record after associating the domain with the route).
    const associated = isReady(observed[`custom-domain-association-${h}`]) && (!firewall || isReady(observed["security-policy"]));
    const inZone = zone && n ? { resourceGroupName: zone.resourceGroupName, zoneName: zone.zoneName, ttl: DNS_TTL, tags } : undefined;
    if (inZone) {
      if (token) r[txtKey] = managed<network.DNSTXTRecord>(NETWORK, "DNSTXTRecord", txtKey, { ...inZone, record: [{ value: token }] }, { annotations: ext(n!.txt), managementPolicies: retain });
      else pending.push(`${txtKey}: Front Door has not issued the validation token of ${d.host} yet`);
      const meta = { annotations: ext(n!.name), managementPolicies: retain };
      if (!routeTarget || !(associated || observed[routeKey])) {
        pending.push(`${routeKey}: waits for the endpoint's ${n!.apex ? "resource id" : "hostname"} and the domain's association with the routes and security policy`);
      } else if (n!.apex) {
        // targetResourceId, never records: the provider takes one or the other (the CRD: "Conflicts with records").
        r[routeKey] = managed<network.DNSARecord>(NETWORK, "DNSARecord", routeKey, { ...inZone, targetResourceId: routeTarget }, meta);
      } else {
        r[routeKey] = managed<network.DNSCNAMERecord>(NETWORK, "DNSCNAMERecord", routeKey, { ...inZone, record: routeTarget }, meta);
      }
    }
    const composed = inZone ? { composed: true } : {};
    const txtName = `_dnsauth.${d.host.replace(/^\*\./, "")}`;
    if (token) dnsRecords.push({ name: txtName, type: "TXT", value: token, purpose: `Front Door domain validation of ${d.host}`, ...composed });
    if (routeTarget) dnsRecords.push({ name: d.host, type: route.type, value: routeTarget, purpose: inZone ? route.purpose : OWN_DNS_ROUTE_PURPOSE, ...composed });
    // What is known of the certificate: never "issued", which the provider cannot tell (see the header).
    const check = `\`az afd custom-domain show ${str(at["id"]) ? `--ids ${str(at["id"])}` : `--resource-group <group> --profile-name <profile> --custom-domain-name ${domainName(d.host)}`} --query domainValidationState\``;
    const certificateStatus = azureCertificateStatus({
      customer: !!d.keyVaultCertificateId,
      domain: !!observed[`custom-domain-${h}`],
      token: !!token,
      ownDns: !inZone,
      record: isReady(observed[txtKey]),
      associated,
      txtName,
      check,
    });
    domains.push({ host: d.host, cnameTarget: endpointHost, certificateStatus });
  }

  // Routes in order (Front Door matches the most specific pattern; paths are unique), each with its rule set.
  for (const p of plan) {
    const b = p.b;
    const origin = spec.origins.find((o) => o.name === b.origin)! as Origin;
    // Every query string is in the cache key (see AZURE_QUERY_STRING_KEY); named ones were refused above.
    const queryStringCachingBehavior = AZURE_QUERY_STRING_KEY[queryStringKind(b)]!;

    // What the route cannot say, as rule actions, at most 5 per rule.
    const actions: Action[] = [];
    if (b.cache.mode === "ttl" && caches(b)) {
      actions.push({ kind: "override", value: { cacheBehavior: "OverrideAlways", cacheDuration: azureDuration(b.cache.ttlSeconds!), compressionEnabled: compresses(b), queryStringCachingBehavior } });
    }
    if (origin.verifyHeader) {
      actions.push({ kind: "request", value: { headerAction: "Overwrite", headerName: origin.verifyHeader.name, value: verifyValue(ctx, origin.name, origin.verifyHeader.secretRef.key) } });
    }
    for (const [name, value] of AZURE_RESPONSE_HEADERS[b.responseHeaders]!) actions.push({ kind: "response", value: { headerAction: "Overwrite", headerName: name, value } });
    const ruleSetKey = `rule-set-${p.key}`;
    if (actions.length) {
      r[ruleSetKey] = managed<cdn.FrontdoorRuleSet>(CDN, "FrontdoorRuleSet", ruleSetKey, profile, { annotations: ext(azureAlnum("rs", p.key)) });
      for (let i = 0; i * ACTIONS_PER_RULE < actions.length; i++) {
        const chunk = actions.slice(i * ACTIONS_PER_RULE, (i + 1) * ACTIONS_PER_RULE);
        const overrides = chunk.flatMap((a) => (a.kind === "override" ? [a.value] : []));
        const requests = chunk.flatMap((a) => (a.kind === "request" ? [a.value] : []));
        const responses = chunk.flatMap((a) => (a.kind === "response" ? [a.value] : []));
        const key = `rule-${p.key}-${i + 1}`;
        r[key] = managed<cdn.FrontdoorRule>(CDN, "FrontdoorRule", key, {
          cdnFrontdoorRuleSetIdSelector: own(ruleSetKey),
          order: i + 1,
          behaviorOnMatch: "Continue",
          actions: {
            routeConfigurationOverrideAction: overrides[0],
            requestHeaderAction: requests.length ? requests : undefined,
            responseHeaderAction: responses.length ? responses : undefined,
          },
        }, { annotations: ext(`r${i + 1}`) });
      }
    }

    const routeKey = `route-${p.key}`;
    const cached = caches(b);
    if (!isReady(observed[`origin-${origin.name}`]) && !observed[routeKey]) {
      pending.push(routeKey);
      continue;
    }
    r[routeKey] = managed<cdn.FrontdoorRoute>(CDN, "FrontdoorRoute", routeKey, {
      cdnFrontdoorEndpointIdSelector: own("endpoint"),
      cdnFrontdoorOriginGroupIdSelector: own(`origin-group-${origin.name}`),
      cdnFrontdoorOriginIdsSelector: own(`origin-${origin.name}`),
      cdnFrontdoorOriginPath: originPath.get(origin.name),
      cdnFrontdoorRuleSetIdsSelector: actions.length ? own(ruleSetKey) : undefined,
      cdnFrontdoorCustomDomainIdsSelector: spec.domains.length ? byRole("custom-domain") : undefined,
      enabled: true,
      patternsToMatch: [p.path ?? "/*"],
      supportedProtocols: ["Http", "Https"],
      httpsRedirectEnabled: true,
      forwardingProtocol: "HttpsOnly",
      linkToDefaultDomain: true,
      // Caching on: the cache block (honouring the origin unless a rule overrides the TTL). Off: no block.
      cache: cached
        ? { queryStringCachingBehavior, compressionEnabled: compresses(b), contentTypesToCompress: compresses(b) ? AZURE_COMPRESS_TYPES : undefined }
        : undefined,
    }, { labels: { [ROLE]: "route" } });
  }

  // The firewall: managed rule sets (Premium) when the WAF is on, a geo rule when asked, the blob version rule with a store origin.
  const customRules: CustomRule[] = [];
  if (spec.geo) {
    customRules.push({
      name: "geo",
      type: "MatchRule",
      priority: GEO_RULE_PRIORITY,
      enabled: true,
      action: "Block",
      // allow: block every country not listed; block: block those listed.
      matchCondition: [{ matchVariable: "SocketAddr", operator: "GeoMatch", negationCondition: spec.geo.mode === "allow", matchValues: [...spec.geo.countries].sort() }],
    });
  }
  const versions = blobVersionRule(plan, spec);
  if (versions) customRules.push(versions);
  if (firewall) {
    r["firewall-policy"] = managed<cdn.FrontdoorFirewallPolicy>(CDN, "FrontdoorFirewallPolicy", "firewall-policy", {
      resourceGroupNameSelector: own("resource-group"),
      skuName: sku,
      enabled: true,
      mode: spec.waf.enabled && spec.waf.mode === "detection" ? "Detection" : "Prevention",
      managedRule: spec.waf.enabled
        ? [
            { ...AZURE_DEFAULT_RULE_SET, action: "Block" },
            ...(spec.waf.botProtection ? [{ ...AZURE_BOT_RULE_SET, action: "Block" }] : []),
          ]
        : undefined,
      customRule: customRules.length ? customRules : undefined,
      tags,
    }, { annotations: ext(wafPolicyName(xr)), managementPolicies: retain });
    r["security-policy"] = managed<cdn.FrontdoorSecurityPolicy>(CDN, "FrontdoorSecurityPolicy", "security-policy", {
      ...profile,
      securityPolicies: {
        firewall: {
          cdnFrontdoorFirewallPolicyIdSelector: own("firewall-policy"),
          association: {
            domain: [{ cdnFrontdoorDomainIdSelector: own("endpoint") }, ...spec.domains.map((d): SecurityPolicyDomain => ({ cdnFrontdoorDomainIdSelector: own(`custom-domain-${domainKey(d.host)}`) }))],
            patternsToMatch: ["/*"],
          },
        },
      },
    });
  }

  // Access and WAF logs into the log store's account, by a diagnostic setting of the profile. Both ids
  // come from status (the profile's as observed, the account's from the ObjectStore); until then it waits.
  if (spec.logging) {
    const store = required[storeRequirement(spec.logging.objectStoreRef.name)]?.[0];
    const seen = observed["access-logs"]?.resource.spec?.["forProvider"] as Obj | undefined;
    const accountId = str((store?.status as Obj | undefined)?.["resourceId"]) ?? str(seen?.["storageAccountId"]);
    const profileId = str(atProvider(observed["profile"])["id"]) ?? str(seen?.["targetResourceId"]);
    if (accountId && profileId) {
      r["access-logs"] = managed<insights.MonitorDiagnosticSetting>(INSIGHTS, "MonitorDiagnosticSetting", "access-logs", {
        name: "tessera-access-logs",
        targetResourceId: profileId,
        storageAccountId: accountId,
        enabledLog: LOG_CATEGORIES.map((category): NonNullable<ForProvider<insights.MonitorDiagnosticSetting>["enabledLog"]>[number] => ({ category })),
      });
    } else {
      pending.push("access-logs");
    }
  }

  const waitsForApproval = stores.length && isReady(observed[`origin-${stores[0]!.name}`]);
  const manualSteps = [
    ...(waitsForApproval ? ["approve the pending Private Link connection from Front Door on each ObjectStore origin's storage account (Networking > Private endpoint connections, or the az commands in that ObjectStore's status.manualSteps); no Crossplane resource can approve it"] : []),
    ...keyVault.manualSteps,
  ];
  return finish(ctx, r, pending, endpointHost, {
    profileId: str(atProvider(observed["profile"])["id"]),
    domains: domains.length ? domains : undefined,
    dnsRecords: dnsRecords.length ? dnsRecords : undefined,
    wafId: firewall ? str(atProvider(observed["firewall-policy"])["id"]) : undefined,
    manualSteps: manualSteps.length ? manualSteps : undefined,
  });
};
