/**
 * Packages against a real registry: a small base image is built and pushed first, then `npm run
 * package` builds both .xpkg files from it and `publish` pushes them; manifests, layers,
 * annotations and package.yaml are read back over the distribution API.
 */
import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseAllDocuments } from "yaml";
import { APIS } from "../../apis/index.ts";
import { BUNDLE } from "../../scripts/build.ts";
import { ROOT } from "../../scripts/generate.ts";
import { baseImage, configurationObjects, functionImage, RUNTIME_USER } from "../../scripts/package/build.ts";
import { fullyQualified, lint, validConstraint, VALIDATED_PROVIDERS } from "../../scripts/package/lint.ts";
import { CRD_ROOT } from "../support/crds.ts";
import { layerOf, manifestOf, MEDIA, readImageTarball, Registry, sha256, tarOf, untar, XPKG_ANNOTATION, type Image } from "../../scripts/package/oci.ts";
import { publish } from "../../scripts/publish.ts";
import { startFunction } from "../support/grpc.ts";
import { startRegistry, type RunningRegistry } from "../support/registry.ts";

// Building images, recording code caches and pushing layers: minutes on a busy two-core machine.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

let registry: RunningRegistry;
const scratch = () => mkdtempSync(join(tmpdir(), "tessera-output-"));

/** A stand-in Node base image: one layer, distroless' entrypoint, both architectures. */
async function pushBase(host: string): Promise<string> {
  const repo = new Registry(host, "base/node");
  const manifests = [];
  for (const architecture of ["amd64", "arm64"]) {
    const layer = await layerOf([{ name: "nodejs/bin/node", data: Buffer.from(`#!/bin/false ${architecture}\n`), mode: 0o755 }]);
    layer.mediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    const image: Image = {
      config: { architecture, os: "linux", config: { Entrypoint: ["/nodejs/bin/node"], Env: ["PATH=/usr/bin:/bin"], User: "0" }, rootfs: { type: "layers", diff_ids: [layer.diffId] } },
      layers: [layer],
    };
    const m = manifestOf(image);
    const digest = await repo.pushImage(image, m.digest);
    manifests.push({ mediaType: MEDIA.manifest, digest, size: m.blob.length, platform: { os: "linux", architecture } });
  }
  await repo.putManifest("test", Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests })), MEDIA.index);
  return `${host}/base/node:test`;
}

async function get(path: string, accept = [MEDIA.manifest, MEDIA.index].join(", ")): Promise<{ type: string; body: Buffer }> {
  const rsp = await fetch(`http://${registry.host}/v2/${path}`, { headers: { accept } });
  expect(rsp.status, path).toBe(200);
  return { type: rsp.headers.get("content-type") ?? "", body: Buffer.from(await rsp.arrayBuffer()) };
}

/** The objects of the layer annotated `base`, as Crossplane reads a pulled package. */
async function packageYamlOf(repo: string, manifest: { layers: Array<{ digest: string; annotations?: Record<string, string> }> }) {
  const base = manifest.layers.filter((l) => l.annotations?.[XPKG_ANNOTATION] === "base");
  expect(base).toHaveLength(1);
  expect(manifest.layers.filter((l) => l.annotations?.[XPKG_ANNOTATION] === "upbound")).toHaveLength(1);
  const files = await untar((await get(`${repo}/blobs/${base[0]!.digest}`, "*/*")).body);
  expect([...files.keys()]).toEqual(["package.yaml"]);
  const text = files.get("package.yaml")!.toString();
  expect(text.startsWith("---\n")).toBe(true);
  return parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean) as Array<Record<string, any>>;
}

let baseRef: string;
beforeAll(async () => {
  registry = await startRegistry();
  baseRef = await pushBase(registry.host);
});
afterAll(() => registry?.stop());

/**
 * What the project's own _output holds (name, size, mtime): tests write their packages to temporary
 * directories, never there, where `npm run publish` would later find test packages.
 */
const outputState = () => {
  const dir = join(ROOT, "_output");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => {
    const st = statSync(join(dir, f));
    return `${f} ${st.size} ${st.mtimeMs}`;
  });
};
const before = outputState();
afterAll(() => expect(outputState()).toEqual(before));

