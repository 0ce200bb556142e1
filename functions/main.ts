/**
 * function-tessera's entry point: `node dist/function.js [flags]` (what the runtime image runs).
 *
 *   --address HOST:PORT        where to listen (default 0.0.0.0:9443; with --insecure 127.0.0.1:9443)
 *   --tls-certs-dir DIR        tls.crt, tls.key and ca.crt; default $TLS_SERVER_CERTS_DIR (Crossplane sets it)
 *   --insecure                 plaintext, for `crossplane composition render` and local runs only
 *   --max-message-size BYTES   largest request or response (default 4 MiB)
 *   --request-timeout SECONDS  how long a client may take to send one request (default 10)
 *   --debug                    one log line per call
 */
import { HELP, options } from "./runtime/flags.ts";
import { Logger } from "./runtime/log.ts";
import { start, type Running } from "./runtime/server.ts";
import { StartupError, type ServerOptions } from "./runtime/transport.ts";

async function main(): Promise<void> {
  let opts: ServerOptions | "help";
  try {
    opts = options(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`function-tessera: ${(e as Error).message}\n`);
    process.exit(2);
  }
  if (opts === "help") {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const log = new Logger(opts.debug);
  // Signal handlers come first: a SIGTERM that arrives while the server is still binding (or just
  // after it logs "serving") must still drain and exit 0, not kill the process by default.
  let running: Running | undefined;
  let signal: string | undefined;
  const stop = () => {
    log.info("draining calls in flight", { signal });
    void running!.drain().then(() => {
      log.info("stopped");
      process.exit(0);
    });
  };
  const onSignal = (name: string) => {
    if (signal) return;
    signal = name;
    if (running) stop();
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  try {
    running = await start(opts, log);
  } catch (e) {
    log.error(e instanceof StartupError ? e.message : `cannot start: ${String(e)}`);
    process.exit(1);
  }
  if (signal) stop();
}

void main();
