/**
 * Validates composed resources against the real provider CRDs the way the API server would:
 * OpenAPI schema with unknown fields as errors (the server would prune them silently, which loses
 * settings), schema defaults applied, then the CRDs' x-kubernetes-validations CEL rules evaluated on
 * the defaulted object. CRDs are read from ../shared/provider-crds, or TESSERA_PROVIDER_CRDS.
 */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";
import type { SchemaNode } from "../../functions/shared/cel.ts";
import { checkRules } from "./cel.ts";
import type { K8sObject } from "../../functions/shared/types.ts";
import { ROOT } from "../../scripts/generate.ts";

export const CRD_ROOT = process.env["TESSERA_PROVIDER_CRDS"] ?? join(ROOT, "..", "shared", "provider-crds");

interface CrdVersion {
  /** The CRD's metadata.name, which is also its MRD's name: `<plural>.<group>`. */
  name: string;
  scope: string;
  schema: SchemaNode;
  file: string;
}

let index: Map<string, CrdVersion> | undefined;

function crdIndex(): Map<string, CrdVersion> {
  if (index) return index;
  if (!existsSync(CRD_ROOT)) throw new Error(`provider CRDs not found at ${CRD_ROOT}; set TESSERA_PROVIDER_CRDS`);
  index = new Map();
  for (const dir of ["aws", "azure", "crossplane", "crossplane-contrib"]) {
    for (const f of readdirSync(join(CRD_ROOT, dir)).filter((x) => x.endsWith(".yaml"))) {
      const file = join(CRD_ROOT, dir, f);
      const crd = parse(readFileSync(file, "utf8")) as { kind?: string; metadata?: { name: string }; spec?: { group: string; scope: string; names: { kind: string }; versions: Array<{ name: string; schema: { openAPIV3Schema: SchemaNode } }> } };
      if (crd?.kind !== "CustomResourceDefinition" || !crd.spec) continue;
      for (const v of crd.spec.versions) {
        index.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, { name: crd.metadata?.name ?? "", scope: crd.spec.scope, schema: v.schema.openAPIV3Schema, file: f });
      }
    }
  }
  return index;
}

/** Structural schema → JSON Schema for ajv: closed objects, int-or-string, no Kubernetes extensions. */
function toJsonSchema(node: SchemaNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith("x-kubernetes-") || k === "format") continue;
    if (k === "properties") out[k] = Object.fromEntries(Object.entries(v as Record<string, SchemaNode>).map(([p, s]) => [p, toJsonSchema(s)]));
    else if (k === "items" || (k === "additionalProperties" && typeof v === "object")) out[k] = toJsonSchema(v as SchemaNode);
    else out[k] = v;
  }
  if (node["x-kubernetes-int-or-string"]) {
    delete out["type"];
    out["anyOf"] = [{ type: "integer" }, { type: "string" }];
  }
  const preserve = node["x-kubernetes-preserve-unknown-fields"] === true;
  if (node.type === "object" && node.properties && node.additionalProperties === undefined && !preserve) out["additionalProperties"] = false;
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

function validator(key: string, crd: CrdVersion): ValidateFunction {
  let v = compiled.get(key);
  if (!v) {
    v = ajv.compile(toJsonSchema(crd.schema));
    compiled.set(key, v);
  }
  return v;
}

function validateSecret(o: K8sObject): string[] {
  const errs: string[] = [];
  const allowed = new Set(["apiVersion", "kind", "metadata", "type", "data", "stringData", "immutable"]);
  for (const k of Object.keys(o)) if (!allowed.has(k)) errs.push(`unknown field ${k}`);
  for (const [k, v] of Object.entries((o["data"] ?? {}) as Record<string, unknown>)) {
    if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) errs.push(`data.${k} is not base64`);
  }
  return errs;
}

/** Returns every schema and CEL error for one composed resource; empty means the API server accepts it. */
export function validateComposed(obj: K8sObject): string[] {
  return validateObject(obj, true);
}

/** The same for any object of a CRD here, cluster-scoped ones included unless `namespacedOnly` (e.g. a ClusterProviderConfig). */
export function validateObject(obj: K8sObject, namespacedOnly = false): string[] {
  if (obj.apiVersion === "v1" && obj.kind === "Secret") return validateSecret(obj);
  const key = `${obj.apiVersion}/${obj.kind}`;
  const crd = crdIndex().get(key);
  if (!crd) return [`no CRD for ${key} in ${CRD_ROOT}`];
  const errs: string[] = [];
  if (namespacedOnly && crd.scope !== "Namespaced") errs.push(`${key} is cluster-scoped; a namespaced XR may compose only namespaced kinds`);
  if (!namespacedOnly) {
    // A standalone object (not composed, where Crossplane sets the namespace) must say where it goes.
    if (crd.scope === "Namespaced" && !obj.metadata?.namespace) errs.push(`${key} is namespaced; set metadata.namespace`);
    if (crd.scope !== "Namespaced" && obj.metadata?.namespace) errs.push(`${key} is cluster-scoped; remove metadata.namespace`);
  }
  const copy = structuredClone(obj);
  const v = validator(key, crd);
  if (!v(copy)) {
    for (const e of v.errors ?? []) {
      const extra = e.keyword === "additionalProperties" ? ` (unknown field ${(e.params as { additionalProperty: string }).additionalProperty})` : "";
      errs.push(`${e.instancePath || "/"} ${e.message}${extra}`);
    }
  }
  for (const viol of checkRules(crd.schema, copy, "")) errs.push(`${viol.path}: ${viol.message}`);
  return errs;
}

export function crdSchema(apiVersion: string, kind: string): SchemaNode | undefined {
  return crdIndex().get(`${apiVersion}/${kind}`)?.schema;
}

/** The MRD name (`<plural>.<group>`) of a managed resource, from its real CRD. */
export function mrdName(obj: K8sObject): string | undefined {
  return crdIndex().get(`${obj.apiVersion}/${obj.kind}`)?.name;
}

/** Every CRD name the provider CRDs define. */
export function crdNames(): Set<string> {
  return new Set([...crdIndex().values()].map((c) => c.name));
}
