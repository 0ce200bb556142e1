/**
 * npm run bench [-- --seconds N --rounds N --profile --client auto|c-core|grpc-js]
 *
 * The production bundle against a reference built on the SDK's `serve`, side by side on this
 * machine: both over mTLS, the server pinned to core 0 and the client to core 1, closed loops at
 * concurrency 1 and 32, alternating rounds. The client is gRPC's C core (scripts/load_client.py,
 * Debian's python3-grpcio) when installed, else grpc-js in this process, whose garbage collections
 * stop it for 10-25 ms several times a second and which saturates before a server doing no work does. Reports calls/s, p50/p99, server CPU per call and per
 * response KB, peak RSS, cold start and bundle size; prints a table and writes _output/bench.json.
 * Each measured run follows 2 s of the same load (steady state: optimized code, grown heap); cold
 * start is measured apart, as the median of --cold-starts fresh processes per server (default 9).
 * --profile also runs the production bundle under --cpu-prof and lists where its CPU goes.
 * A third server, the floor, is the same transport doing no work (scripts/bench-floor.ts): its row says
 * what part of each measure belongs to Node.js, grpc-js, HTTP/2 and TLS rather than to the function.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { runFunction } from "../functions/fn.ts";
import { decodeRequest, encodeResponse } from "../functions/runtime/wire.ts";
import { EXAMPLES } from "../test/support/fixtures.ts";
import { responseTable } from "./bench-floor-table.ts";
import { bundle, CODE_CACHE_SUFFIX } from "./build.ts";
import { makeCerts, type Certs } from "./certs.ts";
import { ROOT } from "./generate.ts";
import { FIELD_ORDERS, hasCCoreClient, load, loadCCore, peakRssMiB, requests, start, stop, type Run } from "./load.ts";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    profile: { type: "boolean", default: false },
    // Cold starts per server, measured before the load rounds on a quiet machine (median reported).
    "cold-starts": { type: "string", default: "9" },
    // Extra node flags for both servers, e.g. --node-flags="--max-semi-space-size=2" to study GC.
    "node-flags": { type: "string", default: "" },
    // The load client: gRPC's C core (python3-grpcio) when installed, else grpc-js in this process.
    client: { type: "string", default: "auto" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log(`Usage: npm run bench -- [flags]

The production bundle against the SDK's serve and a no-work transport floor, over mTLS, pinned to
cores 0 (server) and 1 (client). Prints a table and writes _output/bench.json. Takes minutes; run it
on a quiet machine.

Flags:
  --seconds N         Length of each measured run (default 5).
  --rounds N          Alternating rounds per server and concurrency (default 3).
  --cold-starts N     Fresh processes per server for the cold start median (default 9).
  --client KIND       Load client: auto, c-core (python3-grpcio) or grpc-js (default auto).
  --node-flags FLAGS  Extra node flags for the servers, e.g. --node-flags="--max-semi-space-size=2".
  --profile           Also profile the bundle under load and list where its CPU goes.
  -h, --help          Show this help.`);
  process.exit(0);
}
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const CONCURRENCY = [1, 32];
const OUT = join(ROOT, "_output");

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/**
 * A fixed piece of work (hashing), timed on core 0 where the servers run. On a shared host the same
 * work takes longer whenever neighbours take the core; the spread between repeats says how far the
 * absolute numbers of this run can be trusted (the ratios between the servers hold better).
 */
function calibrate(): number[] {
  const out: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    execFileSync("taskset", ["-c", "0", process.execPath, "-e", "let s=0;for(let i=0;i<3e7;i++)s=(s*31+i)|0;"], { stdio: "ignore" });
    out.push(performance.now() - t);
  }
  return out;
}

const spread = (xs: number[]) => Math.max(...xs) / Math.min(...xs) - 1;

