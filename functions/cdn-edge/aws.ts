/**
 * CdnEdge on AWS: a CloudFront distribution with an origin access control for ObjectStore origins,
 * managed cache / origin request / response headers policies where they fit and custom policies
 * (deduplicated by content) where they do not, one ACM certificate in us-east-1 covering every host,
 * and a WAFv2 web ACL at CLOUDFRONT scope (us-east-1, as CloudFront requires of both).
 *
 * Staging: certificate, web ACL, OAC and custom policies first; the distribution once the certificate
 * is ISSUED (CloudFront refuses a certificate that is not) and every id it names is observed, or when
 * it already exists. The distribution is always rendered whole: CloudFront updates resubmit the entire
 * config, so a field left to the provider's memory loops (crossplane-contrib/provider-aws#894).
 *
 * The edge is Ready once every ObjectStore origin's bucket policy names the distribution (the store
 * grants it from this XR's status.distributionArn; see the end of the renderer).
 *
 * Changing the host set makes a new certificate (its key is a hash of the hosts: ACM replaces a
 * certificate whose names change, and CloudFront will not let go of one in use). The old one stays
 * desired, and the distribution keeps it, until the new one is issued.
 */
import { AWS_DEFAULT_BODY_KB, type CdnEdgeSpec, type Origin } from "../../apis/cdn-edge/schema.ts";
import { bucketName } from "../object-store/names.ts";
import { SpecError } from "../shared/errors.ts";
import { atProvider, str } from "../shared/observed.ts";
import { managed, own, RETAIN } from "../shared/resources.ts";
import { tagsFor } from "../shared/tags.ts";
import type { ForProvider, K8sObject, Obj, Renderer } from "../shared/types.ts";
import type * as cloudfront from "../crds/cloudfront.aws.m.upbound.io.ts";
import type * as acm from "../crds/acm.aws.m.upbound.io.ts";
import type * as wafv2 from "../crds/wafv2.aws.m.upbound.io.ts";
import type * as route53 from "../crds/route53.aws.m.upbound.io.ts";
import { finish, type DnsRecord } from "./connection.ts";
import { caches, compresses, keyed, planBehaviors, verifyValue, type PlannedBehavior } from "./plan.ts";
import { awsName, hash8, storeRequirement } from "./names.ts";
import {
  AWS_BODY_RULE_NAME, AWS_METHODS, AWS_ORIGIN_TLS, AWS_SIZE_RULE, AWS_VIEWER_TLS, AWS_WAF_RULE_GROUPS, AWS_DEFAULT_INSPECTION, awsBodyInspectionLimit, CACHED_METHODS,
  MANAGED_CACHE_POLICY, MANAGED_ORIGIN_REQUEST_POLICY, MANAGED_RESPONSE_HEADERS_POLICY, PRICE_CLASS,
} from "./tables.ts";

const CF = "cloudfront.aws.m.upbound.io/v1beta1";
const ACM = "acm.aws.m.upbound.io/v1beta1";
const WAF = "wafv2.aws.m.upbound.io/v1beta1";
const R53 = "route53.aws.m.upbound.io/v1beta1";
/** The hosted zone id of every CloudFront distribution, for alias records (docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html). */
const CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2";
/** CloudFront takes certificates and web ACLs only from us-east-1. */
const GLOBAL_REGION = "us-east-1";

type DistributionSpec = ForProvider<cloudfront.Distribution>;
type CacheBehavior = NonNullable<DistributionSpec["orderedCacheBehavior"]>[number];
type DistributionOrigin = NonNullable<DistributionSpec["origin"]>[number];
/** A custom cache policy's content; its name and comment are the XR's. */
type CachePolicyConfig = Omit<ForProvider<cloudfront.CachePolicy>, "name" | "comment">;
type OriginRequestPolicyConfig = Omit<ForProvider<cloudfront.OriginRequestPolicy>, "comment">;

const list = (names: string[], all: string, some: string) =>
  names[0] === "*" ? { behavior: all, items: undefined } : names.length ? { behavior: some, items: [...names].sort() } : { behavior: "none", items: undefined };

