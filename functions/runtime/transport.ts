/**
 * The transport Crossplane talks to, apart from what the function computes: listen options, mTLS
 * credentials and HTTP/2 flow control. The server and the bench's transport floor share it.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { constants as h2 } from "node:http2";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "./log.ts";

export interface ServerOptions {
  address: string;
  insecure: boolean;
  /** Holds tls.crt, tls.key and ca.crt, as Crossplane mounts them. */
  tlsCertsDir: string | undefined;
  debug: boolean;
  maxMessageBytes: number;
  /** How long a client may take to send a whole request once its stream opened. */
  requestTimeoutMs: number;
  /** Interval of keepalive pings; a ping unanswered for a third of it (at least 1 s) closes the connection. */
  keepaliveMs: number;
  /** A connection with no call for this long is closed (GOAWAY). */
  idleTimeoutMs: number;
}

/**
 * The largest request accepted by default: gRPC's own default receive limit, and about 20 times the
 * largest request the examples produce (195 KiB: the AWS broxiva Network's last pass, every observed
 * resource carrying its managedFields). `--max-message-size` raises it.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 << 20;
/** Crossplane sends a whole request at once; a stream still unfinished after this is cancelled. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** A ping every minute finds a peer that vanished without closing (a node lost, a NAT that forgot the connection). */
export const DEFAULT_KEEPALIVE_MS = 60_000;
/** Crossplane calls every XR at least once a TTL (60 s); a connection silent for 5 minutes is not its. */
export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
/**
 * HTTP/2 streams (calls) one connection may have open at once. Crossplane multiplexes every call on
 * one connection and reconciles up to 100 XRs at once by default (--max-reconcile-rate); a client
 * at the limit waits for a stream to finish, it is not refused.
 */
export const MAX_CONCURRENT_STREAMS = 128;
/** Requests still being received, all streams and connections together, hold at most this many bytes. */
export const receivingBudget = (maxMessageBytes: number) => 16 * maxMessageBytes;

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
  const [ca, cert, key] = [read("ca.crt"), read("tls.crt"), read("tls.key")];
  checkCertificates(opts.tlsCertsDir, ca, cert, key);
  // checkClientCertificate = true: a client must present a certificate signed by ca.crt (mTLS).
  const creds = grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true);
  // grpc-js builds each listener's TLS server from these context options (they override its own
  // cipher list, which is Node's default unless GRPC_SSL_CIPHER_SUITES is set).
  const hardened = creds as unknown as { updateSecureContextOptions(o: object): void; _getSecureContextOptions(): object | null };
  hardened.updateSecureContextOptions({ ...hardened._getSecureContextOptions(), ciphers: TLS_CIPHERS, minVersion: "TLSv1.2", handshakeTimeout: 10_000 });
  return creds;
}

/**
 * TLS 1.3 (every suite it has is AEAD with forward secrecy), and on TLS 1.2 only ECDHE key exchange
 * with AEAD ciphers: Node's default list also offers RSA key exchange (no forward secrecy) and CBC
 * suites. These are the suites of Mozilla's "intermediate" profile, which every Go client speaks.
 */
