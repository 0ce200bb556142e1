import { describe, expect, it } from "vitest";
import { bucketName, accountName, containerName } from "../../functions/object-store/names.ts";
import { hash8, storeRequirement } from "../../functions/cdn-edge/names.ts";
import { renderAzure } from "../../functions/cdn-edge/azure.ts";
import { CdnEdgeSpec } from "../../apis/cdn-edge/schema.ts";
import { azureDuration, MANAGED_CACHE_POLICY, privateLinkLocation, MANAGED_ORIGIN_REQUEST_POLICY, MANAGED_RESPONSE_HEADERS_POLICY } from "../../functions/cdn-edge/tables.ts";
import type { K8sObject } from "../../functions/shared/types.ts";
import { render, RESOURCE_NAME } from "../../scripts/render-engine.ts";
import { validateComposed } from "../support/crds.ts";
import { CONNECTION_DETAILS, example, objectStoresFor, observe, requiredFor } from "../support/fixtures.ts";
import { admission, expectRefused, withSpec, xrdSpecSchema } from "../support/refusals.ts";

const aws = example("examples/cdn-edge/aws-minimal.yaml");
const azure = example("examples/cdn-edge/azure-minimal.yaml");
const broxiva = example("examples/cdn-edge/aws-broxiva.yaml");
const broxivaAzure = example("examples/cdn-edge/azure-broxiva.yaml");
const vivr = example("examples/cdn-edge/aws-vivr.yaml");
/** The zone apex example.com (a Key Vault certificate) and www.example.com, in the Azure DNS zone example.com. */
const apex = example("examples/cdn-edge/azure-apex.yaml");

/** An Azure DNS zone id, and the Azure minimal example with two hosts in it (one a wildcard from Key Vault). */
const ZONE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/dns-rg/providers/Microsoft.Network/dnszones/example.com";
const azureZoned = withSpec(azure, (s) => {
  s.dnsZoneId = ZONE;
  s.domains = [{ host: "www.example.com" }, { host: "*.shop.example.com", keyVaultCertificateId: "https://kv.vault.azure.net/certificates/shop" }];
});

const keyOf = (r: K8sObject) => r.metadata?.annotations?.[RESOURCE_NAME] as string;
const byKey = (rs: K8sObject[], key: string) => rs.find((r) => keyOf(r) === key) as any;
const fp = (rs: K8sObject[], key: string) => byKey(rs, key)?.spec.forProvider;
const ofKind = (rs: K8sObject[], kind: string) => rs.filter((r) => r.kind === kind) as any[];
const invalid = (rs: K8sObject[]) => rs.flatMap((r) => validateComposed(r).map((e) => `${keyOf(r)}: ${e}`));

/** Renders pass after pass as the fake cluster creates and readies everything; every pass valid against the CRDs; ends Available. */
async function settled(xr: K8sObject, required: K8sObject[] = requiredFor(xr)) {
  let out = await render({ xr, required });
  expect(out.fatal).toBeUndefined();
  expect(invalid(out.resources)).toEqual([]);
  for (let i = 0; i < 6; i++) {
    const before = out.resources.length;
    out = await render({ xr, required, observed: observe(out.resources), connectionDetails: CONNECTION_DETAILS });
    expect(out.fatal).toBeUndefined();
    expect(invalid(out.resources)).toEqual([]);
    if (out.resources.length === before) break;
  }
  expect(out.xr.status?.["message"]).toBe("Available");
  return out;
}

/** Observed resources with one resource's atProvider changed (e.g. a certificate not issued yet). */
function withAt(observed: K8sObject[], key: string, at: Record<string, unknown>): K8sObject[] {
  return observed.map((o) => (keyOf(o) === key ? { ...o, status: { ...(o.status as object), atProvider: { ...((o.status as any).atProvider), ...at } } } : o));
}

