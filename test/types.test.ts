/**
 * Types generated from the real CRDs (functions/crds, `npm run generate:types`): the committed files
 * are what the generator produces, they name every field exactly as the CRD does, they stay out of
 * the function's bundle, and managed() checks a renderer against them.
 *
 * The `@ts-expect-error` lines below are the typing test: `npm test` runs tsc before vitest, and tsc
 * fails on any of them that stops being an error (TS2578, unused directive).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { crdFiles, CRD_ROOT, generatedTypes, typedKinds, TYPES_DIR } from "../scripts/generate-types.ts";
import { ROOT } from "../scripts/generate.ts";
import { KINDS } from "../functions/fn.ts";
import { managed, own, ofNetwork } from "../functions/shared/resources.ts";
import { networkUsage } from "../functions/shared/usage.ts";
import type { Composed, ForProvider, InitProvider } from "../functions/shared/types.ts";
import type { Secret } from "../functions/crds/core.ts";
import type { Usage } from "../functions/crds/protection.crossplane.io.ts";
import type * as rds from "../functions/crds/rds.aws.m.upbound.io.ts";
import type * as ec2 from "../functions/crds/ec2.aws.m.upbound.io.ts";
import type * as network from "../functions/crds/network.azure.m.upbound.io.ts";
import type * as helm from "../functions/crds/helm.m.crossplane.io.ts";
import type * as kubernetes from "../functions/crds/kubernetes.m.crossplane.io.ts";
import type * as eks from "../functions/crds/eks.aws.m.upbound.io.ts";
import { usage as clusterUsage } from "../functions/k8s-cluster/common.ts";
import { HELM, inCluster } from "../functions/k8s-cluster/incluster.ts";

const RDS = "rds.aws.m.upbound.io/v1beta1";
const files = generatedTypes();

describe("generated types", () => {
  it.each([...files.keys()])("%s is up to date (npm run generate:types)", (path) => {
    expect(readFileSync(join(ROOT, path), "utf8")).toBe(files.get(path));
  });

  it("leaves no file behind that the generator no longer writes", () => {
    expect(readdirSync(join(ROOT, TYPES_DIR)).map((f) => `${TYPES_DIR}/${f}`).sort()).toEqual([...files.keys()].sort());
  });

  it("covers every kind a platform API composes, plus Usage and the helm/kubernetes kinds", () => {
    const names = typedKinds();
    for (const k of Object.values(KINDS)) for (const c of k.composes) expect(names).toContain(c);
    for (const extra of ["usages.protection.crossplane.io", "releases.helm.m.crossplane.io", "objects.kubernetes.m.crossplane.io"]) expect(names).toContain(extra);
    for (const [name, rel] of crdFiles(names)) {
      const crd = parse(readFileSync(join(CRD_ROOT, rel), "utf8"));
      const text = files.get(`${TYPES_DIR}/${crd.spec.group}.ts`);
      expect(text, name).toBeDefined();
      for (const v of crd.spec.versions) {
        expect(text, `${name} ${v.name}`).toContain(`  apiVersion: '${crd.spec.group}/${v.name}';\n  kind: '${crd.spec.names.kind}';\n`);
      }
    }
  });

  // cdk8s import camelCases field names (helm's skipCRDs becomes skipCrDs) and maps them back only
  // in its construct classes; a plain object must carry the CRD's own names.
  it("names every field exactly as the CRDs do, and no field they do not have", () => {
    const byGroup = new Map<string, Set<string>>();
    const walk = (node: Record<string, any> | undefined, into: Set<string>) => {
      if (!node || typeof node !== "object") return;
      for (const [name, child] of Object.entries((node["properties"] ?? {}) as Record<string, any>)) {
        into.add(name);
        walk(child, into);
      }
      walk(node["items"], into);
      if (typeof node["additionalProperties"] === "object") walk(node["additionalProperties"], into);
    };
    for (const rel of crdFiles(typedKinds()).values()) {
      const crd = parse(readFileSync(join(CRD_ROOT, rel), "utf8"));
      const names = byGroup.get(crd.spec.group) ?? new Set(["apiVersion", "kind", "spec"]);
      for (const v of crd.spec.versions) walk(v.schema.openAPIV3Schema.properties.spec, names);
      byGroup.set(crd.spec.group, names);
    }
    for (const [group, expected] of byGroup) {
      const text = files.get(`${TYPES_DIR}/${group}.ts`)!;
      const declared = new Set<string>();
      for (const [, name, body] of text.matchAll(/^export interface (\w+) \{\n([\s\S]*?)^\}$/gm)) {
        if (name === "Kinds") continue;
        for (const [, prop] of body!.matchAll(/^ {2}('(?:[^'\\]|\\.)*'|[A-Za-z0-9_$]+)\??: /gm)) declared.add(prop!.replace(/^'|'$/g, "").replace(/\\(.)/g, "$1"));
      }
      expect([...declared].sort(), group).toEqual([...expected].sort());
    }
    const helmText = files.get(`${TYPES_DIR}/helm.m.crossplane.io.ts`)!;
    for (const renamed of ["skipCRDs", "insecureSkipTLSVerify", "plainHTTP"]) expect(helmText).toContain(`  ${renamed}?: `);
  });

  it("are declarations only: no class, enum, function or value", () => {
    for (const [path, text] of files) {
      expect(text, path).not.toMatch(/^export (class|enum|function|const|let|var|default) /m);
      expect(text, path).not.toMatch(/^import /m);
    }
  });

  it("stay out of the function's bundle (only `import type` reaches them)", async () => {
    const out = await build({ entryPoints: [join(ROOT, "functions", "main.ts")], bundle: true, platform: "node", format: "cjs", write: false, metafile: true, logLevel: "silent" });
    const inputs = Object.keys(out.metafile.inputs);
    expect(inputs.some((p) => p.startsWith("functions/shared/"))).toBe(true);
    expect(inputs.filter((p) => p.includes(`${TYPES_DIR}/`))).toEqual([]);
  });
});

describe("typed managed()", () => {
  it("renders exactly what the untyped call renders", () => {
    const forProvider = { region: "eu-west-1", description: "db subnets", subnetIdSelector: ofNetwork("net", { tier: "database" }), tags: { a: "b" } };
    const typed = managed<rds.SubnetGroup>(RDS, "SubnetGroup", "subnet-group", forProvider, { labels: { x: "y" } });
    const untyped = managed(RDS, "SubnetGroup", "subnet-group", forProvider as Record<string, unknown>, { labels: { x: "y" } });
    expect(JSON.stringify(typed)).toBe(JSON.stringify(untyped));
  });

  it("the Usage builder's output is what it was before it was typed", () => {
    const u = networkUsage("usage-network", { network: "net", tier: "database", by: { apiVersion: RDS, kind: "Instance", key: "instance" }, reason: "a database" });
    expect(JSON.stringify(u)).toBe(JSON.stringify({
      apiVersion: "protection.crossplane.io/v1beta1",
      kind: "Usage",
      metadata: { labels: { "platform.tessera.io/resource": "usage-network", "platform.tessera.io/network": "net", "platform.tessera.io/tier": "database" } },
      spec: {
        of: { apiVersion: "platform.tessera.io/v1alpha1", kind: "Network", resourceRef: { name: "net" } },
        by: { apiVersion: RDS, kind: "Instance", resourceSelector: { matchControllerRef: true, matchLabels: { "platform.tessera.io/resource": "instance" } } },
        reason: "a database",
        replayDeletion: true,
      },
    }));
  });

  it("refuses at compile time what the CRD does not accept (tsc checks the lines below)", () => {
    // Never run: what matters is that tsc accepts the plain lines and refuses the marked ones.
    const fixtures = () => {
      managed<rds.Instance>(RDS, "Instance", "instance", { region: "eu-west-1", allocatedStorage: 20, dbSubnetGroupNameSelector: own("subnet-group"), tags: { team: "a" } });
      // @ts-expect-error misspelt field: the CRD says allocatedStorage
      managed<rds.Instance>(RDS, "Instance", "instance", { region: "eu-west-1", allocatedStorge: 20 });
      // @ts-expect-error wrong shape: allocatedStorage is a number, not a string
      managed<rds.Instance>(RDS, "Instance", "instance", { region: "eu-west-1", allocatedStorage: "20" });
      // @ts-expect-error wrong shape: vpcSecurityGroupIds is a list, not one string
      managed<rds.Instance>(RDS, "Instance", "instance", { region: "eu-west-1", vpcSecurityGroupIds: "sg-1" });
      // @ts-expect-error wrong shape: blueGreenUpdate is an object, not a list of objects
      managed<rds.Instance>(RDS, "Instance", "instance", { region: "eu-west-1", blueGreenUpdate: [{ enabled: true }] });
      // @ts-expect-error missing a field the CRD requires (region)
      managed<rds.Instance>(RDS, "Instance", "instance", { allocatedStorage: 20 });
      // @ts-expect-error the kind is not the descriptor's
      managed<rds.Instance>(RDS, "SubnetGroup", "instance", { region: "eu-west-1" });
      // @ts-expect-error the apiVersion is not the descriptor's
      managed<rds.Instance>("rds.aws.upbound.io/v1beta1", "Instance", "instance", { region: "eu-west-1" });
      // @ts-expect-error initProvider is typed too: misspelt field
      managed<rds.Instance>(RDS, "Instance", "instance", { region: "eu-west-1" }, { initProvider: { availabilityZon: "eu-west-1a" } });
      managed<rds.Instance>(RDS, "Instance", "instance", { region: "eu-west-1" }, { initProvider: { availabilityZone: "eu-west-1a" } });
      // Optional fields take undefined (the codec skips it), as renderers pass `field: spec.x`.
      managed<rds.Instance>(RDS, "Instance", "instance", { region: "eu-west-1", kmsKeyId: undefined });
      // Kinds are named exactly like the CRD's kind, not cdk8s's PublicIp.
      managed<network.PublicIP>("network.azure.m.upbound.io/v1beta1", "PublicIP", "ip", { location: "westeurope", allocationMethod: "Static" });
      // Field names are the CRD's: helm's skipCRDs, which cdk8s import renames skipCrDs.
      const release: ForProvider<helm.Release> = { chart: { name: "cert-manager" }, skipCRDs: true };
      // @ts-expect-error cdk8s's camelCase name is not a field of the CRD
      const renamed: ForProvider<helm.Release> = { chart: { name: "cert-manager" }, skipCrDs: true };
      // Building a forProvider apart keeps the check when it is annotated.
      const fp: ForProvider<ec2.VPC> = { region: "eu-west-1", cidrBlock: "10.0.0.0/16", enableDnsSupport: true };
      // @ts-expect-error a misspelt field in an annotated forProvider
      const bad: ForProvider<ec2.VPC> = { region: "eu-west-1", cidrBlok: "10.0.0.0/16" };
      const init: InitProvider<ec2.Subnet> = { availabilityZone: "eu-west-1a" };
      // A renderer that takes the kind from a table: `Kinds` maps each kind of the group to its type.
      const add = <K extends keyof ec2.Kinds>(kind: K, forProvider: ForProvider<ec2.Kinds[K]>) => managed<ec2.Kinds[K]>("ec2.aws.m.upbound.io/v1beta1", kind, kind, forProvider);
      add("VPC", { region: "eu-west-1", cidrBlock: "10.0.0.0/16" });
      // @ts-expect-error the table's kind decides the type: a VPC has no subnetId
      add("VPC", { region: "eu-west-1", subnetId: "subnet-1" });
      // Untyped callers compile as before.
      managed(RDS, "Instance", "instance", { anything: "goes", until: "converted" });
      // Kinds not built by managed(): the literal `satisfies Composed<T>`.
      const usage = { apiVersion: "protection.crossplane.io/v1beta1", kind: "Usage", metadata: { labels: { a: "b" } }, spec: { of: { apiVersion: "v1", kind: "Network", resourceRef: { name: "n" } }, replayDeletion: true } } satisfies Composed<Usage>;
      // @ts-expect-error misspelt Usage field (replayDeletion)
      const badUsage = { apiVersion: "protection.crossplane.io/v1beta1", kind: "Usage", spec: { of: { kind: "Network" }, replayDeleton: true } } satisfies Composed<Usage>;
      // @ts-expect-error Secret data is a map of strings
      const badSecret = { apiVersion: "v1", kind: "Secret", data: { password: 42 } } satisfies Composed<Secret>;
      // @ts-expect-error wrong shape: a provider-kubernetes ProviderConfig's credentials is an object, not a string
      const badConfig = { apiVersion: "kubernetes.m.crossplane.io/v1alpha1", kind: "ProviderConfig", spec: { credentials: "Secret" } } satisfies Composed<kubernetes.ProviderConfig>;
      // Helpers that take apiVersion and kind are generic over the kind, with no usable default.
      const xr = { name: "c", namespace: "team-a" };
      inCluster<helm.Release>(HELM, "Release", "autoscaler", xr, { chart: { name: "cluster-autoscaler" } }, false);
      // @ts-expect-error a call without the kind checks nothing, so it does not compile
      inCluster(HELM, "Release", "autoscaler", xr, { chart: { name: "cluster-autoscaler" } }, false);
      // @ts-expect-error forProvider is the kind's: a misspelt chart field
      inCluster<helm.Release>(HELM, "Release", "autoscaler", xr, { chart: { nme: "cluster-autoscaler" } }, false);
      const EKS = "eks.aws.m.upbound.io/v1beta1";
      clusterUsage<eks.Cluster, eks.NodeGroup>("u", { apiVersion: EKS, kind: "Cluster", key: "cluster" }, { apiVersion: EKS, kind: "NodeGroup", key: "nodepool-a" }, "a pool");
      // @ts-expect-error the kind is not the type argument's (NodeGroup)
      clusterUsage<eks.Cluster, eks.NodeGroup>("u", { apiVersion: EKS, kind: "Cluster", key: "cluster" }, { apiVersion: EKS, kind: "Nodegroup", key: "nodepool-a" }, "a pool");
      return [release, renamed, fp, bad, init, usage, badUsage, badSecret, badConfig];
    };
    expect(typeof fixtures).toBe("function");
  });
});

/**
 * Kinds whose renderers are not typed yet: none. Every kind's renderers are typed, and a new kind's
 * must be from the start; the list stays so an exemption is visible (and fails once unneeded).
 */
