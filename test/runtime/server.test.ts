/**
 * The production bundle as Crossplane runs it: a real process on loopback, a real gRPC client
 * built from Crossplane's .proto, certificates made by openssl.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunFunctionRequest } from "@crossplane-org/function-sdk-typescript";
import { runFunction } from "../../functions/fn.ts";
import { options } from "../../functions/runtime/flags.ts";
import { SESSION_WINDOW_BYTES, STREAM_WINDOW_BYTES } from "../../functions/runtime/transport.ts";
import { BUNDLE, CODE_CACHE_SUFFIX } from "../../scripts/build.ts";
import { grpcRunner } from "../../scripts/function-client.ts";
import { render } from "../../scripts/render-engine.ts";
import { EXAMPLES, example, NETWORKS, passwordSecret, requiredFor } from "../support/fixtures.ts";
import { call, client, fromStruct, makeCerts, rawCall, startFunction, toStruct, type Certs, type Proc } from "../support/grpc.ts";

/** The requests Crossplane would send while rendering `path` (captured from the in-process render). */
async function requestsFor(path: string): Promise<RunFunctionRequest[]> {
  const xr = example(path);
  const seen: RunFunctionRequest[] = [];
  await render({ xr, required: requiredFor(xr), runner: (req) => (seen.push(structuredClone(req)), runFunction(req)) });
  return seen;
}

/** A RunFunctionRequest as proto-loader wants it: Structs as { fields }, bytes as Buffers. */
function wireRequest(req: RunFunctionRequest): unknown {
  const resource = (r: any) => r && { resource: r.resource && toStruct(r.resource), connectionDetails: r.connectionDetails ?? {}, ready: r.ready ?? 0 };
  const state = (s: any) => s && { composite: resource(s.composite), resources: Object.fromEntries(Object.entries(s.resources ?? {}).map(([k, v]) => [k, resource(v)])) };
  return {
    meta: req.meta,
    observed: state(req.observed),
    desired: state(req.desired),
    requiredResources: Object.fromEntries(Object.entries(req.requiredResources ?? {}).map(([k, v]) => [k, { items: v.items.map(resource) }])),
  };
}