describe("npm run package", () => {
  it("writes both .xpkg image tarballs to --output, the Function embedding its runtime for each architecture", () => {
    const out = mkdtempSync(join(tmpdir(), "tessera-output-"));
    execFileSync(process.execPath, ["--import", "tsx", "scripts/package.ts", "--base-image", baseRef, "--arch", "amd64,arm64", "--output", out], { cwd: ROOT, stdio: "pipe" });
    return (async () => {
      for (const arch of ["amd64", "arm64"]) {
        const img = await readImageTarball(readFileSync(join(out, `function-tessera-${arch}.xpkg`)));
        expect(img.config).toMatchObject({ architecture: arch, os: "linux" });
        expect(img.config.config).toMatchObject({ Entrypoint: ["/nodejs/bin/node", "/function/function.js", "--address=0.0.0.0:9443"], Cmd: [], User: RUNTIME_USER, ExposedPorts: { "9443/tcp": {} } });
        expect(img.layers).toHaveLength(4);
        expect(img.layers.map((l) => l.xpkg ?? "")).toEqual(["", "", "base", "upbound"]);
        expect(img.config.rootfs.diff_ids).toEqual(img.layers.map((l) => l.diffId));
        const runtime = await untar(img.layers[1]!.blob);
        expect(runtime.get("function/function.js")?.equals(readFileSync(BUNDLE))).toBe(true);
        expect(runtime.get("function/function.js.cache")?.equals(readFileSync(`${BUNDLE}.cache`))).toBe(true);
        const base = await untar(img.layers[0]!.blob);
        expect(base.get("nodejs/bin/node")?.toString()).toContain(arch);
      }
      const conf = await readImageTarball(readFileSync(join(out, "configuration-tessera.xpkg")));
      expect(conf.layers.map((l) => l.xpkg)).toEqual(["base", "upbound"]);
      const labels = conf.config.config?.Labels ?? {};
      expect(labels[`${XPKG_ANNOTATION}:${conf.layers[0]!.digest}`]).toBe("base");
      expect(labels[`${XPKG_ANNOTATION}:${conf.layers[0]!.diffId}`]).toBe("base");
      const examples = (await untar(conf.layers[1]!.blob)).get(".up/examples.yaml")!.toString();
      expect(parseAllDocuments(examples).map((d) => (d.toJS() as { kind?: string } | null)?.kind).filter(Boolean)).toContain("RedisCluster");
    })();
  });

  it("refuses a base image of the wrong architecture with a clear message", () => {
    expect(() => execFileSync(process.execPath, ["--import", "tsx", "scripts/package.ts", "--base-image", baseRef, "--arch", "s390x", "--output", mkdtempSync(join(tmpdir(), "tessera-output-"))], { cwd: ROOT, stdio: "pipe" })).toThrow(/s390x" is not supported; use amd64 or arm64/);
  });
});

describe("base image from an OCI layout", () => {
  it("reads the platform's image out of an index, as skopeo or crane write it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-layout-"));
    const blobs = join(dir, "blobs", "sha256");
    mkdirSync(blobs, { recursive: true });
    const put = (b: Buffer) => writeFileSync(join(blobs, sha256(b).slice(7)), b);
    const manifests = [];
    for (const architecture of ["amd64", "arm64"]) {
      const layer = await layerOf([{ name: "etc/arch", data: Buffer.from(architecture) }]);
      const image: Image = { config: { architecture, os: "linux", config: { Entrypoint: ["/nodejs/bin/node"] }, rootfs: { type: "layers", diff_ids: [layer.diffId] } }, layers: [layer] };
      const m = manifestOf(image);
      put(layer.blob);
      put(m.config);
      put(m.blob);
      manifests.push({ mediaType: MEDIA.manifest, digest: m.digest, size: m.blob.length, platform: { os: "linux", architecture } });
    }
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests }));
    put(index);
    writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA.index, digest: sha256(index), size: index.length }] }));
    const base = await baseImage({ layout: dir }, "arm64");
    expect(base.config.architecture).toBe("arm64");
    const fn = await functionImage(base, "arm64", BUNDLE);
    expect((await untar(fn.layers[0]!.blob)).get("etc/arch")?.toString()).toBe("arm64");
    expect(fn.config.config?.Entrypoint).toEqual(["/nodejs/bin/node", "/function/function.js", "--address=0.0.0.0:9443"]);
    await expect(baseImage({ layout: dir }, "s390x")).rejects.toThrow(/no linux\/s390x image/);
  });
});