export const TLS_CIPHERS = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Refuses to start on certificates that could never work: an empty or non-PEM ca.crt makes a server
 * that refuses every client (Crossplane's included) and says nothing, which looks like a network fault.
 */
function checkCertificates(dir: string, ca: Buffer, cert: Buffer, key: Buffer): void {
  const parse = (file: string, pem: Buffer): X509Certificate[] => {
    const blocks = pem.toString("utf8").match(PEM_CERT) ?? [];
    if (blocks.length === 0) throw new StartupError(`${join(dir, file)} holds no PEM certificate (${pem.length === 0 ? "the file is empty" : "no -----BEGIN CERTIFICATE----- block"}); mount the Secret Crossplane made for this function`);
    return blocks.map((b, i) => {
      try {
        return new X509Certificate(b);
      } catch (e) {
        throw new StartupError(`${join(dir, file)}: certificate ${i + 1} cannot be read: ${(e as Error).message}`);
      }
    });
  };
  parse("ca.crt", ca);
  const [leaf] = parse("tls.crt", cert);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    throw new StartupError(`${join(dir, "tls.key")} is not a PEM private key: ${(e as Error).message}`);
  }
  if (!leaf!.checkPrivateKey(privateKey)) throw new StartupError(`${join(dir, "tls.key")} is not the key of the certificate in ${join(dir, "tls.crt")}`);
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
export function grpcOptions(opts: Pick<ServerOptions, "maxMessageBytes" | "keepaliveMs" | "idleTimeoutMs">): grpc.ServerOptions {
  return {
    "grpc.max_receive_message_length": opts.maxMessageBytes,
    "grpc.max_send_message_length": opts.maxMessageBytes,
    // Advertised in SETTINGS; without it the server advertises no limit at all.
    "grpc.max_concurrent_streams": MAX_CONCURRENT_STREAMS,
    // Keepalive pings find a peer that vanished without closing; one unanswered for a third of the
    // interval (20 s by default) closes the connection and the calls on it.
    "grpc.keepalive_time_ms": opts.keepaliveMs,
    "grpc.keepalive_timeout_ms": Math.max(1_000, Math.round(opts.keepaliveMs / 3)),
    "grpc.max_connection_idle_ms": opts.idleTimeoutMs,
    // channelz counts every call and stream for an admin service this function never serves; off,
    // grpc-js takes its plain stream handler (less work per call).
    "grpc.enable_channelz": 0,
  };
}

/**
 * Limits grpc-js has no option for, applied to each HTTP/2 server it made (the same internal as
 * widenFlowControl): a request stream must finish within `requestTimeoutMs`; all requests still
 * being received hold at most receivingBudget() bytes (grpc-js buffers a message until it is whole,
 * so without it 48 unfinished 15 MiB messages held 830 MiB); refused TLS handshakes are logged, at
 * most one line a minute with a count, so a misconfigured client is visible without flooding logs.
 * Returns what drain() uses to cancel requests that will never finish.
 */
export function guardStreams(server: grpc.Server, opts: Pick<ServerOptions, "maxMessageBytes" | "requestTimeoutMs">, log?: Logger): { cancelUnfinished: () => number } {
  type Stream = NodeJS.EventEmitter & { close(code?: number): void; closed: boolean };
  const receiving = new Map<Stream, number>();
  const budget = receivingBudget(opts.maxMessageBytes);
  let total = 0;
  const done = (s: Stream) => {
    const n = receiving.get(s);
    if (n === undefined) return false;
    total -= n;
    receiving.delete(s);
    return true;
  };
  const refused = { count: 0, first: "", timer: undefined as NodeJS.Timeout | undefined };
  const servers = (server as unknown as { http2Servers?: Map<NodeJS.EventEmitter, unknown> }).http2Servers;
  for (const h of servers?.keys() ?? []) {
    h.on("stream", (stream: Stream) => {
      receiving.set(stream, 0);
      const timer = setTimeout(() => {
        if (!done(stream)) return;
        log?.warn("cancelled a request not sent in time", { timeoutMs: opts.requestTimeoutMs });
        stream.close(h2.NGHTTP2_CANCEL);
      }, opts.requestTimeoutMs);
      timer.unref();
      const finish = () => {
        clearTimeout(timer);
        done(stream);
      };
      stream.on("data", (chunk: Buffer) => {
        const n = receiving.get(stream);
        if (n === undefined) return;
        receiving.set(stream, n + chunk.length);
        total += chunk.length;
        if (total <= budget) return;
        finish();
        log?.warn("refused a request: requests being received exceed their memory budget", { budgetBytes: budget, streams: receiving.size + 1 });
        // ENHANCE_YOUR_CALM: gRPC clients report it as RESOURCE_EXHAUSTED.
        stream.close(h2.NGHTTP2_ENHANCE_YOUR_CALM);
      });
      stream.once("end", finish);
      stream.once("close", finish);
    });
    h.on("tlsClientError", (err: Error & { code?: string }, socket: { remoteAddress?: string }) => {
      if (refused.count++ === 0) {
        refused.first = `${socket?.remoteAddress ?? "?"}: ${err.code ?? err.message}`;
        log?.warn("refused a TLS handshake; clients need a certificate signed by ca.crt", { client: socket?.remoteAddress, error: err.code ?? err.message });
        refused.timer = setTimeout(() => {
          if (refused.count > 1) log?.warn("refused more TLS handshakes in the last minute", { count: refused.count - 1 });
          refused.count = 0;
        }, 60_000);
        refused.timer.unref();
      }
    });
  }
  return {
    cancelUnfinished: () => {
      const streams = [...receiving.keys()];
      for (const s of streams) {
        done(s);
        s.close(h2.NGHTTP2_CANCEL);
      }
      return streams.length;
    },
  };
}
