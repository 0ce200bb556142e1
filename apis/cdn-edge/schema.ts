/**
 * CdnEdge: an app team's edge, described once: origins (an ObjectStore or any HTTPS host), a default
 * behaviour and path behaviours (methods, compression, caching, what reaches the origin), TLS for its
 * domains, a web application firewall on by default, geo restriction, price class and HTTP/3. Composed
 * as a CloudFront distribution (AWS) or Azure Front Door Standard/Premium (Azure). What one cloud
 * cannot do is refused with the reason, never approximated silently. Written once here; the XRD is
 * generated from it and the function parses XRs with it.
 */
import { z } from "zod";
import { cel, commonRules, localRef, providerField, regionField, REGIONS, secretNameField, tagsField } from "../shared/common.ts";

const celList = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(", ")}]`;

export const METHODS = ["read", "all"] as const;
export const CACHE_MODES = ["origin", "ttl", "disabled"] as const;
export const RESPONSE_HEADERS = ["none", "security", "cors-security", "cors-preflight-security"] as const;
export const PRICE_CLASSES = ["all", "200", "100"] as const;
export const TIERS = ["standard", "premium"] as const;

/** CloudFront's largest TTL a cache policy takes without a quota raise is open-ended; Front Door's cache duration stops at 366 days. One year fits both. */
export const MAX_TTL_SECONDS = 31_536_000;
/** CloudFront's default quotas: 25 cache behaviours and 25 origins per distribution (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html). */
export const MAX_BEHAVIORS = 25;
export const MAX_ORIGINS = 25;
/**
 * Request bodies on AWS: the Common rule set's SizeRestrictions_BODY blocks bodies over 8 KB
 * (docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html), and CloudFront
 * forwards at most 64 KB of a body to AWS WAF (16 KB by default, raised in 16 KB steps by the web ACL's
 * association config: docs.aws.amazon.com/waf/latest/APIReference/API_RequestBodyAssociatedResourceTypeConfig.html).
 */
export const AWS_DEFAULT_BODY_KB = 8;
export const AWS_MAX_BODY_KB = 64;

/** An origin or behaviour name: lowercase letters, digits and '-', the subset every cloud name built from it accepts. */
const originName = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "must start with a letter, then lowercase letters, digits and '-', not ending in '-'");

/**
 * A hostname: DNS labels of letters, digits and '-', optionally a leading "*." wildcard. Lowercase,
 * because certificates and Front Door custom domains compare names case-insensitively but store them as given.
 */
const hostName = z
  .string()
  .min(3)
  .max(253)
  .regex(/^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lowercase DNS name such as www.example.com or *.example.com");

/**
 * Header, cookie or query-string names. `["*"]` means all of them. CloudFront takes at most 10 names
 * per list in a cache or origin request policy (cloudfront-limits.html, "Cache policies").
 */
const nameList = (what: string, pattern: RegExp) =>
  cel(
    z.array(z.string().min(1).max(128).regex(pattern, `must be a ${what} name or *`)).max(10).default([]),
    { rule: "!('*' in self) || size(self) == 1", message: `["*"] (all ${what}s) stands alone; list names, or give just "*"` },
  );

/** Path patterns both clouds take: start with '/', CloudFront's characters, '*' only at the end (Front Door's rule). */
const pathPattern = z
  .string()
  .min(2)
  .max(255)
  .regex(/^\/[A-Za-z0-9_\-.~/@:+$&=]*\*?$/, "must start with '/', use letters, digits and _-.~/@:+$&= and may end in a single '*' (Front Door takes '*' only at the end; CloudFront matches case-sensitively)");

/** A Route 53 hosted zone id. */
export const ROUTE53_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;
/**
 * An Azure DNS zone's resource id: subscription GUID, resource group (1-90 of letters, digits,
 * '_', '-', '.', '(' and ')', not ending in '.'), the zone's lowercase DNS name
 * (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftnetwork).
 * ARM spells the type dnszones or dnsZones (resource ids compare case-insensitively); both are taken.
 * `[.]` rather than an escaped dot, so the pattern reads the same in CEL (RE2) and JavaScript.
 */
export const AZURE_DNS_ZONE_ID =
  /^\/subscriptions\/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\/resource[Gg]roups\/[-A-Za-z0-9_.()]{0,89}[-A-Za-z0-9_()]\/providers\/Microsoft[.]Network\/dns[Zz]ones\/([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?[.])+[a-z]{2,63}$/;
/**
 * A Key Vault's resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>):
 * the scope of the role assignment that lets Front Door's identity read a certificate. Vault names are
 * 3-24 letters, digits and '-' (learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#vault-name-and-object-name).
 */
export const KEY_VAULT_ID =
  /^\/subscriptions\/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\/resource[Gg]roups\/[-A-Za-z0-9_.()]{0,89}[-A-Za-z0-9_()]\/providers\/Microsoft[.]KeyVault\/vaults\/[A-Za-z0-9-]{3,24}$/;
/** The same patterns for CEL `matches` (RE2 needs no escaped '/'). */
const celPattern = (re: RegExp) => re.source.replace(/\\\//g, "/");

const behaviorFields = {
      origin: originName.describe("Name of the origin (in spec.origins) requests of this behaviour go to."),
      methods: z
        .enum(METHODS)
        .default("all")
        .describe("read: GET, HEAD and OPTIONS (AWS only: Front Door routes pass every method, so read is refused there); all: every method, including POST, PUT, PATCH and DELETE."),
      compress: z
        .boolean()
        .optional()
        .describe("Compress responses at the edge (gzip and brotli). Default: true when caching, false when caching is disabled; both clouds compress only what they cache, so true with caching disabled is refused."),
      cache: cel(
        z
          .object({
            mode: z
              .enum(CACHE_MODES)
              .default("origin")
              .describe("origin: honour the origin's Cache-Control (one day when it sends none); ttl: cache exactly ttlSeconds, whatever the origin says; disabled: never cache."),
            ttlSeconds: z.int().min(0).max(MAX_TTL_SECONDS).optional().describe("With mode ttl: seconds to cache (0 to one year). 0 is the same as disabled."),
          })
          .strict(),
        { rule: "(has(self.mode) && self.mode == 'ttl') == has(self.ttlSeconds)", message: "cache.ttlSeconds is set exactly when cache.mode is ttl" },
      ).prefault({}),
      forward: z
        .object({
          headers: nameList("header", /^(\*|[A-Za-z0-9!#$%&'*+.^_`|~-]+)$/).describe("Request headers sent to the origin; when caching, also part of the cache key (AWS). Front Door always forwards every header and cannot key on them."),
          cookies: nameList("cookie", /^(\*|[A-Za-z0-9!#$%&'*+.^_`|~-]+)$/).describe("Cookies sent to the origin; when caching, part of the cache key (AWS). Front Door always forwards every cookie and cannot key on them."),
          queryStrings: nameList("query string", /^(\*|[A-Za-z0-9_.~-]+)$/).describe("Query strings sent to the origin and part of the cache key when caching (both clouds)."),
        })
        .strict()
        .prefault({})
        .describe("What reaches the origin. Nothing by default (best cache hit ratio). With caching on, everything forwarded is also part of the cache key."),
      responseHeaders: z
        .enum(RESPONSE_HEADERS)
        .default("security")
        .describe("Headers added to responses: security (HSTS, nosniff, frame options, referrer policy, XSS protection), cors-security (also Access-Control-Allow-Origin: *), cors-preflight-security (also answers CORS preflights at the edge: AWS only, Front Door cannot answer a preflight) or none."),
};

