/**
 * The function under hostile input, as a real process: only a client holding a certificate from
 * ca.crt reaches it, but one bad client must not take it down for every XR (issue 13, items 1-6).
 */
import { readFileSync, writeFileSync, mkdtempSync, cpSync } from "node:fs";
import { connect, constants as h2, type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunFunctionRequest } from "@crossplane-org/function-sdk-typescript";
import { CACHE_BYTES } from "../../functions/shared/parse.ts";
import { encodeRequest, MAX_DEPTH } from "../../functions/runtime/wire.ts";
import { MAX_CONCURRENT_STREAMS } from "../../functions/runtime/transport.ts";
import { example } from "../support/fixtures.ts";
import { call, client, makeCerts, rawCall, startFunction, type Certs, type Proc } from "../support/grpc.ts";

const METHOD = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction";
const network = example("examples/network/aws-minimal.yaml");

/** A request for `xr` with `spec` in place of its own, as bytes (our codec; proto-loader is too slow for these sizes). */
function requestWith(spec: unknown, name = "big"): Buffer {
  const xr = { ...network, metadata: { ...network.metadata, name }, spec };
  const req: RunFunctionRequest = {
    meta: { tag: name, capabilities: [] },
    observed: { composite: { resource: xr as never, connectionDetails: {}, ready: 0 }, resources: {} },
    desired: undefined,
    extraResources: {},
    credentials: {},
    requiredResources: {},
    requiredSchemas: {},
  };
  return encodeRequest(req);
}

