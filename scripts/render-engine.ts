/**
 * An in-process stand-in for `crossplane composition render`: runs an XR's Composition pipeline
 * against function-tessera with no cluster, then does what Crossplane's XR reconciler does with the
 * response (requirements loop, names, labels, owner references, readiness, status conditions).
 * The tests use it too, so what `npm run render` prints is what the tests check.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { Ready, Severity, Status, type Resources, type RunFunctionRequest, type RunFunctionResponse } from "@crossplane-org/function-sdk-typescript";
import { APIS } from "../apis/index.ts";
import { runFunction } from "../functions/fn.ts";
import type { K8sObject } from "../functions/shared/types.ts";
import { FUNCTION_NAME, ROOT } from "./generate.ts";

export const RESOURCE_NAME = "crossplane.io/composition-resource-name";
const FIXED_TIME = "2024-01-01T00:00:00Z";
const MAX_REQUIREMENT_ITERATIONS = 5;

export type Runner = (req: RunFunctionRequest) => Promise<RunFunctionResponse> | RunFunctionResponse;

export interface RenderInput {
  xr: K8sObject;
  observed?: K8sObject[];
  /** Resources served to the function's requirements (what a cluster would hold). */
  required?: K8sObject[];
  /** Connection details per observed key, as providers publish them. */
  connectionDetails?: Record<string, Record<string, string>>;
  runner?: Runner;
}