describe("npm run publish", () => {
  it("pushes both packages with layer annotations, pinning the function version, and refuses to overwrite it", async () => {
    const lines: string[] = [];
    const out = await publish({ registry: `${registry.host}/tessera`, version: "v0.1.0", base: { image: baseRef }, architectures: ["amd64", "arm64"], log: (l) => lines.push(l), output: scratch() });
    expect(lines).toEqual([`${out.function.ref}@${out.function.digest}`, `${out.configuration.ref}@${out.configuration.digest}`]);

    const index = await get("tessera/function-tessera/manifests/v0.1.0");
    expect(index.type).toBe(MEDIA.index);
    const platforms = JSON.parse(index.body.toString()).manifests as Array<{ digest: string; platform: { architecture: string } }>;
    expect(platforms.map((p) => p.platform.architecture)).toEqual(["amd64", "arm64"]);
    for (const p of platforms) {
      const manifest = JSON.parse((await get(`tessera/function-tessera/manifests/${p.digest}`)).body.toString());
      const objects = await packageYamlOf("tessera/function-tessera", manifest);
      expect(objects.map((o) => `${o["apiVersion"]} ${o["kind"]}`)).toEqual(["meta.pkg.crossplane.io/v1 Function"]);
      const config = JSON.parse((await get(`tessera/function-tessera/blobs/${manifest.config.digest}`, "*/*")).body.toString());
      expect(config).toMatchObject({ architecture: p.platform.architecture, os: "linux", config: { User: RUNTIME_USER } });
    }

    const conf = JSON.parse((await get("tessera/configuration-tessera/manifests/v0.1.0")).body.toString());
    const objects = await packageYamlOf("tessera/configuration-tessera", conf);
    expect(objects[0]).toMatchObject({ apiVersion: "meta.pkg.crossplane.io/v1", kind: "Configuration" });
    expect(objects[0]!["spec"].dependsOn).toContainEqual({ apiVersion: "pkg.crossplane.io/v1", kind: "Function", package: `${registry.host}/tessera/function-tessera`, version: "v0.1.0" });
    const kinds = objects.slice(1).map((o) => `${o["kind"]}/${o["metadata"].name}`);
    // Every served kind's XRD and Composition, and the activation policy: derived from APIS, so adding a kind needs no edit here.
    expect([...kinds].sort()).toEqual([
      ...APIS.flatMap((a) => [`CompositeResourceDefinition/${a.plural}.platform.tessera.io`, `Composition/${a.plural}`]),
      "ManagedResourceActivationPolicy/configuration-tessera",
    ].sort());

    await expect(publish({ registry: `${registry.host}/tessera`, version: "v0.1.0", base: { image: baseRef }, architectures: ["amd64"], log: () => {}, output: scratch() })).rejects.toThrow(/v0.1.0 already exists/);
    const after = await get("tessera/function-tessera/manifests/v0.1.0");
    expect(after.body.equals(index.body)).toBe(true);
  });

  it("authenticates with the credentials of docker login (the Docker config)", async () => {
    const user = { username: "platform", password: "s3cret-pw" };
    const secured = await startRegistry(user);
    const dockerConfig = mkdtempSync(join(tmpdir(), "tessera-docker-"));
    writeFileSync(join(dockerConfig, "config.json"), JSON.stringify({ auths: { [secured.host]: { auth: Buffer.from(`${user.username}:${user.password}`).toString("base64") } } }));
    const saved = process.env["DOCKER_CONFIG"];
    try {
      expect((await fetch(`http://${secured.host}/v2/`)).status).toBe(401);
      await expect(publish({ registry: `${secured.host}/tessera`, version: "v1.0.0", base: { image: baseRef }, architectures: ["amd64"], log: () => {}, output: scratch() })).rejects.toThrow(/needs credentials: add them with docker login/);
      process.env["DOCKER_CONFIG"] = dockerConfig;
      const out = await publish({ registry: `${secured.host}/tessera`, version: "v1.0.0", base: { image: baseRef }, architectures: ["amd64"], log: () => {}, output: scratch() });
      expect(out.configuration.digest).toMatch(/^sha256:/);
    } finally {
      if (saved === undefined) delete process.env["DOCKER_CONFIG"];
      else process.env["DOCKER_CONFIG"] = saved;
      secured.stop();
    }
  });

  it("accepts only semver tags", async () => {
    await expect(publish({ registry: `${registry.host}/tessera`, version: "latest", base: { image: baseRef }, architectures: ["amd64"], log: () => {}, output: scratch() })).rejects.toThrow(/"latest" is not a semver tag/);
  });
});