/** gRPC's length-prefixed message framing. */
const framed = (len: number) => Buffer.from([0, (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff]);

/** Opens a RunFunction stream over plain HTTP/2 and sends `bytes` of a message declared `declared` long, never ending it. */
function unfinished(session: ClientHttp2Session, declared: number, bytes: number): { stream: ClientHttp2Stream; closed: Promise<number> } {
  const stream = session.request({ ":method": "POST", ":path": METHOD, "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => {});
  stream.on("data", () => {});
  stream.write(Buffer.concat([framed(declared), Buffer.alloc(bytes, 0x41)]));
  const closed = new Promise<number>((resolve) => stream.on("close", () => resolve(stream.rstCode ?? -1)));
  return { stream, closed };
}

/** The process's peak resident memory (VmHWM), in MiB. */
const peakRssMiB = (p: Proc) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.child.pid}/status`, "utf8"))![1]) / 1024;

/** One client for many raw calls (rawCall opens a connection per call). */
function rawClient(port: number) {
  const id = (b: Buffer) => b;
  const c = new grpc.Client(`127.0.0.1:${port}`, creds, { "grpc.ssl_target_name_override": "localhost", "grpc.max_send_message_length": -1 });
  return {
    call: (bytes: Buffer) => new Promise<Buffer>((resolve, reject) => c.makeUnaryRequest(METHOD, id, id, bytes, (err, rsp) => (err ? reject(err) : resolve(rsp!)))),
    close: () => c.close(),
  };
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))]);

let certs: Certs;
let mtls: Proc;
let creds: grpc.ChannelCredentials;
const session = () => {
  const s = connect(`https://localhost:${mtls.port}`, { ca: certs.ca, key: certs.client.key, cert: certs.client.cert });
  s.on("error", () => {});
  return s;
};

beforeAll(async () => {
  certs = makeCerts();
  mtls = await startFunction(["--debug", "--request-timeout", "1"], { TLS_SERVER_CERTS_DIR: certs.serverDir });
  creds = grpc.credentials.createSsl(certs.ca, certs.client.key, certs.client.cert);
});
afterAll(() => mtls?.child.kill("SIGKILL"));

/** A normal call still answers. */
async function stillServes(): Promise<void> {
  const c = client(mtls.port, creds);
  const rsp = await call(c, { meta: { tag: "t" } });
  expect(rsp.results[0].reason).toBe("NoCompositeResource");
  c.close();
}

describe("parse cache (13.1)", () => {
  it("is bounded by bytes: many distinct large specs never hold more than its budget", async () => {
    // 120 distinct specs of 100 KiB each (refused, unknown field; refusals are cached too), each
    // about 400 KB in the cache: 48 MB, more than the cache may hold.
    const junk = "x".repeat(100 << 10);
    const c = rawClient(mtls.port);
    for (let i = 0; i < 120; i++) {
      await expect(c.call(requestWith({ provider: "aws", region: "us-east-1", cidr: "10.0.0.0/16", [`junk${i}`]: junk }, `n${i}`))).resolves.toBeInstanceOf(Buffer);
    }
    const stats = () => mtls.logs().trim().split("\n").map((l) => JSON.parse(l) as { msg: string; tag?: string; parseCache?: { entries: number; bytes: number } }).filter((l) => l.msg === "RunFunction" && l.tag?.startsWith("n"));
    for (let i = 0; i < 100 && stats().length < 120; i++) await new Promise((r) => setTimeout(r, 20));
    const seen = stats().map((l) => l.parseCache!);
    expect(seen.length).toBe(120);
    expect(Math.max(...seen.map((s) => s.bytes))).toBeLessThanOrEqual(CACHE_BYTES);
    expect(seen.at(-1)!.entries).toBeLessThan(120);
    expect(seen.at(-1)!.entries).toBeGreaterThan(10);
    // A spec larger than one entry may be is parsed, refused, and not kept.
    const before = seen.at(-1)!;
    await c.call(requestWith({ provider: "aws", huge: "y".repeat(2 << 20) }, "n-huge"));
    c.close();
    for (let i = 0; i < 100 && stats().length < 121; i++) await new Promise((r) => setTimeout(r, 20));
    expect(stats().at(-1)!.parseCache!.bytes).toBeLessThanOrEqual(before.bytes);
  });
});

describe("decode limits (13.2)", () => {
  it("refuses a request of millions of tiny values with RESOURCE_EXHAUSTED, and a concurrent call is answered meanwhile", async () => {
    const flood = requestWith({ provider: "aws", list: Array.from({ length: 900_000 }, () => ({})) });
    expect(flood.length).toBeLessThan(4 << 20);
    const c = client(mtls.port, creds);
    const [refused, other] = await Promise.allSettled([rawCall(mtls.port, creds, flood), call(c, { meta: { tag: "t" } })]);
    expect(refused).toMatchObject({ status: "rejected", reason: { code: grpc.status.RESOURCE_EXHAUSTED } });
    expect((refused as PromiseRejectedResult).reason.details).toMatch(/more than 500000 values/);
    expect(other.status).toBe("fulfilled");
    c.close();
    await stillServes();
    // Before the limit, 15 MiB of this raised RSS by 670 MiB; now decoding stops at 500,000 values.
    expect(peakRssMiB(mtls)).toBeLessThan(400);
  });

  it("refuses lists nested deeper than the limit, as it refuses Structs", async () => {
    let deepList: unknown = "leaf";
    for (let i = 0; i < MAX_DEPTH + 2; i++) deepList = [deepList];
    await expect(rawCall(mtls.port, creds, requestWith({ provider: "aws", deep: deepList }))).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringMatching(/nested deeper than 64/) });
    let deepStruct: unknown = "leaf";
    for (let i = 0; i < MAX_DEPTH + 2; i++) deepStruct = { a: deepStruct };
    await expect(rawCall(mtls.port, creds, requestWith({ provider: "aws", deep: deepStruct }))).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    await stillServes();
  });
});

