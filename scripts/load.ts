/**
 * Load-generation helpers shared by `npm run bench` and `npm run soak`: the request corpus built from
 * the examples, a pinned server process over mTLS, and a closed-loop client.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { connect, createServer } from "node:net";
import * as grpc from "@grpc/grpc-js";
import type { RunFunctionRequest } from "@crossplane-org/function-sdk-typescript";
import { runFunction } from "../functions/fn.ts";
import { encodeRequest } from "../functions/runtime/wire.ts";
import { CONNECTION_DETAILS, EXAMPLES, example, observe, requiredFor } from "../test/support/fixtures.ts";
import type { Certs } from "./certs.ts";
import { render } from "./render-engine.ts";

const METHOD = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction";
const CLK_TCK = 100;

/** How many field orders of each request the bench and the soak send. */
export const FIELD_ORDERS = 4;

/**
 * What Crossplane sends while composing each example: first passes and passes with everything
 * observed. Crossplane marshals Structs from Go maps, so each call carries the same objects with
 * their fields in another order; `variants` copies of each request have their fields shuffled
 * (deterministically), so a server cannot benefit from an order real requests do not keep. The
 * corpus is then shuffled (deterministically too).
 */
export async function requests(variants = 1): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let seed = 20261122;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const shuffled = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(shuffled);
    if (v === null || typeof v !== "object" || ArrayBuffer.isView(v)) return v;
    const entries = Object.entries(v);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    return Object.fromEntries(entries.map(([k, x]) => [k, shuffled(x)]));
  };
  for (const path of EXAMPLES) {
    for (const req of await exampleRequests(path)) {
      out.push(encodeRequest(req));
      for (let i = 1; i < variants; i++) out.push(encodeRequest(shuffled(req) as RunFunctionRequest));
    }
  }
  // Sent in a mixed order, as concurrent reconciles of many XRs arrive: in corpus order the field-order
  // variants of one request, and the large observed passes of one example, came in bursts, so at
  // concurrency 32 all callers waited behind a run of the largest requests at once.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** What Crossplane sends while composing one example: its first passes, then passes with everything observed. */
export async function exampleRequests(path: string): Promise<RunFunctionRequest[]> {
  const xr = example(path);
  const required = requiredFor(xr);
  const seen: RunFunctionRequest[] = [];
  const runner = (req: RunFunctionRequest) => (seen.push(structuredClone(req)), runFunction(req));
  const first = await render({ xr, required, runner });
  await render({ xr, required, observed: observe(first.resources), connectionDetails: CONNECTION_DETAILS, runner });
  return seen;
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

export interface Server {
  name: string;
  child: ChildProcess;
  port: number;
  coldStartMs: number;
}

export function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime
}

export function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function client(port: number, certs: Certs): grpc.Client {
  return new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(certs.ca, certs.client.key, certs.client.cert), { "grpc.ssl_target_name_override": "localhost", "grpc.max_receive_message_length": 64 << 20, "grpc-node.flow_control_window": 4 << 20 });
}

const id = (b: Buffer) => b;
export function call(c: grpc.Client, req: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => c.makeUnaryRequest(METHOD, id, id, req, (err, rsp) => (err ? reject(err) : resolve(rsp!))));
}

export async function start(name: string, file: string, flags: string[], certs: Certs, probe: Buffer, extraNode: string[] = []): Promise<Server> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn("taskset", ["-c", "0", process.execPath, ...extraNode, file, "--address", `127.0.0.1:${port}`, ...flags], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, TLS_SERVER_CERTS_DIR: certs.serverDir } });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  // Poll the port with plain TCP: a gRPC channel that fails once backs off for a second, which
  // would measure grpc-js's retry policy instead of the server's start.
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const sock = connect(port, "127.0.0.1", () => (sock.destroy(), resolve(true)));
      sock.on("error", () => resolve(false));
    });
    if (open) break;
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}: ${stderr}`);
    if (performance.now() - t0 > 10_000) throw new Error(`${name} did not listen within 10 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 1));
  }
  const c = client(port, certs);
  await call(c, probe);
  const coldStartMs = performance.now() - t0;
  c.close();
  return { name, child, port, coldStartMs };
}

