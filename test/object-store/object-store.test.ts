import { describe, expect, it } from "vitest";
import { ObjectStoreSpec } from "../../apis/object-store/schema.ts";
import { objectStore } from "../../functions/object-store/index.ts";
import { accountName, bucketName, containerName } from "../../functions/object-store/names.ts";
import type { K8sObject, ObservedResource } from "../../functions/shared/types.ts";
import { render, RESOURCE_NAME } from "../../scripts/render-engine.ts";
import { validateComposed } from "../support/crds.ts";
import { fakeDistributionArn } from "../../scripts/fake-cluster.ts";
import { CONNECTION_DETAILS, example, observe, PLATFORM, requiredFor } from "../support/fixtures.ts";
import { admission, expectRefused, withSpec, xrdSpecSchema } from "../support/refusals.ts";

const aws = example("examples/object-store/aws-minimal.yaml");
const azure = example("examples/object-store/azure-minimal.yaml");
const broxiva = example("examples/object-store/aws-broxiva.yaml");
const broxivaAzure = example("examples/object-store/azure-broxiva.yaml");
const assets = example("examples/object-store/aws-vivr-assets.yaml");
const backups = example("examples/object-store/aws-vivr-backups.yaml");
const logs = example("examples/object-store/aws-vivr-logs.yaml");
const temp = example("examples/object-store/aws-vivr-temp.yaml");
const edge = example("examples/cdn-edge/aws-broxiva.yaml");

const keyOf = (r: K8sObject) => r.metadata?.annotations?.[RESOURCE_NAME] as string;
const byKey = (rs: K8sObject[], key: string) => rs.find((r) => keyOf(r) === key) as any;
const fp = (rs: K8sObject[], key: string) => byKey(rs, key)?.spec.forProvider;
const policyOf = (rs: K8sObject[], key = "policy") => JSON.parse(fp(rs, key).policy);

const invalid = (rs: K8sObject[]) => rs.flatMap((r) => validateComposed(r).map((e) => `${keyOf(r)}: ${e}`));

/**
 * Renders until nothing new appears, as the fake cluster creates and readies what was asked for; every
 * pass's resources must pass the provider CRDs, and the last pass must leave the XR Ready.
 */
async function settled(xr: K8sObject, required: K8sObject[] = requiredFor(xr)) {
  let out = await render({ xr, required });
  expect(out.fatal).toBeUndefined();
  expect(invalid(out.resources)).toEqual([]);
  for (let i = 0; i < 5; i++) {
    const before = out.resources.length;
    out = await render({ xr, required, observed: observe(out.resources), connectionDetails: CONNECTION_DETAILS });
    expect(out.fatal).toBeUndefined();
    expect(invalid(out.resources)).toEqual([]);
    if (out.resources.length === before) break;
  }
  expect(out.xr.status?.["message"]).toBe("Available");
  return out;
}

/** An ObjectStore as a cluster would serve it to a requirement: spec, and the status its function wrote. */
function served(xr: K8sObject, status: Record<string, unknown>): K8sObject {
  return { ...structuredClone(xr), status };
}