const compressRule = {
    rule: "!has(self.compress) || !self.compress || !has(self.cache) || !has(self.cache.mode) || (self.cache.mode != 'disabled' && (self.cache.mode != 'ttl' || !has(self.cache.ttlSeconds) || self.cache.ttlSeconds > 0))",
    message: "compress: both CloudFront and Front Door compress only responses they cache; drop compress or enable caching",
    fieldPath: ".compress",
};

export const Behavior = cel(z.object(behaviorFields).strict(), compressRule);

export const PathBehavior = cel(
  z.object({ path: pathPattern.describe("Path pattern, e.g. /api/* or /_next/static/*. Matched case-sensitively (CloudFront), in the listed order."), ...behaviorFields }).strict(),
  compressRule,
);

export const Origin = cel(
  z
    .object({
      name: originName.describe("Name the behaviours use for this origin."),
      objectStoreRef: localRef("ObjectStore")
        .optional()
        .describe("An ObjectStore in this namespace, on the same provider. AWS: read through origin access control; the store needs spec.cdn.originAccess: true. Azure: Front Door Premium reaches the private account through Private Link, which must then be approved on the storage account (no Crossplane resource approves it); the WAF must be on in prevention mode, whose custom rule blocks reads of earlier blob versions and snapshots."),
      host: hostName.optional().describe("Any HTTPS origin: an ALB, an App Gateway, an external image service. Reached over HTTPS only, TLS 1.2 or later."),
      httpsPort: z.int().min(1).max(65535).default(443).describe("HTTPS port of a host origin."),
      verifyHeader: z
        .object({
          name: z.string().min(1).max(128).regex(/^[A-Za-z0-9-]+$/, "must be an HTTP header name").describe("Header name, e.g. X-Origin-Verify."),
          secretRef: z
            .object({
              name: z.string().min(1).max(253).regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/).describe("Secret in this namespace."),
              key: z.string().min(1).max(253).describe("Key of the value in the Secret."),
            })
            .strict(),
        })
        .strict()
        .optional()
        .describe("A secret header the edge adds to every request to this origin, so the origin can refuse requests that did not come through the edge. Both clouds keep the value in the managed resource's spec (CloudFront customHeader, a Front Door rule), readable by whoever can read those resources."),
      shieldRegion: z
        .string()
        .min(1)
        .max(32)
        .optional()
        .describe("AWS only: CloudFront Origin Shield in this AWS region (an extra caching layer in front of the origin). Front Door has no origin shield."),
    })
    .strict(),
  { rule: "has(self.objectStoreRef) != has(self.host)", message: "an origin is either objectStoreRef or host, exactly one" },
  { rule: "!has(self.objectStoreRef) || !has(self.verifyHeader)", message: "verifyHeader is for host origins; an ObjectStore origin is already private (origin access control / Private Link)", fieldPath: ".verifyHeader" },
  { rule: `!has(self.shieldRegion) || self.shieldRegion in ${celList(REGIONS.aws)}`, message: "shieldRegion must be an AWS region with Origin Shield, e.g. us-east-1", fieldPath: ".shieldRegion" },
);

