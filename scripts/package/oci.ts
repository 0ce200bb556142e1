/**
 * The OCI pieces packaging needs, without Docker: deterministic layer tarballs, image configs and
 * manifests, the image tarball `crossplane xpkg build` writes (docker-archive layout with
 * manifest.json), OCI image layouts, and a client for the OCI distribution API.
 *
 * Why hand-written: no maintained Node library pushes OCI artifacts (google's container-image-builder
 * is archived and Docker-schema only); tarballs come from tar-stream, HTTP from fetch.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import tar from "tar-stream";

export const MEDIA = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;

export const XPKG_ANNOTATION = "io.crossplane.xpkg";

export const sha256 = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
}

export interface Layer {
  /** The blob as stored and pushed (gzip). */
  blob: Buffer;
  digest: string;
  /** sha256 of the uncompressed tar, as listed in the config's rootfs.diff_ids. */
  diffId: string;
  /** `base` (package.yaml) or `upbound` (examples) for package layers. */
  xpkg?: string;
  /** As the source manifest had it; default gzip. Docker types are mapped to their OCI twins. */
  mediaType?: string;
}

const OCI_LAYER: Record<string, string> = {
  "application/vnd.docker.image.rootfs.diff.tar.gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.docker.image.rootfs.diff.tar": "application/vnd.oci.image.layer.v1.tar",
};

/** The parts of an OCI image config Tessera reads or writes; unknown fields pass through. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  config?: {
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[];
    User?: string;
    WorkingDir?: string;
    ExposedPorts?: Record<string, object>;
    Labels?: Record<string, string>;
    [k: string]: unknown;
  };
  rootfs: { type: "layers"; diff_ids: string[] };
  history?: Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean }>;
  [k: string]: unknown;
}

export interface Image {
  config: ImageConfig;
  layers: Layer[];
}

export interface TarFile {
  name: string;
  data: Buffer;
  mode?: number;
}

/** A reproducible tar: fixed timestamps and owners, so the same inputs give the same digest. */
export function tarOf(files: TarFile[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on("data", (c: unknown) => void chunks.push(c as Buffer));
    pack.on("end", () => resolve(Buffer.concat(chunks)));
    pack.on("error", reject);
  });
  const dirs = new Set<string>();
  for (const f of files) {
    // Parent directories first, as image layers carry them explicitly.
    const parts = f.name.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      pack.entry({ name: `${dir}/`, type: "directory", mode: 0o755, mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "" });
    }
    pack.entry({ name: f.name, mode: f.mode ?? 0o644, mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "" }, f.data);
  }
  pack.finalize();
  return done;
}

export async function layerOf(files: TarFile[], xpkg?: string): Promise<Layer> {
  const raw = await tarOf(files);
  const blob = gzipSync(raw, { level: 9 });
  return { blob, digest: sha256(blob), diffId: sha256(raw), ...(xpkg ? { xpkg } : {}) };
}

/** Reads the files of a tar (gzip or not) into memory. */
export function untar(data: Buffer): Promise<Map<string, Buffer>> {
  const raw = data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data;
  const extract = tar.extract();
  const out = new Map<string, Buffer>();
  return new Promise((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => void chunks.push(c as Buffer));
      stream.on("end", () => {
        if (header.type === "file") out.set(header.name, Buffer.concat(chunks));
        next();
      });
      stream.resume();
    });
    extract.on("finish", () => resolve(out));
    extract.on("error", reject);
    extract.end(raw);
  });
}

export function configBlob(config: ImageConfig): Buffer {
  return Buffer.from(JSON.stringify(config));
}

/** The manifest of an image, with `io.crossplane.xpkg` layer annotations as Crossplane's push sets them. */
export function manifestOf(image: Image): { manifest: Record<string, unknown>; blob: Buffer; digest: string; config: Buffer } {
  const config = configBlob(image.config);
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: sha256(config), size: config.length },
    layers: image.layers.map((l): Descriptor => ({
      mediaType: l.mediaType ? (OCI_LAYER[l.mediaType] ?? l.mediaType) : MEDIA.layer,
      digest: l.digest,
      size: l.blob.length,
      ...(l.xpkg ? { annotations: { [XPKG_ANNOTATION]: l.xpkg } } : {}),
    })),
  };
  const blob = Buffer.from(JSON.stringify(manifest));
  return { manifest, blob, digest: sha256(blob), config };
}

