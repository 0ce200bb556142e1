/**
 * npm run build: the production bundle dist/function.js, one file that runs with plain `node` and
 * no node_modules. It is what the Function package's runtime image ships.
 */
import { build } from "esbuild";
import { statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "./generate.ts";

export const BUNDLE = join(ROOT, "dist", "function.js");

export async function bundle(): Promise<string> {
  await build({
    entryPoints: [join(ROOT, "functions", "main.ts")],
    outfile: BUNDLE,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    minify: true,
    sourcemap: "linked",
    legalComments: "none",
    // grpc-js is CommonJS and calls require(); an ESM bundle has no require of its own.
    banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
    logLevel: "warning",
  });
  return BUNDLE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await bundle();
  console.log(`${out} (${(statSync(out).size / 1024).toFixed(0)} KiB)`);
}