export async function stop(s: Server): Promise<void> {
  const exited = new Promise((r) => s.child.on("exit", r));
  s.child.kill("SIGTERM");
  await exited;
}

export interface Run {
  calls: number;
  seconds: number;
  latenciesMs: number[];
  cpuSeconds: number;
  responseKB: number;
}

/**
 * A closed loop of `concurrency` callers for `seconds`. Before measuring, every request is sent once
 * and then the same loop runs for `warmupSeconds`, so the measurement sees the server's steady state
 * (optimized code, grown heap); cold start is measured on its own.
 */
export async function load(s: Server, certs: Certs, reqs: Buffer[], concurrency: number, seconds: number, warmupSeconds = 2): Promise<Run> {
  const c = client(s.port, certs);
  for (const r of reqs) await call(c, r); // every request shape at least once
  let next = 0;
  const loop = async (until: number, each?: (ms: number, bytes: number) => void) =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          const req = reqs[next++ % reqs.length]!;
          const a = performance.now();
          const rsp = await call(c, req);
          each?.(performance.now() - a, rsp.length);
        }
      }),
    );
  await loop(performance.now() + warmupSeconds * 1000);
  const latencies: number[] = [];
  let bytes = 0;
  const ticks0 = cpuTicks(s.child.pid!);
  const t0 = performance.now();
  await loop(t0 + seconds * 1000, (ms, n) => {
    latencies.push(ms);
    bytes += n;
  });
  const elapsed = (performance.now() - t0) / 1000;
  const cpuSeconds = (cpuTicks(s.child.pid!) - ticks0) / CLK_TCK;
  c.close();
  return { calls: latencies.length, seconds: elapsed, latenciesMs: latencies, cpuSeconds, responseKB: bytes / 1024 };
}

/** Current resident set of a process, MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Debian's python3 with gRPC's C core (python3-grpcio), if this machine has it. */
export const C_CORE_PYTHON = "/usr/bin/python3";
export function hasCCoreClient(): boolean {
  try {
    execFileSync(C_CORE_PYTHON, ["-c", "import grpc.aio"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * load(), driven by scripts/load_client.py on gRPC's C core in its own process, pinned to core 1.
 * The same closed loop, requests and measures; the server's CPU is read over the measured window,
 * which the client announces.
 */
export async function loadCCore(s: Server, certs: Certs, reqs: Buffer[], concurrency: number, seconds: number, warmupSeconds = 2): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-load-"));
  try {
    const corpus = join(dir, "corpus.bin");
    writeFileSync(corpus, Buffer.concat(reqs.flatMap((r) => {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(r.length);
      return [length, r];
    })));
    const latencyFile = join(dir, "latencies.bin");
    const script = join(import.meta.dirname, "load_client.py");
    const child = spawn("taskset", ["-c", "1", C_CORE_PYTHON, script, String(s.port), certs.dir, corpus, String(concurrency), String(warmupSeconds), String(seconds), latencyFile], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    let ticks0 = 0;
    let summary: { calls: number; seconds: number; responseBytes: number } | undefined;
    let cpuSeconds = 0;
    for await (const line of createInterface({ input: child.stdout! })) {
      if (line === "measuring") ticks0 = cpuTicks(s.child.pid!);
      else if (line.startsWith("{")) {
        cpuSeconds = (cpuTicks(s.child.pid!) - ticks0) / CLK_TCK;
        summary = JSON.parse(line) as typeof summary;
      }
    }
    const code = await exited;
    if (code !== 0 || !summary) throw new Error(`load_client.py exited ${code}: ${stderr}`);
    const raw = readFileSync(latencyFile);
    const latenciesMs = Array.from(new Float64Array(raw.buffer, raw.byteOffset, raw.length / 8));
    return { calls: summary.calls, seconds: summary.seconds, latenciesMs, cpuSeconds, responseKB: summary.responseBytes / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
