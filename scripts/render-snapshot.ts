/**
 * Renders every example to the last pass (as test/examples.test.ts does) and prints every pass's
 * desired resources, results and XR status as one JSON document. A refactoring that must not change
 * render output (e.g. typing the renderers) compares it before and after:
 *   npx tsx scripts/render-snapshot.ts > /tmp/before.json   ...change...   npx tsx scripts/render-snapshot.ts > /tmp/after.json && cmp /tmp/before.json /tmp/after.json
 * Not a test and never written into the project.
 */
import { render } from "./render-engine.ts";
import { CONNECTION_DETAILS, EXAMPLES, example, observe, requiredFor } from "../test/support/fixtures.ts";

const out: Record<string, unknown[]> = {};
for (const file of EXAMPLES) {
  const xr = example(file);
  const required = requiredFor(xr);
  const passes: unknown[] = [];
  let r = await render({ xr, required });
  passes.push({ resources: r.resources, results: r.results, fatal: r.fatal, status: r.xr.status });
  for (let pass = 0; pass < 6; pass++) {
    const before = r.resources.length;
    r = await render({ xr, required, observed: observe(r.resources), connectionDetails: CONNECTION_DETAILS });
    passes.push({ resources: r.resources, results: r.results, fatal: r.fatal, status: r.xr.status });
    if (r.resources.length === before) break;
  }
  out[file] = passes;
}
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
