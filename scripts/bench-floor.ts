/**
 * The benchmark's floor: the function's own transport (grpc-js with the same options, the same flow
 * control windows, mTLS from the same certificates) sending the function's own responses, which the
 * bench computed beforehand, and doing no work at all. What it costs (CPU per call, latency, memory) is
 * what any function on Node.js and grpc-js pays before composing anything, so the bench shows each
 * target beside the part of it no function code can change.
 *
 *   node dist/floor/floor.js --address HOST:PORT --responses FILE   (certificates from $TLS_SERVER_CERTS_DIR)
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { options } from "../functions/runtime/flags.ts";
import { readResponseTable } from "./bench-floor-table.ts";
import { credentials, grpcOptions, guardStreams, SERVICES, widenFlowControl } from "../functions/runtime/transport.ts";

const { values } = parseArgs({ options: { address: { type: "string" }, responses: { type: "string" } }, strict: true });
const opts = options(["--address", values.address!], process.env);
if (opts === "help") process.exit(2);
const responses = readResponseTable(readFileSync(values.responses!));
const fallback = responses.values().next().value!;
const identity = (b: Buffer) => b;
const server = new grpc.Server(grpcOptions(opts));
for (const pkg of SERVICES) {
  server.addService(
    { RunFunction: { path: `/${pkg}.FunctionRunnerService/RunFunction`, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
    { RunFunction: (call: { request: Buffer }, callback: grpc.sendUnaryData<Buffer>) => callback(null, responses.get(call.request.length) ?? fallback) },
  );
}
server.bindAsync(opts.address, credentials(opts), (err) => {
  if (err) throw err;
  widenFlowControl(server);
  // The same stream limits as the function (a timer and a byte count per request stream).
  guardStreams(server, opts);
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