describe("HTTP/2 limits (13.3)", () => {
  it("advertises a concurrent stream limit", async () => {
    const s = session();
    try {
      for (let i = 0; i < 200 && s.remoteSettings?.maxConcurrentStreams !== MAX_CONCURRENT_STREAMS; i++) await new Promise((r) => setTimeout(r, 10));
      expect(s.remoteSettings.maxConcurrentStreams).toBe(MAX_CONCURRENT_STREAMS);
    } finally {
      s.destroy();
    }
  });

  it("refuses a request over the default 4 MiB with RESOURCE_EXHAUSTED", async () => {
    await expect(rawCall(mtls.port, creds, requestWith({ provider: "aws", junk: "z".repeat(5 << 20) }))).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    await stillServes();
  });

  it("cancels a request stream that is not finished in time", async () => {
    const s = session();
    try {
      const { closed } = unfinished(s, 100_000, 1_000);
      // --request-timeout 1 on this process.
      expect(await within(closed, 5_000, "stream closed")).toBe(h2.NGHTTP2_CANCEL);
      expect(mtls.logs()).toContain("cancelled a request not sent in time");
    } finally {
      s.destroy();
    }
    await stillServes();
  });

  it("refuses requests beyond the memory budget for requests still being received", async () => {
    // --max-message-size 1 MiB: the budget is 16 MiB. 24 streams of almost 1 MiB each, unfinished.
    const p = await startFunction(["--insecure", "--max-message-size", String(1 << 20), "--request-timeout", "30"]);
    const s = connect(`http://127.0.0.1:${p.port}`);
    s.on("error", () => {});
    try {
      const streams = Array.from({ length: 24 }, () => unfinished(s, (1 << 20) - 100, (1 << 20) - 200));
      // Their data arrives interleaved, so which ones cross the budget varies; how many does not.
      let refused = 0;
      const enough = new Promise<void>((resolve) => streams.forEach((x) => void x.closed.then((code) => code === h2.NGHTTP2_ENHANCE_YOUR_CALM && ++refused >= 7 && resolve())));
      await within(enough, 10_000, "streams over the budget refused");
      expect(refused).toBeLessThanOrEqual(9);
      expect(p.logs()).toContain("requests being received exceed their memory budget");
      // SIGTERM with requests still unfinished: they are cancelled, and the process exits at once, not after the 25 s grace.
      const started = Date.now();
      p.child.kill("SIGTERM");
      expect(await within(p.exit, 5_000, "exit after SIGTERM")).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(p.logs()).toContain("cancelled requests not yet received whole");
    } finally {
      s.destroy();
      p.child.kill("SIGKILL");
    }
  });
});

