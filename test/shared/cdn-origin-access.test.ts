/**
 * CloudFront origin access across kinds, end to end through the function: an ObjectStore with
 * cdn.originAccess grants read in its own bucket policy to exactly the distributions of the CdnEdges
 * of its namespace that use it as an origin, read from their status.distributionArn. The order is the
 * cluster's: the store first (no CloudFront grant), the CdnEdge's distribution (it waits for the store,
 * saying so), the store's next reconcile (the policy names that distribution), the CdnEdge Ready. A
 * CdnEdge of another namespace is never granted; one deleted or no longer using the store drops out;
 * a CdnEdge whose status cannot be read never costs the store its bucket, its policy or a grant it had.
 */
import { describe, expect, it } from "vitest";
import { objectStore } from "../../functions/object-store/index.ts";
import { bucketName, CDN_EDGES } from "../../functions/object-store/names.ts";
import { cloudFrontGrant, readGrant } from "../../functions/object-store/cdn.ts";
import type { K8sObject, ObservedResource } from "../../functions/shared/types.ts";
import { fakeDistributionArn, observe, renderUntilReady } from "../../scripts/fake-cluster.ts";
import { render, RESOURCE_NAME, type RenderOutput } from "../../scripts/render-engine.ts";
import { validateComposed } from "../support/crds.ts";
import { CONNECTION_DETAILS, example, objectStoresFor, requiredFor, verifySecrets } from "../support/fixtures.ts";
import { withSpec } from "../support/refusals.ts";

const keyOf = (o: K8sObject) => o.metadata?.annotations?.[RESOURCE_NAME] as string;
const byKey = (rs: K8sObject[], key: string) => rs.find((r) => keyOf(r) === key);
const invalid = (rs: K8sObject[]) => rs.flatMap((r) => validateComposed(r).map((e) => `${keyOf(r)}: ${e}`));
const policyOf = (out: RenderOutput) => JSON.parse((byKey(out.resources, "policy")?.spec?.["forProvider"] as { policy: string }).policy);
const cloudFront = (out: RenderOutput) => policyOf(out).Statement.filter((s: any) => s.Principal?.Service === "cloudfront.amazonaws.com");
const readyOf = (xr: K8sObject) => ((xr.status?.["conditions"] ?? []) as Array<{ type: string; status: string }>).find((c) => c.type === "Ready")?.status;

const store = example("examples/object-store/aws-vivr-assets.yaml");
const edge = example("examples/cdn-edge/aws-vivr.yaml");
const EDGE_ARN = fakeDistributionArn("vivr", "vivr-cdn");
const BUCKET = bucketName({ namespace: "vivr", name: "vivr-assets" });

/** What the cluster serves: the XR's spec with the status its last render wrote. */
const live = (xr: K8sObject, out: RenderOutput): K8sObject => ({ ...structuredClone(xr), status: out.xr.status ?? {} });
/** A CdnEdge as the cluster serves it, with a given status (a distribution that exists, or garbage). */
const edgeWith = (xr: K8sObject, status: Record<string, unknown>): K8sObject => ({ ...structuredClone(xr), status });
/** The CdnEdge's required resources with the ObjectStore served as it is live (not the fixture's). */
const edgeRequired = (liveStore: K8sObject) => [...objectStoresFor("aws").filter((o) => o.metadata?.name !== "vivr-assets"), liveStore, ...verifySecrets(edge)];

