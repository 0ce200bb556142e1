/**
 * A real function process and a real client: certificates made by openssl, the production bundle
 * started with `node`, and a gRPC client built from Crossplane's .proto by @grpc/proto-loader (an
 * independent codec, so it also checks functions/runtime/wire.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ROOT } from "../../scripts/generate.ts";
import { BUNDLE } from "../../scripts/build.ts";
export { makeCerts, type Certs } from "../../scripts/certs.ts";

export const PROTO = join(process.env["TESSERA_SHARED"] ?? join(ROOT, "..", "shared"), "proto", "run_function.proto");

// ---------------------------------------------------------------------------------------------
// Server process
// ---------------------------------------------------------------------------------------------

export interface Proc {
  child: ChildProcess;
  port: number;
  logs: () => string;
  exit: Promise<number | null>;
}

/** Starts `node <bundle> ...args` on a free loopback port and resolves once it serves. */
export function startFunction(args: string[], env: NodeJS.ProcessEnv = {}, bundle = BUNDLE): Promise<Proc> {
  const child = spawn(process.execPath, [bundle, "--address", "127.0.0.1:0", ...args], { env: { PATH: process.env["PATH"], ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"msg":"serving".*?"port":(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), logs: () => out, exit });
    };
    child.stderr!.on("data", onData);
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    void exit.then((code) => reject(new Error(`function exited ${code} before serving:\n${out}`)));
  });
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

const definition = protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, enums: Number, defaults: true, oneofs: true });
const methods = (grpc.loadPackageDefinition(definition) as any).apiextensions.fn.proto.v1.FunctionRunnerService.service as grpc.ServiceDefinition;

/** A client for `pkg` (v1 or v1beta1), whose messages are the same. */
export function client(port: number, creds: grpc.ChannelCredentials, pkg = "v1", options: grpc.ChannelOptions = {}): grpc.Client & { RunFunction: Function } {
  const service = Object.fromEntries(
    Object.entries(methods).map(([name, m]) => [name, { ...m, path: m.path.replace(".v1.", `.${pkg}.`) }]),
  );
  const Ctor = grpc.makeGenericClientConstructor(service, "FunctionRunnerService");
  return new Ctor(`127.0.0.1:${port}`, creds, { "grpc.ssl_target_name_override": "localhost", ...options }) as any;
}

export function call(c: grpc.Client & { RunFunction: Function }, req: unknown, deadlineMs = 10_000): Promise<any> {
  return new Promise((resolve, reject) =>
    c.RunFunction(req, { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, rsp: unknown) => (err ? reject(err) : resolve(rsp))),
  );
}

/** Raw bytes over the same method, to send what no codec would. */
export function rawCall(port: number, creds: grpc.ChannelCredentials, bytes: Buffer): Promise<Buffer> {
  const id = (b: Buffer) => b;
  const c = new grpc.Client(`127.0.0.1:${port}`, creds, { "grpc.ssl_target_name_override": "localhost" });
  return new Promise((resolve, reject) =>
    c.makeUnaryRequest("/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction", id, id, bytes, (err, rsp) => {
      c.close();
      if (err) reject(err);
      else resolve(rsp!);
    }),
  );
}

// google.protobuf.Struct as proto-loader represents it, to and from plain JSON.
export function toValue(v: unknown): unknown {
  if (v === null || v === undefined) return { nullValue: 0 };
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "number") return { numberValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v as Record<string, unknown>) };
}
export function toStruct(o: Record<string, unknown>): unknown {
  return { fields: Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toValue(v)])) };
}
export function fromValue(v: any): unknown {
  switch (v.kind) {
    case "nullValue": return null;
    case "numberValue": return v.numberValue;
    case "stringValue": return v.stringValue;
    case "boolValue": return v.boolValue;
    case "listValue": return (v.listValue.values ?? []).map(fromValue);
    case "structValue": return fromStruct(v.structValue);
  }
  throw new Error(`unknown Value ${JSON.stringify(v)}`);
}
export function fromStruct(s: any): Record<string, unknown> {
  return Object.fromEntries(Object.entries(s?.fields ?? {}).map(([k, v]) => [k, fromValue(v)]));
}
