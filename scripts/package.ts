/**
 * npm run package -- [--base-image REF | --base-layout DIR] [--arch amd64,arm64] [--plain-http] [--output DIR]
 *
 * Writes DIR/configuration-tessera.xpkg and DIR/function-tessera-<arch>.xpkg (DIR: _output): OCI
 * image tarballs as `crossplane xpkg build` writes them, built without Docker. The Function package
 * embeds its runtime: the base image's layers (a registry image, or an OCI layout directory) plus the
 * production bundle. `crossplane xpkg push -f` or `npm run publish` pushes them.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bundle } from "./build.ts";
import { ROOT } from "./generate.ts";
import { ARCHITECTURES, baseImage, CONFIGURATION, configurationImage, DEFAULT_BASE_IMAGE, FUNCTION, functionImage, LintError } from "./package/build.ts";
import { imageTarball, sha256 } from "./package/oci.ts";

export const OUTPUT = join(ROOT, "_output");

export function architectures(list: string): string[] {
  const archs = list.split(",").map((a) => a.trim()).filter(Boolean);
  for (const a of archs) {
    if (!(ARCHITECTURES as readonly string[]).includes(a)) throw new LintError("--arch", [`${JSON.stringify(a)} is not supported; use ${ARCHITECTURES.join(" or ")}`]);
  }
  return archs;
}

export const PACKAGE_HELP = `Usage: npm run package -- [flags]

Builds the Configuration and Function packages without Docker, as \`crossplane xpkg build\` would.

Flags:
  --base-image REF    Node.js base image of the Function's runtime, from a registry
                      (default ${DEFAULT_BASE_IMAGE}).
  --base-layout DIR   The base image from an OCI image layout directory instead (offline builds;
                      e.g. skopeo copy docker://${DEFAULT_BASE_IMAGE} oci:DIR).
  --arch LIST         Architectures, comma-separated: amd64, arm64 (default amd64).
  --plain-http        Reach the base image's registry over HTTP (a local registry).
  --output DIR        Where the .xpkg files go (default _output).
  -h, --help          Show this help.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      "base-image": { type: "string" },
      "base-layout": { type: "string" },
      arch: { type: "string", default: "amd64" },
      "plain-http": { type: "boolean" },
      output: { type: "string", default: OUTPUT },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(PACKAGE_HELP);
    return 0;
  }
  if (values["base-image"] && values["base-layout"]) throw new LintError("flags", ["give --base-image or --base-layout, not both"]);
  const archs = architectures(values.arch);
  const OUT = values.output;
  mkdirSync(OUT, { recursive: true });
  // The base images first: offline, this fails in a second, before the bundle is built.
  const bases = new Map<string, Awaited<ReturnType<typeof baseImage>>>();
  for (const arch of archs) bases.set(arch, await baseImage({ image: values["base-image"] ?? (values["base-layout"] ? undefined : DEFAULT_BASE_IMAGE), layout: values["base-layout"], plainHttp: values["plain-http"] }, arch));
  const js = await bundle();

  const conf = await configurationImage();
  const confFile = join(OUT, `${CONFIGURATION}.xpkg`);
  writeFileSync(confFile, await imageTarball(conf, `${CONFIGURATION}:latest`));
  console.log(`${confFile}  config ${sha256(JSON.stringify(conf.config)).slice(0, 19)}…`);

  for (const arch of archs) {
    const img = await functionImage(bases.get(arch)!, arch, js);
    const file = join(OUT, `${FUNCTION}-${arch}.xpkg`);
    writeFileSync(file, await imageTarball(img, `${FUNCTION}:latest`));
    const cache = img.config.history?.find((h) => h.created_by?.startsWith("tessera: function bundle"))?.created_by?.replace(/^.*code cache, /, "");
    console.log(`${file}  linux/${arch}, ${img.layers.length} layers; code cache ${cache}`);
  }
  return 0;
}

if (process.argv[1]?.endsWith("package.ts")) main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`package: ${e instanceof Error ? e.message : String(e)}\n(npm run package -- --help lists the flags)`);
    process.exit(1);
  },
);