describe("license", () => {
  it("LICENSE is the Apache License 2.0 that package.json and the Configuration declare", () => {
    const text = readFileSync(join(ROOT, "LICENSE"), "utf8");
    expect(text).toMatch(/^\s+Apache License\s+Version 2\.0, January 2004/);
    expect(text).toContain("END OF TERMS AND CONDITIONS");
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).license).toBe("Apache-2.0");
    expect((configurationObjects()[0] as any).metadata.annotations["meta.crossplane.io/license"]).toBe("Apache-2.0");
  });
});

describe("package lint", () => {
  const objects = configurationObjects();
  it("passes the project's own Configuration", () => expect(lint("Configuration", objects)).toEqual([]));
  it("bounds every provider family to the versions the CRDs were validated at", () => {
    const deps = (objects[0] as any).spec.dependsOn.filter((d: any) => d.kind === "Provider");
    expect(deps.length).toBeGreaterThan(0);
    const family = (p: string) => /provider-(aws|azure|helm|kubernetes)(-|$)/.exec(p)![1] as keyof typeof VALIDATED_PROVIDERS;
    for (const d of deps) expect(d.version, d.package).toBe(VALIDATED_PROVIDERS[family(d.package)]);
    // ../shared/provider-crds says which tags the CRDs come from.
    const readme = readFileSync(join(CRD_ROOT, "README.md"), "utf8");
    expect(readme).toMatch(/provider-upjet-aws tag v2\.6\.0/);
    expect(readme).toMatch(/provider-upjet-azure tag v2\.7\.0/);
    expect(readme).toMatch(/provider-helm tag v1\.4\.0 and provider-kubernetes tag v1\.2\.1/);
  });
  it("refuses two meta objects, foreign kinds, bad constraints and unqualified dependencies", () => {
    const meta = structuredClone(objects[0]!) as any;
    meta.spec.crossplane.version = ">= two";
    meta.spec.dependsOn.push({ apiVersion: "pkg.crossplane.io/v1", kind: "Provider", package: "provider-aws-s3", version: ">=v2.0.0" });
    meta.spec.dependsOn.push({ apiVersion: "pkg.crossplane.io/v1", kind: "Provider", package: "xpkg.upbound.io/upbound/provider-aws-s3", version: ">=v2.0.0" });
    const errors = lint("Configuration", [meta, meta, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }]);
    expect(errors.join("\n")).toMatch(/exactly one meta object.*found 2/);
    expect(errors.join("\n")).toMatch(/ConfigMap x cannot be in a Configuration package/);
    expect(errors.join("\n")).toMatch(/spec.crossplane.version ">= two" is not a semver constraint/);
    expect(errors.join("\n")).toMatch(/"provider-aws-s3" must be a fully qualified package/);
    expect(errors.join("\n")).toMatch(/provider-aws-s3 version ">=v2.0.0": use ">=v2.6.0 <v2.7.0", the minor version whose CRDs Tessera is validated against/);
    expect(lint("Function", [objects[0]!])).toContainEqual(expect.stringMatching(/a Function package needs/));
  });
  it.each([">=v2.0.0", "v1.2.3", "^1.2", "~1.2.3", ">=1.0, <2.0", ">= 1.2 < 3.0 || 4.x", "1.2 - 1.4.5", ">=v2.0.0-0", "*"])("accepts the constraint %s", (c) => expect(validConstraint(c)).toBe(true));
  it.each(["", ">=", "two", "v1.2.3.4", ">>1"])("refuses the constraint %j", (c) => expect(validConstraint(c)).toBe(false));
  it.each([["xpkg.crossplane.io/org/name", true], ["localhost:5000/x", true], ["org/name", false], ["xpkg.crossplane.io/org/name:v1", false], ["xpkg.crossplane.io/org/name@sha256:ab", false]] as const)("%s fully qualified: %s", (ref, ok) => expect(fullyQualified(ref)).toBe(ok));
});

