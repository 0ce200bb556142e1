/**
 * npm run build: the production bundle dist/function.js, one file that runs with plain `node` and
 * no node_modules, and beside it dist/function.js.cache, the V8 code cache that makes it start fast.
 * Both are what the Function package's runtime image ships.
 *
 * Why a code cache: compiling the bundle's code when the process starts and on its first call was
 * about 90 ms of a cold start of 240. function.js is a small loader holding the bundle as a string;
 * it compiles the bundle with `vm.Script` and the cache, which the build records by running the
 * bundle over every example's requests (so the code those calls reach is in the cache too).
 * The cache is only an accelerator: the loader uses it only when it was recorded for this exact
 * bundle (a hash in both), V8 itself refuses one from another V8 version or flags, and without it
 * the bundle compiles as usual. The function logs which happened (`codeCache` when it starts).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { build, type Plugin } from "esbuild";
import { APIS } from "../apis/index.ts";
import { openApi } from "../apis/shared/openapi.ts";
import { rulesOnly } from "../functions/shared/cel.ts";
import { ROOT } from "./generate.ts";

/**
 * zod re-exports every one of its ~50 locales as a namespace (z.locales, core.locales); a bundle
 * cannot tree-shake a namespace re-exported as a value, so all of them load at start (about 7 ms).
 * Tessera uses the English messages zod installs by default, which come from their own module.
 */
