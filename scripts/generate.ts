/**
 * Generates each kind's XRD (apis/<kind>/definition.yaml) and Composition (compositions/<kind>.yaml)
 * from apis/index.ts. `npm run generate` writes them; `--check` (run by the tests) fails when a
 * committed file differs from what the schemas produce.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { toYaml } from "./yaml.ts";
import { openApi } from "../apis/shared/openapi.ts";
import { KINDS } from "../functions/fn.ts";
import { APIS, type ApiDefinition } from "../apis/index.ts";
import { GROUP, VERSION } from "../apis/shared/common.ts";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const FUNCTION_NAME = "function-tessera";
const HEADER = (src: string) => `# GENERATED from ${src} by \`npm run generate\`; do not edit.\n`;

export function xrd(api: ApiDefinition): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.crossplane.io/v2",
    kind: "CompositeResourceDefinition",
    metadata: { name: `${api.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: { kind: api.kind, plural: api.plural, categories: ["tessera"] },
      scope: "Namespaced",
      defaultCompositionRef: { name: api.plural },
      versions: [
        {
          name: VERSION,
          served: true,
          referenceable: true,
          additionalPrinterColumns: [
            { name: "PROVIDER", type: "string", jsonPath: ".spec.provider" },
            { name: "REGION", type: "string", jsonPath: ".spec.region" },
            ...api.columns,
            { name: "MESSAGE", type: "string", jsonPath: ".status.message" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: api.description,
              properties: { spec: openApi(api.spec), status: openApi(api.status) },
              required: ["spec"],
            },
          },
        },
      ],
    },
  };
}

export function composition(api: ApiDefinition): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.crossplane.io/v1",
    kind: "Composition",
    metadata: { name: api.plural, labels: { "platform.tessera.io/kind": api.folder } },
    spec: {
      compositeTypeRef: { apiVersion: `${GROUP}/${VERSION}`, kind: api.kind },
      mode: "Pipeline",
      // One step: the function picks the cloud from spec.provider and sets readiness itself, so
      // function-auto-ready is not needed (and would mark staged resources ready too early).
      pipeline: [{ step: "compose", functionRef: { name: FUNCTION_NAME } }],
    },
  };
}

/** Activates only the managed resource kinds Tessera composes, not a whole provider family's. */
export function activationPolicy(): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.crossplane.io/v1alpha1",
    kind: "ManagedResourceActivationPolicy",
    metadata: { name: "configuration-tessera" },
    spec: { activate: [...new Set(Object.values(KINDS).flatMap((k) => k.composes))].sort() },
  };
}

export function generated(): Map<string, string> {
  const files = new Map<string, string>();
  files.set("apis/activation-policy.yaml", HEADER("functions/<kind>/index.ts (composes)") + toYaml(activationPolicy()));
  for (const api of APIS) {
    files.set(`apis/${api.folder}/definition.yaml`, HEADER(`apis/${api.folder}/schema.ts`) + toYaml(xrd(api)));
    files.set(`compositions/${api.folder}.yaml`, HEADER("scripts/generate.ts") + toYaml(composition(api)));
  }
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && /^(-h|--help)$/.test(process.argv[2] ?? "")) {
  console.log(`Usage: npm run generate [-- --check]

Writes what the zod schemas generate: apis/<kind>/definition.yaml (XRDs), compositions/*.yaml and
apis/activation-policy.yaml. Commit them; test/generated.test.ts fails when they are stale.

Flags:
  --check     Write nothing; exit 1 naming the files that are stale.
  -h, --help  Show this help.`);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes("--check");
  const stale: string[] = [];
  for (const [path, text] of generated()) {
    const file = join(ROOT, path);
    let current: string | undefined;
    try { current = readFileSync(file, "utf8"); } catch { current = undefined; }
    if (current === text) continue;
    if (check) stale.push(path);
    else { writeFileSync(file, text); console.log(`wrote ${path}`); }
  }
  if (stale.length) {
    console.error(`stale generated files (run npm run generate): ${stale.join(", ")}`);
    process.exit(1);
  }
}
