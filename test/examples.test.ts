/**
 * Every example renders for its provider; every composed resource passes the real provider CRDs
 * (schema, unknown fields, defaults, CEL); and as the fake cluster creates what was asked for,
 * later passes never drop a resource and end with the XR Ready and its status filled in.
 */
import { describe, expect, it } from "vitest";
import type { K8sObject } from "../functions/shared/types.ts";
import { render, RESOURCE_NAME } from "../scripts/render-engine.ts";
import { KINDS } from "../functions/fn.ts";
import { crdNames, mrdName, validateComposed } from "./support/crds.ts";
import { isGpuPool } from "../functions/k8s-cluster/tables.ts";
import { CONNECTION_DETAILS, EXAMPLES, example, observe, requiredFor } from "./support/fixtures.ts";

const keyOf = (o: K8sObject) => o.metadata?.annotations?.[RESOURCE_NAME] as string;

/**
 * Core kinds need no activation: v1 (Secret) and Crossplane's own (protection.crossplane.io Usage),
 * which are not managed resources. They are still validated against their CRDs above.
 */
const isCore = (r: K8sObject) => r.apiVersion === "v1" || /^[a-z.]*crossplane\.io\//.test(r.apiVersion);

/** Valid against the CRDs, and of a kind the Configuration's activation policy activates. */
export function expectValid(resources: K8sObject[], xrKind?: string): void {
  const errors = resources.flatMap((r) => validateComposed(r).map((e) => `${keyOf(r)} (${r.apiVersion} ${r.kind}): ${e}`));
  expect(errors).toEqual([]);
  if (!xrKind) return;
  const activated = new Set(KINDS[xrKind]?.composes);
  const missing = resources.filter((r) => !isCore(r)).map((r) => mrdName(r) ?? r.kind).filter((n) => !activated.has(n));
  expect(missing, `composed by ${xrKind} but not in its composes list`).toEqual([]);
}

it("every kind a module declares it composes is a real namespaced managed resource", () => {
  const real = crdNames();
  const declared = Object.values(KINDS).flatMap((k) => k.composes);
  // Upjet providers' namespaced kinds, and provider-helm's and provider-kubernetes's (K8sCluster installs into its cluster).
  expect(declared.filter((n) => !real.has(n) || !/\.m\.(upbound\.io|crossplane\.io)$/.test(n))).toEqual([]);
});