/** A custom cache policy for a behaviour a managed one does not fit, or undefined with the managed id. */
function cachePolicy(p: PlannedBehavior): { managedId: string } | { config: CachePolicyConfig } {
  const b = p.b;
  if (!caches(b)) return { managedId: MANAGED_CACHE_POLICY.CachingDisabled };
  if (b.cache.mode === "origin" && !keyed(b)) return { managedId: compresses(b) ? MANAGED_CACHE_POLICY.CachingOptimized : MANAGED_CACHE_POLICY.CachingOptimizedForUncompressedObjects };
  if (b.forward.headers[0] === "*") {
    throw SpecError.field(`${p.field}.forward.headers`, 'got ["*"] with caching on', "CloudFront cannot put every header in a cache key; name the headers (at most 10), or set cache.mode: disabled to forward all of them");
  }
  // ttl: exactly ttlSeconds whatever the origin says (min = default = max). origin: CachingOptimized's TTLs with the keys added.
  const ttl: Pick<CachePolicyConfig, "minTtl" | "defaultTtl" | "maxTtl"> = b.cache.mode === "ttl" ? { minTtl: b.cache.ttlSeconds!, defaultTtl: b.cache.ttlSeconds!, maxTtl: b.cache.ttlSeconds! } : { minTtl: 1, defaultTtl: 86400, maxTtl: 31536000 };
  const h = list(b.forward.headers, "none", "whitelist");
  const c = list(b.forward.cookies, "all", "whitelist");
  const q = list(b.forward.queryStrings, "all", "whitelist");
  return {
    config: {
      ...ttl,
      parametersInCacheKeyAndForwardedToOrigin: {
        enableAcceptEncodingGzip: compresses(b),
        enableAcceptEncodingBrotli: compresses(b),
        headersConfig: { headerBehavior: h.behavior, headers: h.items && { items: h.items } },
        cookiesConfig: { cookieBehavior: c.behavior, cookies: c.items && { items: c.items } },
        queryStringsConfig: { queryStringBehavior: q.behavior, queryStrings: q.items && { items: q.items } },
      },
    },
  };
}

/** What an uncached behaviour forwards: nothing, everything (AllViewer), or a custom origin request policy. */
function originRequestPolicy(p: PlannedBehavior): { managedId?: string } | { config: OriginRequestPolicyConfig } {
  const b = p.b;
  if (caches(b) || !keyed(b)) return {};
  const f = b.forward;
  if (f.headers[0] === "*" && f.cookies[0] === "*" && f.queryStrings[0] === "*") return { managedId: MANAGED_ORIGIN_REQUEST_POLICY.AllViewer };
  const h = list(f.headers, "allViewer", "whitelist");
  const c = list(f.cookies, "all", "whitelist");
  const q = list(f.queryStrings, "all", "whitelist");
  return {
    config: {
      headersConfig: { headerBehavior: h.behavior, headers: h.items && { items: h.items } },
      cookiesConfig: { cookieBehavior: c.behavior, cookies: c.items && { items: c.items } },
      queryStringsConfig: { queryStringBehavior: q.behavior, queryStrings: q.items && { items: q.items } },
    },
  };
}

/**
 * The web ACL's rules in the WAFv2 API's JSON: the three AWS managed groups, blocking or counting; with
 * waf.maxRequestBodyKB over the Common group's 8 KB, its size rule counted and Tessera's body size
 * rule after the groups (see AWS_SIZE_RULE), blocking or counting as the groups do.
 */
function wafRules(waf: CdnEdgeSpec["waf"]): string {
  const prevention = waf.mode === "prevention";
  const kb = waf.maxRequestBodyKB ?? AWS_DEFAULT_BODY_KB;
  const raised = kb > AWS_DEFAULT_BODY_KB;
  const visibility = (name: string) => ({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: name });
  const rules: Obj[] = AWS_WAF_RULE_GROUPS.map((name, i) => ({
    Name: name,
    Priority: i,
    OverrideAction: prevention ? { None: {} } : { Count: {} },
    Statement: {
      ManagedRuleGroupStatement: {
        VendorName: "AWS",
        Name: name,
        ...(raised && name === "AWSManagedRulesCommonRuleSet" ? { RuleActionOverrides: [{ Name: AWS_SIZE_RULE, ActionToUse: { Count: {} } }] } : {}),
      },
    },
    VisibilityConfig: visibility(name),
  }));
  if (raised) {
    rules.push({
      Name: AWS_BODY_RULE_NAME,
      Priority: AWS_WAF_RULE_GROUPS.length,
      Action: prevention ? { Block: {} } : { Count: {} },
      Statement: { SizeConstraintStatement: { FieldToMatch: { Body: { OversizeHandling: "MATCH" } }, ComparisonOperator: "GT", Size: kb * 1024, TextTransformations: [{ Priority: 0, Type: "NONE" }] } },
      VisibilityConfig: visibility(AWS_BODY_RULE_NAME),
    });
  }
  return JSON.stringify(rules);
}

