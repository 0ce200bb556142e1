/**
 * Builds Tessera's two packages as `crossplane xpkg build` would, without Docker:
 *
 * - configuration-tessera: package.yaml (the Configuration meta from crossplane.yaml, every XRD and
 *   Composition, the ManagedResourceActivationPolicy) and the examples layer;
 * - function-tessera: the layers of a Node base image, a layer with the production bundle, then
 *   package.yaml (the Function meta) and the examples layer. ENTRYPOINT runs the function and CMD is
 *   empty, so `crossplane composition render` can pass `--insecure` as the command.
 *
 * Package layers are labelled in the image config (`io.crossplane.xpkg:<digest>` = base | upbound)
 * because the tarball format loses layer annotations; publish turns them into annotations.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import type { K8sObject } from "../../functions/shared/types.ts";
import { bundle, CODE_CACHE_SUFFIX, recordCodeCache } from "../build.ts";
import { ROOT } from "../generate.ts";
import { loadObjects } from "../render-engine.ts";
import { toYaml } from "../yaml.ts";
import { lint, type PackageKind } from "./lint.ts";
import { layerOf, parseReference, readLayout, Registry, dockerCredentials, untar, XPKG_ANNOTATION, type Image, type ImageConfig, type Layer, type TarFile } from "./oci.ts";

export const CONFIGURATION = "configuration-tessera";
export const FUNCTION = "function-tessera";
/**
 * Distroless Node: no shell, no package manager, a nonroot user. Node.js 24, the active LTS (supported
 * until April 2028); Node.js 20 reached end of life on 2026-04-30.
 */
export const DEFAULT_BASE_IMAGE = "gcr.io/distroless/nodejs24-debian12:nonroot";
/** distroless' nonroot user; any image built here runs as it. */
export const RUNTIME_USER = "65532:65532";
export const ARCHITECTURES = ["amd64", "arm64"] as const;
/** Flags the runtime image always passes (see functionImage). */
export const ENTRYPOINT_FLAGS = ["--address=0.0.0.0:9443"];

export class LintError extends Error {
  constructor(readonly pkg: string, readonly problems: string[]) {
    super(`${pkg} fails package lint:\n  - ${problems.join("\n  - ")}`);
  }
}

/** package.yaml as Crossplane reads it: the meta object first, each document after `---`. */
export function packageYaml(objects: K8sObject[]): Buffer {
  return Buffer.from(`${objects.map((o) => `---\n${toYaml(o)}`).join("")}---\n`);
}

/** Every example XR, as one stream; examples/functions.yaml is render plumbing, not an example. */
export function examplesYaml(): Buffer {
  const dir = join(ROOT, "examples");
  const objects = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => loadObjects(join(dir, d.name)));
  return packageYaml(objects);
}

function checked(kind: PackageKind, name: string, objects: K8sObject[]): K8sObject[] {
  const problems = lint(kind, objects);
  if (problems.length) throw new LintError(name, problems);
  return objects;
}

export interface FunctionDependency {
  /** Fully qualified package of the function, without tag. */
  package: string;
  /** Version or constraint; publish pins the version it publishes. */
  version: string;
}