describe("the code cache in the Function image", () => {
  const arch = ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[process.arch];

  it.runIf(arch)("is recorded by the base image's own Node.js when this machine can run it, and used at start", async () => {
    // A base image whose node is this machine's: the cache must come from it, not from the build.
    const raw = await tarOf([{ name: "nodejs/bin/node", data: readFileSync(process.execPath), mode: 0o755 }]);
    const blob = gzipSync(raw, { level: 1 });
    const layer = { blob, digest: sha256(blob), diffId: sha256(raw) };
    const base: Image = { config: { architecture: arch ?? "amd64", os: "linux", config: { Entrypoint: ["/nodejs/bin/node"] }, rootfs: { type: "layers", diff_ids: [layer.diffId] } }, layers: [layer] };
    const fn = await functionImage(base, arch!, BUNDLE);
    expect(fn.config.history?.map((h) => h.created_by).join("\n")).toContain(`recorded by the base image's Node.js ${process.version}`);
    const files = await untar(fn.layers[1]!.blob);
    const dir = mkdtempSync(join(tmpdir(), "tessera-image-"));
    for (const name of ["function.js", "function.js.cache"]) writeFileSync(join(dir, name), files.get(`function/${name}`)!);
    const p = await startFunction(["--insecure"], {}, join(dir, "function.js"));
    expect(p.logs()).toContain('"codeCache":"used"');
    p.child.kill("SIGTERM");
    expect(await p.exit).toBe(0);
  });

  it("falls back to the cache the build recorded when the base image's node cannot run here", async () => {
    const layer = await layerOf([{ name: "nodejs/bin/node", data: Buffer.from("#!/bin/false\n"), mode: 0o755 }]);
    const base: Image = { config: { architecture: "amd64", os: "linux", config: { Entrypoint: ["/nodejs/bin/node"] }, rootfs: { type: "layers", diff_ids: [layer.diffId] } }, layers: [layer] };
    const fn = await functionImage(base, "amd64", BUNDLE);
    expect(fn.config.history?.map((h) => h.created_by).join("\n")).toMatch(new RegExp(`recorded by Node.js ${process.version} at build time \\((the base image's /nodejs/bin/node does not run here|this machine cannot run a linux/amd64 node)\\)`));
    expect((await untar(fn.layers[1]!.blob)).get("function/function.js.cache")?.equals(readFileSync(`${BUNDLE}.cache`))).toBe(true);
  });
});

describe("the Configuration's dependencies", () => {
  it("name the provider of every group any kind composes (the family provider brings azure.m.upbound.io's ResourceGroup)", async () => {
    const { KINDS } = await import("../../functions/fn.ts");
    const { readFileSync } = await import("node:fs");
    const { parse } = await import("yaml");
    const meta = parse(readFileSync(new URL("../../crossplane.yaml", import.meta.url), "utf8")) as { spec: { dependsOn: Array<{ package: string }> } };
    const packages = new Set(meta.spec.dependsOn.map((d) => d.package));
    const providerOf = (group: string) => {
      const upjet = /^([a-z0-9]+)\.(aws|azure)\.m\.upbound\.io$/.exec(group);
      if (upjet) return `xpkg.upbound.io/upbound/provider-${upjet[2]}-${upjet[1]}`;
      const contrib = /^(helm|kubernetes)\.m\.crossplane\.io$/.exec(group);
      if (contrib) return `xpkg.crossplane.io/crossplane-contrib/provider-${contrib[1]}`;
      return group === "azure.m.upbound.io" ? "xpkg.upbound.io/upbound/provider-azure-network" : `unknown provider for ${group}`;
    };
    const groups = new Set(Object.values(KINDS).flatMap((k) => k.composes).map((n) => n.slice(n.indexOf(".") + 1)));
    expect([...groups].map(providerOf).filter((p) => !packages.has(p))).toEqual([]);
  });
});