const NOT_YET_TYPED: string[] = [];
/** Folders under functions/ that hold no platform API's renderers. */
const NOT_KINDS = new Set(["crds", "shared", "runtime"]);

describe("every renderer is typed", () => {
  const functions = join(ROOT, "functions");
  const kinds = readdirSync(functions).filter((d) => statSync(join(functions, d)).isDirectory() && !NOT_KINDS.has(d));
  /** Lines (1-based) of `code` with a `managed(` call that has no type argument (comments stripped). */
  const untypedLines = (code: string) =>
    code
      .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
      .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1")
      .split("\n").flatMap((line, i) => (/\bmanaged\s*\(/.test(line) ? [i + 1] : []));
  /** `managed(` calls with no type argument, as file:line, in the code of functions/<kind>/. */
  const untypedCalls = (kind: string) =>
    readdirSync(join(functions, kind)).filter((f) => f.endsWith(".ts")).flatMap((f) =>
      untypedLines(readFileSync(join(functions, kind, f), "utf8")).map((n) => `functions/${kind}/${f}:${n}`));

  it("finds the kinds and their managed<T>() calls (the scan is not vacuous)", () => {
    expect(kinds).toEqual(expect.arrayContaining(["network", "postgres-database", "object-store", "message-queue", "redis-cluster", "k8s-cluster"]));
    const typed = readFileSync(join(functions, "postgres-database", "aws.ts"), "utf8");
    expect(typed).toMatch(/\bmanaged<rds\.Instance>\(/);
    // The scan finds an untyped call, and only that: not a typed one, not one in a comment.
    const code = [
      'r["a"] = managed(EC, "SubnetGroup", "a", { region });',
      'r["b"] = managed<elasticache.SubnetGroup>(EC, "SubnetGroup", "b", { region });',
      "// managed(EC, ...) in a comment",
      "/* managed(EC, ...) */ const x = 1;",
      'r["c"] = managed (EC, "SubnetGroup", "c", { region });',
    ].join("\n");
    expect(untypedLines(code)).toEqual([1, 5]);
  });

  it.each(kinds.filter((k) => !NOT_YET_TYPED.includes(k)))("functions/%s/ passes the kind's descriptor to every managed() call", (kind) => {
    expect(untypedCalls(kind), "write managed<group.Kind>(...) with `import type * as group from \"../crds/<group>.ts\"` (README, Typed renderers)").toEqual([]);
  });

  it.each(NOT_YET_TYPED.filter((k) => kinds.includes(k)))("functions/%s/ still needs its exemption (else remove it from NOT_YET_TYPED)", (kind) => {
    expect(untypedCalls(kind).length).toBeGreaterThan(0);
  });
});
