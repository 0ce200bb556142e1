/** The function's command line, kept apart from main.ts so tests can parse flags without serving. */
import { parseArgs } from "node:util";
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_KEEPALIVE_MS, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, StartupError, type ServerOptions } from "./transport.ts";

/** With TLS the function serves every interface (Crossplane calls it through a Service). */
export const DEFAULT_ADDRESS = "0.0.0.0:9443";
/**
 * Without TLS anyone who can reach the port can call it, so by default only this machine can. The
 * runtime image passes --address=0.0.0.0:9443 itself: in a container the network namespace is the
 * boundary, and `crossplane composition render` reaches the container through a published port.
 */
export const DEFAULT_INSECURE_ADDRESS = "127.0.0.1:9443";

export const HELP = `Usage: function-tessera [flags]

Crossplane composition function for the Tessera platform APIs.

Flags:
  --address HOST:PORT        Address to listen on (default ${DEFAULT_ADDRESS}; with --insecure
                             ${DEFAULT_INSECURE_ADDRESS}, this machine only).
  --tls-certs-dir DIR        Directory with tls.crt, tls.key and ca.crt. Client certificates signed
                             by ca.crt are required. Default: $TLS_SERVER_CERTS_DIR.
  --insecure                 Serve plaintext without client authentication (local development only).
  --max-message-size BYTES   Largest request or response accepted (default ${DEFAULT_MAX_MESSAGE_BYTES},
                             4 MiB; the largest request the examples make is about 200 KiB).
  --request-timeout SECONDS  How long a client may take to send one request (default ${DEFAULT_REQUEST_TIMEOUT_MS / 1000}).
  --keepalive SECONDS        Interval of keepalive pings; a connection whose peer does not answer one
                             within a third of it is closed (default ${DEFAULT_KEEPALIVE_MS / 1000}).
  --idle-timeout SECONDS     Close a connection with no call for this long (default ${DEFAULT_IDLE_TIMEOUT_MS / 1000}).
  -d, --debug                Log every call.
  -h, --help                 Show this help.`;

/** Parses flags; throws StartupError with a usage hint on anything it does not understand. */
export function options(argv: string[], env: NodeJS.ProcessEnv): ServerOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        address: { type: "string" },
        "tls-certs-dir": { type: "string" },
        // The SDK's spelling, so a Deployment written for an SDK function keeps working.
        "tls-server-certs-dir": { type: "string" },
        insecure: { type: "boolean", default: false },
        "max-message-size": { type: "string", default: String(DEFAULT_MAX_MESSAGE_BYTES) },
        "request-timeout": { type: "string", default: String(DEFAULT_REQUEST_TIMEOUT_MS / 1000) },
        keepalive: { type: "string", default: String(DEFAULT_KEEPALIVE_MS / 1000) },
        "idle-timeout": { type: "string", default: String(DEFAULT_IDLE_TIMEOUT_MS / 1000) },
        debug: { type: "boolean", short: "d", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    throw new StartupError(`${(e as Error).message}; try --help`);
  }
  if (values.help) return "help";
  const max = Number(values["max-message-size"]);
  if (!Number.isInteger(max) || max < 1024) throw new StartupError(`--max-message-size: got ${JSON.stringify(values["max-message-size"])}; give a whole number of bytes, at least 1024`);
  // grpc-js keeps lengths in 32-bit signed integers.
  if (max > 2 ** 31 - 1) throw new StartupError(`--max-message-size: got ${max}; at most 2147483647`);
  const timeout = Number(values["request-timeout"]);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 3600) throw new StartupError(`--request-timeout: got ${JSON.stringify(values["request-timeout"])}; give seconds, more than 0 and at most 3600`);
  const seconds = (flag: "keepalive" | "idle-timeout", min: number, max: number): number => {
    const v = Number(values[flag]);
    if (!Number.isFinite(v) || v < min || v > max) throw new StartupError(`--${flag}: got ${JSON.stringify(values[flag])}; give seconds, from ${min} to ${max}`);
    return Math.round(v * 1000);
  };
  const keepaliveMs = seconds("keepalive", 1, 7200);
  const idleTimeoutMs = seconds("idle-timeout", 1, 86400);
  return {
    address: values.address ?? (values.insecure ? DEFAULT_INSECURE_ADDRESS : DEFAULT_ADDRESS),
    insecure: values.insecure,
    tlsCertsDir: values["tls-certs-dir"] ?? values["tls-server-certs-dir"] ?? (env["TLS_SERVER_CERTS_DIR"] || undefined),
    debug: values.debug,
    maxMessageBytes: max,
    requestTimeoutMs: Math.round(timeout * 1000),
    keepaliveMs,
    idleTimeoutMs,
  };
}
