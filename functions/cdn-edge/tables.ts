/** Abstract CdnEdge terms mapped per cloud, as data. */
import type { Behavior } from "../../apis/cdn-edge/schema.ts";
import type * as cdn from "../crds/cdn.azure.m.upbound.io.ts";
import type { ForProvider } from "../shared/types.ts";

type Methods = Behavior["methods"];
type ResponseHeaders = Behavior["responseHeaders"];

/**
 * CloudFront managed cache policies (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/
 * using-managed-cache-policies.html). CachingOptimized: min 1 s, default 1 day, max 1 year, nothing
 * in the key but the normalised Accept-Encoding (gzip and brotli); it honours the origin's
 * Cache-Control. CachingOptimizedForUncompressedObjects: the same without compression.
 * CachingDisabled: TTL 0, nothing in the key.
 */
export const MANAGED_CACHE_POLICY = {
  CachingOptimized: "658327ea-f89d-4fab-a63d-7e88639e58f6",
  CachingOptimizedForUncompressedObjects: "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
  CachingDisabled: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
} as const;

/**
 * CloudFront managed origin request policies (using-managed-origin-request-policies.html). AllViewer
 * forwards every viewer header (Host included), cookie and query string.
 */
export const MANAGED_ORIGIN_REQUEST_POLICY = {
  AllViewer: "216adef6-5c7f-47e4-b989-5492eafa07d3",
  AllViewerExceptHostHeader: "b689b0a8-53d0-40ab-baf2-68738e2966ac",
  CorsS3Origin: "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
} as const;

/**
 * CloudFront managed response headers policies (using-managed-response-headers-policies.html).
 * SecurityHeadersPolicy: Strict-Transport-Security max-age=31536000, X-Content-Type-Options nosniff,
 * X-Frame-Options SAMEORIGIN, Referrer-Policy strict-origin-when-cross-origin, X-XSS-Protection
 * 1; mode=block. The CORS variants add Access-Control-Allow-Origin: * and, with preflight, answer
 * OPTIONS preflights at the edge.
 */
export const MANAGED_RESPONSE_HEADERS_POLICY: Record<ResponseHeaders, string | undefined> = {
  none: undefined,
  security: "67f7725c-6f97-4210-82d7-5512b31e9d03",
  "cors-security": "e61eb60c-9c35-4d20-a928-2b84e02af89c",
  "cors-preflight-security": "eaab4381-ed33-4a86-88ca-d9558dc6cd63",
};

/**
 * The same security headers on Front Door, as rule-set response header actions (Overwrite). Front
 * Door cannot answer a CORS preflight (the origin must), so cors-preflight-security has no mapping
 * and is refused on Azure.
 */
