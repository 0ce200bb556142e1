/**
 * npm run soak [-- --minutes N --warmup-seconds N]
 *
 * A bounded soak of the production bundle: concurrency 32 over mTLS for N minutes (default 3) with
 * the example corpus. Passes when no call fails and resident memory stays flat after warm-up: the
 * highest RSS of the last third is at most 10% above the highest RSS of the first third after
 * warm-up. Not part of npm test.
 */
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { bundle } from "./build.ts";
import { makeCerts } from "./certs.ts";
import { call, client, FIELD_ORDERS, requests, rssMiB, start, stop } from "./load.ts";

const { values: args } = parseArgs({ options: { minutes: { type: "string", default: "3" }, "warmup-seconds": { type: "string", default: "30" }, help: { type: "boolean", short: "h", default: false } } });
if (args.help) {
  console.log(`Usage: npm run soak -- [flags]

Concurrency 32 over mTLS against the production bundle; passes when no call fails and RSS stays flat
after warm-up (the last third's peak at most 10% above the first third's). Not part of npm test.

Flags:
  --minutes N          How long to run (default 3).
  --warmup-seconds N   Load before RSS is watched (default 30).
  -h, --help           Show this help.`);
  process.exit(0);
}
const DURATION_MS = Number(args.minutes) * 60_000;
const WARMUP_MS = Number(args["warmup-seconds"]) * 1000;
const CONCURRENCY = 32;

async function main(): Promise<number> {
  try {
    // -a: every thread of this process, V8's GC helpers included, not only the main thread.
    execFileSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
  } catch {
    // Without taskset the soak still runs, only unpinned.
  }
  const file = await bundle();
  const certs = makeCerts();
  const reqs = await requests(FIELD_ORDERS);
  const s = await start("tessera", file, [], certs, reqs[0]!);
  const c = client(s.port, certs);
  const samples: Array<{ t: number; rss: number }> = [];
  let calls = 0;
  const errors: string[] = [];
  let next = 0;
  const t0 = performance.now();
  const sampler = setInterval(() => {
    const t = performance.now() - t0;
    samples.push({ t, rss: rssMiB(s.child.pid!) });
    if (samples.length % 15 === 0) console.log(`${(t / 1000).toFixed(0)}s  ${calls} calls  ${errors.length} errors  RSS ${samples[samples.length - 1]!.rss.toFixed(1)} MiB`);
  }, 1000);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() - t0 < DURATION_MS) {
        try {
          await call(c, reqs[next++ % reqs.length]!);
          calls++;
        } catch (e) {
          errors.push(String(e));
        }
      }
    }),
  );
  clearInterval(sampler);
  c.close();
  await stop(s);

  const after = samples.filter((x) => x.t >= WARMUP_MS);
  const third = Math.max(1, Math.floor(after.length / 3));
  const early = Math.max(...after.slice(0, third).map((x) => x.rss));
  const late = Math.max(...after.slice(-third).map((x) => x.rss));
  const growth = late / early - 1;
  console.log(`\n${calls} calls in ${(DURATION_MS / 60_000).toFixed(1)} min at concurrency ${CONCURRENCY}; ${errors.length} errors`);
  console.log(`RSS after warm-up: early max ${early.toFixed(1)} MiB, late max ${late.toFixed(1)} MiB (${(growth * 100).toFixed(1)}%)`);
  if (errors.length) console.log(`first error: ${errors[0]}`);
  const ok = errors.length === 0 && growth <= 0.1;
  console.log(ok ? "soak: PASS" : "soak: FAIL");
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`soak: ${e instanceof Error ? e.stack : String(e)}`);
    process.exit(1);
  },
);
