import { APIS } from "../../apis/index.ts";
import { PostgresDatabaseSpec } from "../../apis/postgres-database/schema.ts";
import { API_VERSION, REGIONS } from "../../apis/shared/common.ts";
import { SpecError } from "../shared/errors.ts";
import { checkNetwork } from "../shared/network-ref.ts";
import { parseSpec } from "../shared/parse.ts";
import type { KindModule, RenderContext, Selector } from "../shared/types.ts";
import { connectionSecretName } from "./connection.ts";
import { renderAws } from "./aws.ts";
import { renderAzure } from "./azure.ts";
import { NETWORK, PASSWORD, passwordSecretName, replicaNetwork } from "./names.ts";
import { INSTANCE_TYPE, RESERVED_PARAMETERS } from "./tables.ts";


function checkSpec(spec: PostgresDatabaseSpec): PostgresDatabaseSpec {
  const t = INSTANCE_TYPE[spec.provider];
  if (spec.instanceType && !t.pattern.test(spec.instanceType)) {
    throw SpecError.field("spec.instanceType", `got ${JSON.stringify(spec.instanceType)}, which is not a ${spec.provider} instance class`, `use one like ${t.example}, or remove it and pick spec.size`);
  }
  if (spec.provider === "azure" && spec.highAvailability && spec.instanceType === undefined && spec.size === "small") {
    throw SpecError.field("spec.highAvailability", "got true with size small, which is burstable on Azure and has no zone-redundant HA", "use size medium or larger");
  }
  if (spec.provider === "azure" && spec.highAvailability && spec.instanceType && t.burstable.test(spec.instanceType)) {
    throw SpecError.field("spec.highAvailability", `got true with burstable instanceType ${spec.instanceType}, which Azure cannot make zone-redundant`, "use a GP_ or MO_ SKU");
  }
  for (const name of Object.keys(spec.parameters)) {
    if (RESERVED_PARAMETERS.has(name)) {
      throw SpecError.field(`spec.parameters.${name}`, "is managed by Tessera (TLS is always required)", "remove it");
    }
  }
  spec.readReplicas.forEach((r, i) => {
    if (r.region && !(REGIONS[spec.provider] as readonly string[]).includes(r.region)) {
      throw SpecError.field(`spec.readReplicas[${i}].region`, `got ${JSON.stringify(r.region)}, not a region of ${spec.provider}`, "use a region such as us-west-2 (AWS) or westus (Azure)");
    }
  });
  return spec;
}

function validate({ spec, xr, required }: RenderContext<PostgresDatabaseSpec>): void {
  checkNetwork("spec.networkRef.name", required[NETWORK], spec.networkRef.name, xr.namespace, spec.provider, spec.region);
  spec.readReplicas.forEach((r, i) => {
    if (r.networkRef) {
      checkNetwork(`spec.readReplicas[${i}].networkRef.name`, required[replicaNetwork(r.name)], r.networkRef.name, xr.namespace, spec.provider, r.region ?? spec.region);
    }
  });
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
    "flexibleservers.dbforpostgresql.azure.m.upbound.io",
    "flexibleserverconfigurations.dbforpostgresql.azure.m.upbound.io",
    "flexibleserverdatabases.dbforpostgresql.azure.m.upbound.io",
  ],
  // Kinds holding data: never dropped from desired state unless the spec deliberately releases them.
  stateful: ["rds.aws.m.upbound.io/Instance", "dbforpostgresql.azure.m.upbound.io/FlexibleServer", "dbforpostgresql.azure.m.upbound.io/FlexibleServerDatabase"],
};