const SECURITY_HEADERS: Array<[string, string]> = [
  ["Strict-Transport-Security", "max-age=31536000"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["Referrer-Policy", "strict-origin-when-cross-origin"],
  ["X-XSS-Protection", "1; mode=block"],
];
export const AZURE_RESPONSE_HEADERS: Record<ResponseHeaders, Array<[string, string]> | undefined> = {
  none: [],
  security: SECURITY_HEADERS,
  "cors-security": [...SECURITY_HEADERS, ["Access-Control-Allow-Origin", "*"]],
  "cors-preflight-security": undefined,
};

/** CloudFront allowed methods (the API takes exactly these sets); cached methods are GET and HEAD. */
export const AWS_METHODS: Record<Methods, string[]> = {
  read: ["GET", "HEAD", "OPTIONS"],
  all: ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
};
export const CACHED_METHODS = ["GET", "HEAD"];

export const PRICE_CLASS = { all: "PriceClass_All", "200": "PriceClass_200", "100": "PriceClass_100" } as const;

/**
 * Viewer TLS: TLSv1.2_2021 is the newest policy CloudFront's provider schema documents and the seed's
 * choice (TLS 1.2+, only ECDHE AES-GCM and ChaCha20 suites). Origins: TLS 1.2 only.
 */
export const AWS_VIEWER_TLS = "TLSv1.2_2021";
export const AWS_ORIGIN_TLS = ["TLSv1.2"];

/**
 * AWS managed rule groups of the web ACL (docs.aws.amazon.com/waf/latest/developerguide/
 * aws-managed-rule-groups-baseline.html, -use-case.html): core rule set, known bad inputs, SQL database.
 */
export const AWS_WAF_RULE_GROUPS = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet"];

/**
 * waf.maxRequestBodyKB on AWS. The Common rule set's SizeRestrictions_BODY blocks bodies over 8 KB, a
 * size fixed by AWS (aws-managed-rule-groups-baseline.html; repost.aws/knowledge-center/waf-http-request-body-inspection),
 * so a larger limit counts that rule (RuleActionOverrides) and blocks bodies over the limit with a
 * SizeConstraint rule of Tessera's. CloudFront forwards only the first 16 KB of a body to AWS WAF unless the
 * web ACL's association config raises it to 32, 48 or 64 KB (extra charges for inspecting the larger
 * bodies: API_RequestBodyAssociatedResourceTypeConfig.html); the rule's oversize handling MATCH blocks a
 * body over that window too (API_Body.html, OversizeHandling), so nothing passes that WAF saw only in part.
 */
export const AWS_SIZE_RULE = "SizeRestrictions_BODY";
export const AWS_BODY_RULE_NAME = "TesseraMaxRequestBody";
/** CloudFront's inspection window when the web ACL does not set one. */
export const AWS_DEFAULT_INSPECTION = "KB_16";
/** The smallest inspection window (KB_16 ... KB_64) that holds a body of `kb` KB. */
export const awsBodyInspectionLimit = (kb: number) => `KB_${Math.max(16, Math.ceil(kb / 16) * 16)}`;

/**
 * Front Door's query-string cache key on a caching behaviour, by what forward.queryStrings names
 * (none, all "*", or named ones). Front Door passes every query string to the origin whatever the
 * route's caching says: IgnoreQueryString sends them "to the origin on the first request and caches
 * the asset", then serves that response for every other query string of the path
 * (learn.microsoft.com/azure/frontdoor/front-door-caching#query-string-behavior), and no route or rule
 * can drop them (CloudFront forwards only what the behaviour names). So the key holds every query
 * string the origin receives: an app answers by them, and so does Blob Storage (Get Blob reads an
 * earlier version by ?versionid= and a snapshot by ?snapshot=, learn.microsoft.com/rest/api/storageservices/get-blob),
 * so a cache that ignored them could keep an earlier version, or another user's page, under the plain
 * path for everyone. Named query strings are refused (undefined): Front Door would still forward the
 * others and key only on the named ones (IncludeSpecifiedQueryStrings), the same mix-up.
 */
export const AZURE_QUERY_STRING_KEY: Record<"none" | "all" | "named", "UseQueryString" | undefined> = {
  none: "UseQueryString",
  all: "UseQueryString",
  named: undefined,
};

/**
 * Blob service query parameters that reach other data than the current blob, blocked on an ObjectStore
 * origin's paths by a custom rule of the Front Door firewall policy (azure.ts, blobVersionRule).
 *
 * The store's container allows anonymous reads at blob level (ObjectStore, cdn.originAccess), and the
 * container's public access level applies to the blob resource whatever its query: Get Blob, Get Blob
 * Properties and Get Blob Metadata are open to anonymous callers at blob level, List Blobs and the
 * container operations (restype=container, comp=list) only at container level, which is not granted
 * (learn.microsoft.com/azure/storage/blobs/anonymous-read-access-configure, "Features available to
 * anonymous users"). Get Blob reads a snapshot by ?snapshot=<DateTime> and an earlier version by
 * ?versionid=<DateTime> (learn.microsoft.com/rest/api/storageservices/get-blob, URI parameters), and
 * no anonymous permission separates them from the current blob (a SAS has its own "bs" and "bv"
 * resources; anonymous access has none): Microsoft's own testers download versions from a public
 * container (microsoft/AzureStorageExplorer#3569). Versioning is on by default in Tessera's ObjectStore
 * and a version id is the time of the write, which the current blob's Last-Modified and x-ms-version-id
 * headers give away to the second. Front Door forwards every query string (AZURE_QUERY_STRING_KEY), so
 * without the rule a deleted or overwritten blob stays readable to anyone who guesses the time.
 *
 * "snapshot=" also covers prevsnapshot= (Get Page Ranges, a diff of two snapshots). Left open:
 * comp=metadata (the current blob's metadata, which Get Blob returns as x-ms-meta-* headers anyway) and
 * comp=blocklist (the current blob's committed block ids, no data); restype= and comp=list fail anyway. Matched with Contains on the decoded, lowercased query string:
 * any spelling the blob service would read as one of these parameters contains one of these strings.
 */
export const AZURE_BLOB_VERSION_QUERY = ["snapshot=", "versionid="];

/** Front Door SKUs; the firewall policy's skuName must equal the profile's. */
export const AZURE_SKU = { standard: "Standard_AzureFrontDoor", premium: "Premium_AzureFrontDoor" } as const;

/** Typed as the CRD's managed rule (type and version), since the firewall policy spreads them into one. */
type ManagedRuleSet = Pick<NonNullable<ForProvider<cdn.FrontdoorFirewallPolicy>["managedRule"]>[number], "type" | "version">;
/** Front Door managed rule sets (Premium only; learn.microsoft.com/azure/web-application-firewall/afds/waf-front-door-drs). */
export const AZURE_DEFAULT_RULE_SET: ManagedRuleSet = { type: "Microsoft_DefaultRuleSet", version: "2.1" };
export const AZURE_BOT_RULE_SET: ManagedRuleSet = { type: "Microsoft_BotManagerRuleSet", version: "1.1" };

/**
 * Content types Front Door compresses when a route compresses (it compresses nothing unless listed).
 * The common text types CloudFront also compresses.
 */
export const AZURE_COMPRESS_TYPES = [
  "application/javascript",
  "application/json",
  "application/xml",
  "image/svg+xml",
  "text/css",
  "text/html",
  "text/javascript",
  "text/plain",
  "text/xml",
];

/** What Tessera knows of a Front Door custom domain's certificate (see azureCertificateStatus). */
export interface AzureCertificateFacts {
  /** A Key Vault certificate (customer certificate), not a managed one. */
  customer: boolean;
  /** The custom domain exists. */
  domain: boolean;
  /** Front Door has issued its validation token. */
  token: boolean;
  /** No spec.dnsZoneId: the user creates the TXT record, and Tessera cannot see it. */
  ownDns: boolean;
  /** The composed _dnsauth TXT record is Ready. */
  record: boolean;
  /** The domain's association with the routes (and the security policy) is Ready. */
  associated: boolean;
  txtName: string;
  /** The command that shows the domain's validation state. */
  check: string;
}

/**
 * status.domains[].certificateStatus on Azure: only what is known. The provider's FrontdoorCustomDomain
 * reports validationToken and expirationDate, both read from Front Door's validationProperties, where
 * expirationDate is the token's expiry (hashicorp/terraform-provider-azurerm, internal/services/cdn/
 * cdn_frontdoor_custom_domain_resource.go; docs: "The date time that the token expires"), and nothing of
 * domainValidationState or the certificate. So a managed certificate is pending until its TXT record is
 * in place and the domain associated, and after that "validating or issued" with the command that tells.
 */
export function azureCertificateStatus(f: AzureCertificateFacts): string {
  // A Key Vault certificate is the customer's, but Front Door still validates the domain with its TXT
  // record (learn.microsoft.com/azure/frontdoor/domain, "Domain validation"; Microsoft's quickstart
  // template front-door-standard-premium-custom-domain-customer-certificate asks for it), so it goes
  // through the same steps; only the last word differs.
  const done = f.customer ? "validating or approved" : "validating or issued";
  const unreported = `Front Door does not report it through the provider; check with ${f.check}`;
  const state = ((): string => {
    if (!f.domain) return "pending: the Front Door custom domain is not created yet";
    if (!f.token) return "pending validation: Front Door has not issued the domain's validation token yet";
    if (f.ownDns) return `pending validation until the TXT record ${f.txtName} in status.dnsRecords exists, then ${done}: ${unreported}`;
    if (!f.record) return `pending validation: the TXT record ${f.txtName} is not in the zone yet`;
    if (!f.associated) return "pending validation: the domain is not associated with the routes and security policy yet";
    return `${done}: ${unreported}`;
  })();
  return f.customer ? `customer certificate from Key Vault; domain ${state}` : state;
}

/**
 * Front Door cache durations: d.HH:MM:SS from one day (at most 366 days), HH:MM:SS below a day. A
 * leading "0." is refused by azurerm's validate.CdnFrontDoorCacheDuration, and the CRD says a duration
 * under a day is written HH:MM:SS, so 300 s is 00:05:00, never 0.00:05:00.
 */
export function azureDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const rest = seconds % 86400;
  const hh = String(Math.floor(rest / 3600)).padStart(2, "0");
  const mm = String(Math.floor((rest % 3600) / 60)).padStart(2, "0");
  const ss = String(rest % 60).padStart(2, "0");
  return d > 0 ? `${d}.${hh}:${mm}:${ss}` : `${hh}:${mm}:${ss}`;
}

