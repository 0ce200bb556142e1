/**
 * The gRPC server Crossplane talks to, built on @grpc/grpc-js directly rather than the SDK's
 * `serve`, because Crossplane's function spec asks for things `serve` does not do: client
 * certificates are required (not optional), a server without certificates refuses to start unless
 * told `--insecure`, the v1beta1 service name is served too, malformed requests get an error status
 * rather than a crash, and SIGTERM drains calls in flight.
 */
import * as grpc from "@grpc/grpc-js";
import type { RunFunctionRequest, RunFunctionResponse } from "@crossplane-org/function-sdk-typescript";
import { runFunction } from "../fn.ts";
import { parseCacheStats } from "../shared/parse.ts";
import { decodeRequest, encodeResponseView, LimitError, Severity, Target, WireError } from "./wire.ts";
import { Logger } from "./log.ts";
import { credentials, grpcOptions, guardStreams, SERVICES, StartupError, widenFlowControl, type ServerOptions } from "./transport.ts";

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
      // A request over a decode limit is refused as too much, not as malformed.
      const code = e instanceof LimitError ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.INVALID_ARGUMENT;
      log.warn(code === grpc.status.RESOURCE_EXHAUSTED ? "refused RunFunctionRequest over a decode limit" : "malformed RunFunctionRequest", { bytes: call.request.length, error: why });
      callback({ code, details: `cannot decode RunFunctionRequest: ${why}` });
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
        parseCache: parseCacheStats(),
      });
    }
  };
}

/**
 * Calls are not composed inside grpc-js's read callback, where it hands them over, but queued and
 * composed in arrival order from setImmediate, in slices of about SLICE_MS of work; between slices
 * the event loop turns, so HTTP/2 writes the answers so far and reads what has arrived. Composed
 * inside the read callback, each call held up the session's processing of everything else that read
 * brought. Measured at concurrency 32 with the C-core client, in 8 alternating pairs on a quiet host:
 * 6% more calls a second on the same CPU (7 pairs of 8), the same p99.
 */
const SLICE_MS = 1;
const pending: Array<() => void> = [];
let draining = false;

function drain(): void {
  const until = performance.now() + SLICE_MS;
  let done = 0;
  try {
    while (done < pending.length) {
      pending[done++]!();
      if (performance.now() >= until) break;
    }
  } finally {
    pending.splice(0, done);
    if (pending.length) setImmediate(drain);
    else draining = false;
  }
}

function queued(handle: grpc.handleUnaryCall<Buffer, RunFunctionResponse>, log: Logger): grpc.handleUnaryCall<Buffer, RunFunctionResponse> {
  return (call, callback) => {
    pending.push(() => {
      // A caller that gave up while the call waited gets nothing; grpc-js has answered it already.
      if (call.cancelled) return;
      try {
        handle(call, callback);
      } catch (e) {
        // handle() answers every error it can foresee; this keeps one it cannot from stopping the queue.
        log.error("RunFunction failed outside the function", { error: String(e) });
        callback({ code: grpc.status.INTERNAL, details: "function-tessera failed to answer this call" });
      }
    });
    if (!draining) {
      draining = true;
      setImmediate(drain);
    }
  };
}

export interface Running {
  server: grpc.Server;
  port: number;
  /** Stops accepting calls, waits for calls in flight (at most `graceMs`), then closes. */
  drain(graceMs?: number): Promise<void>;
}

export async function start(opts: ServerOptions, log: Logger): Promise<Running> {
  const creds = credentials(opts);
  const server = new grpc.Server(grpcOptions(opts));
  const encoded = { bytes: 0 };
  const handle = handler(log, encoded);
  for (const pkg of SERVICES) server.addService(service(pkg, encoded), { RunFunction: queued(handle, log) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(opts.address, creds, (err, p) => (err ? reject(new StartupError(`cannot listen on ${opts.address}: ${err.message}`)) : resolve(p))),
  );
  widenFlowControl(server);
  const guard = guardStreams(server, opts, log);
  // Set by the production bundle's loader (scripts/build.ts): whether V8's code cache sped up this start.
  const codeCache = (globalThis as { __tesseraCodeCache?: string }).__tesseraCodeCache ?? "not the production bundle";
  // performance.now() counts from the process's start: how long Node.js, loading and binding took.
  log.info("serving", { address: opts.address, port, tls: opts.insecure ? "off (--insecure)" : "mTLS", services: SERVICES, maxMessageBytes: opts.maxMessageBytes, codeCache, startedInMs: Math.round(performance.now()) });
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
        // A request still being received was never accepted: cancelled now, it cannot hold the drain.
        const cancelled = guard.cancelUnfinished();
        if (cancelled) log.info("cancelled requests not yet received whole", { streams: cancelled });
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
