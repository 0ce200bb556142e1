import { APIS } from "../../apis/index.ts";
import { PostgresDatabaseSpec } from "../../apis/postgres-database/schema.ts";
import { API_VERSION, REGIONS } from "../../apis/shared/common.ts";
import { SpecError } from "../shared/errors.ts";
import { checkNetwork } from "../shared/network-ref.ts";
import { parseSpec } from "../shared/parse.ts";
import type { K8sObject, KindModule, RenderContext, Selector } from "../shared/types.ts";
import { connectionSecretName } from "./connection.ts";
import { renderAws } from "./aws.ts";
import { renderAzure } from "./azure.ts";
import { NETWORK, PASSWORD, passwordSecretName, replicaNetwork } from "./names.ts";
import { backupWindow, maintenanceWindow } from "./aws.ts";
import { resolveParameters } from "./parameters.ts";
import { INSTANCE_TYPE } from "./tables.ts";


/**
 * The rules CEL cannot express (or cannot express fully), checked once per spec at parse. The CEL
 * rules in schema.ts are evaluated before this, so the prefix checks there hold here.
 */
function checkSpec(spec: PostgresDatabaseSpec): PostgresDatabaseSpec {
  const t = INSTANCE_TYPE[spec.provider];
  if (spec.instanceType && !t.pattern.test(spec.instanceType)) {
    throw SpecError.field("spec.instanceType", `got ${JSON.stringify(spec.instanceType)}, which is not a ${spec.provider} instance class`, `use one like ${t.example}, or remove it and pick spec.size`);
  }
  const burstable = spec.instanceType ? t.burstable.test(spec.instanceType) : spec.size === "small";
  const what = spec.instanceType ? `burstable instanceType ${spec.instanceType}` : "size small, which is burstable on Azure (B_Standard_B2s)";
  if (spec.provider === "azure" && spec.highAvailability && burstable) {
    throw SpecError.field("spec.highAvailability", `got true with ${what}; Azure offers no HA on burstable servers`, "use size medium or larger, or a GP_/MO_ SKU");
  }
  // Azure offers no read replicas of Burstable servers.
  // https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-read-replicas
  if (spec.provider === "azure" && spec.readReplicas.length > 0 && burstable) {
    throw SpecError.field("spec.readReplicas", `got ${spec.readReplicas.length} replica(s) with ${what}; Azure does not offer read replicas of burstable servers`, "use size medium or larger, or a GP_/MO_ SKU");
  }
  checkKeys(spec);
  resolveParameters(spec);
  spec.readReplicas.forEach((r, i) => {
    if (r.region && !(REGIONS[spec.provider] as readonly string[]).includes(r.region)) {
      throw SpecError.field(`spec.readReplicas[${i}].region`, `got ${JSON.stringify(r.region)}, not a region of ${spec.provider}`, "use a region such as us-west-2 (AWS) or westus (Azure)");
    }
  });
  const copy = spec.backup.crossRegionCopy;
  if (copy && !(REGIONS.aws as readonly string[]).includes(copy.region)) {
    throw SpecError.field("spec.backup.crossRegionCopy.region", `got ${JSON.stringify(copy.region)}, not an AWS region`, "use a region such as us-west-2");
  }
  if (spec.provider === "aws") {
    backupWindow(spec);
    maintenanceWindow(spec);
  }
  return spec;
}

/** KMS key ARN: arn:aws:kms:<region>:<12-digit account>:key/<id> or alias/<name>. */
const KMS_ARN = /^arn:aws:kms:([a-z0-9-]+):\d{12}:(key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)$/;
/** Key Vault (or Managed HSM) key id, versioned or not. */
const KEY_VAULT_KEY = /^https:\/\/[A-Za-z0-9-]{3,24}\.(vault\.azure\.net|managedhsm\.azure\.net)\/keys\/[A-Za-z0-9-]{1,127}(\/[A-Za-z0-9]{32})?\/?$/;

function checkKmsArn(field: string, value: string | undefined, region: string): void {
  if (value === undefined) return;
  const m = KMS_ARN.exec(value);
  if (!m) throw SpecError.field(field, `got ${JSON.stringify(value)}, not a KMS key ARN`, `use arn:aws:kms:${region}:<account>:key/<key id> (or alias/<name>)`);
  if (m[1] !== region) throw SpecError.field(field, `got a key in ${m[1]}, but it is used in ${region}; RDS cannot use a KMS key from another region`, `use a key in ${region}`);
}

function checkKeys(spec: PostgresDatabaseSpec): void {
  if (spec.provider === "aws") {
    checkKmsArn("spec.encryption.keyId", spec.encryption.keyId, spec.region);
    spec.readReplicas.forEach((r, i) => checkKmsArn(`spec.readReplicas[${i}].keyId`, r.keyId, r.region ?? spec.region));
    const copy = spec.backup.crossRegionCopy;
    if (copy) checkKmsArn("spec.backup.crossRegionCopy.keyId", copy.keyId, copy.region);
  } else if (spec.encryption.keyId !== undefined && !KEY_VAULT_KEY.test(spec.encryption.keyId)) {
    throw SpecError.field("spec.encryption.keyId", `got ${JSON.stringify(spec.encryption.keyId)}, not a Key Vault key id`, "use https://<vault>.vault.azure.net/keys/<name> (optionally /<version>)");
  }
}

