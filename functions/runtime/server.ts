/**
 * The gRPC server Crossplane talks to, built on @grpc/grpc-js directly rather than the SDK's
 * `serve`, because Crossplane's function spec asks for things `serve` does not do: client
 * certificates are required (not optional), a server without certificates refuses to start unless
 * told `--insecure`, the v1beta1 service name is served too, malformed requests get an error status
 * rather than a crash, and SIGTERM drains calls in flight.
 */
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { RunFunctionRequest, RunFunctionResponse } from "@crossplane-org/function-sdk-typescript";
import { runFunction } from "../fn.ts";
import { decodeRequest, encodeResponseView, Severity, Target, WireError } from "./wire.ts";
import { Logger } from "./log.ts";

export interface ServerOptions {
  address: string;
  insecure: boolean;
  /** Holds tls.crt, tls.key and ca.crt, as Crossplane mounts them. */
  tlsCertsDir: string | undefined;
  debug: boolean;
  maxMessageBytes: number;
}

export class StartupError extends Error {}

/** Both names Crossplane has served the protocol under; v1beta1 is what older Crossplane calls. */
const SERVICES = ["apiextensions.fn.proto.v1", "apiextensions.fn.proto.v1beta1"];

const identity = (b: Buffer) => b;

/**
 * Requests are decoded inside the handler, not by grpc-js's deserializer, so a malformed request is
 * answered with INVALID_ARGUMENT and logged. Responses are encoded by the serializer, into the
 * codec's scratch buffer, which grpc-js copies into its frame in the same synchronous step: no
 * response needs a buffer of its own. The serializer keeps the size for the debug log.
 */
function service(pkg: string, encoded: { bytes: number }): grpc.ServiceDefinition {
  return {
    RunFunction: {
      path: `/${pkg}.FunctionRunnerService/RunFunction`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: (rsp: RunFunctionResponse) => {
        const view = encodeResponseView(rsp);
        encoded.bytes = view.length;
        return view;
      },
      responseDeserialize: identity,
      originalName: "runFunction",
    },
  };
}

export function credentials(opts: ServerOptions): grpc.ServerCredentials {
  if (opts.insecure) return grpc.ServerCredentials.createInsecure();
  if (!opts.tlsCertsDir) {
    throw new StartupError(
      "no TLS certificates: pass --tls-certs-dir (or set TLS_SERVER_CERTS_DIR, as Crossplane does) to a directory with tls.crt, tls.key and ca.crt, or pass --insecure for local development only",
    );
  }
  const read = (file: string) => {
    const path = join(opts.tlsCertsDir!, file);
    if (!existsSync(path)) throw new StartupError(`TLS certificate directory ${opts.tlsCertsDir} has no ${file}; it needs tls.crt, tls.key and ca.crt`);
    return readFileSync(path);
  };
  // checkClientCertificate = true: a client must present a certificate signed by ca.crt (mTLS).
  return grpc.ServerCredentials.createSsl(read("ca.crt"), [{ cert_chain: read("tls.crt"), private_key: read("tls.key") }], true);
}

function summary(req: RunFunctionRequest | undefined): Record<string, unknown> {
  const xr = req?.observed?.composite?.resource as { kind?: string; metadata?: { name?: string; namespace?: string } } | undefined;
  return { tag: req?.meta?.tag, kind: xr?.kind, namespace: xr?.metadata?.namespace, name: xr?.metadata?.name };
}