export const renderAws: Renderer<CdnEdgeSpec> = (ctx) => {
  const { xr, spec, observed, required } = ctx;
  const tags = tagsFor("CdnEdge", xr, spec.tags);
  const retain = spec.deletionProtection ? RETAIN : undefined;
  /** The description (or comment) of every resource here, naming the XR it belongs to. */
  const about = `Tessera CdnEdge ${xr.namespace}/${xr.name}`;
  // The distribution is always rendered whole, so nothing is late-initialised into its spec: a value
  // copied back from the cloud (a removed web ACL, logging config or origin shield) would never go away.
  const distributionPolicies = spec.deletionProtection ? ["Observe", "Create", "Update"] : ["Observe", "Create", "Update", "Delete"];
  const r: Record<string, K8sObject> = {};
  const pending: string[] = [];
  const hosts = spec.domains.map((d) => d.host);
  const seenDist = observed["distribution"]?.resource.spec?.["forProvider"] as Obj | undefined;

  // Origin access control: one for every ObjectStore origin, signing every request (SigV4).
  if (spec.origins.some((o) => o.objectStoreRef)) {
    r["origin-access-control"] = managed<cloudfront.OriginAccessControl>(CF, "OriginAccessControl", "origin-access-control", {
      name: awsName(xr),
      description: about,
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    });
  }

  // The certificate for every host, in us-east-1, validated by DNS.
  const certKey = hosts.length ? `certificate-${hash8(hosts.join(","))}` : undefined;
  let certArn: string | undefined;
  let certStatus: string | undefined;
  const dnsRecords: DnsRecord[] = [];
  if (certKey) {
    r[certKey] = managed<acm.Certificate>(ACM, "Certificate", certKey, {
      region: GLOBAL_REGION,
      domainName: hosts[0],
      subjectAlternativeNames: hosts.length > 1 ? hosts.slice(1) : undefined,
      validationMethod: "DNS",
      keyAlgorithm: "RSA_2048",
      tags,
    }, { managementPolicies: retain });
    const at = atProvider(observed[certKey]);
    certArn = str(at["arn"]);
    certStatus = str(at["status"]);
    const seen = new Set<string>();
    for (const o of (at["domainValidationOptions"] as Obj[] | undefined) ?? []) {
      const name = str(o["resourceRecordName"]);
      if (!name || seen.has(name)) continue;
      seen.add(name);
      dnsRecords.push({ name, type: str(o["resourceRecordType"]) ?? "CNAME", value: str(o["resourceRecordValue"]) ?? "", purpose: `ACM validation of ${str(o["domainName"]) ?? hosts[0]}` });
    }
  }
  // With a zone: the validation records and a CertificateValidation that waits until ACM issued it.
  if (certKey && spec.dnsZoneId) {
    for (const rec of dnsRecords) {
      const key = `validation-record-${hash8(rec.name)}`;
      r[key] = managed<route53.Record>(R53, "Record", key, { zoneId: spec.dnsZoneId, name: rec.name, type: rec.type, ttl: 300, records: [rec.value], allowOverwrite: true });
    }
    if (certArn && dnsRecords.length) {
      r["certificate-validation"] = managed<acm.CertificateValidation>(ACM, "CertificateValidation", "certificate-validation", { region: GLOBAL_REGION, certificateArn: certArn, validationRecordFqdns: dnsRecords.map((x) => x.name.replace(/\.$/, "")) });
    } else if (!observed["certificate-validation"]) {
      pending.push("certificate-validation");
    }
  }

  // A previous certificate (other hosts) stays while the distribution still uses it: until the new one
  // is issued and the distribution moved to it (or to CloudFront's own certificate when domains went).
  const inUse = str((seenDist?.["viewerCertificate"] as Obj | undefined)?.["acmCertificateArn"]) ?? str(((atProvider(observed["distribution"])["viewerCertificate"]) as Obj | undefined)?.["acmCertificateArn"]);
  for (const [key, o] of Object.entries(observed)) {
    if (!key.startsWith("certificate-") || key === certKey) continue;
    if (!inUse || inUse !== str(atProvider(o)["arn"])) continue;
    // Echoes the certificate as it was last rendered (observed, not a literal): the cast checks nothing, on purpose.
    r[key] = managed<acm.Certificate>(ACM, "Certificate", key, o.resource.spec?.["forProvider"] as ForProvider<acm.Certificate>, { managementPolicies: retain });
  }

  // The web ACL, at CLOUDFRONT scope.
  let wafArn: string | undefined;
  if (spec.waf.enabled) {
    // How much of a body CloudFront forwards for inspection. Left out at AWS's default (KB_16), so an
    // existing web ACL is not touched; once set, always written, the default too, so a limit lowered
    // again reaches AWS instead of staying as the provider's late-initialised copy of the old one.
    // (The CRD swaps the descriptions of cloudfront and apiGateway; the API's CLOUDFRONT key is this one:
    // docs.aws.amazon.com/waf/latest/APIReference/API_AssociationConfig.html.)
    const inspection = awsBodyInspectionLimit(spec.waf.maxRequestBodyKB ?? AWS_DEFAULT_BODY_KB);
    const seenAcl = observed["web-acl"]?.resource.spec?.["forProvider"] as Obj | undefined;
    r["web-acl"] = managed<wafv2.WebACL>(WAF, "WebACL", "web-acl", {
      region: GLOBAL_REGION,
      name: awsName(xr),
      description: about,
      scope: "CLOUDFRONT",
      defaultAction: { allow: {} },
      ruleJson: wafRules(spec.waf),
      associationConfig: inspection === AWS_DEFAULT_INSPECTION && !seenAcl?.["associationConfig"] ? undefined : { requestBody: [{ cloudfront: { defaultSizeInspectionLimit: inspection } }] },
      visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: awsName(xr), sampledRequestsEnabled: true },
      tags,
    }, { managementPolicies: retain });
    wafArn = str(atProvider(observed["web-acl"])["arn"]) ?? str(seenDist?.["webAclId"]);
  }

  // Custom policies, one per distinct content (two behaviours with the same needs share one).
  // Each kind is built by its own call, so tsc checks each forProvider against its CRD; the id is the observed one.
  const cachePolicyId = (config: CachePolicyConfig) => {
    const key = `cache-policy-${hash8(JSON.stringify(config))}`;
    r[key] ??= managed<cloudfront.CachePolicy>(CF, "CachePolicy", key, { name: awsName(xr, `-${key.slice(-8)}`), comment: about, ...config });
    return str(atProvider(observed[key])["id"]);
  };
  const originRequestPolicyId = (config: OriginRequestPolicyConfig) => {
    const key = `origin-request-policy-${hash8(JSON.stringify(config))}`;
    r[key] ??= managed<cloudfront.OriginRequestPolicy>(CF, "OriginRequestPolicy", key, { comment: about, ...config });
    return str(atProvider(observed[key])["id"]);
  };

  const origins = new Map(spec.origins.map((o) => [o.name, o]));
  let missing = false;
  const behavior = (p: PlannedBehavior): CacheBehavior => {
    const cp = cachePolicy(p);
    const orp = originRequestPolicy(p);
    const cacheId = "managedId" in cp ? cp.managedId : cachePolicyId(cp.config);
    const orpId = "config" in orp ? originRequestPolicyId(orp.config) : orp.managedId;
    if (!cacheId || ("config" in orp && !orpId)) missing = true;
    return {
      pathPattern: p.path,
      targetOriginId: p.b.origin,
      viewerProtocolPolicy: "redirect-to-https",
      allowedMethods: AWS_METHODS[p.b.methods],
      cachedMethods: CACHED_METHODS,
      compress: compresses(p.b),
      cachePolicyId: cacheId,
      originRequestPolicyId: orpId,
      responseHeadersPolicyId: MANAGED_RESPONSE_HEADERS_POLICY[p.b.responseHeaders],
    };
  };
  const plan = planBehaviors(spec);
  const ordered = plan.slice(0, -1).map(behavior);
  const { pathPattern: _, ...defaultBehavior } = behavior(plan.at(-1)!);

  const origin = (o: Origin): DistributionOrigin => {
    const common: Pick<DistributionOrigin, "originId" | "connectionAttempts" | "connectionTimeout" | "originShield"> = {
      originId: o.name,
      connectionAttempts: 3,
      connectionTimeout: 10,
      originShield: o.shieldRegion ? { enabled: true, originShieldRegion: o.shieldRegion } : undefined,
    };
    if (o.objectStoreRef) {
      const store = required[storeRequirement(o.objectStoreRef.name)]![0]!;
      const region = String((store.spec as Obj)["region"]);
      return {
        ...common,
        domainName: `${bucketName({ namespace: xr.namespace, name: o.objectStoreRef.name })}.s3.${region}.amazonaws.com`,
        originAccessControlIdSelector: own("origin-access-control"),
        // S3 origin with OAC and no legacy identity, stated so it does not show as drift.
        s3OriginConfig: { originAccessIdentity: "" },
      };
    }
    return {
      ...common,
      domainName: o.host,
      customHeader: o.verifyHeader ? [{ name: o.verifyHeader.name, value: verifyValue(ctx, o.name, o.verifyHeader.secretRef.key) }] : undefined,
      customOriginConfig: { httpPort: 80, httpsPort: o.httpsPort, originProtocolPolicy: "https-only", originSslProtocols: AWS_ORIGIN_TLS, originKeepaliveTimeout: 5, originReadTimeout: 30 },
    };
  };

  const logStore = spec.logging && required[storeRequirement(spec.logging.objectStoreRef.name)]?.[0];
  // While a new certificate is not issued yet, the distribution keeps the hosts and certificate it has.
  const keepOld = !!seenDist && !!certKey && certStatus !== "ISSUED";
  const viewerCertificate: DistributionSpec["viewerCertificate"] = keepOld
    ? // Echoes the distribution's observed certificate (not a literal): the cast checks nothing, on purpose.
      (seenDist!["viewerCertificate"] as DistributionSpec["viewerCertificate"])
    : certKey
      ? { acmCertificateArn: certArn, sslSupportMethod: "sni-only", minimumProtocolVersion: AWS_VIEWER_TLS }
      : // Without domains CloudFront's own *.cloudfront.net certificate serves; it cannot be pinned to a TLS policy.
        { cloudfrontDefaultCertificate: true };

  const ready = (!certKey || (certStatus === "ISSUED" && !!certArn)) && (!spec.waf.enabled || !!wafArn) && !missing;
  if (ready || seenDist) {
    r["distribution"] = managed<cloudfront.Distribution>(CF, "Distribution", "distribution", {
      enabled: true,
      comment: about,
      aliases: keepOld ? (seenDist!["aliases"] as string[] | undefined) : hosts.length ? hosts : undefined,
      isIpv6Enabled: true,
      httpVersion: spec.http3 === false ? "http2" : "http2and3",
      priceClass: PRICE_CLASS[spec.priceClass],
      // "" detaches a web ACL when the WAF is turned off.
      webAclId: spec.waf.enabled ? wafArn : "",
      origin: spec.origins.map((o) => origins.get(o.name)!).map(origin),
      defaultCacheBehavior: defaultBehavior,
      orderedCacheBehavior: ordered.length ? ordered : undefined,
      restrictions: {
        geoRestriction: spec.geo
          ? { restrictionType: spec.geo.mode === "allow" ? "whitelist" : "blacklist", locations: [...spec.geo.countries].sort() }
          : { restrictionType: "none", locations: [] },
      },
      viewerCertificate,
      loggingConfig: logStore
        ? { bucket: `${bucketName({ namespace: xr.namespace, name: spec.logging!.objectStoreRef.name })}.s3.amazonaws.com`, prefix: spec.logging!.prefix ?? `cloudfront/${xr.namespace}/${xr.name}/`, includeCookies: false }
        : undefined,
      tags,
    }, { managementPolicies: distributionPolicies });
  } else {
    // The message names what the distribution waits for: CloudFront refuses an unissued certificate.
    pending.push(certKey && certStatus !== "ISSUED" ? `distribution: certificate ${certStatus ?? "requested"}, create the validation records in status.dnsRecords` : "distribution");
  }

  const at = atProvider(observed["distribution"]);
  const endpoint = str(at["domainName"]);
  // With a zone: alias A and AAAA records (IPv6 is on) for each host, once the distribution exists.
  if (spec.dnsZoneId) {
    for (const h of hosts) {
      for (const type of ["A", "AAAA"]) {
        const key = `alias-${hash8(h)}-${type.toLowerCase()}`;
        if (!endpoint && !observed[key]) {
          pending.push(key);
          continue;
        }
        const seen = (observed[key]?.resource.spec?.["forProvider"] as Obj | undefined)?.["alias"] as Obj | undefined;
        r[key] = managed<route53.Record>(R53, "Record", key, { zoneId: spec.dnsZoneId, name: h, type, alias: { name: endpoint ?? str(seen?.["name"]), zoneId: CLOUDFRONT_ZONE_ID, evaluateTargetHealth: false }, allowOverwrite: true });
      }
    }
  }
  if (endpoint && !spec.dnsZoneId) for (const h of hosts) dnsRecords.push({ name: h, type: "CNAME", value: endpoint, purpose: "route viewers to the edge (an apex host needs a Route 53 alias record instead)" });

  // Each ObjectStore origin grants read in its own bucket policy, naming this distribution by the ARN
  // published here (functions/object-store/cdn.ts): CloudFront gets 403 from the bucket until it does.
  // The store lists what its policy in S3 grants in status.cdnDistributionArns; until this
  // distribution is there, the edge waits for it and says so (the store re-renders when this status
  // changes, then its policy is updated).
  const distributionArn = str(at["arn"]);
  const awaiting: string[] = [];
  if (distributionArn) {
    for (const name of new Set(spec.origins.flatMap((o) => (o.objectStoreRef ? [o.objectStoreRef.name] : [])))) {
      const granted = (required[storeRequirement(name)]?.[0]?.status as Obj | undefined)?.["cdnDistributionArns"];
      if (!(Array.isArray(granted) && granted.includes(distributionArn))) awaiting.push(`ObjectStore ${name} to grant read (its policy follows within a reconcile)`);
    }
  }
  const out = finish(ctx, r, pending, endpoint, {
    distributionId: str(at["id"]),
    distributionArn,
    domains: hosts.map((host) => ({ host, cnameTarget: endpoint, certificateStatus: certStatus })),
    // With a zone Tessera creates them; status lists only what the user must create.
    dnsRecords: dnsRecords.length && !spec.dnsZoneId ? dnsRecords : undefined,
    wafId: wafArn,
  });
  if (awaiting.length) out.awaiting = awaiting;
  // A store encrypted with a customer KMS key also needs that key's policy to let the distribution
  // decrypt, which Tessera cannot write (it does not own the key): the store lists the statement in its
  // status.manualSteps; the edge repeats it, since CloudFront gets 403 on those objects until it is done.
  const storeSteps = [...new Set(spec.origins.flatMap((o) => (o.objectStoreRef ? [o.objectStoreRef.name] : [])))].flatMap((name) => {
    const steps = (required[storeRequirement(name)]?.[0]?.status as Obj | undefined)?.["manualSteps"];
    return Array.isArray(steps) ? steps.filter((m): m is string => typeof m === "string").map((m) => `ObjectStore ${name}: ${m}`) : [];
  });
  if (storeSteps.length) {
    out.status = { ...out.status, manualSteps: storeSteps };
    out.warnings = [...(out.warnings ?? []), "an ObjectStore origin needs a step by hand before CloudFront can read all of it (status.manualSteps)"];
  }
  return out;
};