describe("CdnEdge and ObjectStore on AWS: the bucket policy names exactly the distributions of this namespace's CdnEdges", () => {
  it("store, then distribution, then the store's next reconcile: the policy names that distribution; another namespace's is ignored; a removed CdnEdge drops out", async () => {
    // 1. The store alone: no CdnEdge uses it, so no CloudFront distribution may read.
    const s1 = await renderUntilReady({ xr: store, required: requiredFor(store), connectionDetails: CONNECTION_DETAILS });
    expect(s1.out.fatal).toBeUndefined();
    expect(s1.settled).toBe(true);
    expect(invalid(s1.out.resources)).toEqual([]);
    expect(cloudFront(s1.out)).toEqual([]);
    expect(s1.out.xr.status?.["cdnDistributionArns"]).toBeUndefined();

    // 2. The CdnEdge: its distribution is created and reports its ARN; the store has not granted it yet,
    //    so the edge is not Ready and its MESSAGE says the store's policy follows.
    const e2 = await renderUntilReady({ xr: edge, required: edgeRequired(live(store, s1.out)), connectionDetails: CONNECTION_DETAILS });
    expect(e2.out.fatal).toBeUndefined();
    expect(e2.settled).toBe(false);
    expect(invalid(e2.out.resources)).toEqual([]);
    expect(e2.out.xr.status).toMatchObject({ distributionArn: EDGE_ARN, distributionId: EDGE_ARN.split("/")[1], message: "Waiting for ObjectStore vivr-assets to grant read (its policy follows within a reconcile)" });
    expect(readyOf(e2.out.xr)).toBe("False");

    // 3. The store's next reconcile sees the CdnEdge (and others that must not count): the policy names exactly its distribution.
    const elsewhere = edgeWith(withSpec(edge, () => undefined), { distributionArn: fakeDistributionArn("other", "vivr-cdn"), distributionId: "EOTHER" });
    elsewhere.metadata = { ...elsewhere.metadata, namespace: "other" };
    const hostOnly = edgeWith(
      withSpec(edge, (s) => {
        s.origins = s.origins.filter((o: any) => !o.objectStoreRef);
        s.behaviors = s.behaviors.filter((b: any) => b.origin !== "assets");
      }),
      { distributionArn: fakeDistributionArn("vivr", "web"), distributionId: "EWEB" },
    );
    hostOnly.metadata = { ...hostOnly.metadata, name: "web" };
    const edges = [live(edge, e2.out), elsewhere, hostOnly];
    const s3 = await renderUntilReady({ xr: store, required: [...requiredFor(store), ...edges], observed: observe(s1.out.resources), connectionDetails: CONNECTION_DETAILS });
    expect(s3.out.fatal).toBeUndefined();
    expect(s3.settled).toBe(true);
    expect(invalid(s3.out.resources)).toEqual([]);
    expect(cloudFront(s3.out)).toEqual([{ Sid: "AllowCloudFrontOriginAccess", Effect: "Allow", Principal: { Service: "cloudfront.amazonaws.com" }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${BUCKET}/*`, Condition: { StringEquals: { "AWS:SourceArn": [EDGE_ARN] } } }]);
    expect(s3.out.xr.status?.["cdnDistributionArns"]).toEqual([EDGE_ARN]);

    // 4. The CdnEdge sees its distribution granted: Available and Ready.
    const e4 = await render({ xr: edge, required: edgeRequired(live(store, s3.out)), observed: observe(e2.out.resources), connectionDetails: CONNECTION_DETAILS });
    expect(e4.fatal).toBeUndefined();
    expect(invalid(e4.resources)).toEqual([]);
    expect(e4.xr.status?.["message"]).toBe("Available");
    expect(readyOf(e4.xr)).toBe("True");

    // 5. The CdnEdge deleted: its distribution drops out of the policy, the bucket and the policy stay.
    const s5 = await renderUntilReady({ xr: store, required: [...requiredFor(store), elsewhere, hostOnly], observed: observe(s3.out.resources), connectionDetails: CONNECTION_DETAILS });
    expect(s5.settled).toBe(true);
    expect(byKey(s5.out.resources, "bucket")).toBeDefined();
    expect(cloudFront(s5.out)).toEqual([]);
    expect(s5.out.xr.status?.["cdnDistributionArns"]).toBeUndefined();

    // 6. A CdnEdge that stops using the store (its assets origin now a host) drops out the same way.
    const moved = edgeWith(withSpec(edge, (s) => (s.origins = s.origins.map((o: any) => (o.objectStoreRef ? { name: o.name, host: "assets.example.com" } : o)))), { distributionArn: EDGE_ARN, distributionId: EDGE_ARN.split("/")[1] });
    const s6 = await render({ xr: store, required: [...requiredFor(store), moved], observed: observe(s3.out.resources) });
    expect(cloudFront(s6)).toEqual([]);
  }, 180_000);

  it("cdn.distributionArns still grants distributions made elsewhere, with this namespace's CdnEdges: one sorted list, the same whatever the order", async () => {
    const other = "arn:aws:cloudfront::444455556666:distribution/EZZZZZZZZZZZZZ";
    const first = "arn:aws:cloudfront::111122223333:distribution/E0000000000000";
    const xr = withSpec(store, (s) => (s.cdn = { originAccess: true, distributionArns: [other, first] }));
    const a = edgeWith(edge, { distributionArn: EDGE_ARN, distributionId: "E1" });
    const b = edgeWith(edge, { distributionArn: first, distributionId: "E2" });
    b.metadata = { ...b.metadata, name: "vivr-cdn-2" };
    const { out, settled } = await renderUntilReady({ xr, required: [...requiredFor(xr), a, b], connectionDetails: CONNECTION_DETAILS });
    expect(settled).toBe(true);
    expect(invalid(out.resources)).toEqual([]);
    expect(cloudFront(out)).toHaveLength(1);
    expect(cloudFront(out)[0].Condition).toEqual({ StringEquals: { "AWS:SourceArn": [first, EDGE_ARN, other].sort() } });
    const again = await render({ xr, required: [...requiredFor(xr), b, a], observed: observe(out.resources) });
    expect((byKey(again.resources, "policy")?.spec?.["forProvider"] as { policy: string }).policy).toBe((byKey(out.resources, "policy")?.spec?.["forProvider"] as { policy: string }).policy);
  }, 60_000);

  it("a CdnEdge whose status cannot be read never costs the store its bucket, its policy or a grant it had", async () => {
    const granted = await renderUntilReady({ xr: store, required: [...requiredFor(store), edgeWith(edge, { distributionArn: EDGE_ARN, distributionId: "E1" })], connectionDetails: CONNECTION_DETAILS });
    expect(granted.settled).toBe(true);
    const seen = observe(granted.out.resources);
    for (const status of [{ distributionArn: "garbage", distributionId: "E1" }, { distributionArn: 42 }, { distributionId: "E1" }, { distributionArn: "arn:aws:cloudfront::111122223333:distribution/*" }]) {
      const out = await render({ xr: store, required: [...requiredFor(store), edgeWith(edge, status)], observed: seen });
      expect(out.fatal).toBeUndefined();
      expect(out.resources.map(keyOf)).toEqual(granted.out.resources.map(keyOf));
      // Kept as it was: never narrowed away, never widened.
      expect(cloudFront(out)).toEqual(cloudFront(granted.out));
      expect(out.results.find((r) => r.severity === "SEVERITY_WARNING")?.message).toContain("CdnEdge vivr-cdn (status.distributionArn");
      expect(invalid(out.resources)).toEqual([]);
    }
    // A CdnEdge whose distribution does not exist yet has nothing to name, and that is no problem.
    const fresh = await render({ xr: store, required: [...requiredFor(store), edgeWith(edge, {})], observed: seen });
    expect(cloudFront(fresh)).toEqual([]);
    expect(fresh.results.filter((r) => r.severity === "SEVERITY_WARNING")).toEqual([]);
  }, 60_000);

  it("upgrading from the account-wide grant: kept while a live CdnEdge has not published its ARN yet, then narrowed to it", async () => {
    const seen = observe((await renderUntilReady({ xr: store, required: requiredFor(store), connectionDetails: CONNECTION_DETAILS })).out.resources);
    // The policy an earlier Tessera rendered: every distribution of the account.
    const legacyCondition = { StringEquals: { "aws:SourceAccount": "${aws:ResourceAccount}" }, ArnLike: { "AWS:SourceArn": "arn:aws:cloudfront::*:distribution/*" } };
    const legacy = seen.map((o) => {
      if (keyOf(o) !== "policy") return o;
      const fp = o.spec!["forProvider"] as { policy: string };
      const doc = JSON.parse(fp.policy);
      doc.Statement.push({ Sid: "AllowCloudFrontOriginAccess", Effect: "Allow", Principal: { Service: "cloudfront.amazonaws.com" }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${BUCKET}/*`, Condition: legacyCondition });
      return { ...o, spec: { ...o.spec, forProvider: { ...fp, policy: JSON.stringify(doc) } } };
    });
    const before = await render({ xr: store, required: [...requiredFor(store), edgeWith(edge, { distributionId: "E1", endpoint: "d111111abcdef8.cloudfront.net" })], observed: legacy });
    expect(cloudFront(before).map((s: any) => [s.Sid, s.Condition])).toEqual([["AllowCloudFrontOriginAccessKept", legacyCondition]]);
    expect(invalid(before.resources)).toEqual([]);
    const after = await render({ xr: store, required: [...requiredFor(store), edgeWith(edge, { distributionId: "E1", distributionArn: EDGE_ARN })], observed: legacy });
    expect(cloudFront(after).map((s: any) => [s.Sid, s.Condition])).toEqual([["AllowCloudFrontOriginAccess", { StringEquals: { "AWS:SourceArn": [EDGE_ARN] } }]]);
  }, 60_000);

  it("the grant reads only this namespace's CdnEdges on AWS that use this store as an origin, and survives garbage in the list", () => {
    const spec = objectStore.parse(store.spec);
    const xr = { namespace: "vivr", name: "vivr-assets" };
    const ns = (o: K8sObject, namespace: string) => ({ ...o, metadata: { ...o.metadata, namespace } });
    const arn = (n: number) => `arn:aws:cloudfront::111122223333:distribution/E${String(n).padStart(13, "0")}`;
    const required = {
      [CDN_EDGES]: [
        // Another namespace, even if a fetcher returned it: never granted.
        ns(edgeWith(edge, { distributionArn: arn(1) }), "other"),
        // The same store name used only as the log target: CloudFront logging does not read through OAC.
        edgeWith(withSpec(edge, (s) => (s.origins = s.origins.filter((o: any) => !o.objectStoreRef), s.behaviors = s.behaviors.filter((b: any) => b.origin !== "assets"), s.logging = { objectStoreRef: { name: "vivr-assets" } })), { distributionArn: arn(2) }),
        // On Azure: no CloudFront distribution.
        edgeWith(withSpec(edge, (s) => (s.provider = "azure")), { distributionArn: arn(3) }),
        // Not a CdnEdge, and malformed ones.
        { apiVersion: "platform.tessera.io/v1alpha1", kind: "ObjectStore", metadata: { name: "x", namespace: "vivr" }, spec: { provider: "aws", origins: [{ objectStoreRef: { name: "vivr-assets" } }] }, status: { distributionArn: arn(4) } },
        { apiVersion: "platform.tessera.io/v1alpha1", kind: "CdnEdge", metadata: { name: "y", namespace: "vivr" }, spec: "garbage", status: { distributionArn: arn(5) } },
        { apiVersion: "platform.tessera.io/v1alpha1", kind: "CdnEdge", metadata: { name: "z", namespace: "vivr" }, spec: { provider: "aws", origins: [null, 7, { objectStoreRef: "vivr-assets" }] }, status: { distributionArn: arn(6) } },
        null as unknown as K8sObject,
        // The one that counts.
        edgeWith(edge, { distributionArn: arn(7) }),
      ] as unknown as K8sObject[],
    };
    const { grant, warnings } = cloudFrontGrant({ xr, spec, observed: {} as Record<string, ObservedResource>, required });
    expect(grant).toEqual({ arns: [arn(7)] });
    expect(warnings).toEqual([]);
    // Policy text that is not a policy grants nothing, and never throws.
    for (const text of [undefined, "", "{", "null", '{"Statement": 3}', '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}}]}']) expect(readGrant(text)).toEqual({ arns: [] });
    expect(readGrant(JSON.stringify({ Statement: { Effect: "Allow", Principal: { Service: "cloudfront.amazonaws.com" }, Condition: { StringEquals: { "aws:sourcearn": arn(8) } } } }))).toEqual({ arns: [arn(8)] });
  });
});