/** The parts of a response a comparison cares about, from proto-loader's shape. */
function plain(rsp: any) {
  return {
    tag: rsp.meta.tag,
    ttl: Number(rsp.meta.ttl?.seconds ?? 0),
    composite: rsp.desired?.composite?.resource ? fromStruct(rsp.desired.composite.resource) : undefined,
    resources: Object.fromEntries(Object.entries(rsp.desired?.resources ?? {}).map(([k, v]: [string, any]) => [k, { resource: fromStruct(v.resource), ready: v.ready }])),
    results: rsp.results.map((r: any) => ({ severity: r.severity, message: r.message, reason: r.reason })),
    requirements: Object.fromEntries(Object.entries(rsp.requirements?.resources ?? {}).map(([k, v]: [string, any]) => [k, { apiVersion: v.apiVersion, kind: v.kind, matchName: v.matchName, namespace: v.namespace }])),
    conditions: rsp.conditions.map((c: any) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
  };
}

function plainInProcess(req: RunFunctionRequest) {
  const rsp = runFunction(req);
  return JSON.parse(JSON.stringify({
    tag: rsp.meta?.tag,
    ttl: rsp.meta?.ttl?.seconds ?? 0,
    composite: rsp.desired?.composite?.resource,
    resources: Object.fromEntries(Object.entries(rsp.desired?.resources ?? {}).map(([k, v]) => [k, { resource: v.resource, ready: v.ready }])),
    results: rsp.results.map((r) => ({ severity: r.severity, message: r.message, reason: r.reason })),
    requirements: Object.fromEntries(Object.entries(rsp.requirements?.resources ?? {}).map(([k, v]) => [k, { apiVersion: v.apiVersion, kind: v.kind, matchName: v.matchName, namespace: v.namespace }])),
    conditions: rsp.conditions.map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
  }));
}

/** One plaintext call for an example's first request, answered without results; then SIGTERM and exit 0. */
async function servesThenStops(p: Proc, path: string): Promise<void> {
  const c = client(p.port, grpc.credentials.createInsecure());
  const [req] = await requestsFor(path);
  expect(plain(await call(c, wireRequest(req!))).results).toEqual([]);
  c.close();
  p.child.kill("SIGTERM");
  expect(await p.exit).toBe(0);
}

let certs: Certs;
let mtls: Proc;
let mtlsCreds: grpc.ChannelCredentials;

beforeAll(async () => {
  certs = makeCerts();
  // Through the environment variable, as Crossplane's package manager configures it.
  mtls = await startFunction(["--debug"], { TLS_SERVER_CERTS_DIR: certs.serverDir });
  mtlsCreds = grpc.credentials.createSsl(certs.ca, certs.client.key, certs.client.cert);
});

afterAll(() => {
  mtls?.child.kill("SIGKILL");
});

describe("mTLS", () => {
  it("answers a client whose certificate is signed by ca.crt, exactly as the in-process function does", async () => {
    for (const path of ["examples/network/aws-broxiva.yaml", "examples/postgres-database/azure-broxiva.yaml"]) {
      const c = client(mtls.port, mtlsCreds);
      for (const req of await requestsFor(path)) {
        const got = plain(await call(c, wireRequest(req)));
        expect(got).toEqual(plainInProcess(req));
      }
      c.close();
    }
  });

  it("refuses a client without a certificate", async () => {
    const c = client(mtls.port, grpc.credentials.createSsl(certs.ca));
    const [req] = await requestsFor("examples/network/aws-minimal.yaml");
    await expect(call(c, wireRequest(req!), 5_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    c.close();
  });

  it("refuses a client whose certificate comes from another CA", async () => {
    const c = client(mtls.port, grpc.credentials.createSsl(certs.ca, certs.stranger.key, certs.stranger.cert));
    const [req] = await requestsFor("examples/network/aws-minimal.yaml");
    await expect(call(c, wireRequest(req!), 5_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    c.close();
  });

  it("refuses a plaintext client", async () => {
    const c = client(mtls.port, grpc.credentials.createInsecure());
    const [req] = await requestsFor("examples/network/aws-minimal.yaml");
    await expect(call(c, wireRequest(req!), 5_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    c.close();
  });
});

describe("protocol", () => {
  it("serves the v1beta1 service name as well as v1", async () => {
    const c = client(mtls.port, mtlsCreds, "v1beta1");
    const req = (await requestsFor("examples/network/azure-minimal.yaml")).at(-1); // the last call: the Network's required Usages served
    const rsp = plain(await call(c, wireRequest(req!)));
    expect(Object.keys(rsp.resources).length).toBeGreaterThan(5);
    c.close();
  });

  it("grants each connection and each stream a receive window wide enough for a large request", async () => {
    // Seen from a plain HTTP/2 client: the server's SETTINGS and its connection WINDOW_UPDATE.
    const session = connect(`https://localhost:${mtls.port}`, { ca: certs.ca, key: certs.client.key, cert: certs.client.cert });
    try {
      session.on("error", () => {});
      // The server's first SETTINGS carry Node's defaults; the wider ones follow as it takes the session.
      const granted = () => session.remoteSettings?.initialWindowSize === STREAM_WINDOW_BYTES && session.state.remoteWindowSize === SESSION_WINDOW_BYTES;
      for (let i = 0; i < 200 && !granted(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(session.remoteSettings.initialWindowSize).toBe(STREAM_WINDOW_BYTES);
      expect(session.state.remoteWindowSize).toBe(SESSION_WINDOW_BYTES);
    } finally {
      session.destroy();
    }
  });

  it("answers many different calls at once, each with its own response", async () => {
    // Responses are encoded in one shared scratch buffer: concurrency must never mix them up.
    const c = client(mtls.port, mtlsCreds);
    const reqs = (await Promise.all(EXAMPLES.map(requestsFor))).flat();
    const got = await Promise.all(reqs.map((r) => call(c, wireRequest(r))));
    expect(reqs.length).toBeGreaterThan(20);
    got.forEach((rsp, i) => expect(plain(rsp)).toEqual(plainInProcess(reqs[i]!)));
    c.close();
  });

  it("answers a gzip-compressed request (the bundle loads zlib only when a call needs it)", async () => {
    // grpc.default_compression_algorithm 2 = gzip: the client compresses every request it sends.
    const c = client(mtls.port, mtlsCreds, "v1", { "grpc.default_compression_algorithm": 2 });
    const [req] = await requestsFor("examples/postgres-database/aws-vivr.yaml");
    expect(plain(await call(c, wireRequest(req!)))).toEqual(plainInProcess(req!));
    c.close();
  });

  it("echoes meta.tag and sets a TTL so Crossplane calls again", async () => {
    const c = client(mtls.port, mtlsCreds);
    const [req] = await requestsFor("examples/network/aws-minimal.yaml");
    const rsp = plain(await call(c, wireRequest({ ...req!, meta: { tag: "tag-42", capabilities: [] } })));
    expect(rsp.tag).toBe("tag-42");
    expect(rsp.ttl).toBe(60);
    c.close();
  });

  it("answers a request with no observed XR, or an XR of an unknown kind, with a fatal result", async () => {
    const c = client(mtls.port, mtlsCreds);
    const none = plain(await call(c, { meta: { tag: "t" } }));
    expect(none.results).toEqual([expect.objectContaining({ severity: 1, reason: "NoCompositeResource" })]);
    const alien = plain(await call(c, { meta: { tag: "t" }, observed: { composite: { resource: toStruct({ apiVersion: "example.org/v1", kind: "Bucket", metadata: { name: "b" } }) } } }));
    expect(alien.results).toEqual([expect.objectContaining({ severity: 1, reason: "UnknownKind" })]);
    expect(alien.results[0].message).toContain("platform.tessera.io/v1alpha1");
    c.close();
  });

  it("answers malformed bytes with INVALID_ARGUMENT and keeps serving", async () => {
    await expect(rawCall(mtls.port, mtlsCreds, Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f, 0x01]))).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(rawCall(mtls.port, mtlsCreds, Buffer.from([0x0f]))).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    const c = client(mtls.port, mtlsCreds);
    const [req] = await requestsFor("examples/network/aws-minimal.yaml");
    expect(plain(await call(c, wireRequest(req!))).results).toEqual([]);
    c.close();
  });

  it("keeps serving when callers give up on calls still waiting to be composed", async () => {
    // Many calls at once with a 1 ms deadline: most expire while queued, and are dropped, not composed.
    const c = client(mtls.port, mtlsCreds);
    const reqs = (await requestsFor("examples/network/aws-broxiva.yaml")).map(wireRequest);
    const outcomes = await Promise.allSettled(Array.from({ length: 64 }, (_, i) => call(c, reqs[i % reqs.length], 1)));
    for (const o of outcomes) if (o.status === "rejected") expect(o.reason).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    expect(outcomes.some((o) => o.status === "rejected")).toBe(true);
    expect(plain(await call(c, reqs[0])).results).toEqual([]);
    c.close();
  });

  it("logs one structured line per call with --debug, and never a password", async () => {
    const c = client(mtls.port, mtlsCreds);
    const xr = example("examples/postgres-database/aws-minimal.yaml");
    const reqs: RunFunctionRequest[] = [];
    await render({ xr, required: [...NETWORKS, passwordSecret(xr, "hunter2-secret")], runner: (r) => (reqs.push(structuredClone(r)), runFunction(r)) });
    for (const req of reqs) await call(c, wireRequest(req));
    c.close();
    // The server logs after answering, and its stderr reaches us asynchronously: wait for the lines.
    const calls = () => mtls.logs().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l["msg"] === "RunFunction" && l["name"] === "orders");
    for (let i = 0; i < 100 && calls().length < reqs.length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(calls().length).toBeGreaterThanOrEqual(reqs.length);
    expect(calls()[0]).toMatchObject({ level: "debug", kind: "PostgresDatabase", namespace: "team-a", ms: expect.any(Number), responseBytes: expect.any(Number) });
    expect(mtls.logs()).not.toContain("hunter2-secret");
    expect(mtls.logs()).not.toContain(Buffer.from("hunter2-secret").toString("base64"));
  });
});

describe("render --function-address", () => {
  it("renders every example through the running function exactly as in process", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-client-"));
    writeFileSync(join(dir, "ca.crt"), certs.ca);
    writeFileSync(join(dir, "tls.crt"), certs.client.cert);
    writeFileSync(join(dir, "tls.key"), certs.client.key);
    const remote = grpcRunner(`127.0.0.1:${mtls.port}`, dir, "localhost");
    try {
      for (const path of EXAMPLES.filter((p) => !p.endsWith("functions.yaml"))) {
        const xr = example(path);
        const input = { xr, required: requiredFor(xr) };
        const [local, viaGrpc] = [await render(input), await render({ ...input, runner: remote.runner })];
        expect({ xr: viaGrpc.xr, resources: viaGrpc.resources }, path).toEqual({ xr: local.xr, resources: local.resources });
      }
    } finally {
      remote.close();
    }
  });
});

describe("lifecycle", () => {
  it("refuses to start without certificates unless --insecure", async () => {
    await expect(startFunction([])).rejects.toThrow(/no TLS certificates.*--insecure/);
    await expect(startFunction(["--tls-certs-dir", certs.dir])).rejects.toThrow(/has no tls\.crt/);
  });

  it("serves plaintext with --insecure, as crossplane composition render expects", async () => {
    await servesThenStops(await startFunction(["--insecure"]), "examples/network/aws-minimal.yaml");
  });

  it("drains calls in flight on SIGTERM and exits 0", async () => {
    const p = await startFunction(["--insecure"]);
    const c = client(p.port, grpc.credentials.createInsecure());
    const reqs = await requestsFor("examples/postgres-database/aws-broxiva.yaml");
    const wire = wireRequest(reqs[reqs.length - 1]!);
    await call(c, wire); // connected
    const inflight = Array.from({ length: 50 }, () => call(c, wire));
    // The calls are on the wire before the signal: the server must answer every one of them.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
    p.child.kill("SIGTERM");
    const settled = await Promise.allSettled(inflight);
    const failed = settled.filter((s) => s.status === "rejected") as PromiseRejectedResult[];
    // A call the server had not yet accepted may be refused as UNAVAILABLE, never cut off half-way.
    for (const f of failed) expect(f.reason.code).toBe(grpc.status.UNAVAILABLE);
    expect(settled.some((s) => s.status === "fulfilled")).toBe(true);
    expect(await p.exit).toBe(0);
    expect(p.logs()).toContain('"msg":"stopped"');
    c.close();
  });

  it("exits 0 on a SIGTERM that comes the moment it starts serving", async () => {
    for (let i = 0; i < 3; i++) {
      const p = await startFunction(["--insecure"]);
      p.child.kill("SIGTERM");
      expect(await p.exit).toBe(0);
      expect(p.logs()).toContain('"msg":"stopped"');
    }
  });

  it("parses the flags Crossplane and operators pass", () => {
    expect(options(["--insecure"], {})).toMatchObject({ address: "0.0.0.0:9443", insecure: true, tlsCertsDir: undefined, maxMessageBytes: 16 * 1024 * 1024 });
    expect(options([], { TLS_SERVER_CERTS_DIR: "/tls/server" })).toMatchObject({ tlsCertsDir: "/tls/server", insecure: false });
    expect(options(["--tls-certs-dir", "/x", "--max-message-size", "4096", "-d"], { TLS_SERVER_CERTS_DIR: "/tls/server" })).toMatchObject({ tlsCertsDir: "/x", maxMessageBytes: 4096, debug: true });
    expect(() => options(["--max-message-size", "lots"], {})).toThrow(/--max-message-size: got "lots"/);
    expect(() => options(["--bogus"], {})).toThrow(/bogus.*--help/);
  });
});

describe("production bundle and its code cache", () => {
  /** The bundle (and, if given, a cache file) alone in a directory, as in the image: no package.json, no node_modules. */
  function imageLike(cache?: Buffer): string {
    const dir = mkdtempSync(join(tmpdir(), "tessera-image-"));
    copyFileSync(BUNDLE, join(dir, "function.js"));
    if (cache) writeFileSync(join(dir, `function.js${CODE_CACHE_SUFFIX}`), cache);
    return join(dir, "function.js");
  }
  const recorded = () => readFileSync(`${BUNDLE}${CODE_CACHE_SUFFIX}`);
  const codeCache = (p: Proc) => (JSON.parse(p.logs().split("\n").find((l) => l.includes('"msg":"serving"'))!) as { codeCache: string }).codeCache;

  const serves = (p: Proc) => servesThenStops(p, "examples/redis-cluster/aws-minimal.yaml");

  it("starts from the cache recorded at build time", async () => {
    const p = await startFunction(["--insecure"], {}, imageLike(recorded()));
    expect(codeCache(p)).toBe("used");
    await serves(p);
  });

  it("starts without a cache, or with one recorded for another build or refused by V8, and says which", async () => {
    const header = recorded().subarray(0, recorded().indexOf(0x0a) + 1);
    const cases: Array<[Buffer | undefined, RegExp]> = [
      [undefined, /^absent$/],
      [Buffer.concat([Buffer.from(`tessera-code-cache ${"0".repeat(64)}\n`), recorded().subarray(header.length)]), /^stale/],
      [Buffer.concat([header, Buffer.from("not V8 code cache data")]), /^rejected by V8/],
    ];
    for (const [cache, state] of cases) {
      const p = await startFunction(["--insecure"], {}, imageLike(cache));
      expect(codeCache(p)).toMatch(state);
      await serves(p);
    }
  });
});