describe("varints (13.4)", () => {
  it("refuses a varint of 2^56 or more instead of truncating it", async () => {
    // observed (field 2), length 2^63: decoded as 0 before, i.e. an empty observed state.
    const bytes = Buffer.from([0x12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    await expect(rawCall(mtls.port, creds, bytes)).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/2\^56/) });
    // 2^56 exactly, as a tag: refused too.
    await expect(rawCall(mtls.port, creds, Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await stillServes();
  });
});

describe("certificates (13.5)", () => {
  it("refuses to start with an empty or non-PEM ca.crt, or a key that is not the certificate's", async () => {
    const dir = (edit: (d: string) => void) => {
      const d = mkdtempSync(join(tmpdir(), "tessera-badcerts-"));
      cpSync(certs.serverDir, d, { recursive: true });
      edit(d);
      return d;
    };
    await expect(startFunction([], { TLS_SERVER_CERTS_DIR: dir((d) => writeFileSync(join(d, "ca.crt"), "")) })).rejects.toThrow(/ca\.crt holds no PEM certificate \(the file is empty\)/);
    await expect(startFunction([], { TLS_SERVER_CERTS_DIR: dir((d) => writeFileSync(join(d, "ca.crt"), readFileSync(join(certs.dir, "ca.crt")).toString("base64"))) })).rejects.toThrow(/ca\.crt holds no PEM certificate/);
    await expect(startFunction([], { TLS_SERVER_CERTS_DIR: dir((d) => writeFileSync(join(d, "tls.key"), readFileSync(join(certs.dir, "client.key")))) })).rejects.toThrow(/tls\.key is not the key of the certificate/);
  });

  it("logs refused TLS handshakes, at most one line a minute", async () => {
    const p = await startFunction([], { TLS_SERVER_CERTS_DIR: certs.serverDir });
    try {
      for (let i = 0; i < 3; i++) {
        const c = client(p.port, grpc.credentials.createSsl(certs.ca, certs.stranger.key, certs.stranger.cert));
        await expect(call(c, { meta: { tag: "t" } }, 5_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
        c.close();
      }
      for (let i = 0; i < 100 && !p.logs().includes("refused a TLS handshake"); i++) await new Promise((r) => setTimeout(r, 20));
      expect(p.logs().split("\n").filter((l) => l.includes("refused a TLS handshake"))).toHaveLength(1);
    } finally {
      p.child.kill("SIGKILL");
    }
  });
});

describe("TLS suites (13.6)", () => {
  /** Resolves the negotiated protocol and cipher, or rejects with the handshake's error. */
  const handshake = (opts: { maxVersion?: "TLSv1.2" | "TLSv1.3"; ciphers?: string }) =>
    new Promise<{ protocol: string | null; cipher: string }>((resolve, reject) => {
      const socket = tlsConnect({ host: "127.0.0.1", port: mtls.port, servername: "localhost", ca: certs.ca, key: certs.client.key, cert: certs.client.cert, ALPNProtocols: ["h2"], ...opts }, () => {
        const out = { protocol: socket.getProtocol(), cipher: socket.getCipher().standardName };
        socket.destroy();
        resolve(out);
      });
      socket.on("error", reject);
    });

  it("refuses TLS 1.2 suites without forward secrecy or without AEAD", async () => {
    for (const ciphers of ["AES128-SHA", "AES256-GCM-SHA384", "AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"]) {
      await expect(handshake({ maxVersion: "TLSv1.2", ciphers }), ciphers).rejects.toThrow();
    }
  });

  it("negotiates ECDHE with AEAD on TLS 1.2, and TLS 1.3", async () => {
    expect(await handshake({ maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256" })).toEqual({ protocol: "TLSv1.2", cipher: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" });
    expect(await handshake({ maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-CHACHA20-POLY1305" })).toMatchObject({ protocol: "TLSv1.2" });
    expect(await handshake({})).toMatchObject({ protocol: "TLSv1.3" });
  });
});

describe("keepalive and idle connections (13.3)", () => {
  it("pings a connected client every --keepalive seconds, so a vanished peer is found", async () => {
    const p = await startFunction(["--insecure", "--keepalive", "1"]);
    const s = connect(`http://127.0.0.1:${p.port}`);
    s.on("error", () => {});
    try {
      const pinged = new Promise<void>((resolve) => s.on("ping", () => resolve()));
      await within(pinged, 5_000, "a keepalive ping from the server");
    } finally {
      s.destroy();
      p.child.kill("SIGKILL");
    }
  });

  it("closes a connection with no call for --idle-timeout seconds (GOAWAY), and still serves new ones", async () => {
    const p = await startFunction(["--insecure", "--idle-timeout", "1"]);
    const s = connect(`http://127.0.0.1:${p.port}`);
    s.on("error", () => {});
    try {
      const started = Date.now();
      const away = new Promise<void>((resolve) => s.on("goaway", () => resolve()));
      await within(away, 6_000, "GOAWAY on an idle connection");
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      const again = connect(`http://127.0.0.1:${p.port}`);
      again.on("error", () => {});
      await within(new Promise<void>((resolve) => again.on("remoteSettings", () => resolve())), 5_000, "a new connection");
      again.destroy();
    } finally {
      s.destroy();
      p.child.kill("SIGKILL");
    }
  });

  it("refuses keepalive and idle values out of range, naming the flag", async () => {
    const { options } = await import("../../functions/runtime/flags.ts");
    expect(() => options(["--keepalive", "0"], {})).toThrow(/--keepalive: got "0"/);
    expect(() => options(["--idle-timeout", "x"], {})).toThrow(/--idle-timeout: got "x"/);
    expect(options([], {})).toMatchObject({ keepaliveMs: 60_000, idleTimeoutMs: 300_000 });
  });
});