function validate({ spec, xr, required }: RenderContext<PostgresDatabaseSpec>): void {
  checkNetwork("spec.networkRef.name", required[NETWORK], spec.networkRef.name, xr.namespace, spec.provider, spec.region);
  spec.readReplicas.forEach((r, i) => {
    if (r.networkRef) {
      checkNetwork(`spec.readReplicas[${i}].networkRef.name`, required[replicaNetwork(r.name)], r.networkRef.name, xr.namespace, spec.provider, r.region ?? spec.region);
      if (spec.provider === "azure" && r.networkRef.name !== spec.networkRef.name) checkPeered(i, spec.networkRef.name, r.networkRef.name, required[NETWORK]?.[0], required[replicaNetwork(r.name)]?.[0]);
    }
  });
}

/**
 * An Azure replica in another Network replicates from the primary over VNet peering, and resolves it
 * through the peer's private DNS zone, which the Network links only for peers. Both Networks must name
 * each other in spec.peerings (a one-sided peering stays Initiated and carries nothing).
 */
function checkPeered(i: number, primary: string, replica: string, primaryNet: K8sObject | undefined, replicaNet: K8sObject | undefined): void {
  const peers = (n: K8sObject | undefined) => ((n?.spec as { peerings?: Array<{ networkRef?: { name?: string } }> } | undefined)?.peerings ?? []).map((p) => p.networkRef?.name);
  const missing = [
    ...(peers(primaryNet).includes(replica) ? [] : [`Network ${primary} does not name ${replica}`]),
    ...(peers(replicaNet).includes(primary) ? [] : [`Network ${replica} does not name ${primary}`]),
  ];
  if (missing.length === 0) return;
  throw SpecError.field(
    `spec.readReplicas[${i}].networkRef.name`,
    `got ${JSON.stringify(replica)}, which is not peered with the primary's Network (${missing.join("; ")} in spec.peerings); the replica could neither reach nor resolve its primary`,
    `add peerings: [{ networkRef: { name: ${replica} } }] to Network ${primary} and peerings: [{ networkRef: { name: ${primary} } }] to Network ${replica}`,
  );
}

export const postgresDatabase: KindModule<PostgresDatabaseSpec> = {
  api: APIS[1],
  parse: (raw) => parseSpec(PostgresDatabaseSpec, raw, checkSpec),
  requirements: (spec, xr) => {
    const net = (name: string): Selector => ({ apiVersion: API_VERSION, kind: "Network", name, namespace: xr.namespace });
    return {
      [NETWORK]: net(spec.networkRef.name),
      [PASSWORD]: { apiVersion: "v1", kind: "Secret", name: passwordSecretName(xr.name), namespace: xr.namespace },
      ...Object.fromEntries(spec.readReplicas.filter((r) => r.networkRef).map((r) => [replicaNetwork(r.name), net(r.networkRef!.name)])),
    };
  },
  // The connection Secret's name is the user's to choose; fn.ts makes sure it is this XR's own.
  secrets: (spec, xr) => [{ field: "spec.connectionSecretName", name: connectionSecretName({ spec, xr, observed: {}, required: {} }) }],
  validate,
  renderers: { aws: renderAws, azure: renderAzure },
  // The managed resource kinds (MRD names) these renderers compose: the Configuration activates
  // exactly these, and a test fails if a renderer composes a kind missing here.
  composes: [
    "instances.rds.aws.m.upbound.io",
    "parametergroups.rds.aws.m.upbound.io",
    "subnetgroups.rds.aws.m.upbound.io",
    "roles.iam.aws.m.upbound.io",
    "rolepolicyattachments.iam.aws.m.upbound.io",
    "dbinstanceautomatedbackupsreplications.rds.aws.m.upbound.io",
    "groups.cloudwatchlogs.aws.m.upbound.io",
    "flexibleservers.dbforpostgresql.azure.m.upbound.io",
    "flexibleserverconfigurations.dbforpostgresql.azure.m.upbound.io",
    "flexibleserverdatabases.dbforpostgresql.azure.m.upbound.io",
    "monitordiagnosticsettings.insights.azure.m.upbound.io",
  ],
  // Also composed, and not managed resources (so not activated, and not listed above): one Crossplane
  // Usage (protection.crossplane.io) per Network the server and its replicas stand on, and the v1
  // connection Secret.
  // Kinds holding data: never dropped from desired state unless the spec deliberately releases them.
  stateful: ["rds.aws.m.upbound.io/Instance", "dbforpostgresql.azure.m.upbound.io/FlexibleServer", "dbforpostgresql.azure.m.upbound.io/FlexibleServerDatabase"],
};