describe("CdnEdge on AWS", () => {
  it("secure defaults: HTTPS redirect, managed CachingOptimized and security headers, HTTP/2+3, all locations, WAF blocking at CLOUDFRONT scope", async () => {
    const { resources, xr } = await settled(aws);
    const d = fp(resources, "distribution");
    expect(d).toMatchObject({ enabled: true, isIpv6Enabled: true, httpVersion: "http2and3", priceClass: "PriceClass_All", restrictions: { geoRestriction: { restrictionType: "none", locations: [] } } });
    expect(d.defaultCacheBehavior).toEqual({
      targetOriginId: "app", viewerProtocolPolicy: "redirect-to-https", allowedMethods: ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"], cachedMethods: ["GET", "HEAD"],
      compress: true, cachePolicyId: MANAGED_CACHE_POLICY.CachingOptimized, responseHeadersPolicyId: MANAGED_RESPONSE_HEADERS_POLICY.security,
    });
    expect(d.origin).toEqual([{ originId: "app", connectionAttempts: 3, connectionTimeout: 10, domainName: "app.example.com", customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"], originKeepaliveTimeout: 5, originReadTimeout: 30 } }]);
    // No domains: CloudFront's own certificate, and no ACM certificate composed.
    expect(d.viewerCertificate).toEqual({ cloudfrontDefaultCertificate: true });
    expect(ofKind(resources, "Certificate")).toEqual([]);
    const acl = fp(resources, "web-acl");
    expect(acl).toMatchObject({ region: "us-east-1", scope: "CLOUDFRONT", defaultAction: { allow: {} } });
    const rules = JSON.parse(acl.ruleJson);
    expect(rules.map((r: any) => r.Statement.ManagedRuleGroupStatement)).toEqual(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet"].map((Name) => ({ VendorName: "AWS", Name })));
    expect(rules.every((r: any) => "None" in r.OverrideAction)).toBe(true);
    // Request bodies: the Common group's SizeRestrictions_BODY (over 8 KB) blocks, and CloudFront's inspection window is AWS's default.
    expect(rules.some((r: any) => r.Statement.ManagedRuleGroupStatement.RuleActionOverrides || r.Statement.SizeConstraintStatement)).toBe(false);
    expect(acl.associationConfig).toBeUndefined();
    expect(d.webAclId).toBe(xr.status?.["wafId"]);
    // Deletion protection: the distribution, certificate and web ACL are never deleted with the XR.
    // The distribution is rendered whole, so it is never late-initialised (a removed setting would come back).
    expect(byKey(resources, "distribution").spec.managementPolicies).toEqual(["Observe", "Create", "Update"]);
    expect(byKey(resources, "web-acl").spec.managementPolicies).toEqual(["Observe", "Create", "Update", "LateInitialize"]);
    expect(xr.status).toMatchObject({ endpoint: "d111111abcdef8.cloudfront.net", url: "https://d111111abcdef8.cloudfront.net", connectionSecretName: "web-cdn" });
  });

  it("maps the Broxiva seed: S3 via OAC, /static/* a day compressed, /api/* uncached forwarding all headers and session+csrf, default 300 s keyed on Host, *.broxiva.com", async () => {
    const { resources, xr } = await settled(broxiva);
    const d = fp(resources, "distribution");
    const bucket = bucketName({ namespace: "broxiva-production", name: "broxiva-static" });
    expect(d.origin[0]).toMatchObject({ originId: "static", domainName: `${bucket}.s3.us-east-1.amazonaws.com`, s3OriginConfig: { originAccessIdentity: "" }, originAccessControlIdSelector: { matchControllerRef: true, matchLabels: { "platform.tessera.io/resource": "origin-access-control" } } });
    expect(fp(resources, "origin-access-control")).toMatchObject({ originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4" });
    const [staticB, api] = d.orderedCacheBehavior;
    expect(staticB).toMatchObject({ pathPattern: "/static/*", targetOriginId: "static", allowedMethods: ["GET", "HEAD", "OPTIONS"], compress: true });
    const staticPolicy = ofKind(resources, "CachePolicy").find((p) => p.spec.forProvider.defaultTtl === 86400).spec.forProvider;
    expect(staticPolicy).toMatchObject({ minTtl: 86400, maxTtl: 86400, parametersInCacheKeyAndForwardedToOrigin: { enableAcceptEncodingGzip: true, headersConfig: { headerBehavior: "none" } } });
    expect(api).toMatchObject({ pathPattern: "/api/*", cachePolicyId: MANAGED_CACHE_POLICY.CachingDisabled, compress: false });
    const orp = ofKind(resources, "OriginRequestPolicy");
    expect(orp).toHaveLength(1);
    expect(orp[0].spec.forProvider).toMatchObject({ headersConfig: { headerBehavior: "allViewer" }, cookiesConfig: { cookieBehavior: "whitelist", cookies: { items: ["csrf", "session"] } }, queryStringsConfig: { queryStringBehavior: "all" } });
    expect(api.originRequestPolicyId).toBe(`originrequestpolicy-${keyOf(orp[0])}`);
    const defaultPolicy = ofKind(resources, "CachePolicy").find((p) => p.spec.forProvider.defaultTtl === 300).spec.forProvider;
    expect(defaultPolicy.parametersInCacheKeyAndForwardedToOrigin.headersConfig).toEqual({ headerBehavior: "whitelist", headers: { items: ["Host"] } });
    expect(d.aliases).toEqual(["*.broxiva.com"]);
    expect(fp(resources, keyOf(ofKind(resources, "Certificate")[0]))).toMatchObject({ region: "us-east-1", domainName: "*.broxiva.com", validationMethod: "DNS" });
    expect(d.viewerCertificate).toMatchObject({ sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" });
    expect((xr.status as any).dnsRecords.map((r: any) => r.type)).toEqual(["CNAME", "CNAME"]);
    expect((xr.status as any).domains).toEqual([{ host: "*.broxiva.com", cnameTarget: "d111111abcdef8.cloudfront.net", certificateStatus: "ISSUED" }]);
  });

  it("maps the VIVR seed: three origins, origin shield, X-Origin-Verify from its Secret, managed AllViewer and CORS policies, logging to vivr-logs", async () => {
    const { resources } = await settled(vivr);
    const d = fp(resources, "distribution");
    expect(d.origin.map((o: any) => o.originId)).toEqual(["app", "assets", "images"]);
    expect(d.origin[0]).toMatchObject({ originShield: { enabled: true, originShieldRegion: "us-east-1" }, customHeader: [{ name: "X-Origin-Verify", value: "s3cr3t-verify" }] });
    expect(d.origin[2]).toMatchObject({ domainName: "res.cloudinary.com", customOriginConfig: { originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] } });
    expect(d.orderedCacheBehavior.map((b: any) => b.pathPattern)).toEqual(["/api/*", "/_next/static/*", "/images/*"]);
    expect(d.orderedCacheBehavior[0]).toMatchObject({ cachePolicyId: MANAGED_CACHE_POLICY.CachingDisabled, originRequestPolicyId: MANAGED_ORIGIN_REQUEST_POLICY.AllViewer, responseHeadersPolicyId: MANAGED_RESPONSE_HEADERS_POLICY["cors-preflight-security"] });
    expect(d.defaultCacheBehavior).toMatchObject({ cachePolicyId: MANAGED_CACHE_POLICY.CachingDisabled, originRequestPolicyId: MANAGED_ORIGIN_REQUEST_POLICY.AllViewer, responseHeadersPolicyId: MANAGED_RESPONSE_HEADERS_POLICY["cors-security"] });
    expect(ofKind(resources, "CachePolicy").map((p) => p.spec.forProvider.defaultTtl).sort()).toEqual([2592000, 31536000]);
    expect(ofKind(resources, "OriginRequestPolicy")).toEqual([]);
    expect(d.loggingConfig).toEqual({ bucket: `${bucketName({ namespace: "vivr", name: "vivr-logs" })}.s3.amazonaws.com`, prefix: "cloudfront/", includeCookies: false });
  });

  it("deduplicates custom policies: behaviours with the same needs share one", async () => {
    const xr = withSpec(aws, (s) => {
      s.behaviors = [
        { path: "/a/*", origin: "app", cache: { mode: "ttl", ttlSeconds: 600 } },
        { path: "/b/*", origin: "app", cache: { mode: "ttl", ttlSeconds: 600 } },
        { path: "/c/*", origin: "app", cache: { mode: "ttl", ttlSeconds: 60 } },
      ];
    });
    const { resources } = await settled(xr);
    expect(ofKind(resources, "CachePolicy")).toHaveLength(2);
    const [a, b, c] = fp(resources, "distribution").orderedCacheBehavior;
    expect(a.cachePolicyId).toBe(b.cachePolicyId);
    expect(c.cachePolicyId).not.toBe(a.cachePolicyId);
  });

  it("with a Route 53 zone: validation records, a CertificateValidation, and alias A/AAAA records once the distribution exists", async () => {
    const xr = withSpec(broxiva, (s) => (s.dnsZoneId = "Z0123456789ABCDEFGHIJ"));
    const first = await render({ xr, required: requiredFor(xr) });
    expect(ofKind(first.resources, "Record")).toEqual([]);
    const { resources, xr: done } = await settled(xr);
    const records = ofKind(resources, "Record").map((r) => r.spec.forProvider);
    expect(records.find((r) => r.type === "CNAME")).toMatchObject({ zoneId: "Z0123456789ABCDEFGHIJ", records: ["_424c7224e9b0146f9a8808af955727d0.acm-validations.aws."], ttl: 300 });
    expect(records.filter((r) => r.alias).map((r) => [r.name, r.type, r.alias.name, r.alias.zoneId])).toEqual([
      ["*.broxiva.com", "A", "d111111abcdef8.cloudfront.net", "Z2FDTNDATAQYW2"],
      ["*.broxiva.com", "AAAA", "d111111abcdef8.cloudfront.net", "Z2FDTNDATAQYW2"],
    ]);
    expect(fp(resources, "certificate-validation")).toMatchObject({ region: "us-east-1", validationRecordFqdns: ["_a79865eb4cd1a6ab990a45779b4e0b96.broxiva.com"] });
    // Tessera created every record: status lists none for the user.
    expect((done.status as any).dnsRecords).toBeUndefined();
  });

  it("turning the WAF off detaches the web ACL explicitly", async () => {
    const { resources } = await settled(withSpec(aws, (s) => (s.waf = { enabled: false })));
    expect(fp(resources, "distribution").webAclId).toBe("");
    expect(byKey(resources, "web-acl")).toBeUndefined();
  });

  it("waf.maxRequestBodyKB: SizeRestrictions_BODY counted, larger bodies blocked by Tessera's size rule, CloudFront's inspection window raised to hold them", async () => {
    const withBody = (kb: number, mode = "prevention") => withSpec(aws, (s) => (s.waf = { maxRequestBodyKB: kb, mode }));
    const rulesOf = (rs: K8sObject[]) => JSON.parse(fp(rs, "web-acl").ruleJson);
    const { resources } = await settled(withBody(32));
    const rules = rulesOf(resources);
    expect(rules.map((r: any) => r.Priority)).toEqual([0, 1, 2, 3]);
    expect(rules[0].Statement.ManagedRuleGroupStatement).toEqual({ VendorName: "AWS", Name: "AWSManagedRulesCommonRuleSet", RuleActionOverrides: [{ Name: "SizeRestrictions_BODY", ActionToUse: { Count: {} } }] });
    expect(rules.slice(1, 3).every((r: any) => !r.Statement.ManagedRuleGroupStatement.RuleActionOverrides)).toBe(true);
    expect(rules[3]).toEqual({
      Name: "TesseraMaxRequestBody", Priority: 3, Action: { Block: {} },
      Statement: { SizeConstraintStatement: { FieldToMatch: { Body: { OversizeHandling: "MATCH" } }, ComparisonOperator: "GT", Size: 32768, TextTransformations: [{ Priority: 0, Type: "NONE" }] } },
      VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: "TesseraMaxRequestBody" },
    });
    expect(fp(resources, "web-acl").associationConfig).toEqual({ requestBody: [{ cloudfront: { defaultSizeInspectionLimit: "KB_32" } }] });
    // Within CloudFront's default 16 KB window the web ACL's association config stays AWS's default; 64 is the largest window.
    const twelve = await settled(withBody(12));
    expect(rulesOf(twelve.resources)[3].Statement.SizeConstraintStatement.Size).toBe(12288);
    expect(fp(twelve.resources, "web-acl").associationConfig).toBeUndefined();
    expect(fp((await settled(withBody(64))).resources, "web-acl").associationConfig.requestBody[0].cloudfront.defaultSizeInspectionLimit).toBe("KB_64");
    expect(fp((await settled(withBody(33))).resources, "web-acl").associationConfig.requestBody[0].cloudfront.defaultSizeInspectionLimit).toBe("KB_48");
    // Detection counts the size rule too.
    expect(rulesOf((await settled(withBody(32, "detection"))).resources)[3].Action).toEqual({ Count: {} });
    // 8 is the Common group's own limit: nothing added.
    expect(rulesOf((await settled(withBody(8))).resources)).toEqual(rulesOf((await settled(aws)).resources));
    // Lowered again: the window is written back as KB_16, not left to the provider's late-initialised KB_32.
    const lowered = await render({ xr: aws, required: requiredFor(aws), observed: observe(resources), connectionDetails: CONNECTION_DETAILS });
    expect(fp(lowered.resources, "web-acl").associationConfig).toEqual({ requestBody: [{ cloudfront: { defaultSizeInspectionLimit: "KB_16" } }] });
    expect(invalid(lowered.resources)).toEqual([]);
    expect(rulesOf(lowered.resources)).toHaveLength(3);
  });

  it("waf.maxRequestBodyKB: 8 to 64 KB (CloudFront forwards at most 64 KB to AWS WAF), only with the WAF on, AWS only", async () => {
    const schema = xrdSpecSchema("cdn-edge");
    for (const kb of [7, 65, 128]) {
      const xr = withSpec(aws, (s) => (s.waf = { maxRequestBodyKB: kb }));
      await expectRefused({ xr, required: requiredFor(aws) }, "spec.waf.maxRequestBodyKB");
    }
    const off = withSpec(aws, (s) => (s.waf = { enabled: false, maxRequestBodyKB: 32 }));
    await expectRefused({ xr: off, required: requiredFor(aws) }, "with waf.enabled false there is none");
    expect(admission(schema, off.spec)).toContainEqual(expect.stringContaining("with waf.enabled false there is none"));
    const onAzure = withSpec(azure, (s) => (s.waf = { maxRequestBodyKB: 32 }));
    await expectRefused({ xr: onAzure, required: requiredFor(azure) }, "spec.waf.maxRequestBodyKB is AWS only", "first 128 KB");
    expect(admission(schema, onAzure.spec)).toContainEqual(expect.stringContaining("spec.waf.maxRequestBodyKB is AWS only"));
    expect(admission(schema, withSpec(aws, (s) => (s.waf = { maxRequestBodyKB: 64 })).spec)).toEqual([]);
  });

  it("geo restriction and detection mode", async () => {
    const xr = withSpec(aws, (s) => {
      s.geo = { mode: "allow", countries: ["US", "CA"] };
      s.waf = { mode: "detection" };
      s.priceClass = "100";
      s.http3 = false;
    });
    const { resources } = await settled(xr);
    expect(fp(resources, "distribution")).toMatchObject({ restrictions: { geoRestriction: { restrictionType: "whitelist", locations: ["CA", "US"] } }, priceClass: "PriceClass_100", httpVersion: "http2" });
    expect(JSON.parse(fp(resources, "web-acl").ruleJson).every((r: any) => "Count" in r.OverrideAction)).toBe(true);
  });

  it("staging: the distribution is created only once the certificate is ISSUED; validation records are in status meanwhile", async () => {
    const required = requiredFor(broxiva);
    const first = await render({ xr: broxiva, required });
    expect(byKey(first.resources, "distribution")).toBeUndefined();
    const certKey = keyOf(ofKind(first.resources, "Certificate")[0]);
    let observed = withAt(observe(first.resources), certKey, { status: "PENDING_VALIDATION" });
    const waiting = await render({ xr: broxiva, required, observed });
    expect(byKey(waiting.resources, "distribution")).toBeUndefined();
    // The MESSAGE column shows a count and the first item; the full list is in ResourcesReady.
    expect(waiting.xr.status?.["message"]).toContain("distribution: certificate PENDING_VALIDATI");
    expect((waiting.xr.status?.["conditions"] as Array<{ type: string; message?: string }>).find((c) => c.type === "ResourcesReady")?.message).toContain("distribution: certificate PENDING_VALIDATION");
    expect((waiting.xr.status as any).dnsRecords[0]).toMatchObject({ type: "CNAME", value: "_424c7224e9b0146f9a8808af955727d0.acm-validations.aws." });
    observed = observe(waiting.resources);
    const issued = await render({ xr: broxiva, required, observed });
    expect(fp(issued.resources, "distribution").viewerCertificate.acmCertificateArn).toBe((observed.find((o) => keyOf(o) === certKey)!.status as any).atProvider.arn);
  });

  it("a new host set makes a new certificate; the distribution keeps the old one until the new one is issued", async () => {
    const { resources } = await settled(broxiva);
    const live = observe(resources);
    const oldKey = keyOf(ofKind(resources, "Certificate")[0]);
    const xr = withSpec(broxiva, (s) => s.domains.push({ host: "broxiva.com" }));
    const first = await render({ xr, required: requiredFor(xr), observed: live });
    const newKey = keyOf(ofKind(first.resources, "Certificate").find((c) => keyOf(c) !== oldKey));
    expect(byKey(first.resources, oldKey)).toBeDefined();
    const pending = withAt(observe(first.resources), newKey, { status: "PENDING_VALIDATION" });
    const waiting = await render({ xr, required: requiredFor(xr), observed: pending });
    const d = fp(waiting.resources, "distribution");
    expect(d.aliases).toEqual(["*.broxiva.com"]);
    expect(d.viewerCertificate.acmCertificateArn).toBe(fp(resources, "distribution").viewerCertificate.acmCertificateArn);
    expect(byKey(waiting.resources, oldKey)).toBeDefined();
    const issued = await render({ xr, required: requiredFor(xr), observed: observe(waiting.resources) });
    expect(fp(issued.resources, "distribution").aliases).toEqual(["*.broxiva.com", "broxiva.com"]);
    // The old certificate stays until the distribution no longer uses it, then goes.
    expect(byKey(issued.resources, oldKey)).toBeDefined();
    const moved = await render({ xr, required: requiredFor(xr), observed: observe(issued.resources) });
    expect(byKey(moved.resources, oldKey)).toBeUndefined();
  });

  it("the distribution stays desired while its certificate or web ACL status is briefly empty", async () => {
    const { resources } = await settled(broxiva);
    const certKey = keyOf(ofKind(resources, "Certificate")[0]);
    const blip = withAt(withAt(observe(resources), certKey, { status: undefined, arn: undefined }), "web-acl", { arn: undefined });
    const out = await render({ xr: broxiva, required: requiredFor(broxiva), observed: blip });
    expect(out.fatal).toBeUndefined();
    expect(fp(out.resources, "distribution").webAclId).toBe(fp(resources, "distribution").webAclId);
    expect(fp(out.resources, "distribution").viewerCertificate).toEqual(fp(resources, "distribution").viewerCertificate);
  });
});

describe("CdnEdge on Azure", () => {
  it("secure defaults: Premium for the Default Rule Set 2.1 in prevention, HTTPS redirect, HTTPS-only to the origin, security headers", async () => {
    const { resources, xr } = await settled(azure);
    expect(fp(resources, "profile").skuName).toBe("Premium_AzureFrontDoor");
    expect(fp(resources, "firewall-policy")).toMatchObject({ skuName: "Premium_AzureFrontDoor", mode: "Prevention", managedRule: [{ type: "Microsoft_DefaultRuleSet", version: "2.1", action: "Block" }] });
    expect(byKey(resources, "firewall-policy").metadata.annotations["crossplane.io/external-name"]).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
    // Host origins only: no custom rule (the blob version rule is for ObjectStore origins).
    expect(fp(resources, "firewall-policy").customRule).toBeUndefined();
    expect(fp(resources, "route-default")).toMatchObject({ patternsToMatch: ["/*"], httpsRedirectEnabled: true, forwardingProtocol: "HttpsOnly", supportedProtocols: ["Http", "Https"], cache: { queryStringCachingBehavior: "UseQueryString", compressionEnabled: true } });
    expect(fp(resources, "origin-app")).toMatchObject({ hostName: "app.example.com", originHostHeader: "app.example.com", certificateNameCheckEnabled: true, httpsPort: 443 });
    // honour the origin: no TTL override, only the security headers.
    const rules = ofKind(resources, "FrontdoorRule").flatMap((r) => [r.spec.forProvider.actions]);
    expect(rules.some((a) => a.routeConfigurationOverrideAction)).toBe(false);
    expect(rules.flatMap((a) => a.responseHeaderAction ?? []).map((h: any) => h.headerName)).toContain("Strict-Transport-Security");
    expect(fp(resources, "security-policy").securityPolicies.firewall.association.patternsToMatch).toEqual(["/*"]);
    expect(byKey(resources, "endpoint").metadata.annotations["crossplane.io/external-name"].length).toBeLessThanOrEqual(46);
    expect(byKey(resources, "profile").spec.managementPolicies).toEqual(["Observe", "Create", "Update", "LateInitialize"]);
    expect(xr.status?.["endpoint"]).toMatch(/\.z01\.azurefd\.net$/);
  });

  it("Standard without the WAF; a geo rule still gets a firewall policy", async () => {
    const xr = withSpec(azure, (s) => {
      s.waf = { enabled: false };
      s.geo = { mode: "block", countries: ["KP"] };
    });
    const { resources } = await settled(xr);
    expect(fp(resources, "profile").skuName).toBe("Standard_AzureFrontDoor");
    expect(fp(resources, "firewall-policy")).toMatchObject({ skuName: "Standard_AzureFrontDoor", customRule: [{ action: "Block", matchCondition: [{ operator: "GeoMatch", negationCondition: false, matchValues: ["KP"] }] }] });
    expect(fp(resources, "firewall-policy").managedRule).toBeUndefined();
  });

  it("repeats an ObjectStore origin's manual steps (the KMS key-policy statement) in its status, with a warning", async () => {
    const step = "let CloudFront decrypt: add to the key policy of arn:aws:kms:us-east-1:111122223333:key/x the statement {...}";
    const required = requiredFor(broxiva).map((o) => (o.kind === "ObjectStore" ? { ...o, status: { ...(o.status as object), manualSteps: [step] } } : o));
    const last = await settled(broxiva, required);
    expect((last.xr.status as any).manualSteps).toEqual([`ObjectStore broxiva-static: ${step}`]);
    expect(last.results.some((r) => /needs a step by hand.*status\.manualSteps/.test(r.message))).toBe(true);
    // Without such a step nothing is added.
    expect(((await settled(broxiva)).xr.status as any).manualSteps).toBeUndefined();
  });

  it("connects Private Link from the store's region or the nearest one Front Door serves, keeps a live origin's location, and refuses a region it knows none for", async () => {
    const inRegion = (region: string) => requiredFor(broxivaAzure).map((o) => (o.kind === "ObjectStore" ? { ...o, spec: { ...o.spec, region } } : o));
    const at = async (region: string) => fp((await settled(broxivaAzure, inRegion(region))).resources, "origin-static").privateLink;
    expect((await at("eastus")).location).toBe("eastus");
    expect((await at("westus2")).location).toBe("westus3");
    expect((await at("southeastasia")).location).toBe("eastasia");
    expect(privateLinkLocation("japanwest")).toBe("japaneast");
    expect((await at("westus2")).requestMessage.length).toBeLessThanOrEqual(140);
    // A live origin keeps its location (changing it forces a new origin and a new approval).
    const { resources } = await settled(broxivaAzure, inRegion("westus2"));
    const live = observe(resources);
    const again = await render({ xr: broxivaAzure, required: inRegion("westus"), observed: live });
    expect(fp(again.resources, "origin-static").privateLink.location).toBe("westus3");
    await expectRefused({ xr: broxivaAzure, required: inRegion("marsnorth") }, "spec.origins[0].objectStoreRef", "marsnorth", "Private Link");
  });

  it("maps Broxiva as close as Front Door allows: Private Link blob origin, TTL rules, a Key Vault wildcard certificate", async () => {
    const { resources, xr } = await settled(broxivaAzure);
    const meta = { namespace: "broxiva-production", name: "broxiva-static" };
    expect(fp(resources, "origin-static")).toMatchObject({ hostName: `${accountName(meta)}.blob.core.windows.net`, privateLink: { targetType: "blob", location: "eastus" } });
    const staticRoute = ofKind(resources, "FrontdoorRoute").find((r) => r.spec.forProvider.patternsToMatch[0] === "/static/*").spec.forProvider;
    expect(staticRoute.cdnFrontdoorOriginPath).toBe(`/${containerName(meta)}`);
    const overrides = ofKind(resources, "FrontdoorRule").map((r) => r.spec.forProvider.actions.routeConfigurationOverrideAction?.cacheDuration).filter(Boolean).sort();
    // Under a day HH:MM:SS (azurerm refuses a leading "0."), from a day d.HH:MM:SS.
    expect(overrides).toEqual(["00:05:00", "1.00:00:00"]);
    expect([1, 59, 3600, 86399, 86400, 90061, 366 * 86400].map(azureDuration)).toEqual(["00:00:01", "00:00:59", "01:00:00", "23:59:59", "1.00:00:00", "1.01:01:01", "366.00:00:00"]);
    const apiRoute = ofKind(resources, "FrontdoorRoute").find((r) => r.spec.forProvider.patternsToMatch[0] === "/api/*").spec.forProvider;
    expect(apiRoute.cache).toBeUndefined();
    expect(ofKind(resources, "FrontdoorSecret")[0].spec.forProvider.secret.customerCertificate[0].keyVaultCertificateId).toContain("vault.azure.net");
    expect(ofKind(resources, "FrontdoorCustomDomain")[0].spec.forProvider.tls).toMatchObject({ certificateType: "CustomerCertificate", minimumVersion: "TLS12" });
    expect((xr.status as any).manualSteps[0]).toContain("Private Link");
    expect((xr.status as any).dnsRecords.map((r: any) => r.name)).toEqual(["_dnsauth.broxiva.com", "*.broxiva.com"]);
  });

  it("an ObjectStore origin: the firewall blocks reads of earlier blob versions and snapshots on the store's paths", async () => {
    const { resources } = await settled(broxivaAzure);
    const transforms = ["URLDecode", "Lowercase"];
    const query = { matchVariable: "QueryString", operator: "Contains", matchValues: ["snapshot=", "versionid="], transforms };
    // broxiva-static is behind /static/* only: the rule needs the path too, so the API's own query strings are left alone.
    expect(fp(resources, "firewall-policy").customRule).toEqual([{
      name: "blobversions", type: "MatchRule", priority: 200, enabled: true, action: "Block",
      matchCondition: [{ matchVariable: "RequestUri", operator: "Contains", matchValues: ["/static/"], transforms }, query],
    }]);
    expect(fp(resources, "firewall-policy").mode).toBe("Prevention");
    // A store on the default behaviour takes every path: the rule covers the whole endpoint. Paths are
    // lowercased, as the rule lowercases what it reads; with geo, geo first.
    const wide = await settled(withSpec(broxivaAzure, (s) => {
      s.defaultBehavior = { origin: "static" };
      s.behaviors[0].path = "/Static/*";
      s.geo = { mode: "block", countries: ["KP"] };
    }));
    const rules = fp(wide.resources, "firewall-policy").customRule;
    expect(rules.map((r: any) => [r.name, r.priority])).toEqual([["geo", 100], ["blobversions", 200]]);
    expect(rules[1].matchCondition).toEqual([query]);
  });

  it("an ObjectStore origin on Azure needs the WAF on in prevention mode, whose rule keeps blob versions private", async () => {
    const schema = xrdSpecSchema("cdn-edge");
    for (const waf of [{ enabled: false }, { mode: "detection" }]) {
      const xr = withSpec(broxivaAzure, (s) => (s.waf = waf));
      await expectRefused({ xr, required: requiredFor(broxivaAzure) }, "spec.waf", "needs the WAF on in prevention mode", "?versionid=");
      expect(admission(schema, xr.spec)).toContainEqual(expect.stringContaining("needs the WAF on in prevention mode"));
    }
    // The renderer refuses it too, should the XRD be bypassed.
    const bypassed = { xr: { name: "web", namespace: "team-a" }, spec: CdnEdgeSpec.parse(withSpec(broxivaAzure, (s) => (s.waf = { mode: "detection" })).spec), observed: {}, required: {} };
    expect(() => renderAzure(bypassed as any)).toThrow("spec.waf: got enabled true, mode detection with ObjectStore origin static");
    // Host origins only: detection and no WAF stay allowed.
    expect(admission(schema, withSpec(azure, (s) => (s.waf = { mode: "detection" })).spec)).toEqual([]);
  });

  it("cache keys: Front Door forwards every query string, so a caching route keys on all of them, for an app or a blob origin", async () => {
    const { resources } = await settled(broxivaAzure);
    const route = (path: string) => ofKind(resources, "FrontdoorRoute").find((r) => r.spec.forProvider.patternsToMatch[0] === path).spec.forProvider;
    // The default (api, a host) and /static/* (the blob store, which answers ?versionid= and ?snapshot=) forward none: keyed on all.
    expect(route("/*").cache).toMatchObject({ queryStringCachingBehavior: "UseQueryString" });
    expect(route("/static/*").cache).toMatchObject({ queryStringCachingBehavior: "UseQueryString" });
    expect(route("/*").cache.queryStrings).toBeUndefined();
    // A TTL override says the same (the rule replaces the route's cache settings).
    const overrides = ofKind(resources, "FrontdoorRule").map((r) => r.spec.forProvider.actions.routeConfigurationOverrideAction).filter(Boolean);
    expect(overrides.map((o: any) => o.queryStringCachingBehavior)).toEqual(["UseQueryString", "UseQueryString"]);
    expect(overrides.some((o: any) => o.queryStringParameters)).toBe(false);
    // Not caching: no cache block, so a named list is fine (every query string reaches the origin anyway).
    expect(route("/api/*").cache).toBeUndefined();
    const named = await settled(withSpec(azure, (s) => (s.defaultBehavior = { origin: "app", cache: { mode: "disabled" }, forward: { queryStrings: ["page"] } })));
    expect(fp(named.resources, "route-default").cache).toBeUndefined();
    const all = await settled(withSpec(azure, (s) => (s.defaultBehavior.forward = { queryStrings: ["*"] })));
    expect(fp(all.resources, "route-default").cache.queryStringCachingBehavior).toBe("UseQueryString");
  });

  it("Key Vault certificates: the profile gets a managed identity, Key Vault Secrets User on the named vault, and the secret waits for it", async () => {
    const { resources, xr } = await settled(broxivaAzure);
    const vault = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/broxiva-security/providers/Microsoft.KeyVault/vaults/broxiva-kv";
    expect(fp(resources, "profile").identity).toEqual({ type: "SystemAssigned" });
    const roles = ofKind(resources, "RoleAssignment");
    expect(roles).toHaveLength(1);
    expect(roles[0].spec.forProvider).toMatchObject({ scope: vault, roleDefinitionName: "Key Vault Secrets User", principalType: "ServicePrincipal", principalId: "22222222-0000-4000-8000-000000000001" });
    expect(roles[0].spec.managementPolicies).toEqual(["Observe", "Create", "Update", "LateInitialize"]);
    expect(roles[0].spec.forProvider.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((xr.status as any).manualSteps.join(" ")).not.toContain("Key Vault");
    // Staging: the role waits for the profile's principal, the secret (and so the domain) for the role.
    const first = await render({ xr: broxivaAzure, required: requiredFor(broxivaAzure) });
    expect(ofKind(first.resources, "RoleAssignment")).toEqual([]);
    expect(ofKind(first.resources, "FrontdoorSecret")).toEqual([]);
    const second = await render({ xr: broxivaAzure, required: requiredFor(broxivaAzure), observed: observe(first.resources) });
    expect(ofKind(second.resources, "RoleAssignment")).toHaveLength(1);
    expect(ofKind(second.resources, "FrontdoorSecret")).toEqual([]);
    const third = await render({ xr: broxivaAzure, required: requiredFor(broxivaAzure), observed: observe(second.resources) });
    expect(ofKind(third.resources, "FrontdoorSecret")).toHaveLength(1);
    // Once composed, the role stays while the profile's identity is briefly unreported.
    const blank = withAt(observe(third.resources), "profile", { identity: undefined });
    const again = await render({ xr: broxivaAzure, required: requiredFor(broxivaAzure), observed: blank });
    expect(ofKind(again.resources, "RoleAssignment")[0].spec.forProvider.principalId).toBe("22222222-0000-4000-8000-000000000001");
    // No Key Vault certificate: no identity on the profile.
    const plain = await settled(azure);
    expect(fp(plain.resources, "profile").identity).toBeUndefined();
  });

  it("Key Vault certificates without keyVaultId: status.manualSteps has the exact az command for the profile's identity", async () => {
    const { resources, xr } = await settled(apex);
    expect(fp(resources, "profile").identity).toEqual({ type: "SystemAssigned" });
    expect(ofKind(resources, "RoleAssignment")).toEqual([]);
    expect(ofKind(resources, "FrontdoorSecret")).toHaveLength(1);
    expect((xr.status as any).manualSteps).toEqual([
      'let Front Door read Key Vault shop-kv (or give spec.domains[0].keyVaultId and Tessera assigns it): az role assignment create --assignee-object-id 22222222-0000-4000-8000-000000000001 --assignee-principal-type ServicePrincipal --role "Key Vault Secrets User" --scope $(az keyvault show --name shop-kv --query id -o tsv)',
    ]);
  });

  it("access and WAF logs go to the log store's account through a diagnostic setting of the profile", async () => {
    const xr = withSpec(azure, (s) => (s.logging = { objectStoreRef: { name: "uploads" } }));
    const first = await render({ xr, required: requiredFor(xr) });
    expect(byKey(first.resources, "access-logs")).toBeUndefined();
    const { resources } = await settled(xr);
    expect(fp(resources, "access-logs")).toMatchObject({
      targetResourceId: "frontdoorprofile-profile",
      storageAccountId: `/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${accountName({ namespace: "team-a", name: "uploads" })}`,
      enabledLog: [{ category: "FrontDoorAccessLog" }, { category: "FrontDoorHealthProbeLog" }, { category: "FrontDoorWebApplicationFirewallLog" }],
    });
  });

  it("rules hold at most 5 actions; the verify header goes on every route to its origin", async () => {
    const xr = withSpec(azure, (s) => {
      s.origins[0].verifyHeader = { name: "X-Origin-Verify", secretRef: { name: "verify", key: "value" } };
      s.defaultBehavior.responseHeaders = "cors-security";
      s.defaultBehavior.cache = { mode: "ttl", ttlSeconds: 60 };
    });
    const { resources } = await settled(xr);
    const rules = ofKind(resources, "FrontdoorRule").map((r) => r.spec.forProvider.actions);
    for (const a of rules) expect((a.routeConfigurationOverrideAction ? 1 : 0) + (a.requestHeaderAction?.length ?? 0) + (a.responseHeaderAction?.length ?? 0)).toBeLessThanOrEqual(5);
    expect(rules.flatMap((a) => a.requestHeaderAction ?? [])).toEqual([{ headerAction: "Overwrite", headerName: "X-Origin-Verify", value: "s3cr3t-verify" }]);
    expect(rules.flatMap((a) => a.responseHeaderAction ?? []).map((h: any) => h.headerName)).toContain("Access-Control-Allow-Origin");
  });

  it("with an Azure DNS zone: per host a _dnsauth TXT record with the domain's token and a CNAME to the endpoint; status lists them as composed", async () => {
    const { resources, xr } = await settled(azureZoned);
    const [www, shop] = ["www.example.com", "*.shop.example.com"].map(hash8);
    const endpoint = xr.status?.["endpoint"];
    expect(endpoint).toMatch(/\.z01\.azurefd\.net$/);
    for (const h of [www, shop]) expect(fp(resources, `custom-domain-${h}`).dnsZoneId).toBe(ZONE);
    const zoned = { resourceGroupName: "dns-rg", zoneName: "example.com", ttl: 3600, tags: expect.objectContaining({}) };
    expect(fp(resources, `dns-txt-${www}`)).toMatchObject({ ...zoned, record: [{ value: `token-custom-domain-${www}` }] });
    expect(fp(resources, `dns-cname-${www}`)).toMatchObject({ ...zoned, record: endpoint });
    expect(fp(resources, `dns-txt-${shop}`)).toMatchObject({ ...zoned, record: [{ value: `token-custom-domain-${shop}` }] });
    const name = (key: string) => byKey(resources, key).metadata.annotations["crossplane.io/external-name"];
    expect([name(`dns-txt-${www}`), name(`dns-cname-${www}`), name(`dns-txt-${shop}`), name(`dns-cname-${shop}`)]).toEqual(["_dnsauth.www", "www", "_dnsauth.shop", "*.shop"]);
    expect(ofKind(resources, "DNSTXTRecord")).toHaveLength(2);
    expect(ofKind(resources, "DNSCNAMERecord")).toHaveLength(2);
    // Kept with the edge under deletion protection: the retained custom domains still need them.
    expect(byKey(resources, `dns-cname-${www}`).spec.managementPolicies).toEqual(["Observe", "Create", "Update", "LateInitialize"]);
    expect((xr.status as any).dnsRecords).toEqual([
      { name: "_dnsauth.www.example.com", type: "TXT", value: `token-custom-domain-${www}`, purpose: "Front Door domain validation of www.example.com", composed: true },
      { name: "www.example.com", type: "CNAME", value: endpoint, purpose: "route viewers to the edge", composed: true },
      { name: "_dnsauth.shop.example.com", type: "TXT", value: `token-custom-domain-${shop}`, purpose: "Front Door domain validation of *.shop.example.com", composed: true },
      { name: "*.shop.example.com", type: "CNAME", value: endpoint, purpose: "route viewers to the edge", composed: true },
    ]);
  });

  it("staging: a TXT record waits for its domain's token, the CNAME for the endpoint's hostname and the domain's association; once composed they stay while those are briefly unknown", async () => {
    const required = requiredFor(azureZoned);
    const www = hash8("www.example.com");
    const first = await render({ xr: azureZoned, required });
    expect(ofKind(first.resources, "DNSTXTRecord")).toEqual([]);
    expect(ofKind(first.resources, "DNSCNAMERecord")).toEqual([]);
    // The custom domain exists but has no token yet: still no TXT record.
    const noToken = withAt(observe(first.resources), `custom-domain-${www}`, { validationToken: undefined });
    // The endpoint's hostname is known, but the domain's association is not Ready yet.
    const unassociated = noToken.map((o) => (keyOf(o) === `custom-domain-association-${www}` ? { ...o, status: { ...(o.status as object), conditions: [] } } : o));
    const waiting = await render({ xr: azureZoned, required, observed: unassociated });
    expect(byKey(waiting.resources, `dns-txt-${www}`)).toBeUndefined();
    expect(byKey(waiting.resources, `dns-cname-${www}`)).toBeUndefined();
    const associated = await render({ xr: azureZoned, required, observed: noToken });
    expect(byKey(associated.resources, `dns-txt-${www}`)).toBeUndefined();
    expect(fp(associated.resources, `dns-cname-${www}`).record).toMatch(/\.z01\.azurefd\.net$/);
    expect((associated.xr.status?.["conditions"] as Array<{ type: string; message?: string }>).find((c) => c.type === "ResourcesReady")?.message).toContain(`dns-txt-${www}: Front Door has not issued the validation token of www.example.com yet`);
    const { resources } = await settled(azureZoned, required);
    const blip = withAt(withAt(observe(resources), `custom-domain-${www}`, { validationToken: undefined }), "endpoint", { hostName: undefined });
    const out = await render({ xr: azureZoned, required, observed: blip });
    expect(out.fatal).toBeUndefined();
    expect(fp(out.resources, `dns-txt-${www}`)).toEqual(fp(resources, `dns-txt-${www}`));
    expect(fp(out.resources, `dns-cname-${www}`)).toEqual(fp(resources, `dns-cname-${www}`));
    // So does the CNAME while its association is briefly not Ready.
    const unready = observe(resources).map((o) => (keyOf(o) === `custom-domain-association-${www}` ? { ...o, status: { ...(o.status as object), conditions: [] } } : o));
    expect(fp((await render({ xr: azureZoned, required, observed: unready })).resources, `dns-cname-${www}`)).toEqual(fp(resources, `dns-cname-${www}`));
    // A new token (Front Door regenerates an expired one) replaces the record's value.
    const renewed = await render({ xr: azureZoned, required, observed: withAt(observe(resources), `custom-domain-${www}`, { validationToken: "token-2" }) });
    expect(fp(renewed.resources, `dns-txt-${www}`).record).toEqual([{ value: "token-2" }]);
  });

  it("the zone apex: a _dnsauth TXT record and an Azure DNS alias A record \"@\" whose target is the endpoint resource, never a CNAME", async () => {
    const { resources, xr } = await settled(apex);
    const [root, www] = ["example.com", "www.example.com"].map(hash8);
    const endpointId = (observe(resources).find((o) => keyOf(o) === "endpoint")!.status as any).atProvider.id;
    // The endpoint's id, not the profile's (Azure DNS refuses a profile as an alias target).
    expect(endpointId).toMatch(/\/providers\/Microsoft\.Cdn\/profiles\/[^/]+\/afdEndpoints\/[^/]+$/);
    // targetResourceId alone: the provider refuses records beside it.
    expect(fp(resources, `dns-alias-${root}`)).toEqual({ resourceGroupName: "dns-rg", zoneName: "example.com", ttl: 3600, tags: expect.any(Object), targetResourceId: endpointId });
    expect(fp(resources, `dns-txt-${root}`)).toMatchObject({ resourceGroupName: "dns-rg", zoneName: "example.com", record: [{ value: `token-custom-domain-${root}` }] });
    const name = (key: string) => byKey(resources, key).metadata.annotations["crossplane.io/external-name"];
    expect([name(`dns-alias-${root}`), name(`dns-txt-${root}`), name(`dns-cname-${www}`), name(`dns-txt-${www}`)]).toEqual(["@", "_dnsauth", "www", "_dnsauth.www"]);
    expect(byKey(resources, `dns-cname-${root}`)).toBeUndefined();
    expect(ofKind(resources, "DNSARecord")).toHaveLength(1);
    expect(ofKind(resources, "DNSCNAMERecord")).toHaveLength(1);
    expect(byKey(resources, `dns-alias-${root}`).spec.managementPolicies).toEqual(["Observe", "Create", "Update", "LateInitialize"]);
    expect(fp(resources, `custom-domain-${root}`)).toMatchObject({ hostName: "example.com", dnsZoneId: apex.spec!["dnsZoneId"], tls: { certificateType: "CustomerCertificate" } });
    expect((xr.status as any).dnsRecords).toEqual([
      { name: "_dnsauth.example.com", type: "TXT", value: `token-custom-domain-${root}`, purpose: "Front Door domain validation of example.com", composed: true },
      { name: "example.com", type: "A", value: endpointId, purpose: expect.stringContaining("Azure DNS alias record to the endpoint resource"), composed: true },
      { name: "_dnsauth.www.example.com", type: "TXT", value: `token-custom-domain-${www}`, purpose: "Front Door domain validation of www.example.com", composed: true },
      { name: "www.example.com", type: "CNAME", value: xr.status?.["endpoint"], purpose: "route viewers to the edge", composed: true },
    ]);
  });

  it("staging: the apex's alias record waits for the endpoint's id and the domain's association; once composed it stays while those are briefly unknown", async () => {
    const required = requiredFor(apex);
    const root = hash8("example.com");
    const first = await render({ xr: apex, required });
    expect(ofKind(first.resources, "DNSARecord")).toEqual([]);
    const unassociated = (observed: K8sObject[]) => observed.map((o) => (keyOf(o) === `custom-domain-association-${root}` ? { ...o, status: { ...(o.status as object), conditions: [] } } : o));
    const waiting = await render({ xr: apex, required, observed: unassociated(observe(first.resources)) });
    expect(byKey(waiting.resources, `dns-alias-${root}`)).toBeUndefined();
    expect((waiting.xr.status?.["conditions"] as Array<{ type: string; message?: string }>).find((c) => c.type === "ResourcesReady")?.message).toContain(`dns-alias-${root}: waits for the endpoint's resource id and the domain's association`);
    const noId = await render({ xr: apex, required, observed: withAt(observe(first.resources), "endpoint", { id: undefined }) });
    expect(byKey(noId.resources, `dns-alias-${root}`)).toBeUndefined();
    const both = await render({ xr: apex, required, observed: observe(first.resources) });
    expect(fp(both.resources, `dns-alias-${root}`).targetResourceId).toMatch(/\/afdEndpoints\//);
    const { resources } = await settled(apex, required);
    const blip = unassociated(withAt(observe(resources), "endpoint", { id: undefined, hostName: undefined }));
    const out = await render({ xr: apex, required, observed: blip });
    expect(out.fatal).toBeUndefined();
    expect(fp(out.resources, `dns-alias-${root}`)).toEqual(fp(resources, `dns-alias-${root}`));
  });

  it("certificate status says only what is known: pending until the TXT record is in the zone and the domain associated, then validating or issued with the command that tells, never issued", async () => {
    const required = requiredFor(azureZoned);
    const www = hash8("www.example.com");
    const status = async (observed: K8sObject[]) => {
      const out = await render({ xr: azureZoned, required, observed });
      return Object.fromEntries(((out.xr.status as any).domains as Array<{ host: string; certificateStatus: string }>).map((d) => [d.host, d.certificateStatus]));
    };
    const first = await render({ xr: azureZoned, required });
    expect((await status([]))["www.example.com"]).toBe("pending: the Front Door custom domain is not created yet");
    const created = observe(first.resources);
    expect((await status(withAt(created, `custom-domain-${www}`, { validationToken: undefined })))["www.example.com"]).toBe("pending validation: Front Door has not issued the domain's validation token yet");
    // The token is known, the TXT record not composed yet.
    expect((await status(created))["www.example.com"]).toBe("pending validation: the TXT record _dnsauth.www.example.com is not in the zone yet");
    const { resources } = await settled(azureZoned, required);
    const live = observe(resources);
    const unassociated = live.map((o) => (keyOf(o) === "security-policy" ? { ...o, status: { ...(o.status as object), conditions: [] } } : o));
    expect((await status(unassociated))["www.example.com"]).toBe("pending validation: the domain is not associated with the routes and security policy yet");
    const done = await status(live);
    const id = (live.find((o) => keyOf(o) === `custom-domain-${www}`)!.status as any).atProvider.id;
    expect(done["www.example.com"]).toBe(`validating or issued: Front Door does not report it through the provider; check with \`az afd custom-domain show --ids ${id} --query domainValidationState\``);
    // A Key Vault certificate still waits for the domain's validation, and never claims more than the provider reports.
    expect(done["*.shop.example.com"]).toMatch(/^customer certificate from Key Vault; domain validating or approved: Front Door does not report it through the provider; check with `az afd custom-domain show --ids \S+ --query domainValidationState`$/);
    expect((await status(withAt(created, `custom-domain-${www}`, { validationToken: undefined })))["*.shop.example.com"]).toMatch(/^customer certificate from Key Vault; domain pending/);
    // Without a zone Tessera cannot see the user's TXT record.
    const own = withSpec(azure, (s) => (s.domains = [{ host: "www.example.com" }]));
    const ownOut = (await settled(own)).xr.status as any;
    expect(ownOut.domains[0].certificateStatus).toMatch(/^pending validation until the TXT record _dnsauth\.www\.example\.com in status\.dnsRecords exists, then validating or issued: Front Door does not report it through the provider; check with `az afd custom-domain show --ids \S+ --query domainValidationState`$/);
    for (const d of [...Object.values(done), ownOut.domains[0].certificateStatus]) expect(d).not.toMatch(/^issued|ISSUED|Approved/);
  });

  it("without a zone an apex is not refused (Tessera cannot tell it from a subdomain): each host's record line says what an apex needs instead of a CNAME", async () => {
    const xr = withSpec(azure, (s) => (s.domains = [{ host: "example.com" }]));
    const { xr: done } = await settled(xr);
    const line = (done.status as any).dnsRecords.find((r: any) => r.name === "example.com");
    expect(line).toMatchObject({ type: "CNAME", value: done.status?.["endpoint"] });
    expect(line.composed).toBeUndefined();
    expect(line.purpose).toContain("a zone apex cannot be a CNAME");
    expect(line.purpose).toContain("CNAME flattening");
    expect(line.purpose).toContain("Key Vault certificate");
  });

  it("staging: a route waits for its origin; the Private Link origin waits for the account id", async () => {
    const required = requiredFor(broxivaAzure).map((o) => (o.kind === "ObjectStore" ? { ...o, status: {} } : o));
    const first = await render({ xr: broxivaAzure, required });
    expect(ofKind(first.resources, "FrontdoorRoute")).toEqual([]);
    expect(byKey(first.resources, "origin-static")).toBeUndefined();
    expect(first.xr.status?.["message"]).toContain("Waiting for");
    const second = await render({ xr: broxivaAzure, required, observed: observe(first.resources) });
    // api routes appear once origin-api is Ready; /static/* still waits for its origin.
    expect(ofKind(second.resources, "FrontdoorRoute").map((r) => r.spec.forProvider.patternsToMatch[0]).sort()).toEqual(["/*", "/api/*"]);
  });
});

describe("CdnEdge refusals", () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `/p${i}/*`, origin: "app" }));

  it("behaviour and origin limits (CloudFront's 25)", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.behaviors = many(26))), required: requiredFor(aws) }, "spec.behaviors");
    await expectRefused({ xr: withSpec(aws, (s) => (s.origins = Array.from({ length: 26 }, (_, i) => ({ name: `o${i}`, host: `o${i}.example.com` })))), required: requiredFor(aws) }, "spec.origins");
  });

  it("path pattern syntax: starts with '/', '*' only at the end (Front Door), CloudFront's characters", async () => {
    for (const path of ["api/*", "/a*/b", "/a b/*", "/**"]) {
      await expectRefused({ xr: withSpec(aws, (s) => (s.behaviors = [{ path, origin: "app" }])), required: requiredFor(aws) }, "path");
    }
    await expectRefused({ xr: withSpec(aws, (s) => (s.behaviors = [{ path: "/a/*", origin: "app" }, { path: "/a/*", origin: "app" }])), required: requiredFor(aws) }, "each path once");
  });

  it("TTL bounds: 0 to one year, set exactly with mode ttl", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.defaultBehavior.cache = { mode: "ttl", ttlSeconds: 31536001 })), required: requiredFor(aws) }, "ttlSeconds");
    await expectRefused({ xr: withSpec(aws, (s) => (s.defaultBehavior.cache = { mode: "ttl", ttlSeconds: -1 })), required: requiredFor(aws) }, "ttlSeconds");
    await expectRefused({ xr: withSpec(aws, (s) => (s.defaultBehavior.cache = { mode: "ttl" })), required: requiredFor(aws) }, "ttlSeconds is set exactly when cache.mode is ttl");
  });

  it("a TTL-0 policy cannot key on headers, cookies or query strings", async () => {
    const msg = await expectRefused({ xr: withSpec(aws, (s) => (s.defaultBehavior = { origin: "app", cache: { mode: "ttl", ttlSeconds: 0 }, forward: { headers: ["Authorization"] } })), required: requiredFor(aws) }, "spec.defaultBehavior.cache.ttlSeconds", "mode: disabled");
    expect(msg).toContain("TTL-0");
  });

  it("AWS cannot key a cache on every header; an ObjectStore origin keeps its own Host", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.defaultBehavior.forward = { headers: ["*"] })), required: requiredFor(aws) }, "spec.defaultBehavior.forward.headers", "cache key");
    await expectRefused({ xr: withSpec(broxiva, (s) => (s.behaviors[0].forward = { headers: ["Host"] })), required: requiredFor(broxiva) }, "spec.behaviors[0].forward.headers", "Host");
  });

  it("compression only with caching", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.defaultBehavior = { origin: "app", compress: true, cache: { mode: "disabled" } })), required: requiredFor(aws) }, "compress");
  });

  it("ObjectStore origins: must exist, be on this provider, grant CloudFront read; the log store must accept CloudFront logs", async () => {
    const noGrant = objectStoresFor("aws").map((o) => (o.metadata?.name === "broxiva-static" ? { ...o, spec: { ...o.spec, cdn: { originAccess: false } } } : o));
    await expectRefused({ xr: broxiva, required: noGrant }, "spec.origins[0].objectStoreRef.name", "originAccess: true");
    await expectRefused({ xr: broxiva, required: [] }, "does not exist");
    await expectRefused({ xr: broxiva, required: objectStoresFor("azure") }, "is on azure", "use an ObjectStore on aws");
    await expectRefused({ xr: withSpec(vivr, (s) => (s.logging.objectStoreRef.name = "vivr-assets")), required: requiredFor(vivr) }, "spec.logging.objectStoreRef.name", "acceptsCdnLogs");
    await expectRefused({ xr: vivr, required: objectStoresFor("aws") }, "spec.origins[0].verifyHeader.secretRef", "does not exist");
  });

  it("what Front Door cannot do is refused with the reason", async () => {
    const cases: Array<[(s: any) => void, string]> = [
      [(s) => (s.defaultBehavior.methods = "read"), "routes pass every method"],
      [(s) => (s.defaultBehavior.responseHeaders = "cors-preflight-security"), "cannot answer a CORS preflight"],
      [(s) => (s.defaultBehavior.forward = { headers: ["Host"] }), "keys its cache only on the path and query strings"],
      [(s) => (s.defaultBehavior.forward = { cookies: ["session"] }), "keys its cache only on the path and query strings"],
      [(s) => (s.http3 = true), "not HTTP/3"],
      [(s) => (s.priceClass = "100"), "no price classes"],
      [(s) => (s.origins[0].shieldRegion = "us-east-1"), "no origin shield"],
      [(s) => (s.domains = [{ host: "*.example.com" }]), "do not cover wildcards"],
      [(s) => (s.tier = "standard"), "needs Premium"],
      [(s) => (s.origins = [{ name: "app", objectStoreRef: { name: "uploads" } }]), "does not let Front Door read it"],
      [(s) => (s.defaultBehavior.forward = { queryStrings: ["page"] }), "keying the cache on only some of them"],
      [(s) => (s.logging = { objectStoreRef: { name: "uploads" }, prefix: "cdn/" }), "prefix is AWS only"],
      [(s) => ((s.dnsZoneId = "Z0123456789ABCDEFGHIJ"), (s.domains = [{ host: "www.example.com" }])), "spec.dnsZoneId on Azure is an Azure DNS zone's resource id"],
    ];
    for (const [patch, fragment] of cases) await expectRefused({ xr: withSpec(azure, patch), required: requiredFor(azure) }, fragment);
    // A store that lets Front Door read it still needs Premium for Private Link: Standard takes no WAF
    // rule set and a store needs the WAF, so the XRD refuses it, and so does the renderer.
    const open = requiredFor(azure).map((o) => (o.kind === "ObjectStore" && o.metadata?.name === "uploads" ? { ...o, spec: { ...o.spec, cdn: { originAccess: true } } } : o));
    const standardStore = withSpec(azure, (s) => ((s.tier = "standard"), (s.waf = { enabled: false }), (s.origins = [{ name: "app", objectStoreRef: { name: "uploads" } }])));
    await expectRefused({ xr: standardStore, required: open }, "spec.waf", "prevention mode");
    const bypassed = { xr: { name: "web", namespace: "team-a" }, spec: CdnEdgeSpec.parse({ ...standardStore.spec, waf: {} }), observed: {}, required: Object.fromEntries(open.map((o) => [storeRequirement(o.metadata?.name ?? ""), [o]])) };
    expect(() => renderAzure(bypassed as any)).toThrow("Private Link, which needs Premium");
  });

  it("Azure ObjectStore origins: Front Door reads anonymously, so the store must set cdn.originAccess; a Front Door origin is no log target", async () => {
    const closed = requiredFor(broxivaAzure).map((o) => (o.kind === "ObjectStore" ? { ...o, spec: { ...o.spec, cdn: { originAccess: false } } } : o));
    await expectRefused({ xr: broxivaAzure, required: closed }, "spec.origins[0].objectStoreRef.name", "does not let Front Door read it", "cdn.originAccess: true on broxiva-static");
    await expectRefused({ xr: withSpec(broxivaAzure, (s) => (s.logging = { objectStoreRef: { name: "broxiva-static" } })), required: requiredFor(broxivaAzure) }, "spec.logging.objectStoreRef.name", "Front Door origin", "without cdn.originAccess");
  });

  it("an Azure DNS zone: a well-formed zone id, hosts in the zone, the apex with a Key Vault certificate, one TXT name per host", async () => {
    const zoned = (patch: (s: any) => void) => ({ xr: withSpec(azureZoned, patch), required: requiredFor(azureZoned) });
    for (const bad of [
      "/subscriptions/0000/resourceGroups/dns-rg/providers/Microsoft.Network/dnszones/example.com",
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/dns-rg/providers/Microsoft.Network/privateDnsZones/example.com",
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/dns-rg/providers/Microsoft.Network/dnszones/Example.com",
      `${ZONE}/`,
    ]) await expectRefused(zoned((s) => (s.dnsZoneId = bad)), "spec.dnsZoneId");
    await expectRefused(zoned((s) => (s.domains = [{ host: "www.example.org" }])), "spec.domains[0].host", "not in DNS zone example.com");
    await expectRefused(zoned((s) => (s.domains = [{ host: "notexample.com" }])), "spec.domains[0].host", "not in DNS zone example.com");
    // The apex's managed certificate would not be renewed without a manual revalidation: the XRD refuses it, and so does the renderer.
    const managedApex = withSpec(azureZoned, (s) => (s.domains = [{ host: "www.example.com" }, { host: "example.com" }]));
    await expectRefused({ xr: managedApex, required: requiredFor(managedApex) }, "spec.domains[].keyVaultCertificateId", "apex of spec.dnsZoneId needs a Key Vault certificate");
    expect(admission(xrdSpecSchema("cdn-edge"), managedApex.spec)).toContainEqual(expect.stringContaining("apex of spec.dnsZoneId needs a Key Vault certificate"));
    const bypassed = { xr: { name: "web", namespace: "team-a" }, spec: CdnEdgeSpec.parse(managedApex.spec), observed: {}, required: {} };
    expect(() => renderAzure(bypassed)).toThrow("spec.domains[1].keyVaultCertificateId: missing for apex host example.com");
    // A wildcard beside the apex is validated through the same _dnsauth record at the apex.
    await expectRefused(zoned((s) => (s.domains = [{ host: "example.com", keyVaultCertificateId: "https://kv.vault.azure.net/certificates/apex" }, { host: "*.example.com", keyVaultCertificateId: "https://kv.vault.azure.net/certificates/star" }])), "spec.domains[1].host", "beside example.com", "same TXT record _dnsauth.example.com");
    await expectRefused(zoned((s) => s.domains.push({ host: "shop.example.com" })), "spec.domains[2].host", "same TXT record _dnsauth.shop.example.com");
    // Each cloud takes only its own kind of zone id.
    await expectRefused({ xr: withSpec(broxiva, (s) => (s.dnsZoneId = ZONE)), required: requiredFor(broxiva) }, "spec.dnsZoneId on AWS is a Route 53 hosted zone id");
    const schema = xrdSpecSchema("cdn-edge");
    expect(admission(schema, azureZoned.spec)).toEqual([]);
    expect(admission(schema, withSpec(azureZoned, (s) => (s.dnsZoneId = "Z0123456789ABCDEFGHIJ")).spec)).toContainEqual(expect.stringContaining("Azure DNS zone's resource id"));
    expect(admission(schema, withSpec(broxiva, (s) => (s.dnsZoneId = ZONE)).spec)).toContainEqual(expect.stringContaining("Route 53 hosted zone id"));
  });

  it("keyVaultId: a Key Vault's resource id, the vault of keyVaultCertificateId, Azure only", async () => {
    const withVault = (keyVaultId: string, cert = "https://broxiva-kv.vault.azure.net/certificates/wildcard-broxiva-com") => withSpec(broxivaAzure, (s) => (s.domains = [{ host: "*.broxiva.com", keyVaultCertificateId: cert, keyVaultId }]));
    const other = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/sec/providers/Microsoft.KeyVault/vaults/other-kv";
    await expectRefused({ xr: withVault(other), required: requiredFor(broxivaAzure) }, "spec.domains[0].keyVaultId", "got vault other-kv", "vault broxiva-kv");
    await expectRefused({ xr: withVault("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/sec/providers/Microsoft.Storage/storageAccounts/x"), required: requiredFor(broxivaAzure) }, "spec.domains[0].keyVaultId", "Key Vault's resource id");
    const schema = xrdSpecSchema("cdn-edge");
    expect(admission(schema, withSpec(broxivaAzure, (s) => delete s.domains[0].keyVaultCertificateId).spec)).toContainEqual(expect.stringContaining("keyVaultId is the vault of keyVaultCertificateId"));
    expect(admission(schema, broxivaAzure.spec)).toEqual([]);
  });

  it("AWS-only and Azure-only fields are refused on the other cloud", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.tier = "premium")), required: requiredFor(aws) }, "spec.tier is Azure only");
    await expectRefused({ xr: withSpec(aws, (s) => (s.domains = [{ host: "a.example.com", keyVaultCertificateId: "https://kv.vault.azure.net/certificates/a" }])), required: requiredFor(aws) }, "Azure only");
  });

  it("names: origin names Front Door and CloudFront both take; behaviours name existing origins", async () => {
    await expectRefused({ xr: withSpec(aws, (s) => (s.origins[0].name = "App_1")), required: requiredFor(aws) }, "name");
    await expectRefused({ xr: withSpec(aws, (s) => (s.defaultBehavior.origin = "nope")), required: requiredFor(aws) }, "must name an origin");
    await expectRefused({ xr: withSpec(aws, (s) => s.origins.push({ name: "app", host: "b.example.com" })), required: requiredFor(aws) }, "each origin name once");
  });

  it("the XRD refuses at admission what CEL can say", () => {
    const schema = xrdSpecSchema("cdn-edge");
    const spec = (patch: (s: any) => void) => withSpec(azure, patch).spec;
    expect(admission(schema, spec((s) => (s.http3 = true)))).toContainEqual(expect.stringContaining("not HTTP/3"));
    expect(admission(schema, spec((s) => (s.origins[0].objectStoreRef = { name: "x" })))).toContainEqual(expect.stringContaining("exactly one"));
    expect(admission(schema, withSpec(aws, (s) => (s.defaultBehavior.compress = true, s.defaultBehavior.cache = { mode: "disabled" })).spec)).toContainEqual(expect.stringContaining("compress"));
    expect(admission(schema, azure.spec)).toEqual([]);
    expect(admission(schema, vivr.spec)).toEqual([]);
  });
});
