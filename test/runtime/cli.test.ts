/**
 * The command line a new user meets first: npm run render (YAML errors, offline requirements, the
 * reconcile loop offline, output kubectl reads as written), every command's --help, and npm start
 * before a build (issue 13 items 12-15, issue 11 item 18).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import type { K8sObject } from "../../functions/shared/types.ts";
import { renderUntilReady } from "../../scripts/fake-cluster.ts";
import { ROOT } from "../../scripts/generate.ts";
import { loadObjects, RESOURCE_NAME, toYamlStream } from "../../scripts/render-engine.ts";
import { YamlError } from "../../scripts/yaml.ts";
import { BUNDLE } from "../../scripts/build.ts";
import { NETWORKS, example } from "../support/fixtures.ts";

// Child processes and CRD schemas compiled on first use: slow on a busy two-core machine.
vi.setConfig({ testTimeout: 240_000 });

const tsx = (script: string, args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", join("scripts", script), ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
/** The same, without blocking: several at once share the two cores. */
const tsxAsync = (script: string, args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join("scripts", script), ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
const tmp = (name: string, text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "tessera-cli-")), name);
  writeFileSync(file, text);
  return file;
};
const xrYaml = (path: string) => stringify(example(path), { lineWidth: 0 });

describe("npm run render: YAML errors (13.12)", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["an unclosed flow sequence", xrYaml("examples/network/aws-minimal.yaml").replace(/region: (.*)/, "region: [unclosed"), /Flow sequence/],
    ["two XRs without ---", `${xrYaml("examples/network/aws-minimal.yaml")}${xrYaml("examples/network/azure-minimal.yaml")}`, /Map keys must be unique/],
    ["a duplicate key", xrYaml("examples/network/aws-minimal.yaml").replace(/^(\s+)region: (.*)$/m, "$1region: $2\n$1region: eu-west-1"), /Map keys must be unique/],
    ["a tab as indentation", xrYaml("examples/network/aws-minimal.yaml").replace(/^ {2}region:/m, "\tregion:"), /Tabs are not allowed as indentation/],
  ];
  it.each(cases)("refuses %s, naming file, line and error", (_, text, error) => {
    const file = tmp("xr.yaml", text);
    expect(() => loadObjects(file)).toThrow(YamlError);
    expect(() => loadObjects(file)).toThrow(new RegExp(`${file.replace(/[.]/g, "\\.")}:\\d+:\\d+: ${error.source}`));
  });

  it("npm run render exits 2 on it, with the error on stderr and nothing on stdout", async () => {
    const file = tmp("xr.yaml", cases[1]![1]);
    const r = await tsxAsync("render.ts", [file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.]/g, "\\.")}:\\d+:1: Map keys must be unique`));
    expect(r.stdout).toBe("");
  });
});

describe("npm run render: offline requirements (13.13)", () => {
  it("says a missing Network comes from --required offline, and exits 1", () => {
    const r = tsx("render.ts", ["examples/postgres-database/aws-minimal.yaml"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/rendering offline, so objects the XR refers to come only from --required; not given: Network team-a\/\S+ \(platform\.tessera\.io\/v1alpha1\)/);
    expect(r.stderr).toContain("--required examples/network/");
  });

  it("serves the platform EnvironmentConfig from --required; without it an Azure Front Door origin is refused and render says where it comes from", () => {
    const without = tsx("render.ts", ["examples/object-store/azure-broxiva.yaml"]);
    expect(without.status).toBe(1);
    expect(without.stderr).toContain("spec.cdn.originAccess");
    expect(without.stderr).toContain("--required examples/platform/");
    const given = tsx("render.ts", ["examples/object-store/azure-broxiva.yaml", "--required", "examples/platform/"]);
    expect(given.status).toBe(0);
    const account = parseAllDocuments(given.stdout).map((d) => d.toJS() as K8sObject).find((o) => o.kind === "Account");
    expect((account?.spec as any).forProvider.networkRules).toEqual({ defaultAction: "Deny", bypass: ["None"], ipRules: ["198.51.100.16/28", "203.0.113.7"] });
    // A Network asks for no platform settings and renders as before without them.
    expect(tsx("render.ts", ["examples/network/aws-broxiva.yaml"]).status).toBe(0);
  });

  it("renders with the Network passed by --required, YAML on stdout", () => {
    const r = tsx("render.ts", ["examples/postgres-database/aws-minimal.yaml", "--required", "examples/network/"]);
    expect(r.status).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
    expect(docs[0]?.kind).toBe("PostgresDatabase");
    expect(docs.length).toBeGreaterThan(2);
  });
});

describe("npm run render --until-ready (13.14)", () => {
  it("runs the reconcile loop offline until nothing new appears, and says how many passes", async () => {
    const xr = example("examples/redis-cluster/aws-minimal.yaml");
    const { out, passes, settled } = await renderUntilReady({ xr, required: NETWORKS });
    expect(settled).toBe(true);
    expect(passes).toBeGreaterThanOrEqual(3);
    const keys = out.resources.map((r) => r.metadata?.annotations?.[RESOURCE_NAME]);
    // The AWS first pass has no replication group and no connection Secret: both are there at the end.
    expect(keys).toEqual(expect.arrayContaining(["replication-group", "connection-secret"]));
    expect(out.xr.status?.["message"]).toBe("Available");

    const r = tsx("render.ts", ["examples/redis-cluster/aws-minimal.yaml", "--required", "examples/network/", "--until-ready"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`note: ready after ${passes} passes`);
    expect(r.stdout).toBe(toYamlStream(out));
  });

  it("stops at the pass limit and says it did not settle", async () => {
    const { passes, settled } = await renderUntilReady({ xr: example("examples/redis-cluster/aws-minimal.yaml"), required: NETWORKS }, 1);
    expect({ passes, settled }).toEqual({ passes: 1, settled: false });
  });
});

describe("render output read by YAML 1.1 tools (11.18)", () => {
  const words = ["yes", "no", "on", "off", "y", "n", "true", "False", "~", "null", "0777", "1_000", "12:30", "0x1F", "1e3", ".inf", "2024-01-01"];
  // Azure: tag values may hold any character there ("~" is not an AWS tag character).
  const xr = structuredClone(example("examples/network/azure-minimal.yaml"));
  (xr.spec as Record<string, unknown>)["tags"] = Object.fromEntries(words.map((w, i) => [`t${i}`, w]));
  const file = tmp("xr.yaml", stringify(xr, { lineWidth: 0 }));

  const tagsIn = (docs: unknown[]) =>
    (docs as K8sObject[]).filter((d) => (d.spec as { forProvider?: { tags?: Record<string, unknown> } })?.forProvider?.tags).map((d) => (d.spec as { forProvider: { tags: Record<string, unknown> } }).forProvider.tags);

  let out = "";
  it("quotes every string a YAML 1.1 reader would take for a boolean, number, null or date", () => {
    const r = tsx("render.ts", [file]);
    expect(r.status).toBe(0);
    out = r.stdout;
    const tags = tagsIn(parseAllDocuments(out, { version: "1.1" }).map((d) => d.toJS()));
    expect(tags.length).toBeGreaterThan(0);
    for (const t of tags) for (const [i, w] of words.entries()) expect(t[`t${i}`], w).toBe(w);
  });

  const python = spawnSync("python3", ["-c", "import yaml"]).status === 0;
  it.runIf(python)("and PyYAML (a YAML 1.1 reader, as Go's yaml.v2 and kubectl are) reads them as strings", () => {
    const json = execFileSync("python3", ["-c", "import sys, yaml, json; print(json.dumps(list(yaml.safe_load_all(sys.stdin)), default=str))"], { input: out, encoding: "utf8" });
    const tags = tagsIn(JSON.parse(json) as unknown[]);
    expect(tags.length).toBeGreaterThan(0);
    for (const t of tags) for (const [i, w] of words.entries()) expect(t[`t${i}`], w).toBe(w);
  });
});

describe("every command answers --help (13.15)", () => {
  it("npm run render, package, publish, generate, build, bench and soak", async () => {
    const scripts = ["render.ts", "package.ts", "publish.ts", "generate.ts", "build.ts", "bench.ts", "soak.ts"];
    // Two at a time (two cores); each loads its script's modules before it parses flags.
    const got: Array<Awaited<ReturnType<typeof tsxAsync>>> = [];
    for (let i = 0; i < scripts.length; i += 2) got.push(...(await Promise.all(scripts.slice(i, i + 2).map((s) => tsxAsync(s, ["--help"])))));
    got.forEach((r, i) => {
      expect(r.status, `${scripts[i]}: ${r.stderr}`).toBe(0);
      expect(r.stdout, scripts[i]).toMatch(/^Usage: npm run /);
    });
  }, 300_000);

  it("the function itself (npm start -- --help)", () => {
    const r = spawnSync(process.execPath, [BUNDLE, "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: function-tessera/);
    for (const flag of ["--address", "--tls-certs-dir", "--insecure", "--max-message-size", "--request-timeout", "--debug"]) expect(r.stdout).toContain(flag);
  });

  it("npm start before npm run build says to build first", () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-start-"));
    copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
    const r = spawnSync("npm", ["start", "--silent"], { cwd: dir, encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("run npm run build first");
    expect(r.stderr).not.toContain("MODULE_NOT_FOUND");
  });

  it("package names the registry it could not reach and suggests --base-layout", async () => {
    // A port nothing listens on: the same failure as a machine offline.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const r = await tsxAsync("package.ts", ["--base-image", `127.0.0.1:${port}/base/node:test`, "--output", mkdtempSync(join(tmpdir(), "tessera-out-"))]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot reach the registry 127.0.0.1:${port} (ECONNREFUSED`);
    expect(r.stderr).toContain("--base-layout DIR");
  });
});

describe("generated XRDs (13.16, the generator's part)", () => {
  it("carry no ±(2^53 - 1) bounds that zod writes for every z.int()", () => {
    for (const folder of readdirSync(join(ROOT, "apis")).filter((d) => existsSync(join(ROOT, "apis", d, "definition.yaml")))) {
      const text = readFileSync(join(ROOT, "apis", folder, "definition.yaml"), "utf8");
      expect(text, folder).not.toMatch(/9007199254740991/);
    }
  });
});