export const Domain = z
  .object({
    host: hostName.describe("Viewer hostname, e.g. www.example.com, *.example.com or the zone apex example.com. Point it (CNAME) at status.endpoint; an apex, which cannot be a CNAME, through an alias (Route 53 alias, Azure DNS alias record or CNAME flattening)."),
    keyVaultCertificateId: z
      .string()
      .min(1)
      .max(2048)
      .regex(/^https:\/\/[a-z0-9-]+\.vault\.azure\.net\/(secrets|certificates)\/[A-Za-z0-9-]+(\/[A-Za-z0-9]+)?$/, "must be a Key Vault certificate or secret id")
      .optional()
      .describe("Azure only: a customer certificate from Key Vault (in the provider's subscription, as Front Door requires). Needed for wildcard hosts, which Front Door managed certificates do not cover, and for the apex of spec.dnsZoneId, whose managed certificate Front Door would not renew without a manual revalidation (it renews only hosts that are a CNAME to the endpoint). The Front Door profile then gets a system-assigned managed identity, which needs Key Vault Secrets User on the vault: give keyVaultId and Tessera assigns it, or status.manualSteps has the az command. AWS always uses one ACM certificate for every host."),
    keyVaultId: z
      .string()
      .max(512)
      .regex(KEY_VAULT_ID, "must be a Key Vault's resource id: /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>")
      .optional()
      .describe("Azure only, with keyVaultCertificateId: the resource id of the vault holding it. Tessera then assigns the Front Door profile's managed identity Key Vault Secrets User on that vault (the provider's identity needs the right to assign roles there, and the vault must use Azure RBAC); the certificate waits for the assignment. Without it, status.manualSteps says how to grant it."),
  })
  .strict();

