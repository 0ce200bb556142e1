import { APIS } from "../../apis/index.ts";
import { API_VERSION } from "../../apis/shared/common.ts";
import { ObjectStoreSpec } from "../../apis/object-store/schema.ts";
import { SpecError } from "../shared/errors.ts";
import { parseSpec } from "../shared/parse.ts";
import type { KindModule, Obj, RenderContext, Selector } from "../shared/types.ts";
import { connectionSecretName } from "./connection.ts";
import { renderAws } from "./aws.ts";
import { renderAzure } from "./azure.ts";
import { cdnRequirements } from "./cdn.ts";
import { checkClusters, clusterRequirements } from "./cluster.ts";
import { LOG_TARGET } from "./names.ts";
import { TIER_ORDER } from "./tables.ts";

/**
 * Cloud-neutral rules CEL cannot say well: lifecycle names unique; transitions warmest first, each
 * later than the one before (both clouds refuse a colder tier earlier than a warmer one); expiry after
 * every transition (S3 refuses otherwise, and on Azure it would delete before the tiers it pays for);
 * each service account listed once.
 */
function checkSpec(spec: ObjectStoreSpec): ObjectStoreSpec {
  const names = new Set<string>();
  spec.lifecycle.forEach((r, i) => {
    if (names.has(r.name)) throw SpecError.field(`spec.lifecycle[${i}].name`, `got ${JSON.stringify(r.name)} twice`, "give each lifecycle rule its own name");
    names.add(r.name);
    r.transitions.forEach((t, j) => {
      const prev = r.transitions[j - 1];
      if (prev && (TIER_ORDER[t.tier] <= TIER_ORDER[prev.tier] || t.afterDays <= prev.afterDays)) {
        throw SpecError.field(`spec.lifecycle[${i}].transitions[${j}]`, `got ${t.tier} after ${t.afterDays} days following ${prev.tier} after ${prev.afterDays}`, "list transitions warmest first (infrequent, cold, archive, deepArchive), each tier once, each later than the one before");
      }
    });
    const last = r.transitions.at(-1);
    if (last && r.expireAfterDays !== undefined && r.expireAfterDays <= last.afterDays) {
      throw SpecError.field(`spec.lifecycle[${i}].expireAfterDays`, `got ${r.expireAfterDays}, not after the ${last.tier} transition at ${last.afterDays} days`, `expire after ${last.afterDays + 1} days or more, or drop the transition`);
    }
  });
  const seen = new Set<string>();
  spec.access.forEach((a, i) => {
    const id = `${a.clusterRef.name}/${a.namespace}/${a.serviceAccount}`;
    if (seen.has(id)) throw SpecError.field(`spec.access[${i}]`, `got ${id} twice`, "list each service account once, with the role it needs");
    seen.add(id);
  });
  return spec;
}

/** The access-log target: here, same provider and region (both clouds deliver logs only within a region), and willing. */
function checkLogTarget({ spec, xr, required }: RenderContext<ObjectStoreSpec>): void {
  if (!spec.accessLogs) return;
  const name = spec.accessLogs.objectStoreRef.name;
  const field = "spec.accessLogs.objectStoreRef.name";
  if (name === xr.name) throw SpecError.field(field, `got ${JSON.stringify(name)}, this ObjectStore itself`, "log to another ObjectStore (a store logging into itself would log its own log writes, without end)");
  const t = required[LOG_TARGET]?.[0];
  if (!t) throw SpecError.field(field, `ObjectStore ${JSON.stringify(name)} does not exist in namespace ${xr.namespace}`, "create it first (with acceptsAccessLogs: true), or fix the name");
  const s = (t.spec ?? {}) as Obj;
  if (s["provider"] !== spec.provider) throw SpecError.field(field, `ObjectStore ${JSON.stringify(name)} is on ${String(s["provider"])}, this one on ${spec.provider}`, `log to an ObjectStore on ${spec.provider}`);
  if (s["region"] !== spec.region) throw SpecError.field(field, `ObjectStore ${JSON.stringify(name)} is in ${String(s["region"])}, this one in ${spec.region}`, `S3 and Azure Monitor deliver access logs only within a region; log to an ObjectStore in ${spec.region}`);
  if (s["acceptsAccessLogs"] !== true) throw SpecError.field(field, `ObjectStore ${JSON.stringify(name)} does not accept access logs`, `set spec.acceptsAccessLogs: true on ${name} (its own policy then admits log delivery), then retry`);
}

export const objectStore: KindModule<ObjectStoreSpec> = {
  api: APIS[3],
  parse: (raw) => parseSpec(ObjectStoreSpec, raw, checkSpec),
  requirements: (spec, xr) => {
    const out: Record<string, Selector> = { ...clusterRequirements(spec, xr), ...cdnRequirements(spec, xr) };
    if (spec.accessLogs) out[LOG_TARGET] = { apiVersion: API_VERSION, kind: "ObjectStore", name: spec.accessLogs.objectStoreRef.name, namespace: xr.namespace };
    return out;
  },
  // The Azure account's firewall is one the provider must pass itself (shared/platform.ts).
  platform: (spec) => spec.provider === "azure",
  validate: (ctx) => {
    checkLogTarget(ctx);
    checkClusters(ctx);
  },
  // The connection Secret's name is the user's to choose; fn.ts makes sure it is this XR's own.
  secrets: (spec, xr) => [{ field: "spec.connectionSecretName", name: connectionSecretName({ spec, xr, observed: {}, required: {} }) }],
  renderers: { aws: renderAws, azure: renderAzure },
  // The managed resource kinds (MRD names) these renderers compose: the Configuration activates
  // exactly these, and a test fails if a renderer composes a kind missing here.
  composes: [
    "buckets.s3.aws.m.upbound.io",
    "bucketownershipcontrols.s3.aws.m.upbound.io",
    "bucketpublicaccessblocks.s3.aws.m.upbound.io",
    "bucketversionings.s3.aws.m.upbound.io",
    "bucketserversideencryptionconfigurations.s3.aws.m.upbound.io",
    "bucketpolicies.s3.aws.m.upbound.io",
    "bucketlifecycleconfigurations.s3.aws.m.upbound.io",
    "bucketcorsconfigurations.s3.aws.m.upbound.io",
    "bucketloggings.s3.aws.m.upbound.io",
    "bucketreplicationconfigurations.s3.aws.m.upbound.io",
    "roles.iam.aws.m.upbound.io",
    "rolepolicies.iam.aws.m.upbound.io",
    "podidentityassociations.eks.aws.m.upbound.io",
    "resourcegroups.azure.m.upbound.io",
    "accounts.storage.azure.m.upbound.io",
    "containers.storage.azure.m.upbound.io",
    "managementpolicies.storage.azure.m.upbound.io",
    "objectreplications.storage.azure.m.upbound.io",
    "monitordiagnosticsettings.insights.azure.m.upbound.io",
    "userassignedidentities.managedidentity.azure.m.upbound.io",
    "federatedidentitycredentials.managedidentity.azure.m.upbound.io",
    "roleassignments.authorization.azure.m.upbound.io",
  ],
  // Kinds holding data: the buckets; the accounts, their containers, and the resource group whose
  // deletion deletes the accounts in it. Never dropped unless the spec deliberately releases them.
  stateful: ["s3.aws.m.upbound.io/Bucket", "storage.azure.m.upbound.io/Account", "storage.azure.m.upbound.io/Container", "azure.m.upbound.io/ResourceGroup"],
};
