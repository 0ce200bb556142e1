/**
 * npm run render -- <xr.yaml> [--observed <file-or-dir>] [--required <file-or-dir>]
 *                    [--function-address HOST:PORT [--function-tls-certs-dir DIR]]
 *
 * Prints what `crossplane composition render` prints (the XR with its status, then the composed
 * resources sorted by composition-resource-name) with no cluster and nothing else running.
 * Results go to stderr; a fatal result exits 1 with its message. With --function-address the
 * pipeline runs through a function already serving there (npm start) instead of in process.
 */
import { parseArgs } from "node:util";
import { grpcRunner } from "./function-client.ts";
import { loadObjects, render, toYamlStream } from "./render-engine.ts";

const usage =
  "usage: npm run render -- <xr.yaml> [--observed <file-or-dir>] [--required <file-or-dir>] [--function-address HOST:PORT [--function-tls-certs-dir DIR]]";

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        observed: { type: "string", multiple: true },
        required: { type: "string", multiple: true },
        "function-address": { type: "string" },
        "function-tls-certs-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length !== 1) {
    console.error(usage);
    return values.help ? 0 : 2;
  }
  const xrs = loadObjects(positionals[0] as string);
  if (xrs.length !== 1) {
    console.error(`${positionals[0]}: expected exactly one XR, found ${xrs.length}`);
    return 2;
  }
  const remote = values["function-address"] ? grpcRunner(values["function-address"], values["function-tls-certs-dir"]) : undefined;
  const out = await render({
    xr: xrs[0]!,
    observed: (values.observed ?? []).flatMap(loadObjects),
    required: (values.required ?? []).flatMap(loadObjects),
    ...(remote ? { runner: remote.runner } : {}),
  }).finally(() => remote?.close());
  for (const r of out.results) console.error(`${r.severity}: ${r.message}`);
  if (out.fatal) return 1;
  process.stdout.write(toYamlStream(out));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`render: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
