/**
 * A gRPC runner for the render engine: sends each RunFunctionRequest to a running function, so
 * `npm run render -- ... --function-address HOST:PORT` exercises the real transport and codec.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { decodeResponse, encodeRequest } from "../functions/runtime/wire.ts";
import type { Runner } from "./render-engine.ts";

const METHOD = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction";

/**
 * With `tlsCertsDir` (tls.crt, tls.key, ca.crt) it speaks mTLS; without, plaintext, as to a
 * function started with --insecure.
 */
export function grpcRunner(address: string, tlsCertsDir?: string, serverName?: string): { runner: Runner; close: () => void } {
  const creds = tlsCertsDir
    ? grpc.credentials.createSsl(readFileSync(join(tlsCertsDir, "ca.crt")), readFileSync(join(tlsCertsDir, "tls.key")), readFileSync(join(tlsCertsDir, "tls.crt")))
    : grpc.credentials.createInsecure();
  const client = new grpc.Client(address, creds, serverName ? { "grpc.ssl_target_name_override": serverName } : {});
  const id = (b: Buffer) => b;
  const runner: Runner = (req) =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest(METHOD, id, id, encodeRequest(req), { deadline: Date.now() + 30_000 }, (err, rsp) => {
        if (err) reject(new Error(`function at ${address}: ${err.details || err.message}`));
        else resolve(decodeResponse(rsp!));
      }),
    );
  return { runner, close: () => client.close() };
}