export const CdnEdgeSpec = cel(
  z
    .object({
      provider: providerField,
      region: regionField.describe("AWS: unused by the edge itself (CloudFront is global; its certificate and web ACL live in us-east-1, as CloudFront requires). Azure: location of the resource group. Immutable."),
      tier: z
        .enum(TIERS)
        .optional()
        .describe("Azure only: Front Door Standard or Premium (Front Door replaces the profile to change it). Default: premium when the WAF's managed rule set or an ObjectStore origin (Private Link) needs it, else standard."),
      domains: z.array(Domain).max(10).default([]).describe("Viewer hostnames with TLS. AWS: one ACM certificate in us-east-1 covers them all (10 names by default). Azure: a managed certificate per host, or keyVaultCertificateId. Without domains the edge's own hostname serves."),
      dnsZoneId: z
        .string()
        .max(512)
        .regex(new RegExp(`^(${ROUTE53_ZONE_ID.source.slice(1, -1)}|${AZURE_DNS_ZONE_ID.source.slice(1, -1)})$`), "must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (AWS) or an Azure DNS zone id such as /subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Network/dnszones/example.com (Azure)")
        .optional()
        .describe("The public DNS zone of the domains: a Route 53 hosted zone id (AWS) or an Azure DNS zone's resource id (Azure; /subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Network/dnszones/<zone>). Every host must lie in the zone. AWS: Tessera creates the ACM validation records and alias A/AAAA records to the distribution, and waits for validation itself. Azure: Tessera creates each host's _dnsauth TXT record (Front Door domain validation) and its CNAME to the endpoint, or for the zone apex an Azure DNS alias A record to the endpoint (the apex needs a Key Vault certificate). The provider's identity needs write access to the zone. Without a zone, status.dnsRecords lists the records to create."),
      origins: z.array(Origin).min(1).max(MAX_ORIGINS).describe("Where content comes from."),
      defaultBehavior: Behavior.describe("What every request not matched by spec.behaviors gets."),
      behaviors: z.array(PathBehavior).max(MAX_BEHAVIORS).default([]).describe("Path behaviours, first match wins. CloudFront takes 25 by default."),
      waf: cel(z
        .object({
          enabled: z.boolean().default(true).describe("Put a web application firewall in front of the edge."),
          mode: z.enum(["prevention", "detection"]).default("prevention").describe("prevention blocks what the rules match; detection only counts and logs."),
          botProtection: z.boolean().default(false).describe("Azure only: also the Microsoft bot manager rule set (Premium). AWS Bot Control is priced per request and not offered."),
          maxRequestBodyKB: z
            .int()
            .min(AWS_DEFAULT_BODY_KB)
            .max(AWS_MAX_BODY_KB)
            .optional()
            .describe(`AWS only: the largest request body, in KB, the web ACL lets through; larger bodies are blocked, so every body that passes was inspected whole. Default ${AWS_DEFAULT_BODY_KB}: the Common rule set's SizeRestrictions_BODY blocks bodies over 8 KB. Raise it for API behaviours that take larger JSON or uploads: Tessera then counts SizeRestrictions_BODY and blocks bodies over this size with its own rule. At most ${AWS_MAX_BODY_KB}, the most CloudFront forwards to AWS WAF; above 16 AWS WAF charges for inspecting the larger bodies. Refused on Azure: Front Door's WAF inspects the first 128 KB of a body and has no size setting Tessera could set.`),
        })
        .strict(),
        { rule: "!has(self.maxRequestBodyKB) || !has(self.enabled) || self.enabled", message: "spec.waf.maxRequestBodyKB sets what the web ACL lets through; with waf.enabled false there is none: remove maxRequestBodyKB or enable the WAF", fieldPath: ".maxRequestBodyKB" },
      )
        .prefault({})
        .describe("AWS: a WAFv2 web ACL at CLOUDFRONT scope (us-east-1) with the AWS managed Common, KnownBadInputs and SQLi rule groups (and, with maxRequestBodyKB, Tessera's body size rule). Azure: a Front Door firewall policy with Microsoft_DefaultRuleSet 2.1, which needs Premium; with an ObjectStore origin also a custom rule that blocks reads of earlier blob versions and snapshots on the store's paths."),
      geo: z
        .object({
          mode: z.enum(["allow", "block"]).describe("allow: only these countries; block: every country but these."),
          countries: z.array(z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code such as US")).min(1).max(200),
        })
        .strict()
        .optional()
        .describe("Geo restriction by viewer country: CloudFront geo restriction (AWS) or a firewall custom rule with GeoMatch (Azure)."),
      http3: z.boolean().optional().describe("Serve HTTP/3 beside HTTP/2. AWS default true (http2and3). Azure: Front Door serves HTTP/1.1 and HTTP/2 only, so true is refused."),
      priceClass: z.enum(PRICE_CLASSES).default("all").describe("Edge locations used: all, 200 or 100 (CloudFront price classes). Front Door always uses every location: only all on Azure."),
      logging: z
        .object({
          objectStoreRef: localRef("ObjectStore").describe("ObjectStore on the same provider: on AWS with spec.acceptsCdnLogs: true."),
          prefix: z.string().min(1).max(256).regex(/^[A-Za-z0-9!_.*'()/-]+$/).optional().describe("Key prefix of the log objects. Default: cloudfront/<namespace>/<name>/."),
        })
        .strict()
        .optional()
        .describe("Access logs into an ObjectStore. AWS: CloudFront standard (legacy) logs. Azure: a diagnostic setting of the profile sends Front Door access and WAF logs to the store's account."),
      deletionProtection: z
        .boolean()
        .default(true)
        .describe("Keep the distribution, its certificate and web ACL (AWS), or the resource group, profile, endpoint, custom domains and firewall policy (Azure) when this resource is deleted, so the hostname DNS points at survives. The edge holds no data. Off: deleting this resource deletes the edge (CloudFront disables a distribution first, about 15 minutes)."),
      connectionSecretName: secretNameField.describe("Name of the connection Secret written in this namespace (default: <metadata.name>-cdn), holding endpoint, url and hosts. It must be this resource's own: a Secret of that name that this resource did not create is refused, never overwritten."),
      tags: tagsField,
    })
    .strict(),
  ...commonRules(),
  { rule: "self.provider != 'aws' || !has(self.tier)", message: "spec.tier is Azure only (Front Door Standard or Premium); CloudFront has no tiers", fieldPath: ".tier" },
  { rule: "self.provider != 'azure' || !has(self.http3) || !self.http3", message: "spec.http3: Azure Front Door serves HTTP/1.1 and HTTP/2, not HTTP/3; remove http3 on Azure", fieldPath: ".http3" },
  { rule: "self.provider != 'azure' || !has(self.priceClass) || self.priceClass == 'all'", message: "spec.priceClass: Front Door has no price classes and always uses every edge location; use all on Azure", fieldPath: ".priceClass" },
  { rule: "self.provider != 'azure' || self.origins.all(o, !has(o.shieldRegion))", message: "spec.origins[].shieldRegion: Front Door has no origin shield; remove it on Azure", fieldPath: ".origins" },
  { rule: "self.provider != 'aws' || !has(self.domains) || self.domains.all(d, !has(d.keyVaultCertificateId))", message: "spec.domains[].keyVaultCertificateId is Azure only; AWS uses one ACM certificate for every host", fieldPath: ".domains" },
  { rule: "!has(self.domains) || self.domains.all(d, !has(d.keyVaultId) || has(d.keyVaultCertificateId))", message: "spec.domains[].keyVaultId is the vault of keyVaultCertificateId (Azure); give keyVaultCertificateId too, or remove keyVaultId", fieldPath: ".domains" },
  { rule: "self.provider != 'azure' || !has(self.tier) || self.tier == 'premium' || (has(self.waf) && has(self.waf.enabled) && !self.waf.enabled)", message: "spec.tier: the Front Door WAF's managed rule set needs Premium; use tier premium, or waf.enabled false", fieldPath: ".tier" },
  { rule: `!has(self.dnsZoneId) || self.provider != 'aws' || self.dnsZoneId.matches('${celPattern(ROUTE53_ZONE_ID)}')`, message: "spec.dnsZoneId on AWS is a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ", fieldPath: ".dnsZoneId" },
  { rule: `!has(self.dnsZoneId) || self.provider != 'azure' || self.dnsZoneId.matches('${celPattern(AZURE_DNS_ZONE_ID)}')`, message: "spec.dnsZoneId on Azure is an Azure DNS zone's resource id: /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/dnszones/<zone>", fieldPath: ".dnsZoneId" },
  {
    // The renderer's refusal, in the XRD: a host equal to the zone's name is its apex (hosts and zone names are lowercase).
    rule: "self.provider != 'azure' || !has(self.dnsZoneId) || !has(self.domains) || self.domains.all(d, has(d.keyVaultCertificateId) || !self.dnsZoneId.endsWith('/' + d.host))",
    message: "spec.domains[].keyVaultCertificateId: the apex of spec.dnsZoneId needs a Key Vault certificate on Azure, since Front Door renews a managed certificate only for a host that is a CNAME to the endpoint; give one, or use a subdomain such as www",
    fieldPath: ".domains",
  },
  { rule: "!has(self.dnsZoneId) || (has(self.domains) && size(self.domains) > 0)", message: "spec.dnsZoneId needs spec.domains (the hosts whose records go in the zone)", fieldPath: ".dnsZoneId" },
  { rule: "self.provider != 'aws' || !has(self.waf) || !has(self.waf.botProtection) || !self.waf.botProtection", message: "spec.waf.botProtection is Azure only (Microsoft bot manager rule set); AWS Bot Control is not offered", fieldPath: ".waf.botProtection" },
  { rule: "self.provider != 'azure' || !has(self.waf) || !has(self.waf.maxRequestBodyKB)", message: "spec.waf.maxRequestBodyKB is AWS only: Front Door's WAF inspects the first 128 KB of a request body and has no body size Tessera can set; remove it on Azure", fieldPath: ".waf.maxRequestBodyKB" },
  {
    // The renderer's refusal, in the XRD: the custom rule that keeps blob versions and snapshots private only blocks in prevention mode.
    rule: "self.provider != 'azure' || !self.origins.exists(o, has(o.objectStoreRef)) || !has(self.waf) || ((!has(self.waf.enabled) || self.waf.enabled) && (!has(self.waf.mode) || self.waf.mode == 'prevention'))",
    message: "spec.waf: an ObjectStore origin on Azure needs the WAF on in prevention mode, whose rule keeps the store's earlier blob versions and snapshots (?versionid=, ?snapshot=) from anonymous readers through Front Door; set waf.enabled: true and waf.mode: prevention, or use a host origin",
    fieldPath: ".waf",
  },
  { rule: "self.provider != 'azure' || !has(self.logging) || !has(self.logging.prefix)", message: "spec.logging.prefix is AWS only: Azure Monitor writes Front Door logs into its own insights-logs-* containers", fieldPath: ".logging.prefix" },
  { rule: "self.origins.exists(o, o.name == self.defaultBehavior.origin) && (!has(self.behaviors) || self.behaviors.all(b, self.origins.exists(o, o.name == b.origin)))", message: "spec.defaultBehavior.origin and every spec.behaviors[].origin must name an origin in spec.origins", fieldPath: ".origins" },
  { rule: "!has(self.domains) || self.domains.all(d, self.domains.exists_one(e, e.host == d.host))", message: "spec.domains: each host once", fieldPath: ".domains" },
  { rule: "self.origins.all(o, self.origins.exists_one(p, p.name == o.name))", message: "spec.origins: each origin name once", fieldPath: ".origins" },
  { rule: "!has(self.behaviors) || self.behaviors.all(b, self.behaviors.exists_one(c, c.path == b.path))", message: "spec.behaviors: each path once (Front Door refuses two routes with the same path, and CloudFront would never reach the second)", fieldPath: ".behaviors" },
);

export type CdnEdgeSpec = z.output<typeof CdnEdgeSpec>;
export type Behavior = z.output<typeof Behavior>;
export type PathBehavior = z.output<typeof PathBehavior>;
export type Origin = z.output<typeof Origin>;

const DnsRecord = z.object({ name: z.string(), type: z.string(), value: z.string(), purpose: z.string().optional(), composed: z.boolean().optional().describe("true when Tessera creates this record in spec.dnsZoneId (Azure); otherwise the user creates it.") });

export const CdnEdgeStatus = z.object({
  provider: z.string().optional(),
  region: z.string().optional(),
  endpoint: z.string().optional().describe("Edge hostname: dXXXX.cloudfront.net or <endpoint>-<hash>.z01.azurefd.net."),
  url: z.string().optional().describe("https:// URL of the first domain, or of the edge hostname."),
  distributionId: z.string().optional().describe("AWS: the CloudFront distribution id."),
  distributionArn: z.string().optional().describe("AWS: the CloudFront distribution ARN. Each ObjectStore origin (cdn.originAccess) reads it and names this distribution in its bucket policy."),
  profileId: z.string().optional().describe("Azure: the Front Door profile id."),
  domains: z
    .array(z.object({ host: z.string(), cnameTarget: z.string().optional(), certificateStatus: z.string().optional() }))
    .optional()
    .describe("Per domain: where its CNAME points and the certificate's state."),
  dnsRecords: z.array(DnsRecord).optional().describe("DNS records the domains need: certificate validation (AWS CNAME, Azure _dnsauth TXT) and each host's CNAME to the edge. On Azure with spec.dnsZoneId they stay listed, marked composed: true."),
  manualSteps: z.array(z.string()).optional().describe("What must be done by hand, because no provider resource can do it or Tessera was not told enough (Azure: approving Private Link connections; letting the profile's identity read a Key Vault without domains[].keyVaultId. AWS: the key-policy statement an ObjectStore origin encrypted with a customer KMS key needs, repeated from that store's status)."),
  wafId: z.string().optional().describe("Web ACL ARN (AWS) or firewall policy id (Azure)."),
  connectionSecretName: z.string().optional().describe("Secret in this namespace with endpoint, url and hosts."),
  message: z.string().optional().describe("What the edge waits for (certificate validation, deployment), or 'Available'."),
});
