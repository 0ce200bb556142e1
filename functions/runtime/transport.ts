/**
 * The transport Crossplane talks to, apart from what the function computes: listen options, mTLS
 * credentials and HTTP/2 flow control. The server and the bench's transport floor share it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";

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
export const SERVICES = ["apiextensions.fn.proto.v1", "apiextensions.fn.proto.v1beta1"];

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
export function widenFlowControl(server: grpc.Server): void {
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

/** The grpc-js server options (the bench's transport floor uses the same). */
export function grpcOptions(opts: Pick<ServerOptions, "maxMessageBytes">): grpc.ServerOptions {
  return {
    "grpc.max_receive_message_length": opts.maxMessageBytes,
    "grpc.max_send_message_length": opts.maxMessageBytes,
    // channelz counts every call and stream for an admin service this function never serves; off,
    // grpc-js takes its plain stream handler (less work per call).
    "grpc.enable_channelz": 0,
  };
}