/**
 * Regions Front Door can open a Private Link connection from (MicrosoftDocs/azure-docs
 * articles/frontdoor/private-link.md, "Region availability"). The feature is region agnostic, and
 * Microsoft advises the region closest to the origin, so a store elsewhere gets the nearest one listed
 * here (PRIVATE_LINK_NEAREST); a region in neither table is refused rather than guessed.
 */
export const AFD_PRIVATE_LINK_REGIONS: ReadonlySet<string> = new Set([
  "brazilsouth", "canadacentral", "centralus", "eastus", "eastus2", "southcentralus", "westus3",
  "francecentral", "germanywestcentral", "northeurope", "norwayeast", "uksouth", "westeurope", "swedencentral",
  "southafricanorth", "australiaeast", "centralindia", "japaneast", "koreacentral", "eastasia",
]);

/** The nearest Private Link region for a store region Front Door cannot connect from itself (same geography). */
export const PRIVATE_LINK_NEAREST: Readonly<Record<string, string>> = {
  westus: "westus3", westus2: "westus3", westcentralus: "centralus", northcentralus: "centralus",
  canadaeast: "canadacentral", brazilsoutheast: "brazilsouth", mexicocentral: "southcentralus",
  ukwest: "uksouth", francesouth: "francecentral", germanynorth: "germanywestcentral",
  norwaywest: "norwayeast", swedensouth: "swedencentral", switzerlandnorth: "germanywestcentral",
  switzerlandwest: "germanywestcentral", italynorth: "westeurope", polandcentral: "germanywestcentral",
  spaincentral: "francecentral", southafricawest: "southafricanorth",
  australiasoutheast: "australiaeast", australiacentral: "australiaeast", australiacentral2: "australiaeast",
  southindia: "centralindia", westindia: "centralindia", japanwest: "japaneast", koreasouth: "koreacentral",
  southeastasia: "eastasia", newzealandnorth: "australiaeast", indonesiacentral: "eastasia", malaysiawest: "eastasia",
  uaenorth: "centralindia", uaecentral: "centralindia", qatarcentral: "centralindia", israelcentral: "germanywestcentral",
};

/** The Private Link location for an origin in `region`, or undefined when Tessera knows none. */
export function privateLinkLocation(region: string): string | undefined {
  return AFD_PRIVATE_LINK_REGIONS.has(region) ? region : PRIVATE_LINK_NEAREST[region];
}
