/** The function's command line, kept apart from main.ts so tests can parse flags without serving. */
import { parseArgs } from "node:util";
import { StartupError, type ServerOptions } from "./transport.ts";

export const HELP = `Usage: function-tessera [flags]

Crossplane composition function for the Tessera platform APIs.

Flags:
  --address HOST:PORT        Address to listen on (default 0.0.0.0:9443).
  --tls-certs-dir DIR        Directory with tls.crt, tls.key and ca.crt. Client certificates signed
                             by ca.crt are required. Default: $TLS_SERVER_CERTS_DIR.
  --insecure                 Serve plaintext without client authentication (local development only).
  --max-message-size BYTES   Largest request or response accepted (default 16777216).
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
        address: { type: "string", default: "0.0.0.0:9443" },
        "tls-certs-dir": { type: "string" },
        // The SDK's spelling, so a Deployment written for an SDK function keeps working.
        "tls-server-certs-dir": { type: "string" },
        insecure: { type: "boolean", default: false },
        "max-message-size": { type: "string", default: String(16 * 1024 * 1024) },
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
  return {
    address: values.address,
    insecure: values.insecure,
    tlsCertsDir: values["tls-certs-dir"] ?? values["tls-server-certs-dir"] ?? (env["TLS_SERVER_CERTS_DIR"] || undefined),
    debug: values.debug,
    maxMessageBytes: max,
  };
}