// ---------------------------------------------------------------------------------------------
// Image tarballs (.xpkg): what go-containerregistry's tarball.Write produces and ImageFromPath reads
// ---------------------------------------------------------------------------------------------

export async function imageTarball(image: Image, repoTag: string): Promise<Buffer> {
  const config = configBlob(image.config);
  const configName = sha256(config);
  const layerNames = image.layers.map((l) => `${l.digest.slice("sha256:".length)}.tar.gz`);
  const manifest = [{ Config: configName, RepoTags: [repoTag], Layers: layerNames }];
  const files: TarFile[] = [
    { name: configName, data: config },
    ...image.layers.map((l, i) => ({ name: layerNames[i]!, data: l.blob })),
    { name: "manifest.json", data: Buffer.from(JSON.stringify(manifest)) },
  ];
  return tarOf(files);
}

export async function readImageTarball(data: Buffer): Promise<Image> {
  const files = await untar(data);
  const manifest = JSON.parse(files.get("manifest.json")?.toString() ?? "null") as Array<{ Config: string; Layers: string[] }> | null;
  if (!manifest?.[0]) throw new Error("not an image tarball: no manifest.json");
  const config = JSON.parse(files.get(manifest[0].Config)!.toString()) as ImageConfig;
  const labels = config.config?.Labels ?? {};
  const layers = manifest[0].Layers.map((name, i): Layer => {
    const blob = files.get(name);
    if (!blob) throw new Error(`image tarball lacks layer ${name}`);
    const digest = sha256(blob);
    const xpkg = labels[`${XPKG_ANNOTATION}:${digest}`];
    return { blob, digest, diffId: config.rootfs.diff_ids[i] ?? "", ...(xpkg ? { xpkg } : {}) };
  });
  return { config, layers };
}

// ---------------------------------------------------------------------------------------------
// OCI image layouts (a directory with index.json and blobs/), e.g. from `skopeo copy ... oci:DIR`
// ---------------------------------------------------------------------------------------------

export function readLayout(dir: string, architecture: string): Image {
  const blob = (digest: string) => readFileSync(join(dir, "blobs", ...digest.split(":")));
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: Descriptor[] };
  const pick = (descs: Descriptor[]): Descriptor => {
    const d = descs.find((m) => !m.platform || (m.platform.os === "linux" && m.platform.architecture === architecture));
    if (!d) throw new Error(`OCI layout ${dir} has no linux/${architecture} image`);
    return d;
  };
  let desc = pick(index.manifests);
  for (let depth = 0; desc.mediaType === MEDIA.index || desc.mediaType === MEDIA.dockerList; depth++) {
    if (depth > 3) throw new Error(`OCI layout ${dir}: indexes nested too deep`);
    desc = pick((JSON.parse(blob(desc.digest).toString()) as { manifests: Descriptor[] }).manifests);
  }
  const manifest = JSON.parse(blob(desc.digest).toString()) as { config: Descriptor; layers: Descriptor[] };
  const config = JSON.parse(blob(manifest.config.digest).toString()) as ImageConfig;
  return { config, layers: manifest.layers.map((l, i) => ({ blob: blob(l.digest), digest: l.digest, diffId: config.rootfs.diff_ids[i] ?? "", mediaType: l.mediaType })) };
}

// ---------------------------------------------------------------------------------------------
// Registry client (OCI distribution API)
// ---------------------------------------------------------------------------------------------

export interface Reference {
  /** host[:port] as in the reference. */
  registry: string;
  repository: string;
  tag?: string;
}

