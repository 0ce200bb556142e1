/**
 * npm run render -- <xr.yaml> [--observed <file-or-dir>] [--required <file-or-dir>] [--until-ready]
 *                    [--function-address HOST:PORT [--function-tls-certs-dir DIR]]
 *
 * Prints what `crossplane composition render` prints (the XR with its status, then the composed
 * resources sorted by composition-resource-name) as YAML on stdout, with no cluster and nothing else
 * running. Results and notes go to stderr; a fatal result exits 1 with its message, bad input
 * (flags, YAML) exits 2. With --function-address the pipeline runs through a function already
 * serving there (npm start) instead of in process.
 */
import { parseArgs } from "node:util";
import { grpcRunner } from "./function-client.ts";
import { renderUntilReady } from "./fake-cluster.ts";
import { loadObjects, render, toYamlStream, type RenderOutput } from "./render-engine.ts";

export const RENDER_HELP = `Usage: npm run render -- <xr.yaml> [flags]

Renders one XR offline, as \`crossplane composition render\` would: the XR with its status, then every
composed resource, as YAML on stdout (pipe it to a file or to kubectl apply --dry-run=server -f -).
Results and notes go to stderr. Exit 0 rendered, 1 the function refused the XR (its message on
stderr), 2 bad flags or YAML.

Flags:
  --required FILE|DIR        Objects the XR refers to, as the cluster would serve them: the Network a
                             database names, Secrets it reads, the platform EnvironmentConfig tessera
                             (examples/platform/: Crossplane's egress addresses). Repeatable.
                             Offline, this is the only place they come from.
  --observed FILE|DIR        Composed resources as the cluster holds them (with their
                             crossplane.io/composition-resource-name annotation), to render a later
                             pass. Repeatable.
  --until-ready              Run the reconcile loop offline: treat everything composed as created and
                             Ready (provider outputs and generated Secrets faked), render again, until
                             nothing new appears; print the last pass, and on stderr how many passes.
  --max-passes N             Passes --until-ready may take (default 10).
  --function-address H:P     Call a running function (npm start) instead of composing in process.
  --function-tls-certs-dir D tls.crt, tls.key and ca.crt for mTLS to it (default: plaintext, for a
                             function started with --insecure).
  -h, --help                 Show this help.`;

/**
 * Requirements whose absence is the normal case, not a missing reference: the Secret an XR is about to
 * write (checked only to be its own when it exists), the namespace's ProviderConfig (absent: the
 * providers' default), the platform EnvironmentConfig tessera (absent: no platform settings), and every list by labels (the Usages of a Network, the CdnEdges an ObjectStore
 * grants: absent, nothing uses it yet).
 */
const OPTIONAL_REQUIREMENT = /^(tessera-owned-secret-|tessera-provider-config$|tessera-platform$)/;

function describeUnmet(out: RenderOutput): string[] {
  return out.unmet.filter((u) => !OPTIONAL_REQUIREMENT.test(u.name) && u.matchName !== undefined).map((u) => `${u.kind} ${u.namespace ? `${u.namespace}/` : ""}${u.matchName ?? "(by labels)"} (${u.apiVersion})`);
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        observed: { type: "string", multiple: true },
        required: { type: "string", multiple: true },
        "until-ready": { type: "boolean" },
        "max-passes": { type: "string", default: "10" },
        "function-address": { type: "string" },
        "function-tls-certs-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    console.error(`render: ${(e as Error).message}\n\n${RENDER_HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(RENDER_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`render: give exactly one XR file${positionals.length ? `, not ${positionals.length}` : ""}\n\n${RENDER_HELP}`);
    return 2;
  }
  const maxPasses = Number(values["max-passes"]);
  if (!Number.isInteger(maxPasses) || maxPasses < 1) {
    console.error(`render: --max-passes: got ${JSON.stringify(values["max-passes"])}; give a whole number, at least 1`);
    return 2;
  }
  const xrs = loadObjects(positionals[0] as string);
  if (xrs.length !== 1) {
    console.error(`render: ${positionals[0]}: expected exactly one XR, found ${xrs.length}`);
    return 2;
  }
  const remote = values["function-address"] ? grpcRunner(values["function-address"], values["function-tls-certs-dir"]) : undefined;
  const input = {
    xr: xrs[0]!,
    observed: (values.observed ?? []).flatMap(loadObjects),
    required: (values.required ?? []).flatMap(loadObjects),
    ...(remote ? { runner: remote.runner } : {}),
  };
  let out: RenderOutput;
  let passes: number | undefined;
  let settled = false;
  try {
    if (values["until-ready"]) ({ out, passes, settled } = await renderUntilReady(input, maxPasses));
    else out = await render(input);
  } finally {
    remote?.close();
  }
  for (const r of out.results) console.error(`${r.severity}: ${r.message}`);
  const unmet = describeUnmet(out);
  if (unmet.length) {
    // Offline there is no cluster to find them in: the message a cluster would give ("create the
    // Network in this namespace first") would send a new user looking for a cluster problem.
    console.error(
      `note: rendering offline, so objects the XR refers to come only from --required; not given: ${unmet.join(", ")}.` +
        (out.fatal
          ? " Pass the file or folder that defines it, e.g. --required examples/network/ for the example Networks."
          : " Secrets a provider generates exist only once it has run (--until-ready fakes them)."),
    );
  }
  if (out.fatal && out.unmet.some((u) => u.name === "tessera-platform")) {
    // The platform EnvironmentConfig is optional, but a refusal may be about a setting only it holds.
    console.error("note: rendering offline without the platform EnvironmentConfig tessera (Crossplane's egress addresses); pass it with --required, e.g. --required examples/platform/");
  }
  if (out.fatal) return 1;
  if (passes !== undefined) {
    console.error(settled ? `note: ready after ${passes} passes (this is the last)` : `note: not ready after ${passes} passes (--max-passes); this is the last`);
  }
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