export function handler(log: Logger, encoded: { bytes: number } = { bytes: 0 }): grpc.handleUnaryCall<Buffer, RunFunctionResponse> {
  return (call, callback) => {
    const start = log.debugEnabled ? process.hrtime.bigint() : 0n;
    let req: RunFunctionRequest;
    try {
      req = decodeRequest(call.request);
    } catch (e) {
      const why = e instanceof WireError ? e.message : String(e);
      log.warn("malformed RunFunctionRequest", { bytes: call.request.length, error: why });
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `cannot decode RunFunctionRequest: ${why}` });
      return;
    }
    let rsp: RunFunctionResponse;
    try {
      rsp = runFunction(req);
    } catch (e) {
      // runFunction turns its own errors into fatal results; this is the last line of defence.
      rsp = {
        meta: { tag: req.meta?.tag ?? "" },
        desired: req.desired,
        results: [{ severity: Severity.SEVERITY_FATAL, message: `function-tessera failed: ${e instanceof Error ? e.message : String(e)}`, reason: "InternalError", target: Target.TARGET_COMPOSITE }],
        requirements: undefined,
        conditions: [],
      };
    }
    encoded.bytes = -1;
    callback(null, rsp);
    const fatal = rsp.results.find((r) => r.severity === Severity.SEVERITY_FATAL);
    // Fatal messages name spec fields and values; specs never hold secrets, connection details are never logged.
    if (fatal) log.info("refused", { ...summary(req), reason: fatal.reason, message: fatal.message });
    if (log.debugEnabled) {
      log.debug("RunFunction", {
        ...summary(req),
        ms: Number(process.hrtime.bigint() - start) / 1e6,
        requestBytes: call.request.length,
        // Encoded by the serializer during callback(); -1 if grpc-js did not send it (a cancelled call).
        responseBytes: encoded.bytes,
        resources: Object.keys(rsp.desired?.resources ?? {}).length,
        requirements: Object.keys(rsp.requirements?.resources ?? {}).length,
        results: rsp.results.map((r) => r.reason ?? r.severity),
      });
    }
  };
}

/**
 * HTTP/2 starts each connection and each stream with a 64 KiB receive window. Crossplane multiplexes
 * every call on one connection, and a request larger than the window (observed state reaches 100 KiB)
 * then waits for the server to grant more: under load the server is busy with other calls, so the
 * largest requests made the latency tail (bench: p99 at concurrency 32 fell from about 70 ms to 50,
 * and a no-op server's from 89 to 30, once both windows were wide). grpc-js has no server option for
 * either window, so each new session gets them through grpc-js's http2 servers: the connection
 * window by a WINDOW_UPDATE, the stream window by SETTINGS. This is the only grpc-js internal the
 * function relies on; a test fails if it stops applying, and the defaults then apply.
 */
export const SESSION_WINDOW_BYTES = 16 << 20;
export const STREAM_WINDOW_BYTES = 1 << 20;
type Session = { setLocalWindowSize?: (n: number) => void; settings?: (s: { initialWindowSize: number }) => void };
function widenFlowControl(server: grpc.Server): void {
  const servers = (server as unknown as { http2Servers?: Map<{ on: (e: string, f: (s: Session) => void) => void }, unknown> }).http2Servers;
  for (const h of servers?.keys() ?? []) {
    h.on("session", (session) => {
      try {
        session.setLocalWindowSize?.(SESSION_WINDOW_BYTES);
        session.settings?.({ initialWindowSize: STREAM_WINDOW_BYTES });
      } catch {
        // A session closing as it opens: nothing to widen.
      }
    });
  }
}

export interface Running {
  server: grpc.Server;
  port: number;
  /** Stops accepting calls, waits for calls in flight (at most `graceMs`), then closes. */
  drain(graceMs?: number): Promise<void>;
}

export async function start(opts: ServerOptions, log: Logger): Promise<Running> {
  const creds = credentials(opts);
  const server = new grpc.Server({
    "grpc.max_receive_message_length": opts.maxMessageBytes,
    "grpc.max_send_message_length": opts.maxMessageBytes,
    // channelz counts every call and stream for an admin service this function never serves; off,
    // grpc-js takes its plain stream handler (less work per call).
    "grpc.enable_channelz": 0,
  });
  const encoded = { bytes: 0 };
  const handle = handler(log, encoded);
  for (const pkg of SERVICES) server.addService(service(pkg, encoded), { RunFunction: handle });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(opts.address, creds, (err, p) => (err ? reject(new StartupError(`cannot listen on ${opts.address}: ${err.message}`)) : resolve(p))),
  );
  widenFlowControl(server);
  // Set by the production bundle's loader (scripts/build.ts): whether V8's code cache sped up this start.
  const codeCache = (globalThis as { __tesseraCodeCache?: string }).__tesseraCodeCache ?? "not the production bundle";
  // performance.now() counts from the process's start: how long Node.js, loading and binding took.
  log.info("serving", { address: opts.address, port, tls: opts.insecure ? "off (--insecure)" : "mTLS", services: SERVICES, codeCache, startedInMs: Math.round(performance.now()) });
  return {
    server,
    port,
    drain: (graceMs = 25_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          log.warn("calls still in flight after the grace period; closing them", { graceMs });
          server.forceShutdown();
          resolve();
        }, graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