const withoutZodLocales: Plugin = {
  name: "without-zod-locales",
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (a) => (/[\\/]zod[\\/]/.test(a.importer) ? { path: "zod-locales", namespace: "stub" } : undefined));
    b.onLoad({ filter: /^zod-locales$/, namespace: "stub" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

/**
 * Node modules grpc-js loads at start but the function rarely or never uses: `net` through a shim
 * whose isIPv6 skips Node's costly first-use regex for addresses without ':', and `zlib` loaded on
 * first use (functions/runtime/shims/). About 5 ms of cold start; behaviour is unchanged. (`http`
 * would be another, but Node's http2 loads it anyway.)
 */
const SHIMMED: Record<string, "net.ts" | "lazy"> = { net: "net.ts", zlib: "lazy" };
const grpcNodeShims: Plugin = {
  name: "grpc-node-shims",
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${Object.keys(SHIMMED).join("|")})$`) }, (a) => {
      if (!/[\\/]@grpc[\\/]grpc-js[\\/]/.test(a.importer)) return undefined;
      const shim = SHIMMED[a.path]!;
      return shim === "lazy" ? { path: a.path, namespace: "lazy-node" } : { path: join(ROOT, "functions", "runtime", "shims", shim) };
    });
    b.onLoad({ filter: /.*/, namespace: "lazy-node" }, (a) => ({
      contents: `const { lazyModule } = require(${JSON.stringify(join(ROOT, "functions", "runtime", "shims", "lazy.ts"))});\nmodule.exports = lazyModule(() => require("node:${a.path}"));\n`,
      loader: "js",
      resolveDir: ROOT,
    }));
  },
};

export const BUNDLE = join(ROOT, "dist", "function.js");
/** The code cache sits beside the bundle under this suffix; the loader looks for it there. */
export const CODE_CACHE_SUFFIX = ".cache";
const CACHE_MAGIC = "tessera-code-cache";

/**
 * grpc-js requires @grpc/proto-loader (and with it protobufjs) only to serve its channelz and ORCA
 * admin services, which this function never registers. Leaving them out keeps about 125 KB of code
 * the process would load and never run; if grpc-js ever did reach for them, the stub says why.
 */
const withoutProtoLoader: Plugin = {
  name: "without-proto-loader",
  setup(b) {
    b.onResolve({ filter: /^@grpc\/proto-loader$/ }, () => ({ path: "proto-loader", namespace: "stub" }));
    b.onLoad({ filter: /^proto-loader$/, namespace: "stub" }, () => ({
      contents: 'throw new Error("function-tessera is built without @grpc/proto-loader: grpc-js channelz and ORCA services are not available");',
      loader: "js",
    }));
  },
};

/**
 * The loader function.js runs. It is CommonJS, so the file runs the same with or without a
 * package.json beside it (the image has none). TESSERA_CODE_CACHE_RECORD makes it write the cache
 * when the process exits; only the build sets it.
 */
function loader(source: string, hash: string): string {
  return `"use strict";
// function-tessera: the bundle below is compiled with the V8 code cache recorded for it at build time
// (function.js${CODE_CACHE_SUFFIX}) when that cache is present and was recorded for this bundle.
const { Script } = require("node:vm");
const fs = require("node:fs");
const HASH = ${JSON.stringify(hash)};
const HEADER = Buffer.from(${JSON.stringify(CACHE_MAGIC)} + " " + HASH + "\\n");
const cacheFile = __filename + ${JSON.stringify(CODE_CACHE_SUFFIX)};
let cachedData, state = "absent";
try {
  const file = fs.readFileSync(cacheFile);
  if (file.subarray(0, HEADER.length).equals(HEADER)) cachedData = file.subarray(HEADER.length);
  else state = "stale (recorded for another build)";
} catch {}
const script = new Script(${JSON.stringify(`(function (exports, require, module, __filename, __dirname) {${source}\n})`)}, { filename: __filename, cachedData });
if (cachedData) state = script.cachedDataRejected ? "rejected by V8 (recorded by another Node.js version or with other V8 flags)" : "used";
globalThis.__tesseraCodeCache = state;
if (process.env.TESSERA_CODE_CACHE_RECORD) process.on("exit", () => fs.writeFileSync(cacheFile, Buffer.concat([HEADER, script.createCachedData()])));
script.runInThisContext()(exports, require, module, __filename, __dirname);
`;
}

export interface BundleOptions {
  /** Entry point (default functions/main.ts; the bench builds its transport floor the same way). */
  entry?: string;
  outfile?: string;
  /** Names kept, for profiles. */
  minify?: boolean;
  /** Record the code cache (default true). */
  codeCache?: boolean;
}

export async function bundle(opts: BundleOptions = {}): Promise<string> {
  const outfile = opts.outfile ?? BUNDLE;
  const result = await build({
    entryPoints: [opts.entry ?? join(ROOT, "functions", "main.ts")],
    outfile,
    write: false,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: opts.minify ?? true,
    sourcemap: "linked",
    legalComments: "none",
    logLevel: "warning",
    plugins: [withoutProtoLoader, withoutZodLocales, grpcNodeShims],
    // Each kind's CEL rule skeleton, so the function does not derive JSON schemas at run time.
    define: { __TESSERA_CEL_RULES__: JSON.stringify(Object.fromEntries(APIS.map((a) => [a.kind, rulesOnly(openApi(a.spec)) ?? {}]))) },
  });
  const js = result.outputFiles.find((f) => f.path.endsWith(".js"))!.text;
  const map = result.outputFiles.find((f) => f.path.endsWith(".map"));
  const dir = dirname(outfile);
  mkdirSync(dir, { recursive: true });
  // The repository's package.json says "type": "module"; the bundle is CommonJS wherever it lies.
  writeFileSync(join(dir, "package.json"), '{ "type": "commonjs" }\n');
  // Built and recorded aside, then renamed into place: a process starting the bundle meanwhile (a
  // test, `npm start`) sees the old files or the new ones, never a half-written file or no cache.
  const aside = mkdtempSync(join(dir, ".build-"));
  try {
    const name = basename(outfile);
    writeFileSync(join(aside, name), loader(js, createHash("sha256").update(js).digest("hex")));
    if (map) writeFileSync(join(aside, `${name}.map`), map.contents);
    if (opts.codeCache ?? true) await recordCodeCache(join(aside, name));
    else rmSync(`${outfile}${CODE_CACHE_SUFFIX}`, { force: true });
    for (const f of readdirSync(aside)) renameSync(join(aside, f), join(dir, f));
  } finally {
    rmSync(aside, { recursive: true, force: true });
  }
  return outfile;
}

/**
 * Runs the bundle over every example's requests, so the code they reach is compiled, and keeps V8's
 * cache of it. No NODE_OPTIONS: V8 flags would change the cache's flag hash and the image, which
 * runs plain `node`, would then refuse it.
 */
export async function recordCodeCache(file: string, node: string = process.execPath): Promise<void> {
  const { freePort, requests } = await import("./load.ts");
  const reqs = await requests();
  const port = await freePort();
  const child = spawn(node, [file, "--insecure", "--address", `127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NODE_OPTIONS: "", TESSERA_CODE_CACHE_RECORD: "1" } });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    await Promise.race([
      new Promise<void>((resolve, reject) => c.waitForReady(Date.now() + 10_000, (e) => (e ? reject(new Error(`the bundle did not start: ${e.message}\n${stderr}`)) : resolve()))),
      exited.then((code) => Promise.reject(new Error(`the bundle exited ${code} before serving:\n${stderr}`))),
    ]);
    const id = (b: Buffer) => b;
    for (const r of reqs) {
      await new Promise((resolve, reject) => c.makeUnaryRequest("/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction", id, id, r, (e, rsp) => (e ? reject(e) : resolve(rsp))));
    }
  } finally {
    c.close();
    child.kill("SIGTERM");
  }
  const code = await exited;
  if (code !== 0 || !existsSync(`${file}${CODE_CACHE_SUFFIX}`)) throw new Error(`recording the code cache failed (exit ${code}): ${stderr}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && /^(-h|--help)$/.test(process.argv[2] ?? "")) {
  console.log(`Usage: npm run build

Writes dist/function.js, the production bundle (runs with plain node, no node_modules), and
dist/function.js.cache, its V8 code cache, recorded by running the bundle over every example's
requests with this machine's node. Start it with: npm start -- --insecure (or --tls-certs-dir DIR).`);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await bundle();
  const kb = (f: string) => (statSync(f).size / 1024).toFixed(0);
  console.log(`${out} (${kb(out)} KiB), code cache ${out}${CODE_CACHE_SUFFIX} (${kb(`${out}${CODE_CACHE_SUFFIX}`)} KiB)`);
}