/** Splits `host[:port]/path[:tag]`. A reference without a registry host is refused: packages must be fully qualified. */
export function parseReference(ref: string): Reference {
  const slash = ref.indexOf("/");
  const host = slash > 0 ? ref.slice(0, slash) : "";
  if (!host || !(host.includes(".") || host.includes(":") || host === "localhost")) {
    throw new Error(`${JSON.stringify(ref)} is not fully qualified: start it with the registry host, e.g. xpkg.crossplane.io/org/name or localhost:5000/org/name`);
  }
  let path = ref.slice(slash + 1);
  let tag: string | undefined;
  const colon = path.lastIndexOf(":");
  if (colon > 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
  }
  return { registry: host, repository: path, ...(tag ? { tag } : {}) };
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
}

/** Credentials for a registry from the Docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json). */
export function dockerCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): { username: string; password: string } | undefined {
  const dir = env["DOCKER_CONFIG"] ?? join(homedir(), ".docker");
  let cfg: DockerConfig;
  try {
    cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as DockerConfig;
  } catch {
    return undefined;
  }
  const entry = cfg.auths?.[registry] ?? cfg.auths?.[`https://${registry}`] ?? cfg.auths?.[`http://${registry}`];
  if (!entry) return undefined;
  if (entry.auth) {
    const [username = "", ...rest] = Buffer.from(entry.auth, "base64").toString().split(":");
    return { username, password: rest.join(":") };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  if (entry.identitytoken) return { username: "<token>", password: entry.identitytoken };
  return undefined;
}

export class RegistryError extends Error {}

/**
 * fetch, with a network failure said in words: fetch's own error is "fetch failed", which names
 * neither the host nor what to do offline.
 */
async function reach(registry: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new RegistryError(
      `cannot reach the registry ${registry} (${why}, ${new URL(url).origin}). Offline, or behind a proxy? ` +
        "Build from a local copy of the base image instead: --base-layout DIR, an OCI image layout (e.g. skopeo copy docker://IMAGE oci:DIR); " +
        "for a registry without TLS, pass --plain-http",
    );
  }
}

export class Registry {
  private token: string | undefined;
  private readonly base: string;

  constructor(
    readonly registry: string,
    readonly repository: string,
    private readonly opts: { plainHttp?: boolean | undefined; credentials?: { username: string; password: string } | undefined } = {},
  ) {
    const local = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(registry);
    this.base = `${opts.plainHttp ?? local ? "http" : "https"}://${registry}/v2/${repository}`;
  }

