import { APIS } from "../../apis/index.ts";
import { API_VERSION } from "../../apis/shared/common.ts";
import { CdnEdgeSpec } from "../../apis/cdn-edge/schema.ts";
import { SpecError } from "../shared/errors.ts";
import { parseSpec } from "../shared/parse.ts";
import type { KindModule, Obj, RenderContext, Selector } from "../shared/types.ts";
import { renderAws } from "./aws.ts";
import { renderAzure } from "./azure.ts";
import { connectionSecretName } from "./connection.ts";
import { storeRequirement, verifySecretRequirement } from "./names.ts";
import { keyed, planBehaviors } from "./plan.ts";

/**
 * Cloud-neutral rules the XRD cannot say well. A TTL-0 cache policy cannot key on headers, cookies or
 * query strings (CloudFront refuses it: docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/
 * controlling-the-cache-key.html, "when TTL is 0 ... you can't include"), so forwarding with ttl 0 is
 * refused with the fix (mode disabled forwards through an origin request policy). An ObjectStore
 * origin must receive its own Host (S3 and Blob Storage route by it), so forwarding Host to it is refused.
 */
function checkSpec(spec: CdnEdgeSpec): CdnEdgeSpec {
  for (const { b, field } of planBehaviors(spec)) {
    if (b.cache.mode === "ttl" && b.cache.ttlSeconds === 0 && keyed(b)) {
      throw SpecError.field(`${field}.cache.ttlSeconds`, "got 0 with forwarded headers, cookies or query strings, which a TTL-0 cache policy cannot put in its key", "use cache.mode: disabled (forwarding then goes through an origin request policy), or a TTL of 1 second or more");
    }
    const origin = spec.origins.find((o) => o.name === b.origin);
    const host = b.forward.headers.find((h) => h === "*" || h.toLowerCase() === "host");
    if (origin?.objectStoreRef && host) {
      throw SpecError.field(`${field}.forward.headers`, `got ${JSON.stringify(host)} for ObjectStore origin ${origin.name}`, "a bucket or storage account routes by its own Host header; forward named headers other than Host to an ObjectStore origin");
    }
  }
  return spec;
}

/**
 * Required resources: each ObjectStore named (origins and the log target) must exist here on the same
 * provider; an origin must let the CDN read it (cdn.originAccess: CloudFront's OAC grant on AWS, anonymous
 * reads through Private Link only on Azure); the log target must accept CloudFront logs (AWS) or not be
 * a Front Door origin (Azure, whose account's firewall admits only Crossplane's egress addresses); each verify-header Secret
 * must hold its key.
 */
function validate({ spec, xr, required }: RenderContext<CdnEdgeSpec>): void {
  const store = (name: string, field: string) => {
    const s = required[storeRequirement(name)]?.[0];
    if (!s) throw SpecError.field(field, `ObjectStore ${JSON.stringify(name)} does not exist in namespace ${xr.namespace}`, "create it first, or fix the name");
    const ss = (s.spec ?? {}) as Obj;
    if (ss["provider"] !== spec.provider) throw SpecError.field(field, `ObjectStore ${JSON.stringify(name)} is on ${String(ss["provider"])}, this CdnEdge on ${spec.provider}`, `use an ObjectStore on ${spec.provider}`);
    return ss;
  };
  spec.origins.forEach((o, i) => {
    if (o.objectStoreRef) {
      const field = `spec.origins[${i}].objectStoreRef.name`;
      const ss = store(o.objectStoreRef.name, field);
      if (spec.provider === "aws" && (ss["cdn"] as Obj | undefined)?.["originAccess"] !== true) {
        throw SpecError.field(field, `ObjectStore ${JSON.stringify(o.objectStoreRef.name)} does not let CloudFront read it`, `set spec.cdn.originAccess: true on ${o.objectStoreRef.name} (its own bucket policy then grants origin access control), then retry`);
      }
      // Front Door reads anonymously through Private Link; a private container refuses it (PublicAccessNotPermitted).
      if (spec.provider === "azure" && (ss["cdn"] as Obj | undefined)?.["originAccess"] !== true) {
        throw SpecError.field(field, `ObjectStore ${JSON.stringify(o.objectStoreRef.name)} does not let Front Door read it: Front Door sends anonymous reads through Private Link, which its private container refuses`, `set spec.cdn.originAccess: true on ${o.objectStoreRef.name} (its container then allows anonymous blob reads and its account's firewall admits only Crossplane's egress addresses, so Front Door reaches it through its approved Private Link), then retry`);
      }
    }
    if (o.verifyHeader) {
      const field = `spec.origins[${i}].verifyHeader.secretRef`;
      const s = required[verifySecretRequirement(o.name)]?.[0] as { data?: Record<string, string> } | undefined;
      if (!s) throw SpecError.field(field, `Secret ${JSON.stringify(o.verifyHeader.secretRef.name)} does not exist in namespace ${xr.namespace}`, "create it with the header value, or fix the name");
      if (!s.data?.[o.verifyHeader.secretRef.key]) throw SpecError.field(field, `Secret ${JSON.stringify(o.verifyHeader.secretRef.name)} has no key ${JSON.stringify(o.verifyHeader.secretRef.key)}`, "add the key with the header value, or fix the key");
    }
  });
  if (spec.logging) {
    const field = "spec.logging.objectStoreRef.name";
    const ss = store(spec.logging.objectStoreRef.name, field);
    if (spec.provider === "azure" && (ss["cdn"] as Obj | undefined)?.["originAccess"] === true) throw SpecError.field(field, `ObjectStore ${JSON.stringify(spec.logging.objectStoreRef.name)} is a Front Door origin (cdn.originAccess), whose account's firewall admits only Crossplane's egress addresses with no trusted-services exception, and Azure Monitor writes logs through that exception`, "log into an ObjectStore without cdn.originAccess");
    if (spec.provider === "aws" && ss["acceptsCdnLogs"] !== true) throw SpecError.field(field, `ObjectStore ${JSON.stringify(spec.logging.objectStoreRef.name)} does not accept CloudFront logs`, `set spec.acceptsCdnLogs: true on ${spec.logging.objectStoreRef.name} (CloudFront standard logging writes with an object ACL), then retry`);
  }
}

