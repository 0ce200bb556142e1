/**
 * npm run render -- <xr.yaml> [--observed <file-or-dir>] [--required <file-or-dir>]
 *
 * Prints what `crossplane composition render` prints (the XR with its status, then the composed
 * resources sorted by composition-resource-name) with no cluster and nothing else running.
 * Results go to stderr; a fatal result exits 1 with its message.
 */
import { parseArgs } from "node:util";
import { loadObjects, render, toYamlStream } from "./render-engine.ts";

const usage = "usage: npm run render -- <xr.yaml> [--observed <file-or-dir>] [--required <file-or-dir>]";

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { observed: { type: "string", multiple: true }, required: { type: "string", multiple: true }, help: { type: "boolean", short: "h" } },
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
  const out = await render({
    xr: xrs[0]!,
    observed: (values.observed ?? []).flatMap(loadObjects),
    required: (values.required ?? []).flatMap(loadObjects),
  });
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
