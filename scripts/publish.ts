/**
 * npm run publish -- --registry HOST[:PORT]/PATH --version vX.Y.Z
 *                    [--base-image REF | --base-layout DIR] [--arch amd64,arm64] [--plain-http] [--output DIR]
 *
 * Builds both packages and pushes them over the OCI distribution API as
 * HOST/PATH/function-tessera:vX.Y.Z and HOST/PATH/configuration-tessera:vX.Y.Z, with the
 * `io.crossplane.xpkg` layer annotations Crossplane's push sets. The Configuration's dependency on
 * the function pins this exact version. An existing version is never overwritten. Credentials come
 * from the Docker config (docker login).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bundle } from "./build.ts";
import { architectures, OUTPUT } from "./package.ts";
import { baseImage, CONFIGURATION, configurationImage, DEFAULT_BASE_IMAGE, FUNCTION, functionImage, LintError } from "./package/build.ts";
import { dockerCredentials, imageTarball, manifestOf, MEDIA, parseReference, Registry, type Image } from "./package/oci.ts";

/** Semver with the v Crossplane's tags carry; anything else is refused as a tag. */
const SEMVER = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

export interface PublishOptions {
  registry: string;
  version: string;
  base: { image?: string | undefined; layout?: string | undefined; plainHttp?: boolean | undefined };
  architectures: string[];
  plainHttp?: boolean | undefined;
  log?: (line: string) => void;
  /** Where the pushed packages are also written as .xpkg files (default _output). */
  output?: string | undefined;
}

export interface Published {
  function: { ref: string; digest: string };
  configuration: { ref: string; digest: string };
}

export async function publish(o: PublishOptions): Promise<Published> {
  const log = o.log ?? console.log;
  if (!SEMVER.test(o.version)) throw new LintError("--version", [`${JSON.stringify(o.version)} is not a semver tag; use vMAJOR.MINOR.PATCH such as v0.1.0`]);
  const target = parseReference(o.registry.replace(/\/+$/, ""));
  if (target.tag) throw new LintError("--registry", [`${o.registry} carries a tag; give HOST[:PORT]/PATH and the version with --version`]);
  const credentials = dockerCredentials(target.registry);
  const repo = (name: string) => new Registry(target.registry, `${target.repository}/${name}`, { plainHttp: o.plainHttp, credentials });
  const fnRepo = repo(FUNCTION);
  const confRepo = repo(CONFIGURATION);
  const fnPackage = `${target.registry}/${target.repository}/${FUNCTION}`;

  // Refuse before pushing anything, so a refused publish leaves both repositories as they were.
  for (const [name, r] of [[FUNCTION, fnRepo], [CONFIGURATION, confRepo]] as const) {
    const existing = await r.getManifest(o.version);
    if (existing) throw new LintError("--version", [`${target.registry}/${r.repository}:${o.version} already exists (${existing.digest}); versions are immutable, publish a new one`]);
    void name;
  }

  const js = await bundle();
  const images: Array<{ arch: string; image: Image }> = [];
  for (const arch of o.architectures) images.push({ arch, image: await functionImage(await baseImage({ ...o.base, image: o.base.image ?? (o.base.layout ? undefined : DEFAULT_BASE_IMAGE) }, arch), arch, js) });
  const conf = await configurationImage({ package: fnPackage, version: o.version });

  const out = o.output ?? OUTPUT;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${CONFIGURATION}.xpkg`), await imageTarball(conf, `${target.registry}/${confRepo.repository}:${o.version}`));
  for (const { arch, image } of images) writeFileSync(join(out, `${FUNCTION}-${arch}.xpkg`), await imageTarball(image, `${fnPackage}:${o.version}`));

  let fnDigest: string;
  if (images.length === 1) {
    fnDigest = await fnRepo.pushImage(images[0]!.image, o.version);
  } else {
    const manifests = [];
    for (const { arch, image } of images) {
      const m = manifestOf(image);
      const digest = await fnRepo.pushImage(image, m.digest);
      manifests.push({ mediaType: MEDIA.manifest, digest, size: m.blob.length, platform: { os: "linux", architecture: arch } });
    }
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests }));
    fnDigest = await fnRepo.putManifest(o.version, index, MEDIA.index);
  }
  log(`${fnPackage}:${o.version}@${fnDigest}`);
  const confDigest = await confRepo.pushImage(conf, o.version);
  log(`${target.registry}/${confRepo.repository}:${o.version}@${confDigest}`);
  return {
    function: { ref: `${fnPackage}:${o.version}`, digest: fnDigest },
    configuration: { ref: `${target.registry}/${confRepo.repository}:${o.version}`, digest: confDigest },
  };
}

export const PUBLISH_HELP = `Usage: npm run publish -- --registry HOST[:PORT]/PATH --version vX.Y.Z [flags]

Builds both packages and pushes them as HOST/PATH/function-tessera:vX.Y.Z and
HOST/PATH/configuration-tessera:vX.Y.Z (credentials from docker login). A version is never overwritten.

Flags:
  --registry HOST[:PORT]/PATH  Where to push (required).
  --version vX.Y.Z             Semver tag of both packages (required).
  --base-image REF             Node.js base image of the Function's runtime (default ${DEFAULT_BASE_IMAGE}).
  --base-layout DIR            The base image from an OCI image layout directory instead (offline).
  --arch LIST                  Architectures, comma-separated: amd64, arm64 (default amd64).
  --plain-http                 Talk HTTP to the registries (a local registry).
  --output DIR                 Where the pushed packages are also written as .xpkg (default _output).
  -h, --help                   Show this help.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      registry: { type: "string" },
      version: { type: "string" },
      "base-image": { type: "string" },
      "base-layout": { type: "string" },
      arch: { type: "string", default: "amd64" },
      "plain-http": { type: "boolean" },
      output: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(PUBLISH_HELP);
    return 0;
  }
  if (!values.registry || !values.version) {
    console.error(PUBLISH_HELP);
    return 2;
  }
  await publish({
    registry: values.registry,
    version: values.version,
    base: { image: values["base-image"], layout: values["base-layout"], plainHttp: values["plain-http"] },
    architectures: architectures(values.arch),
    plainHttp: values["plain-http"],
    output: values.output,
  });
  return 0;
}

if (process.argv[1]?.endsWith("publish.ts")) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`publish: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