describe("ObjectStore on AWS", () => {
  it("always composes the secure companions: owner-enforced, no public access, SSE-S3 stated, TLS-only policy", async () => {
    const { resources, xr } = await settled(aws);
    const name = bucketName({ namespace: "team-a", name: "uploads" });
    expect(byKey(resources, "bucket").metadata.annotations["crossplane.io/external-name"]).toBe(name);
    expect(fp(resources, "ownership-controls")).toMatchObject({ bucket: name, rule: { objectOwnership: "BucketOwnerEnforced" } });
    expect(fp(resources, "public-access-block")).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    expect(fp(resources, "versioning").versioningConfiguration).toEqual({ status: "Enabled" });
    expect(fp(resources, "encryption").rule).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
    const statements = policyOf(resources).Statement;
    expect(statements[0]).toMatchObject({ Effect: "Deny", Principal: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    expect(statements[0].Resource).toEqual([`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`]);
    expect(statements.filter((s: any) => s.Effect === "Allow")).toEqual([]);
    expect(fp(resources, "bucket").forceDestroy).toBeUndefined();
    expect(xr.status).toMatchObject({ bucketName: name, url: `https://${name}.s3.us-west-2.amazonaws.com`, endpoint: "https://s3.us-west-2.amazonaws.com", resourceId: `arn:aws:s3:::${name}` });
  });

  it("maps the Broxiva seed: IA at 30, Glacier at 90, expiry at 365, replication to us-west-2, CloudFront read", async () => {
    const { resources } = await settled(broxiva);
    expect(fp(resources, "lifecycle").rule).toEqual([{
      id: "age-out", status: "Enabled", filter: [{ prefix: "" }],
      transition: [{ days: 30, storageClass: "STANDARD_IA" }, { days: 90, storageClass: "GLACIER" }],
      expiration: [{ days: 365 }],
    }]);
    const replica = bucketName({ namespace: "broxiva-production", name: "broxiva-static" }, true);
    expect(fp(resources, "replica-bucket")).toMatchObject({ region: "us-west-2" });
    expect(byKey(resources, "replica-bucket").metadata.annotations["crossplane.io/external-name"]).toBe(replica);
    expect(fp(resources, "replica-versioning").versioningConfiguration.status).toBe("Enabled");
    expect(fp(resources, "replica-lifecycle").rule).toEqual(fp(resources, "lifecycle").rule);
    expect(fp(resources, "replication").rule[0]).toMatchObject({ status: "Enabled", deleteMarkerReplication: { status: "Enabled" }, destination: { bucket: `arn:aws:s3:::${replica}` } });
    expect(fp(resources, "replication").rule[0].sourceSelectionCriteria).toBeUndefined();
    expect(JSON.parse(fp(resources, "replication-role").assumeRolePolicy).Statement[0].Principal).toEqual({ Service: "s3.amazonaws.com" });
    // No CdnEdge uses it yet: no CloudFront distribution may read (not every distribution of the account).
    expect(policyOf(resources).Statement.map((s: any) => s.Sid)).toEqual(["DenyInsecureTransport", "DenyTlsBelow12"]);
    // Once the Broxiva CdnEdge reports its distribution, the policy names exactly that one.
    const arn = fakeDistributionArn("broxiva-production", "broxiva-cdn");
    const withEdge = await settled(broxiva, [...requiredFor(broxiva), { ...edge, status: { distributionId: arn.split("/")[1], distributionArn: arn } }]);
    const cdn = policyOf(withEdge.resources).Statement.find((s: any) => s.Sid === "AllowCloudFrontOriginAccess");
    expect(cdn).toEqual({ Sid: "AllowCloudFrontOriginAccess", Effect: "Allow", Principal: { Service: "cloudfront.amazonaws.com" }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucketName({ namespace: "broxiva-production", name: "broxiva-static" })}/*`, Condition: { StringEquals: { "AWS:SourceArn": [arn] } } });
    expect(withEdge.xr.status?.["cdnDistributionArns"]).toEqual([arn]);
    // The replica's policy is TLS-only, without the CDN grant: CloudFront reads the primary.
    expect(policyOf(withEdge.resources, "replica-policy").Statement.map((s: any) => s.Sid)).toEqual(["DenyInsecureTransport", "DenyTlsBelow12"]);
  });

  it("maps VIVR's backups: SSE-KMS with bucket keys, and KMS objects replicated with the replica's key", async () => {
    const { resources, xr } = await settled(backups);
    const key = (backups.spec as any).encryption.keyId;
    const replicaKey = (backups.spec as any).replication.keyId;
    expect(fp(resources, "encryption").rule).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key }, bucketKeyEnabled: true }]);
    expect(fp(resources, "replica-encryption").rule[0].applyServerSideEncryptionByDefault.kmsMasterKeyId).toBe(replicaKey);
    expect(fp(resources, "replication").rule[0]).toMatchObject({ sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } }, destination: { encryptionConfiguration: { replicaKmsKeyId: replicaKey } } });
    const kms = JSON.parse(fp(resources, "replication-role-policy").policy).Statement.filter((s: any) => String(s.Action).includes("kms:"));
    expect(kms.map((s: any) => s.Resource)).toEqual([key, replicaKey]);
    expect(fp(resources, "lifecycle").rule[0]).toMatchObject({ transition: [{ days: 90, storageClass: "GLACIER" }], expiration: [{ days: 365 }] });
    expect((xr.status as any).replica).toEqual({ region: "us-west-2", bucketName: bucketName({ namespace: "vivr", name: "vivr-backups" }, true) });
  });

  it("maps VIVR's assets, logs and temp buckets", async () => {
    const a = (await settled(assets)).resources;
    expect(fp(a, "lifecycle").rule).toEqual([{ id: "old-versions", status: "Enabled", filter: [{ prefix: "" }], noncurrentVersionExpiration: [{ noncurrentDays: 30 }] }]);
    const l = (await settled(logs)).resources;
    expect(policyOf(l).Statement.find((s: any) => s.Sid === "AllowS3ServerAccessLogs")).toMatchObject({ Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject" });
    expect(fp(l, "encryption").rule[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe("AES256");
    // CloudFront standard logs are written with an ACL: ACLs on for this bucket only, public ACLs still blocked.
    expect(fp(l, "ownership-controls").rule).toEqual({ objectOwnership: "BucketOwnerPreferred" });
    expect(fp(l, "public-access-block")).toMatchObject({ blockPublicAcls: true, ignorePublicAcls: true });
    expect(fp(a, "ownership-controls").rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    const t = (await settled(temp)).resources;
    expect(fp(t, "versioning").versioningConfiguration).toEqual({ status: "Disabled" });
    expect(fp(t, "lifecycle").rule).toEqual([
      { id: "incomplete-uploads", status: "Enabled", filter: [{ prefix: "" }], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }] },
      { id: "expire", status: "Enabled", filter: [{ prefix: "" }], expiration: [{ days: 30 }] },
    ]);
  });

  it("narrows CloudFront to named distributions, maps per-prefix rules, every tier and CORS", async () => {
    const arn = "arn:aws:cloudfront::111122223333:distribution/E1ABCDEF123456";
    const xr = withSpec(aws, (s) => {
      s.cdn = { originAccess: true, distributionArns: [arn] };
      s.lifecycle = [{ name: "logs", prefix: "logs/", transitions: [{ afterDays: 30, tier: "infrequent" }, { afterDays: 60, tier: "cold" }, { afterDays: 120, tier: "archive" }, { afterDays: 300, tier: "deepArchive" }] }];
      s.cors = [{ allowedOrigins: ["https://www.example.com"], allowedMethods: ["GET", "PUT"] }];
    });
    const { resources } = await settled(xr);
    expect(policyOf(resources).Statement.find((s: any) => s.Sid === "AllowCloudFrontOriginAccess").Condition).toEqual({ StringEquals: { "AWS:SourceArn": [arn] } });
    expect(fp(resources, "lifecycle").rule[0]).toMatchObject({ filter: [{ prefix: "logs/" }], transition: [30, 60, 120, 300].map((days, i) => ({ days, storageClass: ["STANDARD_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"][i] })) });
    expect(fp(resources, "cors").corsRule).toEqual([{ allowedOrigins: ["https://www.example.com"], allowedMethods: ["GET", "PUT"], allowedHeaders: ["*"], exposeHeaders: ["ETag"], maxAgeSeconds: 3600 }]);
  });

  it("a customer KMS key with CloudFront: status.manualSteps names the key policy statement for exactly the granted distributions", async () => {
    const key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const arn = fakeDistributionArn("broxiva-production", "broxiva-cdn");
    const other = "arn:aws:cloudfront::111122223333:distribution/E1ABCDEF123456";
    const xr = withSpec(broxiva, (s) => {
      s.encryption = { keyId: key };
      s.replication.keyId = "arn:aws:kms:us-west-2:111122223333:key/replica";
      s.cdn = { originAccess: true, distributionArns: [other] };
    });
    const { xr: out, results } = await settled(xr, [...requiredFor(xr), { ...edge, status: { distributionId: arn.split("/")[1], distributionArn: arn } }]);
    const steps = (out.status as any).manualSteps as string[];
    expect(steps).toHaveLength(1);
    expect(steps[0]).toContain(`KMS key ${key}`);
    const statement = JSON.parse(steps[0]!.slice(steps[0]!.indexOf("{")));
    expect(statement).toEqual({
      Sid: "AllowCloudFrontOriginAccessControlDecrypt",
      Effect: "Allow",
      Principal: { Service: "cloudfront.amazonaws.com" },
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringEquals: { "AWS:SourceArn": [other, arn].sort() } },
    });
    expect(results.some((r) => r.severity.includes("WARNING") && r.message.includes("key policy"))).toBe(true);
    // The cloud-managed key (SSE-S3) needs no key policy; no distribution yet, nothing to name.
    const plain = await settled(broxiva, [...requiredFor(broxiva), { ...edge, status: { distributionId: arn.split("/")[1], distributionArn: arn } }]);
    expect((plain.xr.status as any).manualSteps).toBeUndefined();
    const none = await settled(withSpec(xr, (s) => (s.cdn = { originAccess: true })));
    expect((none.xr.status as any).manualSteps).toBeUndefined();
  });

  it("logs to another ObjectStore that accepts logs, in date-partitioned keys under <namespace>/<name>/", async () => {
    const xr = withSpec(assets, (s) => (s.accessLogs = { objectStoreRef: { name: "vivr-logs" } }));
    const target = served(logs, { bucketName: bucketName({ namespace: "vivr", name: "vivr-logs" }) });
    const { resources } = await settled(xr, [target]);
    expect(fp(resources, "access-logs")).toMatchObject({ targetBucket: bucketName({ namespace: "vivr", name: "vivr-logs" }), targetPrefix: "vivr/vivr-assets/", targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } } });
    // Until the target reports its bucket, logging waits; once it exists, it stays while the target's status is briefly empty.
    const live = observe(resources);
    const early = await render({ xr, required: [served(logs, {})], observed: live.filter((o) => keyOf(o) !== "access-logs") });
    expect(byKey(early.resources, "access-logs")).toBeUndefined();
    expect(early.xr.status?.["message"]).toBe("Waiting for access-logs (after its dependencies)");
    const blip = await render({ xr, required: [served(logs, {})], observed: live });
    expect(fp(blip.resources, "access-logs").targetBucket).toBe(bucketName({ namespace: "vivr", name: "vivr-logs" }));
  });

  it("stages companions after the bucket and replication after both versionings, each gate on its own key", async () => {
    const first = await render({ xr: broxiva, required: [] });
    expect(first.resources.map(keyOf).sort()).toEqual(["bucket", "replica-bucket", "replication-role", "replication-role-policy"]);
    const second = await render({ xr: broxiva, required: [], observed: observe(first.resources) });
    expect(byKey(second.resources, "versioning")).toBeTruthy();
    expect(byKey(second.resources, "replication")).toBeUndefined();
    const done = await settled(broxiva, []);
    // The versionings turn unready (an update in flight): nothing that exists leaves desired state.
    const unready = observe(done.resources).map((o) => (/versioning$|bucket$/.test(keyOf(o)) ? { ...o, status: { conditions: [{ type: "Ready", status: "False", reason: "Creating" }] } } : o));
    const again = await render({ xr: broxiva, required: [], observed: unready });
    expect(again.resources.map(keyOf).sort()).toEqual(done.resources.map(keyOf).sort());
    // The role's status is briefly empty: the replication keeps the ARN it was created with.
    const blank = observe(done.resources).map((o) => (keyOf(o) === "replication-role" ? { ...o, status: { conditions: [] } } : o));
    const kept = await render({ xr: broxiva, required: [], observed: blank });
    expect(fp(kept.resources, "replication").role).toBe(fp(done.resources, "replication").role);
    expect(fp(kept.resources, "replication").role).toMatch(/^arn:aws:/);
  });

  it("retains buckets and their security settings under deletionProtection, not optional features; deletes all when off (never force-emptying)", async () => {
    const on = (await settled(broxiva, [])).resources.filter((r) => r.apiVersion !== "v1");
    const retained = on.filter((r: any) => r.spec.managementPolicies && !r.spec.managementPolicies.includes("Delete")).map(keyOf).sort();
    const secure = ["bucket", "encryption", "ownership-controls", "policy", "public-access-block", "versioning"];
    expect(retained).toEqual([...secure, ...secure.map((k) => `replica-${k}`)].sort());
    // An orphaned expiry rule would go on deleting data; an orphaned replication on writing into a released replica.
    for (const k of ["lifecycle", "replica-lifecycle", "replication", "replication-role", "replication-role-policy"]) expect(byKey(on, k).spec.managementPolicies, k).toBeUndefined();
    const off = (await settled(withSpec(broxiva, (s) => (s.deletionProtection = false)), [])).resources;
    expect(off.every((r: any) => r.spec?.managementPolicies === undefined)).toBe(true);
    expect(fp(off, "bucket").forceDestroy).toBeUndefined();
  });

  it("names buckets within S3's rules, uniquely per namespace, and never changes a name", () => {
    const cases = ["a", "Sthree-data", "xn--punycode", "-lead", "a".repeat(120), "x.y_z", "amzn-s3-demo-bucket"];
    for (const name of cases) {
      for (const replica of [false, true]) {
        const b = bucketName({ namespace: "team-a", name }, replica);
        expect(b).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
        expect(b).not.toMatch(/--|^xn-|^sthree-|^amzn-s3-demo-|-s3alias$|--ol-s3$/);
      }
    }
    expect(bucketName({ namespace: "team-a", name: "uploads" })).not.toBe(bucketName({ namespace: "team-b", name: "uploads" }));
    expect(bucketName({ namespace: "team-a", name: "uploads" })).toBe("uploads-2c8b53be");
    for (const name of cases) expect(accountName({ namespace: "team-a", name })).toMatch(/^[a-z0-9]{3,24}$/);
    expect(accountName({ namespace: "team-a", name: "uploads" }, true)).toMatch(/^[a-z0-9]{3,24}$/);
    for (const name of cases) expect(containerName({ namespace: "team-a", name })).toMatch(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/);
  });
});

describe("ObjectStore on Azure", () => {
  it("composes its own resource group and a locked-down account, container after the account", async () => {
    const first = await render({ xr: azure, required: [] });
    expect(first.resources.map(keyOf).sort()).toEqual(["account", "resource-group"]);
    const { resources, xr } = await settled(azure, []);
    const account = accountName({ namespace: "team-a", name: "uploads" });
    expect(byKey(resources, "account").metadata.annotations["crossplane.io/external-name"]).toBe(account);
    expect(fp(resources, "account")).toMatchObject({
      accountKind: "StorageV2", accountReplicationType: "ZRS", httpsTrafficOnlyEnabled: true, minTlsVersion: "TLS1_2",
      allowNestedItemsToBePublic: false, sharedAccessKeyEnabled: false, defaultToOauthAuthentication: true, crossTenantReplicationEnabled: false,
      infrastructureEncryptionEnabled: true, networkRules: { defaultAction: "Deny", bypass: ["AzureServices"], ipRules: [] },
      blobProperties: { versioningEnabled: true, changeFeedEnabled: false, deleteRetentionPolicy: { days: 7 }, containerDeleteRetentionPolicy: { days: 7 } },
      resourceGroupNameSelector: { matchControllerRef: true, matchLabels: { "platform.tessera.io/resource": "resource-group" } },
    });
    expect(fp(resources, "container")).toMatchObject({ containerAccessType: "private", storageAccountIdSelector: { matchLabels: { "platform.tessera.io/resource": "account" } } });
    expect(byKey(resources, "container").metadata.annotations["crossplane.io/external-name"]).toBe("uploads");
    expect(byKey(resources, "resource-group").spec.managementPolicies).not.toContain("Delete");
    expect(xr.status).toMatchObject({ accountName: account, bucketName: "uploads", url: `https://${account}.blob.core.windows.net/uploads` });
  });

  it("maps the Broxiva seed: Cool 30, Archive 90, delete 365 on LRS, object replication to West US", async () => {
    const { resources } = await settled(broxivaAzure, PLATFORM);
    expect(fp(resources, "account")).toMatchObject({ accountReplicationType: "LRS", blobProperties: { versioningEnabled: true, changeFeedEnabled: true } });
    expect(fp(resources, "lifecycle").rule).toEqual([{
      name: "ageout", enabled: true, filters: { blobTypes: ["blockBlob"], prefixMatch: ["broxiva-static/"] },
      actions: { baseBlob: { tierToCoolAfterDaysSinceModificationGreaterThan: 30, tierToArchiveAfterDaysSinceModificationGreaterThan: 90, deleteAfterDaysSinceModificationGreaterThan: 365 } },
    }]);
    expect(fp(resources, "replica-account")).toMatchObject({ location: "westus", blobProperties: { versioningEnabled: true } });
    expect(fp(resources, "replica-lifecycle")).toEqual({ ...fp(resources, "lifecycle"), storageAccountIdSelector: { matchControllerRef: true, matchLabels: { "platform.tessera.io/resource": "replica-account" } } });
    expect(fp(resources, "replication")).toMatchObject({
      sourceStorageAccountIdSelector: { matchLabels: { "platform.tessera.io/resource": "account" } },
      destinationStorageAccountIdSelector: { matchLabels: { "platform.tessera.io/resource": "replica-account" } },
      rules: [{ sourceContainerName: "broxiva-static", destinationContainerName: "broxiva-static", copyBlobsCreatedAfter: "Everything" }],
    });
  });

  it("a Front Door origin (cdn.originAccess): anonymous blob reads only once the account's firewall admits only Crossplane's egress; the replica stays private", async () => {
    // Broxiva's static store is the Azure CdnEdge's origin; Front Door reads it anonymously through Private Link.
    const first = await render({ xr: broxivaAzure, required: PLATFORM });
    // Public network access stays on (the provider reads the data plane), but only Crossplane's egress passes: no trusted services, no user address.
    expect(fp(first.resources, "account")).toMatchObject({ allowNestedItemsToBePublic: true, publicNetworkAccessEnabled: true, networkRules: { defaultAction: "Deny", bypass: ["None"], ipRules: ["198.51.100.16/28", "203.0.113.7"] } });
    expect(fp(first.resources, "replica-account")).toMatchObject({ allowNestedItemsToBePublic: false, publicNetworkAccessEnabled: true, networkRules: { defaultAction: "Deny", bypass: ["AzureServices"], ipRules: ["198.51.100.16/28", "203.0.113.7"] } });
    // The account exists but still reports the trusted-services bypass or another address: the container is created private and MESSAGE says why.
    const reporting = (rules: object) => (rs: K8sObject[]) => observe(rs).map((o) => (keyOf(o) === "account" ? { ...o, status: { ...(o.status as object), atProvider: { ...(o.status as any).atProvider, publicNetworkAccessEnabled: true, allowNestedItemsToBePublic: true, networkRules: rules } } } : o));
    for (const stillOpen of [
      reporting({ defaultAction: "Deny", bypass: ["AzureServices"], ipRules: [] }),
      reporting({ defaultAction: "Deny", bypass: ["None"], ipRules: ["198.51.100.16/28", "203.0.113.7", "192.0.2.1"] }),
      reporting({ defaultAction: "Allow", bypass: ["None"], ipRules: [] }),
    ]) {
      let out = await render({ xr: broxivaAzure, required: PLATFORM, observed: stillOpen(first.resources) });
      for (let i = 0; i < 4; i++) {
        expect(fp(out.resources, "container").containerAccessType).toBe("private");
        out = await render({ xr: broxivaAzure, required: PLATFORM, observed: stillOpen(out.resources), connectionDetails: CONNECTION_DETAILS });
      }
      expect(fp(out.resources, "container").containerAccessType).toBe("private");
      expect(out.xr.status?.["message"]).toContain("anonymous read for Front Door waits for the account");
      expect(invalid(out.resources)).toEqual([]);
    }
    const { resources, xr } = await settled(broxivaAzure, PLATFORM);
    expect(fp(resources, "container").containerAccessType).toBe("blob");
    expect(fp(resources, "replica-container").containerAccessType).toBe("private");
    // Once open, it stays open while the account's status is briefly empty (no flip-flopping update).
    const blank = observe(resources).map((o) => (keyOf(o) === "account" ? { ...o, status: { ...(o.status as object), atProvider: {} } } : o));
    const kept = await render({ xr: broxivaAzure, required: PLATFORM, observed: blank });
    expect(fp(kept.resources, "container").containerAccessType).toBe("blob");
    const steps = (xr.status as any).manualSteps as string[];
    expect(steps).toHaveLength(1);
    expect(steps[0]).toContain("az network private-endpoint-connection approve");
    expect(steps[0]).toContain("az network private-endpoint-connection list --id account-account");
  });

  it("a store that is no Front Door origin is never opened: private container, public network only through the firewall", async () => {
    const { resources, xr } = await settled(azure, []);
    expect(fp(resources, "account")).toMatchObject({ allowNestedItemsToBePublic: false, publicNetworkAccessEnabled: true });
    expect(fp(resources, "container").containerAccessType).toBe("private");
    expect((xr.status as any).manualSteps).toBeUndefined();
    // Turning originAccess off closes the account in one update (nested items no longer public) and the container goes private.
    const was = await settled(broxivaAzure, PLATFORM);
    const off = withSpec(broxivaAzure, (s) => (s.cdn = { originAccess: false }));
    const out = await render({ xr: off, required: PLATFORM, observed: observe(was.resources) });
    expect(fp(out.resources, "account")).toMatchObject({ allowNestedItemsToBePublic: false, publicNetworkAccessEnabled: true, networkRules: { bypass: ["AzureServices"] } });
    expect(fp(out.resources, "container").containerAccessType).toBe("private");
  });

  it("maps a customer key, soft delete, CORS, the firewall allow list and non-current expiry", async () => {
    const xr = withSpec(azure, (s) => {
      s.encryption = { keyId: "https://kv.vault.azure.net/keys/k", identityId: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id" };
      s.softDeleteDays = 30;
      s.cors = [{ allowedOrigins: ["*"], allowedMethods: ["GET"] }];
      s.network = { allowedIps: ["203.0.113.7/32", "198.51.100.0/24"] };
      s.lifecycle = [{ name: "versions", prefix: "data/", noncurrentExpireAfterDays: 30 }];
    });
    const { resources } = await settled(xr, []);
    expect(fp(resources, "account")).toMatchObject({
      customerManagedKey: { keyVaultKeyId: "https://kv.vault.azure.net/keys/k", userAssignedIdentityId: (xr.spec as any).encryption.identityId },
      identity: { type: "UserAssigned", identityIds: [(xr.spec as any).encryption.identityId] },
      blobProperties: { deleteRetentionPolicy: { days: 30 }, containerDeleteRetentionPolicy: { days: 30 }, corsRule: [{ allowedOrigins: ["*"], allowedMethods: ["GET"], allowedHeaders: ["*"], exposedHeaders: ["ETag"], maxAgeInSeconds: 3600 }] },
      networkRules: { ipRules: ["203.0.113.7", "198.51.100.0/24"] },
    });
    expect(fp(resources, "lifecycle").rule[0]).toEqual({ name: "versions", enabled: true, filters: { blobTypes: ["blockBlob"], prefixMatch: ["uploads/data/"] }, actions: { version: { deleteAfterDaysSinceCreation: 30 } } });
  });

  it("sends blob access logs to the target account by a diagnostic setting", async () => {
    const target = served(withSpec(broxivaAzure, (s) => { s.acceptsAccessLogs = true; s.region = "westeurope"; delete s.replication; }), { resourceId: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/logs" });
    target.metadata!.namespace = "team-a";
    const xr = withSpec(azure, (s) => (s.accessLogs = { objectStoreRef: { name: "broxiva-static" } }));
    const { resources } = await settled(xr, [target]);
    expect(fp(resources, "access-logs")).toEqual({
      name: "tessera-access-logs", targetResourceId: "account-account/blobServices/default", storageAccountId: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/logs",
      enabledLog: [{ category: "StorageRead" }, { category: "StorageWrite" }, { category: "StorageDelete" }],
    });
  });
});

/**
 * spec.access: K8sCluster is not served by this build, so fn.ts refuses access entries; the
 * renderers are exercised directly with a K8sCluster as its API will serve it (status.clusterName,
 * status.oidcIssuerUrl), and every resource they compose must pass the CRDs.
 */
describe("ObjectStore workload access (renderers, with a K8sCluster as the contract describes it)", () => {
  const cluster = (provider: string, region: string, status: Record<string, string>): K8sObject => ({ apiVersion: "platform.tessera.io/v1alpha1", kind: "K8sCluster", metadata: { name: "apps", namespace: "team-a" }, spec: { provider, region }, status });
  const entry = { clusterRef: { name: "apps" }, namespace: "shop", serviceAccount: "api", role: "readWrite" };
  function renderDirect(xr: K8sObject, required: K8sObject[], observedObjs: K8sObject[] = []) {
    const spec = objectStore.parse(xr.spec);
    const observed: Record<string, ObservedResource> = Object.fromEntries(observedObjs.map((o) => [keyOf(o), { resource: o, connectionDetails: {} }]));
    const ctx = { xr: { name: xr.metadata!.name!, namespace: xr.metadata!.namespace! }, spec, observed, required: { "k8s-cluster-apps": required } };
    return objectStore.renderers[spec.provider](ctx);
  }
  /** What the render engine adds to desired resources, so the fixtures can observe them. */
  const asComposed = (rs: Record<string, K8sObject>) => Object.entries(rs).map(([k, r]) => ({ ...structuredClone(r), metadata: { ...r.metadata, name: `x-${k}`, namespace: "team-a", annotations: { ...r.metadata?.annotations, [RESOURCE_NAME]: k } } }));

  it("AWS: an IAM role trusted by EKS Pod Identity, a policy on this bucket only, and the association", () => {
    const xr = withSpec(backups, (s) => (s.access = [entry]));
    xr.metadata!.namespace = "team-a";
    const required = [cluster("aws", "us-east-1", { clusterName: "apps-eks" })];
    const out = renderDirect(xr, required, observe(asComposed(renderDirect(xr, required).resources)));
    const h = Object.keys(out.resources).find((k) => k.startsWith("access-role-"))!.slice("access-role-".length);
    const trust = JSON.parse(out.resources[`access-role-${h}`]!.spec!["forProvider"]!["assumeRolePolicy" as never]);
    expect(trust.Statement[0]).toEqual({ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] });
    const policy = JSON.parse((out.resources[`access-policy-${h}`]!.spec!["forProvider"] as any).policy);
    const bucket = bucketName({ namespace: "team-a", name: "vivr-backups" });
    expect(policy.Statement[1]).toMatchObject({ Resource: `arn:aws:s3:::${bucket}/*`, Action: expect.arrayContaining(["s3:GetObject", "s3:PutObject"]) });
    expect(policy.Statement[2]).toMatchObject({ Resource: (backups.spec as any).encryption.keyId, Action: ["kms:GenerateDataKey", "kms:Decrypt"] });
    expect(out.resources[`access-association-${h}`]!.spec!["forProvider"]).toMatchObject({ clusterName: "apps-eks", namespace: "shop", serviceAccount: "api", region: "us-east-1", roleArn: expect.stringMatching(/^arn:aws:/) });
    expect(out.status["identities"]).toEqual([{ cluster: "apps", namespace: "shop", serviceAccount: "api", roleArn: expect.stringMatching(/^arn:aws:/) }]);
    for (const r of asComposed(out.resources)) expect(validateComposed(r), keyOf(r)).toEqual([]);
    // Until the cluster reports its name (and the role its ARN), the association waits; the role does not.
    const early = renderDirect(xr, [cluster("aws", "us-east-1", {})], observe(asComposed(out.resources)).filter((o) => !keyOf(o).startsWith("access-association")));
    expect(early.resources[`access-association-${h}`]).toBeUndefined();
    expect(early.pending).toContain(`access-association-${h}`);
  });

  it("Azure: a managed identity federated with the service account, and a data role on the container", () => {
    const xr = withSpec(azure, (s) => (s.access = [{ ...entry, role: "read" }]));
    const required = [cluster("azure", "westeurope", { oidcIssuerUrl: "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/" })];
    const first = renderDirect(xr, required);
    const h = Object.keys(first.resources).find((k) => k.startsWith("access-identity-"))!.slice("access-identity-".length);
    expect(first.resources[`access-federation-${h}`]!.spec!["forProvider"]).toMatchObject({ issuer: "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/", subject: "system:serviceaccount:shop:api", audience: ["api://AzureADTokenExchange"] });
    expect(first.resources[`access-role-${h}`]).toBeUndefined();
    const observedObjs = observe(asComposed(first.resources));
    const second = renderDirect(xr, required, observe(asComposed(renderDirect(xr, required, observedObjs).resources)));
    expect(second.resources[`access-role-${h}`]!.spec!["forProvider"]).toMatchObject({
      principalId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/), principalType: "ServicePrincipal", roleDefinitionName: "Storage Blob Data Reader",
      scope: expect.stringMatching(/\/blobServices\/default\/containers\/uploads$/), name: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/),
    });
    expect(second.status["identities"]).toEqual([{ cluster: "apps", namespace: "shop", serviceAccount: "api", clientId: expect.stringMatching(/^11111111-/) }]);
    // The identity's and the container's status briefly empty, the cluster's issuer gone: nothing that exists is dropped or changed.
    const blank = observe(asComposed(second.resources)).map((o) => (/^(access-identity|container)/.test(keyOf(o)) ? { ...o, status: { conditions: [] } } : o));
    const third = renderDirect(xr, [cluster("azure", "westeurope", {})], blank);
    expect(third.resources[`access-role-${h}`]!.spec!["forProvider"]).toEqual(second.resources[`access-role-${h}`]!.spec!["forProvider"]);
    expect(third.resources[`access-federation-${h}`]!.spec!["forProvider"]).toEqual(second.resources[`access-federation-${h}`]!.spec!["forProvider"]);
    for (const r of asComposed(second.resources)) expect(validateComposed(r), keyOf(r)).toEqual([]);
  });
});

describe("ObjectStore refusals (one fatal naming field, value and fix)", () => {
  const lc = (rules: unknown[]) => (s: any): unknown => (s.lifecycle = rules);
  it.each([
    ["infrequent before 30 days on S3", aws, lc([{ name: "r", transitions: [{ afterDays: 10, tier: "infrequent" }] }]), ["spec.lifecycle", "30 days or more"]],
    ["a colder class under 30 days after infrequent on S3", aws, lc([{ name: "r", transitions: [{ afterDays: 30, tier: "infrequent" }, { afterDays: 45, tier: "archive" }] }]), ["spec.lifecycle[0].transitions", "set afterDays to 60 or more"]],
    ["transitions out of order", azure, lc([{ name: "r", transitions: [{ afterDays: 90, tier: "cold" }, { afterDays: 30, tier: "infrequent" }] }]), ["spec.lifecycle[0].transitions[1]", "warmest first"]],
    ["expiry before the last transition", aws, lc([{ name: "r", transitions: [{ afterDays: 90, tier: "archive" }], expireAfterDays: 60 }]), ["spec.lifecycle[0].expireAfterDays", "91 days or more"]],
    ["a rule without actions", aws, lc([{ name: "r", prefix: "x/" }]), ["spec.lifecycle: every rule needs at least one action"]],
    ["duplicate rule names", aws, lc([{ name: "r", expireAfterDays: 3 }, { name: "r", expireAfterDays: 4 }]), ["spec.lifecycle[1].name", "twice"]],
    ["rule names that collide without dashes on Azure", azure, lc([{ name: "a-b", expireAfterDays: 3 }, { name: "ab", expireAfterDays: 4 }]), ["spec.lifecycle[1].name", "no dashes"]],
    ["archive on a zone-redundant Azure account", azure, lc([{ name: "r", transitions: [{ afterDays: 90, tier: "archive" }] }]), ["Archive tier on zone-redundant", "redundancy: local or geo"]],
    ["archive and deepArchive in one Azure rule", azure, (s: any): unknown => Object.assign(s, { redundancy: "local", lifecycle: [{ name: "r", transitions: [{ afterDays: 90, tier: "archive" }, { afterDays: 200, tier: "deepArchive" }] }] }), ["single Archive tier"]],
    ["incomplete-upload abort on Azure", azure, lc([{ name: "r", abortIncompleteUploadAfterDays: 7 }]), ["abortIncompleteUploadAfterDays is AWS only"]],
    ["noncurrent expiry without versioning", aws, (s: any): unknown => Object.assign(s, { versioning: false, lifecycle: [{ name: "r", noncurrentExpireAfterDays: 3 }] }), ["needs versioning: true"]],
    ["replication to the same region", aws, (s: any): unknown => (s.replication = { region: "us-west-2" }), ["spec.replication.region must differ"]],
    ["replication to another cloud's region", aws, (s: any): unknown => (s.replication = { region: "westus" }), ["must be a region of spec.provider"]],
    ["replication without versioning", aws, (s: any): unknown => Object.assign(s, { versioning: false, replication: { region: "us-east-1" } }), ["spec.replication needs versioning"]],
    ["KMS objects replicated without a replica key", backups, (s: any): unknown => delete s.replication.keyId, ["spec.replication.keyId", "regional"]],
    ["soft delete on S3", aws, (s: any): unknown => (s.softDeleteDays = 7), ["spec.softDeleteDays is Azure only"]],
    ["geo redundancy on S3", aws, (s: any): unknown => (s.redundancy = "geo"), ["spec.redundancy", "spec.replication"]],
    ["CloudFront log delivery on Azure", azure, (s: any): unknown => (s.acceptsCdnLogs = true), ["spec.acceptsCdnLogs is AWS only"]],
    ["CloudFront distributions on Azure", azure, (s: any): unknown => (s.cdn = { originAccess: true, distributionArns: ["arn:aws:cloudfront::111122223333:distribution/EABC"] }), ["spec.cdn.distributionArns is AWS only"]],
    ["a Front Door origin with a firewall allow list", azure, (s: any): unknown => ((s.cdn = { originAccess: true }), (s.network = { allowedIps: ["203.0.113.7"] })), ["spec.network.allowedIps", "readable without credentials", "around Front Door"]],
    ["a Front Door origin that accepts access logs", azure, (s: any): unknown => ((s.cdn = { originAccess: true }), (s.acceptsAccessLogs = true)), ["spec.acceptsAccessLogs", "no trusted-services exception"]],
    ["a KMS-encrypted log bucket on S3", logs, (s: any): unknown => (s.encryption = { keyId: "arn:aws:kms:us-east-1:111122223333:key/x" }), ["spec.acceptsAccessLogs", "SSE-S3"]],
    ["allowedIps on AWS", aws, (s: any): unknown => (s.network = { allowedIps: ["203.0.113.7"] }), ["spec.network.allowedIps is Azure only"]],
    ["a private address in the Azure firewall", azure, (s: any): unknown => (s.network = { allowedIps: ["10.0.0.0/16"] }), ["spec.network.allowedIps[0]", "public addresses only"]],
    ["a customer key without identity on Azure", azure, (s: any): unknown => (s.encryption = { keyId: "https://kv/keys/k" }), ["needs both keyId and identityId"]],
    // Once K8sCluster is served (merged), the same entry is refused because no such cluster exists in the fixtures.
    ["access entries to a K8sCluster that cannot be read", aws, (s: any): unknown => (s.access = [{ clusterRef: { name: "apps" }, namespace: "shop", serviceAccount: "api" }]), ["spec.access[0].clusterRef.name", "does not exist"]],
    ["the same service account twice", aws, (s: any): unknown => (s.access = [1, 2].map(() => ({ clusterRef: { name: "apps" }, namespace: "shop", serviceAccount: "api" }))), ["spec.access[1]", "twice"]],
    ["logging into itself", aws, (s: any): unknown => (s.accessLogs = { objectStoreRef: { name: "uploads" } }), ["spec.accessLogs.objectStoreRef.name", "itself"]],
    ["logging to a store that does not exist", aws, (s: any): unknown => (s.accessLogs = { objectStoreRef: { name: "nope" } }), ["does not exist"]],
  ] as const)("%s", async (_n, xr, patch, fragments) => {
    const bad = withSpec(xr, patch);
    await expectRefused({ xr: bad, required: [...requiredFor(bad), served(aws, {})] }, ...fragments);
  });

  it("refuses a log target that does not accept logs, or sits in another region", async () => {
    const xr = withSpec(assets, (s) => (s.accessLogs = { objectStoreRef: { name: "vivr-temp" } }));
    await expectRefused({ xr, required: [temp] }, "does not accept access logs", "acceptsAccessLogs: true on vivr-temp");
    const far = withSpec(logs, (s) => (s.region = "us-west-2"));
    await expectRefused({ xr: withSpec(assets, (s) => (s.accessLogs = { objectStoreRef: { name: "vivr-logs" } })), required: [far] }, "is in us-west-2", "within a region");
  });
});

describe("ObjectStore data safety: a bucket or account never leaves desired state because of a bad spec", () => {
  it("refuses turning versioning off on a bucket whose versioning is Enabled", async () => {
    const live = observe((await settled(aws, [])).resources);
    await expectRefused({ xr: withSpec(aws, (s) => (s.versioning = false)), observed: live }, "spec.versioning", "only suspend");
  });

  it("refuses a bad lifecycle on a live bucket with nothing in desired state (so nothing is deleted)", async () => {
    const live = observe((await settled(broxiva, [])).resources);
    const bad = withSpec(broxiva, (s) => (s.lifecycle[0].transitions[1].afterDays = 40));
    await expectRefused({ xr: bad, observed: live }, "spec.lifecycle[0].transitions");
  });

  it("refuses moving a live replica to another region", async () => {
    const live = observe((await settled(broxiva, [])).resources);
    await expectRefused({ xr: withSpec(broxiva, (s) => (s.replication.region = "eu-west-1")), observed: live }, "spec.replication.region", "exists in us-west-2");
  });

  it("refuses Azure redundancy changes that would replace the account", async () => {
    const live = observe((await settled(azure, [])).resources);
    await expectRefused({ xr: withSpec(azure, (s) => (s.redundancy = "geo")), observed: live }, "spec.redundancy", "is ZRS");
    const ok = await render({ xr: withSpec(azure, (s) => (s.redundancy = "geoZone")), observed: live });
    expect(fp(ok.resources, "account").accountReplicationType).toBe("GZRS");
  });

  it("releases the replica only when the spec removes replication", async () => {
    const live = observe((await settled(broxiva, [])).resources);
    const out = await render({ xr: withSpec(broxiva, (s) => delete s.replication), observed: live });
    expect(out.fatal).toBeUndefined();
    expect(out.resources.map(keyOf).filter((k) => k.startsWith("replica") || k.startsWith("replication"))).toEqual([]);
    expect(byKey(out.resources, "bucket")).toBeTruthy();
  });

  it("refuses a provider switch once the bucket exists", async () => {
    const live = observe((await settled(aws, [])).resources);
    await expectRefused({ xr: withSpec(aws, (s) => { s.provider = "azure"; s.region = "westeurope"; }), observed: live }, "spec.provider", "already runs on aws");
  });
});

describe("ObjectStore admission rules (XRD CEL)", () => {
  const schema = xrdSpecSchema("object-store");
  const spec = ObjectStoreSpec.parse(broxiva.spec);
  const az = ObjectStoreSpec.parse(azure.spec);
  it("accepts the examples and refuses turning versioning off on AWS", () => {
    expect(admission(schema, spec, spec)).toEqual([]);
    expect(admission(schema, az, az)).toEqual([]);
    const unversioned = { ...spec, replication: undefined, versioning: false };
    expect(admission(schema, unversioned, spec).join()).toContain("S3 cannot turn versioning off");
    expect(admission(schema, unversioned).join()).not.toContain("S3 cannot turn versioning off");
  });
  it("refuses on Azure, at admission, a Front Door origin with an allow list or as a log target, and CloudFront distributions", () => {
    const origin = { ...az, cdn: { originAccess: true } };
    expect(admission(schema, origin)).toEqual([]);
    expect(admission(schema, { ...origin, network: { allowedIps: ["203.0.113.7"] } }).join()).toContain("readable without credentials");
    expect(admission(schema, { ...origin, acceptsAccessLogs: true }).join()).toContain("no trusted-services exception");
    expect(admission(schema, { ...origin, cdn: { originAccess: true, distributionArns: ["arn:aws:cloudfront::111122223333:distribution/EABC"] } }).join()).toContain("distributionArns is AWS only");
    expect(admission(schema, { ...az, network: { allowedIps: ["203.0.113.7"] } })).toEqual([]);
  });
  it("refuses Azure redundancy changes across zonal and non-zonal", () => {
    expect(admission(schema, { ...az, redundancy: "local" }, az).join()).toContain("replaces the storage account");
    expect(admission(schema, { ...az, redundancy: "geoZone" }, az)).toEqual([]);
  });
});