async function main(): Promise<void> {
  if (cpus().length < 2) console.warn("bench: fewer than 2 cores; server and client will share one");
  // -a: every thread of this process. Without it only the main thread moved, and the client's V8
  // helper threads (parallel GC) kept running on core 0 beside the server they measure.
  execFileSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
  const ours = await bundle();
  const reference = join(ROOT, "dist", "reference.mjs");
  await build({
    entryPoints: [join(ROOT, "scripts", "bench-reference.ts")], outfile: reference, bundle: true, platform: "node", target: "node22", format: "esm", minify: true,
    banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' }, logLevel: "error",
  });
  const floor = await bundle({ entry: join(ROOT, "scripts", "bench-floor.ts"), outfile: join(ROOT, "dist", "floor", "floor.js"), codeCache: false });
  const certs = makeCerts();
  const calibrationBefore = calibrate();
  const reqs = await requests(FIELD_ORDERS);
  // The responses must be what the function means: no request of the corpus may be refused.
  for (const r of reqs) {
    const fatal = runFunction(decodeRequest(r)).results.find((x) => x.severity === 1);
    if (fatal) throw new Error(`the request corpus has a refused request: ${fatal.message}`);
  }
  const requestKB = reqs.reduce((a, r) => a + r.length, 0) / reqs.length / 1024;
  const client = args.client === "auto" ? (hasCCoreClient() ? "c-core" : "grpc-js") : args.client;
  if (client !== "c-core" && client !== "grpc-js") throw new Error(`--client ${client}: use c-core, grpc-js or auto`);
  if (client === "c-core" && !hasCCoreClient()) throw new Error("--client c-core needs Debian's python3-grpcio (apt-get install python3-grpcio)");
  const drive = client === "c-core" ? loadCCore : load;
  // The floor sends the function's own responses, looked up by request size (bench-floor.ts).
  const floorResponse = join(ROOT, "dist", "floor", "responses.bin");
  writeFileSync(floorResponse, responseTable(reqs.map((r) => [r.length, encodeResponse(runFunction(decodeRequest(r)))])));
  console.log(`${reqs.length} requests from ${EXAMPLES.length} examples (each in ${FIELD_ORDERS} field orders), mean ${requestKB.toFixed(1)} KB; ${ROUNDS} rounds x ${SECONDS}s per concurrency; load client: ${client === "c-core" ? "gRPC C core (python3-grpcio)" : "grpc-js in this process (install python3-grpcio for the C-core client, whose own pauses are shorter)"}`);

  const targets = [
    { name: "tessera", file: ours, flags: [] as string[] },
    { name: "sdk-serve", file: reference, flags: ["--tls-server-certs-dir", certs.serverDir] },
    { name: "floor", file: floor, flags: ["--responses", floorResponse] },
  ];
  const results: Record<string, { cold: number[]; rss: number[]; runs: Record<number, Run[]> }> = {};
  for (const t of targets) results[t.name] = { cold: [], rss: [], runs: Object.fromEntries(CONCURRENCY.map((c) => [c, []])) };

  const nodeFlags = args["node-flags"].split(" ").filter(Boolean);
  // Cold starts first, alternating, each a fresh process: spawn to first successful call over mTLS.
  // Beside them, Node.js alone (spawn to exit of `node -e 0`): the part of a cold start no function controls.
  const bareNode: number[] = [];
  for (let i = 0; i < Number(args["cold-starts"]); i++) {
    for (const t of i % 2 ? [...targets].reverse() : targets) {
      const s = await start(t.name, t.file, t.flags, certs, reqs[0]!, nodeFlags);
      results[t.name]!.cold.push(s.coldStartMs);
      await stop(s);
    }
    const t0 = performance.now();
    execFileSync("taskset", ["-c", "0", process.execPath, "-e", "0"], { stdio: "ignore" });
    bareNode.push(performance.now() - t0);
  }
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order each round, so drift on the machine does not favour one side.
    for (const t of round % 2 ? [...targets].reverse() : targets) {
      const s = await start(t.name, t.file, t.flags, certs, reqs[0]!, nodeFlags);
      const r = results[t.name]!;
      for (const c of CONCURRENCY) r.runs[c]!.push(await drive(s, certs, reqs, c, SECONDS));
      r.rss.push(peakRssMiB(s.child.pid!));
      await stop(s);
      process.stdout.write(".");
    }
  }
  process.stdout.write("\n");

  const sizes = { tessera: statSync(ours).size, "sdk-serve": statSync(reference).size, floor: statSync(floor).size } as Record<string, number>;
  const noise = [...calibrationBefore, ...calibrate()];
  const report: Record<string, unknown> = { client, machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, calibrationMs: noise, calibrationSpread: spread(noise), bareNodeStartMs: { median: pct(bareNode, 50), all: bareNode } }, seconds: SECONDS, rounds: ROUNDS, requests: reqs.length, servers: {} };
  const rows: string[][] = [["server", "conc", "calls/s", "p50 ms", "p99 ms", "CPU µs/call", "CPU µs/resp KB", "peak RSS MiB", "cold start ms", "bundle KB"]];
  for (const t of targets) {
    const r = results[t.name]!;
    const perConc: Record<string, unknown> = {};
    for (const c of CONCURRENCY) {
      const runs = r.runs[c]!;
      const calls = runs.reduce((a, x) => a + x.calls, 0);
      const secs = runs.reduce((a, x) => a + x.seconds, 0);
      const cpu = runs.reduce((a, x) => a + x.cpuSeconds, 0);
      const kb = runs.reduce((a, x) => a + x.responseKB, 0);
      const lat = runs.flatMap((x) => x.latenciesMs);
      const row = { callsPerSecond: calls / secs, p50Ms: pct(lat, 50), p99Ms: pct(lat, 99), cpuMicrosPerCall: (cpu / calls) * 1e6, cpuMicrosPerResponseKB: (cpu / kb) * 1e6 };
      perConc[c] = row;
      rows.push([t.name, String(c), row.callsPerSecond.toFixed(0), row.p50Ms.toFixed(2), row.p99Ms.toFixed(2), row.cpuMicrosPerCall.toFixed(0), row.cpuMicrosPerResponseKB.toFixed(1), Math.max(...r.rss).toFixed(1), pct(r.cold, 50).toFixed(0), (sizes[t.name]! / 1024).toFixed(0)]);
    }
    (report["servers"] as Record<string, unknown>)[t.name] = { concurrency: perConc, peakRssMiB: Math.max(...r.rss), coldStartMs: { median: pct(r.cold, 50), all: r.cold }, bundleBytes: sizes[t.name], ...(t.name === "tessera" ? { codeCacheBytes: statSync(`${ours}${CODE_CACHE_SUFFIX}`).size } : {}) };
  }
  const s = report["servers"] as Record<string, any>;
  const ratio = s["tessera"].concurrency[32].cpuMicrosPerResponseKB / s["sdk-serve"].concurrency[32].cpuMicrosPerResponseKB;
  // The settled targets (issue 13): CPU per response KB at most 0.6 of the SDK's serve, and peak RSS
  // no higher than the SDK's in the same run (the transport floor showed an absolute 80 MiB is out of
  // reach on Node.js with grpc-js and TLS). p99 and cold start are reported, not targets: both follow
  // the host and the transport floor printed beside them.
  const sdkRss = s["sdk-serve"].peakRssMiB;
  const targetsMet = {
    cpuPerResponseKBRatio: { value: ratio, target: 0.6, ok: ratio <= 0.6 },
    peakRssMiB: { value: s["tessera"].peakRssMiB, target: sdkRss, ok: s["tessera"].peakRssMiB <= sdkRss, floor: s["floor"].peakRssMiB, of: "the SDK's serve in this run" },
  };
  const reported = {
    p99AtConcurrency32Ms: { value: s["tessera"].concurrency[32].p99Ms, floor: s["floor"].concurrency[32].p99Ms },
    coldStartMs: { value: s["tessera"].coldStartMs.median, floor: s["floor"].coldStartMs.median },
    bundleMB: { value: sizes["tessera"]! / 1e6 },
  };
  report["reported"] = reported;
  report["targets"] = targetsMet;

  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i]!)).join("  "));
  console.log(`\nNode.js alone starts and exits in ${pct(bareNode, 50).toFixed(0)} ms here (median); cold starts include it.`);
  const noisy = spread(noise) > 0.1;
  console.log(`machine: a fixed workload on core 0 varied by ${(spread(noise) * 100).toFixed(0)}% across the run${noisy ? " (over 10%: neighbours share this host; trust the ratios more than the absolute numbers)" : ""}`);
  console.log("\ntargets (tessera):");
  for (const [k, v] of Object.entries(targetsMet) as Array<[string, { value: number; target: number; ok: boolean; floor?: number; of?: string }]>) {
    console.log(`  ${v.ok ? "ok  " : "MISS"} ${k}: ${v.value.toFixed(2)} (target ${v.target.toFixed(2)}${v.of ? `, ${v.of}` : ""}${v.floor === undefined ? "" : `; the transport alone, doing no work: ${v.floor.toFixed(2)}`})`);
  }
  console.log("reported (tessera; not targets):");
  for (const [k, v] of Object.entries(reported) as Array<[string, { value: number; floor?: number }]>) {
    console.log(`       ${k}: ${v.value.toFixed(2)}${v.floor === undefined ? "" : ` (the transport alone, doing no work: ${v.floor.toFixed(2)})`}`);
  }
  console.log("floor: the same grpc-js transport, windows and mTLS sending the function's responses, precomputed (scripts/bench-floor.ts)");

  if (args.profile) {
    // Profile an unminified twin of the bundle, so the report names functions.
    const named = await bundle({ outfile: join(ROOT, "dist", "profile", "function.js"), minify: false });
    report["profile"] = await profile(named, certs, reqs);
  }
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, "bench.json"), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${join(OUT, "bench.json")}`);
}

/** Runs the bundle under --cpu-prof at concurrency 32 and sums self time per function. */
async function profile(file: string, certs: Certs, reqs: Buffer[]): Promise<Array<{ fn: string; selfPercent: number }>> {
  const dir = join(OUT, "profile");
  mkdirSync(dir, { recursive: true });
  const s = await start("tessera", file, [], certs, reqs[0]!, ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
  await load(s, certs, reqs, 32, SECONDS);
  await stop(s);
  const newest = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
  const prof = JSON.parse(readFileSync(newest, "utf8")) as { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[] };
  const counts = new Map<number, number>();
  for (const id of prof.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const byFn = new Map<string, number>();
  for (const n of prof.nodes) {
    const key = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.replace(/^.*\//, "")}`;
    byFn.set(key, (byFn.get(key) ?? 0) + (counts.get(n.id) ?? 0));
  }
  const total = prof.samples.length;
  const top = [...byFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([fn, n]) => ({ fn, selfPercent: (100 * n) / total }));
  console.log(`\nprofile (${newest}), self time at concurrency 32:`);
  for (const t of top) console.log(`  ${t.selfPercent.toFixed(1).padStart(5)}%  ${t.fn}`);
  return top;
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.stack : String(e)}`);
    process.exit(1);
  },
);