export interface RenderOutput {
  xr: K8sObject;
  resources: K8sObject[];
  results: Array<{ severity: string; message: string }>;
  fatal?: string;
  response: RunFunctionResponse;
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

/** Deterministic UID, as `crossplane internal render` derives one for an XR without it. */
function uidFor(xr: K8sObject): string {
  const h = sha(`${xr.apiVersion}/${xr.kind}/${xr.metadata?.namespace}/${xr.metadata?.name}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function loadObjects(path: string): K8sObject[] {
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(path, f))
    : [path];
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(f, "utf8"))
      .map((d) => d.toJS() as K8sObject | null)
      .filter((o): o is K8sObject => !!o && typeof o === "object" && !!o.apiVersion),
  );
}

function matches(sel: { apiVersion: string; kind: string; matchName?: string | undefined; matchLabels?: { labels: Record<string, string> } | undefined; namespace?: string | undefined }, o: K8sObject): boolean {
  const picked = sel.matchLabels
    ? Object.entries(sel.matchLabels.labels).every(([k, v]) => o.metadata?.labels?.[k] === v)
    : o.metadata?.name === sel.matchName;
  return o.apiVersion === sel.apiVersion && o.kind === sel.kind && picked && (!sel.namespace || o.metadata?.namespace === sel.namespace);
}

function pipelineFor(xr: K8sObject): string[] {
  const api = APIS.find((a) => `platform.tessera.io/v1alpha1` === xr.apiVersion && a.kind === xr.kind);
  if (!api) throw new Error(`no Composition for ${xr.apiVersion} ${xr.kind}: Tessera serves ${APIS.map((a) => a.kind).join(", ")}`);
  const comp = loadObjects(join(ROOT, "compositions", `${api.folder}.yaml`))[0] as unknown as { spec: { pipeline: Array<{ functionRef: { name: string } }> } };
  return comp.spec.pipeline.map((s) => s.functionRef.name);
}

export async function render(input: RenderInput): Promise<RenderOutput> {
  const runner = input.runner ?? runFunction;
  const xr = structuredClone(input.xr);
  const name = xr.metadata?.name ?? "";
  const namespace = xr.metadata?.namespace ?? "default";
  xr.metadata = { ...xr.metadata, name, namespace };
  const uid = (xr.metadata["uid"] as string | undefined) ?? uidFor(xr);
  // Crossplane sends the XR with its uid; so does this renderer (renderers may tell XRs apart by it).
  xr.metadata["uid"] = uid;
  for (const fn of pipelineFor(xr)) {
    if (fn !== FUNCTION_NAME) throw new Error(`this renderer runs only ${FUNCTION_NAME}, but the Composition calls ${fn}`);
  }

  const observed: NonNullable<RunFunctionRequest["observed"]>["resources"] = {};
  for (const o of input.observed ?? []) {
    const key = o.metadata?.annotations?.[RESOURCE_NAME];
    if (!key) throw new Error(`observed ${o.kind} ${o.metadata?.name ?? ""} has no ${RESOURCE_NAME} annotation`);
    const details = input.connectionDetails?.[key] ?? {};
    observed[key] = {
      resource: o,
      connectionDetails: Object.fromEntries(Object.entries(details).map(([k, v]) => [k, Buffer.from(v)])),
      ready: Ready.READY_UNSPECIFIED,
    };
  }

  const base: Omit<RunFunctionRequest, "meta"> = {
    observed: { composite: { resource: xr, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED }, resources: observed },
    desired: { composite: undefined, resources: {} },
    extraResources: {},
    credentials: {},
    requiredResources: {},
    requiredSchemas: {},
  };
  let rsp: RunFunctionResponse | undefined;
  let last = "";
  for (let i = 0; i < MAX_REQUIREMENT_ITERATIONS; i++) {
    const req: RunFunctionRequest = { ...base, meta: { tag: sha(JSON.stringify(base)), capabilities: [] } };
    rsp = await runner(req);
    const wanted = rsp.requirements?.resources ?? {};
    const key = JSON.stringify(wanted);
    if (key === last || Object.keys(wanted).length === 0 || rsp.results.some((r) => r.severity === Severity.SEVERITY_FATAL)) break;
    last = key;
    base.requiredResources = Object.fromEntries(
      Object.entries(wanted).map(([name, sel]): [string, Resources] => [
        name,
        { items: (input.required ?? []).filter((o) => matches(sel, o)).map((o) => ({ resource: o, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED })) },
      ]),
    );
  }
  if (!rsp) throw new Error("the pipeline returned no response");

  const results = rsp.results.map((r) => ({ severity: Severity[r.severity] ?? String(r.severity), message: r.message }));
  const fatal = rsp.results.find((r) => r.severity === Severity.SEVERITY_FATAL)?.message;
  const outXr: K8sObject = { apiVersion: xr.apiVersion, kind: xr.kind, metadata: { name, namespace } };
  if (fatal) {
    outXr.status = { conditions: [{ type: "Synced", status: "False", reason: "ReconcileError", message: `cannot compose resources: pipeline step "compose" returned a fatal result: ${fatal}`, lastTransitionTime: FIXED_TIME }] };
    return { xr: outXr, resources: [], results, fatal, response: rsp };
  }

  const resources: K8sObject[] = [];
  const unready: string[] = [];
  for (const [key, d] of Object.entries(rsp.desired?.resources ?? {})) {
    // Through JSON, as through the protocol: undefined values vanish, as Crossplane would see them.
    const o = JSON.parse(JSON.stringify(d.resource)) as K8sObject;
    const seen = observed[key]?.resource as K8sObject | undefined;
    const childName = seen?.metadata?.name ?? o.metadata?.name ?? `${name}-${sha(uid + key).slice(0, 12)}`.slice(0, 63);
    o.metadata = {
      ...o.metadata,
      name: childName,
      namespace,
      generateName: `${name}-`,
      labels: { ...o.metadata?.labels, "crossplane.io/composite": name },
      annotations: { ...o.metadata?.annotations, [RESOURCE_NAME]: key },
      ownerReferences: [{ apiVersion: xr.apiVersion, kind: xr.kind, name, uid, controller: true, blockOwnerDeletion: true }],
    };
    resources.push(o);
    if (d.ready !== Ready.READY_TRUE) unready.push(key);
  }
  resources.sort((a, b) => (a.metadata?.annotations?.[RESOURCE_NAME] ?? "").localeCompare(b.metadata?.annotations?.[RESOURCE_NAME] ?? ""));

  const composite = rsp.desired?.composite;
  const ready = composite?.ready === Ready.READY_TRUE || (composite?.ready !== Ready.READY_FALSE && unready.length === 0);
  const statusName = (s: Status) => (s === Status.STATUS_CONDITION_TRUE ? "True" : s === Status.STATUS_CONDITION_FALSE ? "False" : "Unknown");
  outXr.status = {
    ...((composite?.resource as K8sObject | undefined)?.status ?? {}),
    conditions: [
      ...rsp.conditions.map((c) => ({ type: c.type, status: statusName(c.status), reason: c.reason, ...(c.message ? { message: c.message } : {}), lastTransitionTime: FIXED_TIME })),
      { type: "Synced", status: "True", reason: "ReconcileSuccess", lastTransitionTime: FIXED_TIME },
      ready
        ? { type: "Ready", status: "True", reason: "Available", lastTransitionTime: FIXED_TIME }
        : { type: "Ready", status: "False", reason: "Creating", message: `Unready resources: ${unready.sort().join(", ")}`, lastTransitionTime: FIXED_TIME },
    ],
  };
  return { xr: outXr, resources, results, response: rsp };
}

export function toYamlStream(out: RenderOutput): string {
  return [out.xr, ...out.resources].map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join("");
}