export const cdnEdge: KindModule<CdnEdgeSpec> = {
  api: APIS.find((a) => a.kind === "CdnEdge")!,
  parse: (raw) => parseSpec(CdnEdgeSpec, raw, checkSpec),
  requirements: (spec, xr) => {
    const out: Record<string, Selector> = {};
    const store = (name: string) => (out[storeRequirement(name)] = { apiVersion: API_VERSION, kind: "ObjectStore", name, namespace: xr.namespace });
    for (const o of spec.origins) {
      if (o.objectStoreRef) store(o.objectStoreRef.name);
      if (o.verifyHeader) out[verifySecretRequirement(o.name)] = { apiVersion: "v1", kind: "Secret", name: o.verifyHeader.secretRef.name, namespace: xr.namespace };
    }
    if (spec.logging) store(spec.logging.objectStoreRef.name);
    return out;
  },
  // The connection Secret's name is the user's choice: fn.ts (where it declares `secrets`) reads it and
  // refuses one this XR did not compose.
  secrets: (spec, xr) => [{ field: "spec.connectionSecretName", name: connectionSecretName(spec, xr) }],
  validate,
  renderers: { aws: renderAws, azure: renderAzure },
  // The managed resource kinds (MRD names) these renderers compose: the Configuration activates
  // exactly these, and a test fails if a renderer composes a kind missing here.
  composes: [
    "distributions.cloudfront.aws.m.upbound.io",
    "originaccesscontrols.cloudfront.aws.m.upbound.io",
    "cachepolicies.cloudfront.aws.m.upbound.io",
    "originrequestpolicies.cloudfront.aws.m.upbound.io",
    "certificates.acm.aws.m.upbound.io",
    "webacls.wafv2.aws.m.upbound.io",
    "certificatevalidations.acm.aws.m.upbound.io",
    "records.route53.aws.m.upbound.io",
    "resourcegroups.azure.m.upbound.io",
    "frontdoorprofiles.cdn.azure.m.upbound.io",
    "frontdoorendpoints.cdn.azure.m.upbound.io",
    "frontdoororigingroups.cdn.azure.m.upbound.io",
    "frontdoororigins.cdn.azure.m.upbound.io",
    "frontdoorroutes.cdn.azure.m.upbound.io",
    "frontdoorrulesets.cdn.azure.m.upbound.io",
    "frontdoorrules.cdn.azure.m.upbound.io",
    "frontdoorcustomdomains.cdn.azure.m.upbound.io",
    "frontdoorcustomdomainassociations.cdn.azure.m.upbound.io",
    "frontdoorsecrets.cdn.azure.m.upbound.io",
    "frontdoorfirewallpolicies.cdn.azure.m.upbound.io",
    "frontdoorsecuritypolicies.cdn.azure.m.upbound.io",
    "monitordiagnosticsettings.insights.azure.m.upbound.io",
    "dnstxtrecords.network.azure.m.upbound.io",
    "dnscnamerecords.network.azure.m.upbound.io",
    "dnsarecords.network.azure.m.upbound.io",
    "roleassignments.authorization.azure.m.upbound.io",
  ],
  // An edge holds no data. The distribution and the Front Door profile and endpoint carry the hostname
  // DNS points at (dXXXX.cloudfront.net, <name>-<hash>.z01.azurefd.net), which a re-created one would
  // not get back, so they are guarded like data: never dropped from desired state by a render.
  stateful: ["cloudfront.aws.m.upbound.io/Distribution", "cdn.azure.m.upbound.io/FrontdoorProfile", "cdn.azure.m.upbound.io/FrontdoorEndpoint"],
};