describe.each(EXAMPLES)("%s", (file) => {
  const xr = example(file);
  const required = requiredFor(xr);
  const connectionDetails = CONNECTION_DETAILS;

  it("renders resources that pass the provider CRDs", async () => {
    const out = await render({ xr, required });
    expect(out.fatal).toBeUndefined();
    expect(out.resources.length).toBeGreaterThan(0);
    expectValid(out.resources, xr.kind);
    expect(out.resources.every((r) => r.metadata?.namespace === xr.metadata?.namespace)).toBe(true);
    const provider = (xr.spec as { provider: string }).provider;
    for (const r of out.resources) {
      if (!isCore(r)) expect(r.apiVersion).toMatch(new RegExp(`\\.${provider}\\.m\\.upbound\\.io/|^azure\\.m\\.upbound\\.io/`));
    }
  });

  it("keeps every resource across passes and ends Ready with status and connection filled", async () => {
    let observed: K8sObject[] = [];
    let out = await render({ xr, required });
    // K8sCluster on EKS has the deepest staging (cluster, add-ons, launch templates, node groups, late add-ons).
    for (let pass = 0; pass < 8; pass++) {
      const before = new Set(out.resources.map(keyOf));
      observed = observe(out.resources);
      out = await render({ xr, required, observed, connectionDetails });
      expect(out.fatal).toBeUndefined();
      const after = new Set(out.resources.map(keyOf));
      expect([...before].filter((k) => !after.has(k))).toEqual([]);
      expectValid(out.resources, xr.kind);
      if (after.size === before.size) break;
    }
    const status = out.xr.status as Record<string, unknown> & { conditions: Array<{ type: string; status: string }> };
    expect(status.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(status["message"]).toBe("Available");
    expect(status["provider"]).toBe((xr.spec as { provider: string }).provider);
    if (xr.kind === "PostgresDatabase") {
      expect(status["endpoint"]).toBeTruthy();
      expect(status["port"]).toBe(5432);
      expect(status["serverId"]).toBeTruthy();
      expect(status["connectionSecretName"]).toBe(`${xr.metadata?.name}-connection`);
      const secret = out.resources.find((r) => keyOf(r) === "connection-secret") as K8sObject & { data: Record<string, string> };
      const data = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
      expect(Object.keys(data).sort()).toEqual(["ca.crt", "database", "host", "password", "port", "sslmode", "uri", "username"]);
      expect(data["password"]).toBe("p@ss:w/rd");
      expect(data["sslmode"]).toBe("verify-full");
      expect(data["ca.crt"]).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
      expect(data["uri"]).toBe(`postgresql://${data["username"]}:p%40ss%3Aw%2Frd@${data["host"]}:5432/${data["database"]}?sslmode=verify-full`);
    }
    if (xr.kind === "RedisCluster") {
      const provider = (xr.spec as { provider: string }).provider;
      const port = provider === "aws" ? 6379 : 10000; // Azure Managed Redis serves TLS on 10000
      expect(status["endpoint"]).toBeTruthy();
      expect(status["port"]).toBe(port);
      expect(status["cacheId"]).toBeTruthy();
      expect(status["connectionSecretName"]).toBe(`${xr.metadata?.name}-redis`);
      const secret = out.resources.find((r) => keyOf(r) === "connection-secret") as K8sObject & { data: Record<string, string> };
      const data = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
      expect(Object.keys(data).sort()).toEqual(["host", "password", "port", "primaryEndpoint", "readerEndpoint", "tls", "uri"]);
      expect(data).toMatchObject({ password: "p@ss:w/rd", tls: "true", port: String(port), uri: `rediss://:p%40ss%3Aw%2Frd@${data["host"]}:${port}` });
    }
    if (xr.kind === "ObjectStore") {
      const provider = (xr.spec as { provider: string; region: string }).provider;
      const region = (xr.spec as { region: string }).region;
      expect(status["bucketName"]).toBeTruthy();
      expect(status["resourceId"]).toBeTruthy();
      expect(status["connectionSecretName"]).toBe(`${xr.metadata?.name}-bucket`);
      if (provider === "azure") expect(status["accountName"]).toMatch(/^[a-z0-9]{3,24}$/);
      else expect(status["bucketName"]).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
      if ((xr.spec as { replication?: unknown }).replication) expect((status["replica"] as Record<string, string>)["bucketName"]).toBeTruthy();
      const secret = out.resources.find((r) => keyOf(r) === "connection-secret") as K8sObject & { data: Record<string, string> };
      const data = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
      // The same keys on both clouds, and no credentials: workloads authenticate by identity.
      expect(Object.keys(data).sort()).toEqual(["bucket", "endpoint", "provider", "region", "url"]);
      expect(data).toMatchObject({ bucket: status["bucketName"], endpoint: status["endpoint"], url: status["url"], region, provider });
      expect(data["url"]).toMatch(new RegExp(`^${data["endpoint"]}/${data["bucket"]}$|^https://${data["bucket"]}\\.s3\\.${region}\\.amazonaws\\.com$`));
    }
    if (xr.kind === "MessageQueue") {
      const spec = xr.spec as { provider: string; queues: Array<{ name: string; ordering?: string }> };
      const queues = status["queues"] as Array<Record<string, string>>;
      expect(status["queueCount"]).toBe(spec.queues.length);
      expect(status["endpoint"]).toBeTruthy();
      expect(status["connectionSecretName"]).toBe(`${xr.metadata?.name}-queues`);
      for (const [i, q] of spec.queues.entries()) {
        expect(queues[i]).toMatchObject({ name: q.name, url: expect.stringMatching(/^https:\/\//), id: expect.any(String), deadLetterUrl: expect.stringMatching(/^https:\/\//) });
        if (spec.provider === "aws" && q.ordering === "fifo") expect(queues[i]?.["nativeName"]).toMatch(/\.fifo$/);
        if (spec.provider === "azure") expect(queues[i]?.["deadLetterUrl"]).toBe(`${queues[i]?.["url"]}/$DeadLetterQueue`);
      }
      const secret = out.resources.find((r) => keyOf(r) === "connection-secret") as K8sObject & { data: Record<string, string> };
      const data = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
      // The same keys on both clouds, and no credentials.
      expect(Object.keys(data).sort()).toEqual(["endpoint", "provider", "region", ...spec.queues.flatMap((q) => [`${q.name}.deadLetterName`, `${q.name}.deadLetterUrl`, `${q.name}.name`, `${q.name}.url`])].sort());
      expect(data[`${spec.queues[0]!.name}.url`]).toBe(queues[0]?.["url"]);
    }
    if (xr.kind === "K8sCluster") {
      const spec = xr.spec as { provider: "aws" | "azure"; nodePools: Array<{ name: string; minNodes: number; maxNodes: number; instanceType: string }> };
      expect(status["clusterName"]).toBeTruthy();
      expect(status["clusterId"]).toBeTruthy();
      expect(status["endpoint"]).toMatch(/^https:\/\//);
      expect(status["version"]).toMatch(/^1\.3[4-7]/);
      expect(status["versionSupport"]).toMatch(/^(standard|extended)$/);
      expect(status["oidcIssuerUrl"]).toMatch(/^https:\/\//);
      // GPU pools also say what GPU pods request, once NVIDIA's device plugin is installed.
      const gpu = (p: { instanceType: string }) => (isGpuPool(spec.provider, p.instanceType) ? { gpu: expect.objectContaining({ resource: "nvidia.com/gpu", devicePluginReady: true }) } : {});
      expect(status["nodePools"]).toEqual(spec.nodePools.map((p) => ({ name: p.name, minNodes: p.minNodes, maxNodes: p.maxNodes, ready: true, ...gpu(p) })));
      expect(status["connectionSecretName"]).toBe(`${xr.metadata?.name}-kubeconfig`);
      const secret = out.resources.find((r) => keyOf(r) === "connection-secret") as K8sObject & { data: Record<string, string> };
      const data = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
      expect(Object.keys(data).sort()).toEqual(["clusterCA", "clusterName", "endpoint", "kubeconfig", "provider", "region"]);
      expect(data["clusterCA"]).toContain("BEGIN CERTIFICATE");
      expect(data["clusterName"]).toBe(status["clusterName"]);
      expect(data["provider"]).toBe(spec.provider);
    }
    if (xr.kind === "CdnEdge") {
      const spec = xr.spec as { provider: string; domains?: Array<{ host: string }>; waf?: { enabled?: boolean } };
      expect(status["endpoint"]).toMatch(spec.provider === "aws" ? /\.cloudfront\.net$/ : /\.azurefd\.net$/);
      expect(status["url"]).toMatch(/^https:\/\//);
      expect(status["connectionSecretName"]).toBe(`${xr.metadata?.name}-cdn`);
      if (spec.waf?.enabled !== false) expect(status["wafId"]).toBeTruthy();
      if (spec.provider === "aws") expect(status["distributionId"]).toBeTruthy();
      else expect(status["profileId"]).toBeTruthy();
      const hosts = (spec.domains ?? []).map((d) => d.host);
      if (hosts.length) {
        expect((status["domains"] as Array<{ host: string; cnameTarget: string }>).map((d) => [d.host, d.cnameTarget])).toEqual(hosts.map((h) => [h, status["endpoint"]]));
        // Each host has one record routing it to the edge: a CNAME to the edge's hostname or, at an Azure DNS zone's apex, an alias A record to the endpoint resource.
        const routes = (status["dnsRecords"] as Array<{ name: string; type: string; value: string }>).filter((r) => r.value === status["endpoint"] || (r.type === "A" && r.value.includes("/afdEndpoints/")));
        expect(routes.map((r) => r.name)).toEqual(hosts);
      }
      const secret = out.resources.find((r) => keyOf(r) === "connection-secret") as K8sObject & { data: Record<string, string> };
      const data = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
      // The same keys on both clouds.
      expect(Object.keys(data).sort()).toEqual(["endpoint", "hosts", "url"]);
      expect(data).toMatchObject({ endpoint: status["endpoint"], url: status["url"], hosts: hosts.length ? hosts.join(",") : status["endpoint"] });
    }
    if (xr.kind === "Network") {
      expect(status["networkId"]).toBeTruthy();
      expect((status["subnetIds"] as Record<string, string[]>)["database"]?.length).toBeGreaterThan(0);
      expect((status["securityGroupIds"] as Record<string, string>)["database"]).toBeTruthy();
    }
  });
});