/** The Configuration's objects; with `fn`, its dependency on the function is rewritten to it. */
export function configurationObjects(fn?: FunctionDependency): K8sObject[] {
  const meta = parse(readFileSync(join(ROOT, "crossplane.yaml"), "utf8")) as K8sObject & { spec: { dependsOn?: Array<Record<string, string>> } };
  if (fn) {
    const dep = meta.spec.dependsOn?.find((d) => d["kind"] === "Function" && d["package"]?.endsWith(`/${FUNCTION}`));
    if (!dep) throw new Error(`crossplane.yaml has no dependsOn entry for ${FUNCTION}`);
    dep["package"] = fn.package;
    dep["version"] = fn.version;
  }
  const apis = readdirSync(join(ROOT, "apis"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(join(ROOT, "apis", d.name)).includes("definition.yaml"))
    .map((d) => d.name)
    .sort();
  return checked("Configuration", CONFIGURATION, [
    meta,
    ...apis.flatMap((a) => loadObjects(join(ROOT, "apis", a, "definition.yaml"))),
    ...loadObjects(join(ROOT, "compositions")),
    ...loadObjects(join(ROOT, "apis", "activation-policy.yaml")),
  ]);
}

export function functionObjects(): K8sObject[] {
  return checked("Function", FUNCTION, loadObjects(join(ROOT, "package")));
}

async function packageLayers(objects: K8sObject[]): Promise<Layer[]> {
  return [
    await layerOf([{ name: "package.yaml", data: packageYaml(objects) }], "base"),
    await layerOf([{ name: ".up/examples.yaml", data: examplesYaml() }], "upbound"),
  ];
}

/**
 * Labels for the package layers. Crossplane's push (AnnotateLayers) looks labels up by each layer's
 * digest; the diff id is labelled too, for readers that key by the uncompressed layer.
 */
function xpkgLabels(layers: Layer[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of layers) {
    if (!l.xpkg) continue;
    out[`${XPKG_ANNOTATION}:${l.digest}`] = l.xpkg;
    out[`${XPKG_ANNOTATION}:${l.diffId}`] = l.xpkg;
  }
  return out;
}

export async function configurationImage(fn?: FunctionDependency): Promise<Image> {
  const layers = await packageLayers(configurationObjects(fn));
  const config: ImageConfig = {
    config: { Labels: xpkgLabels(layers) },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
  };
  return { config, layers };
}

export interface BaseSource {
  /** A registry reference such as gcr.io/distroless/nodejs24-debian12:nonroot. */
  image?: string | undefined;
  /** An OCI image layout directory (e.g. from `skopeo copy docker://... oci:DIR`). */
  layout?: string | undefined;
  plainHttp?: boolean | undefined;
}

export async function baseImage(src: BaseSource, architecture: string): Promise<Image> {
  if (src.layout) return readLayout(src.layout, architecture);
  const ref = parseReference(src.image ?? DEFAULT_BASE_IMAGE);
  const registry = new Registry(ref.registry, ref.repository, { plainHttp: src.plainHttp, credentials: dockerCredentials(ref.registry) });
  return registry.pullImage(ref.tag ?? "latest", architecture);
}

const HOST_ARCHITECTURE: Record<string, string> = { x64: "amd64", arm64: "arm64" };

/**
 * The V8 code cache the image ships. V8 refuses a cache that another Node.js version recorded, so
 * when this machine can run the base image's own node (same architecture, an ordinary dynamically
 * linked binary), that node records it, over the same requests `npm run build` uses. Otherwise the
 * cache `npm run build` recorded goes in, which the image uses only if its Node.js is the same version
 * (the function logs `codeCache` at start either way). `recordedBy` says which, for the image history.
 */
export async function codeCacheFor(base: Image, architecture: string, node: string, bundleFile: string): Promise<{ data: Buffer | undefined; recordedBy: string }> {
  const built = `${bundleFile}${CODE_CACHE_SUFFIX}`;
  const fallback = (why: string) => ({ data: existsSync(built) ? readFileSync(built) : undefined, recordedBy: `recorded by Node.js ${process.version} at build time (${why})` });
  if (HOST_ARCHITECTURE[process.arch] !== architecture) return fallback(`this machine cannot run a linux/${architecture} node`);
  if (!node.startsWith("/")) return fallback("the base image's entrypoint does not name its node binary");
  let binary: Buffer | undefined;
  for (const layer of [...base.layers].reverse()) {
    binary = (await untar(layer.blob)).get(node.slice(1));
    if (binary) break;
  }
  if (!binary) return fallback(`the base image has no file ${node}`);
  const dir = mkdtempSync(join(tmpdir(), "tessera-node-"));
  try {
    const exe = join(dir, "node");
    writeFileSync(exe, binary, { mode: 0o755 });
    let version: string;
    try {
      version = execFileSync(exe, ["--version"], { timeout: 10_000, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    } catch {
      return fallback(`the base image's ${node} does not run here`);
    }
    const copy = join(dir, "function.js");
    writeFileSync(copy, readFileSync(bundleFile));
    writeFileSync(join(dir, "package.json"), '{ "type": "commonjs" }\n');
    await recordCodeCache(copy, exe);
    return { data: readFileSync(`${copy}${CODE_CACHE_SUFFIX}`), recordedBy: `recorded by the base image's Node.js ${version}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Function package for one architecture: the base image, the bundle, then the package layers. */
export async function functionImage(base: Image, architecture: string, bundlePath?: string): Promise<Image> {
  if (base.config.architecture && base.config.architecture !== architecture) {
    throw new Error(`the base image is ${base.config.os}/${base.config.architecture}, not linux/${architecture}; pick the ${architecture} variant`);
  }
  const file = bundlePath ?? (await bundle());
  const b = base.config.config ?? {};
  // distroless has node at /nodejs/bin/node as its entrypoint; other Node images have node on PATH.
  const node = b.Entrypoint?.length === 1 && /(^|\/)node$/.test(b.Entrypoint[0]!) ? b.Entrypoint[0]! : "node";
  const files: TarFile[] = [{ name: "function/function.js", data: readFileSync(file), mode: 0o444 }];
  const cache = await codeCacheFor(base, architecture, node, file);
  if (cache.data) files.push({ name: `function/function.js${CODE_CACHE_SUFFIX}`, data: cache.data, mode: 0o444 });
  const runtime = await layerOf(files);
  const pkg = await packageLayers(functionObjects());
  const layers = [...base.layers, runtime, ...pkg];
  const config: ImageConfig = {
    ...base.config,
    architecture,
    os: base.config.os ?? "linux",
    config: {
      ...b,
      // --address: in a container, serve every interface even with --insecure (whose default is
      // loopback): the container's network namespace is the boundary, and `crossplane composition
      // render` reaches the function through a published port.
      Entrypoint: [node, "/function/function.js", ...ENTRYPOINT_FLAGS],
      // Empty, so a runtime's command becomes the function's flags (render passes --insecure).
      Cmd: [],
      User: RUNTIME_USER,
      WorkingDir: "/function",
      ExposedPorts: { ...b.ExposedPorts, "9443/tcp": {} },
      Labels: { ...b.Labels, ...xpkgLabels(pkg), "org.opencontainers.image.title": FUNCTION },
    },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: [
      ...(base.config.history ?? []),
      { created_by: `tessera: function bundle (dist/function.js) and its V8 code cache, ${cache.recordedBy}` },
      { created_by: "tessera: package.yaml", comment: "io.crossplane.xpkg=base" },
      { created_by: "tessera: .up/examples.yaml", comment: "io.crossplane.xpkg=upbound" },
    ],
  };
  return { config, layers };
}
