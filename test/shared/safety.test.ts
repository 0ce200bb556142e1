/**
 * Rules every kind shares (issue: nothing an app team writes may reach another team's data or fail
 * later in the cloud): a connection Secret is this XR's own, tags are ones the cloud accepts, names
 * fit in labels, the region does not move, and a YAML number where a string is wanted says "quote it".
 * Each refusal is checked in the function (offline render) and, where CEL can say it, in the XRD.
 */
import { describe, expect, it } from "vitest";
import { render } from "../../scripts/render-engine.ts";
import type { K8sObject } from "../../functions/shared/types.ts";
import { example, observe, requiredFor } from "../support/fixtures.ts";
import { admission, expectRefused, withSpec, xrdSpecSchema } from "../support/refusals.ts";

const pg = example("examples/postgres-database/aws-vivr.yaml");
const redis = example("examples/redis-cluster/azure-minimal.yaml");
const net = example("examples/network/azure-minimal.yaml");

const secret = (name: string, namespace: string, owner?: { kind: string; name: string; uid?: string }): K8sObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: {
    name,
    namespace,
    ...(owner ? { ownerReferences: [{ apiVersion: "platform.tessera.io/v1alpha1", kind: owner.kind, name: owner.name, uid: owner.uid ?? "uid-other", controller: true }] } : {}),
  },
  data: { password: Buffer.from("theirs").toString("base64") },
});

describe("a connection Secret is this XR's own", () => {
  const ns = pg.metadata!.namespace as string;

  it("refuses a name held by another XR's Secret, by a provider's Secret or by a hand-made one", async () => {
    const named = withSpec(pg, (s) => (s.connectionSecretName = "orders-connection"));
    await expectRefused({ xr: named, required: [...requiredFor(pg), secret("orders-connection", ns, { kind: "PostgresDatabase", name: "orders" })] },
      "spec.connectionSecretName", "orders-connection", "belongs to PostgresDatabase orders", "choose a name");
    const creds = withSpec(pg, (s) => (s.connectionSecretName = "aws-credentials"));
    await expectRefused({ xr: creds, required: [...requiredFor(pg), secret("aws-credentials", ns)] }, "aws-credentials", "nothing Tessera composed");
    // Same name and kind but another uid: a deleted and re-created XR does not inherit an orphan.
    const withUid = structuredClone(pg);
    withUid.metadata!["uid"] = "uid-mine";
    await expectRefused({ xr: withUid, required: [...requiredFor(pg), secret(`${pg.metadata!.name}-connection`, ns, { kind: "PostgresDatabase", name: pg.metadata!.name as string, uid: "uid-old" })] }, "already exists");
  });

  it("accepts the Secret it composed itself, and a name nobody holds", async () => {
    const withUid = structuredClone(pg);
    withUid.metadata!["uid"] = "uid-mine";
    const own = secret(`${pg.metadata!.name}-connection`, ns, { kind: "PostgresDatabase", name: pg.metadata!.name as string, uid: "uid-mine" });
    expect((await render({ xr: withUid, required: [...requiredFor(pg), own] })).fatal).toBeUndefined();
    expect((await render({ xr: withSpec(pg, (s) => (s.connectionSecretName = "fresh-name")), required: requiredFor(pg) })).fatal).toBeUndefined();
  });

  it("refuses the names providers generate for other XRs, at admission too", async () => {
    for (const name of ["orders-postgres-admin", "cache-redis-auth", "cache-redis-keys"]) {
      await expectRefused({ xr: withSpec(pg, (s) => (s.connectionSecretName = name)), required: requiredFor(pg) }, "spec.connectionSecretName", "generate");
      expect(admission(xrdSpecSchema("redis-cluster"), { ...redis.spec, connectionSecretName: name }).join()).toContain("generate");
    }
  });

  it("asks for the named Secret as a required resource, so a cluster serves it", async () => {
    const out = await render({ xr: withSpec(redis, (s) => (s.connectionSecretName = "app-redis")), required: requiredFor(redis) });
    const sel = Object.values(out.response.requirements?.resources ?? {}).find((r) => r.kind === "Secret" && r.matchName === "app-redis");
    expect(sel).toMatchObject({ apiVersion: "v1", namespace: redis.metadata!.namespace });
  });
});

describe("tags the cloud accepts", () => {
  it("refuses aws: keys and characters AWS rejects, on AWS", async () => {
    for (const [tags, fragment] of [[{ "aws:team": "x" }, "reserved by AWS"], [{ "AwS:x": "y" }, "reserved by AWS"], [{ "cost#center": "x" }, "only letters"], [{ team: "a<b" }, "only letters"]] as const) {
      await expectRefused({ xr: withSpec(pg, (s) => (s.tags = tags)), required: requiredFor(pg) }, "spec.tags", fragment);
      expect(admission(xrdSpecSchema("postgres-database"), { ...pg.spec, tags }).join()).toContain(fragment);
    }
  });

  it("refuses Azure's forbidden key characters on Azure, and allows them nowhere else they are valid", async () => {
    for (const key of ["a/b", "a<b", "100%", "a&b", "a\\b", "why?"]) {
      await expectRefused({ xr: withSpec(net, (s) => (s.tags = { [key]: "x" })) }, "spec.tags", "Azure tag keys");
      expect(admission(xrdSpecSchema("network"), { ...net.spec, tags: { [key]: "x" } }).join()).toContain("Azure tag keys");
    }
    expect(admission(xrdSpecSchema("network"), { ...net.spec, tags: { "Cost Center": "BROX-INFRA", "owner@": "devops@broxiva.com" } })).toEqual([]);
  });

  it("refuses a 41st tag in the function as the XRD does", async () => {
    const tags = Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`k${i}`, "v"]));
    await expectRefused({ xr: withSpec(net, (s) => (s.tags = tags)) }, "spec.tags", "at most 40");
  });
});

describe("names, regions and YAML", () => {
  it("refuses a name longer than a label value", async () => {
    const long = structuredClone(net);
    long.metadata!.name = "n".repeat(80);
    await expectRefused({ xr: long }, "metadata.name", "80 characters", "at most 63");
  });

  it("refuses moving a live resource to another region", async () => {
    const first = await render({ xr: net });
    const moved = withSpec(net, (s) => (s.region = "westeurope"));
    moved.status = { region: "eastus" };
    await expectRefused({ xr: moved, observed: observe(first.resources) }, "spec.region", "already runs in eastus", "set spec.region back to eastus");
  });

  it("says to quote a version YAML read as a number", async () => {
    await expectRefused({ xr: withSpec(pg, (s) => (s.version = 16)), required: requiredFor(pg) }, "spec.version", "got 16", '"16" in quotes');
    // Any string field, through the shared parser: a tag value YAML read as a boolean.
    await expectRefused({ xr: withSpec(net, (s) => (s.tags = { Enabled: true })) }, "spec.tags.Enabled", "got true", 'quote it, e.g. "true"');
  });
});
