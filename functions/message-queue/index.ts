import { APIS } from "../../apis/index.ts";
import { MessageQueueSpec } from "../../apis/message-queue/schema.ts";
import { API_VERSION } from "../../apis/shared/common.ts";
import { SpecError } from "../shared/errors.ts";
import { checkNetwork } from "../shared/network-ref.ts";
import { parseSpec } from "../shared/parse.ts";
import type { KindModule, RenderContext, Selector } from "../shared/types.ts";
import { checkClusters } from "./access.ts";
import { connectionSecretName } from "./connection.ts";
import { renderAws } from "./aws.ts";
import { renderAzure } from "./azure.ts";
import { clusterRequirement, NETWORK, SINGLE } from "./names.ts";

function checkSpec(spec: MessageQueueSpec): void {
  const seen = new Map<string, number>();
  spec.access.forEach((a, i) => {
    const id = `${a.clusterRef.name}/${a.namespace}/${a.serviceAccount}`;
    const first = seen.get(id);
    if (first !== undefined) {
      throw SpecError.field(`spec.access[${i}]`, `repeats spec.access[${first}] (cluster ${a.clusterRef.name}, service account ${a.namespace}/${a.serviceAccount})`, "give one entry per cluster, namespace and service account; use role: both for send and receive");
    }
    seen.set(id, i);
  });
}

function validate(ctx: RenderContext<MessageQueueSpec>): void {
  const { spec, xr, required, observed } = ctx;
  if (spec.networkRef) {
    const name = spec.networkRef.name;
    checkNetwork("spec.networkRef.name", required[NETWORK], name, xr.namespace, spec.provider, spec.region, "namespace");
    // A VNet links only one zone of a name (MicrosoftDocs/azure-docs#122956: "creating multiple zones
    // with the same name for a single virtual network is not supported"), so the zone cannot belong
    // to one MessageQueue: two of them on one Network would collide. Every Azure Network composes it
    // (key private-dns-zone-servicebus, functions/network/azure.ts); the endpoint selects it by label.
    const net = required[NETWORK]?.[0]?.spec as { subnets?: { private?: unknown[] } } | undefined;
    if (!net?.subnets?.private?.length) {
      throw SpecError.field("spec.networkRef.name", `Network ${JSON.stringify(name)} has no private (application) subnets`, "add spec.subnets.private to that Network");
    }
  }
  checkClusters(ctx);
}

export const messageQueue: KindModule<MessageQueueSpec> = {
  api: APIS[3],
  parse: (raw) => parseSpec(MessageQueueSpec, raw, checkSpec),
  requirements: (spec, xr) => {
    const out: Record<string, Selector> = {};
    if (spec.networkRef) out[NETWORK] = { apiVersion: API_VERSION, kind: "Network", name: spec.networkRef.name, namespace: xr.namespace };
    for (const a of spec.access) out[clusterRequirement(a.clusterRef.name)] = { apiVersion: API_VERSION, kind: "K8sCluster", name: a.clusterRef.name, namespace: xr.namespace };
    return out;
  },
  validate,
  // The connection Secret's name is the user's to choose; fn.ts makes sure it is this XR's own.
  secrets: (spec, xr) => [{ field: "spec.connectionSecretName", name: connectionSecretName({ spec, xr, observed: {}, required: {} }) }],
  renderers: { aws: renderAws, azure: renderAzure },
  // The managed resource kinds (MRD names) these renderers compose: the Configuration activates
  // exactly these, and a test fails if a renderer composes a kind missing here.
  composes: [
    "queues.sqs.aws.m.upbound.io",
    "queuepolicies.sqs.aws.m.upbound.io",
    "metricalarms.cloudwatch.aws.m.upbound.io",
    "roles.iam.aws.m.upbound.io",
    "rolepolicies.iam.aws.m.upbound.io",
    "podidentityassociations.eks.aws.m.upbound.io",
    "resourcegroups.azure.m.upbound.io",
    "servicebusnamespaces.servicebus.azure.m.upbound.io",
    "queues.servicebus.azure.m.upbound.io",
    "monitormetricalerts.insights.azure.m.upbound.io",
    "userassignedidentities.managedidentity.azure.m.upbound.io",
    "federatedidentitycredentials.managedidentity.azure.m.upbound.io",
    "roleassignments.authorization.azure.m.upbound.io",
    "privateendpoints.network.azure.m.upbound.io",
  ],
  // Queues hold messages; the namespace and its resource group hold the queues.
  stateful: ["sqs.aws.m.upbound.io/Queue", "servicebus.azure.m.upbound.io/Queue", "servicebus.azure.m.upbound.io/ServiceBusNamespace", "azure.m.upbound.io/ResourceGroup"],
};