  /** fetch with the registry's auth dance: Basic, or a Bearer token from the realm it names. */
  private async request(method: string, url: string, init: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<Response> {
    const send = () =>
      reach(this.registry, url, {
        method,
        headers: { ...init.headers, ...(this.token ? { authorization: this.token } : {}) },
        ...(init.body ? { body: new Uint8Array(init.body) } : {}),
        redirect: "follow",
      });
    let rsp = await send();
    if (rsp.status !== 401) return rsp;
    const challenge = rsp.headers.get("www-authenticate") ?? "";
    const creds = this.opts.credentials;
    const basic = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}` : undefined;
    if (/^basic/i.test(challenge)) {
      if (!basic) throw new RegistryError(`${this.registry} needs credentials: add them with docker login ${this.registry}`);
      this.token = basic;
    } else if (/^bearer/i.test(challenge)) {
      const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
      const q = new URLSearchParams();
      if (params["service"]) q.set("service", params["service"]);
      q.set("scope", params["scope"] ?? `repository:${this.repository}:pull,push`);
      const t = await reach(this.registry, `${params["realm"]}?${q}`, { headers: basic ? { authorization: basic } : {} });
      if (!t.ok) throw new RegistryError(`${this.registry}: token request failed (${t.status}); check docker login ${this.registry}`);
      const body = (await t.json()) as { token?: string; access_token?: string };
      this.token = `Bearer ${body.token ?? body.access_token}`;
    } else {
      throw new RegistryError(`${this.registry}: unauthorized (${challenge || "no challenge"})`);
    }
    rsp = await send();
    if (rsp.status === 401) throw new RegistryError(`${this.registry}: credentials refused; check docker login ${this.registry}`);
    return rsp;
  }

  private async check(rsp: Response, what: string): Promise<Response> {
    if (rsp.ok) return rsp;
    throw new RegistryError(`${what}: ${rsp.status} ${rsp.statusText} ${(await rsp.text()).slice(0, 300)}`);
  }

  async hasBlob(digest: string): Promise<boolean> {
    return (await this.request("HEAD", `${this.base}/blobs/${digest}`)).ok;
  }

  async pushBlob(blob: Buffer, digest = sha256(blob)): Promise<void> {
    if (await this.hasBlob(digest)) return;
    const start = await this.check(await this.request("POST", `${this.base}/blobs/uploads/`), `start upload to ${this.repository}`);
    const location = start.headers.get("location");
    if (!location) throw new RegistryError(`${this.registry} returned no upload location`);
    const url = new URL(location, this.base);
    url.searchParams.set("digest", digest);
    await this.check(
      await this.request("PUT", url.toString(), { headers: { "content-type": "application/octet-stream", "content-length": String(blob.length) }, body: blob }),
      `upload ${digest} to ${this.repository}`,
    );
  }

  async getBlob(digest: string): Promise<Buffer> {
    const rsp = await this.check(await this.request("GET", `${this.base}/blobs/${digest}`), `get ${digest} from ${this.repository}`);
    return Buffer.from(await rsp.arrayBuffer());
  }

  /** The manifest (or index) at a tag or digest, or undefined when there is none. */
  async getManifest(ref: string): Promise<{ mediaType: string; digest: string; body: Buffer } | undefined> {
    const rsp = await this.request("GET", `${this.base}/manifests/${ref}`, {
      headers: { accept: [MEDIA.manifest, MEDIA.index, MEDIA.dockerManifest, MEDIA.dockerList].join(", ") },
    });
    if (rsp.status === 404) return undefined;
    await this.check(rsp, `get manifest ${this.repository}:${ref}`);
    const body = Buffer.from(await rsp.arrayBuffer());
    return { mediaType: rsp.headers.get("content-type") ?? "", digest: rsp.headers.get("docker-content-digest") ?? sha256(body), body };
  }

  async putManifest(ref: string, body: Buffer, mediaType: string): Promise<string> {
    await this.check(await this.request("PUT", `${this.base}/manifests/${ref}`, { headers: { "content-type": mediaType }, body }), `push manifest ${this.repository}:${ref}`);
    return sha256(body);
  }

  /** Pushes an image's blobs and manifest; returns the manifest digest. */
  async pushImage(image: Image, ref: string): Promise<string> {
    const m = manifestOf(image);
    for (const l of image.layers) await this.pushBlob(l.blob, l.digest);
    await this.pushBlob(m.config);
    return this.putManifest(ref, m.blob, MEDIA.manifest);
  }

  /** Pulls the image for linux/<architecture> at a tag or digest. */
  async pullImage(ref: string, architecture: string): Promise<Image> {
    let m = await this.getManifest(ref);
    if (!m) throw new RegistryError(`${this.registry}/${this.repository}:${ref} does not exist`);
    for (let depth = 0; m.mediaType === MEDIA.index || m.mediaType === MEDIA.dockerList; depth++) {
      const idx = JSON.parse(m.body.toString()) as { manifests: Descriptor[] };
      const d = idx.manifests.find((x) => x.platform?.os === "linux" && x.platform.architecture === architecture);
      if (!d || depth > 3) throw new RegistryError(`${this.registry}/${this.repository}:${ref} has no linux/${architecture} image`);
      m = await this.getManifest(d.digest);
      if (!m) throw new RegistryError(`${this.registry}/${this.repository}@${d.digest} is missing`);
    }
    const manifest = JSON.parse(m.body.toString()) as { config: Descriptor; layers: Descriptor[] };
    const config = JSON.parse((await this.getBlob(manifest.config.digest)).toString()) as ImageConfig;
    const layers: Layer[] = [];
    for (const [i, l] of manifest.layers.entries()) layers.push({ blob: await this.getBlob(l.digest), digest: l.digest, diffId: config.rootfs.diff_ids[i] ?? "", mediaType: l.mediaType });
    return { config, layers };
  }
}
