/**
 * Vocabulary shared by every Tessera platform API: the provider switch, regions, tags and the CEL
 * rules that the API server enforces on all kinds. Each kind's schema.ts builds on these, so a rule
 * such as "provider cannot change" is written exactly once.
 */
import { z } from "zod";

export const GROUP = "platform.tessera.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The clouds Tessera composes onto. Adding one here breaks the build until every kind renders it. */
export const PROVIDERS = ["aws", "azure"] as const;
export type Provider = (typeof PROVIDERS)[number];

/**
 * Regions per provider. Kept to regions the composed services (RDS, ElastiCache, EKS, Flexible Server,
 * Azure Cache, AKS) are generally available in; a region missing here is refused at admission with a
 * message naming the provider, so a typo never reaches a cloud API.
 */
export const REGIONS = {
  aws: [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-east-1",
    "me-south-1", "me-central-1", "il-central-1", "af-south-1",
  ],
  azure: [
    "eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus", "southcentralus",
    "westcentralus", "canadacentral", "canadaeast", "brazilsouth", "mexicocentral", "northeurope", "westeurope",
    "uksouth", "ukwest", "francecentral", "germanywestcentral", "switzerlandnorth", "norwayeast", "swedencentral",
    "polandcentral", "italynorth", "spaincentral", "eastasia", "southeastasia", "japaneast", "japanwest",
    "koreacentral", "centralindia", "southindia", "australiaeast", "australiasoutheast", "newzealandnorth",
    "uaenorth", "qatarcentral", "israelcentral", "southafricanorth",
  ],
} as const satisfies Record<Provider, readonly string[]>;

export type Rule = { rule: string; message?: string; messageExpression?: string; reason?: string; fieldPath?: string };

/** Attaches CEL rules to a zod node; zod's toJSONSchema passes the meta key through unchanged. */
export function cel<T extends z.ZodType>(schema: T, ...rules: Rule[]): T {
  return schema.meta({ "x-kubernetes-validations": rules }) as T;
}

const celList = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(", ")}]`;

/** CEL: `region` is one of `provider`'s regions. Evaluated at the spec level so it sees both fields. */
export function regionRule(path = "self"): Rule {
  return {
    rule: `${path}.provider == 'aws' ? ${path}.region in ${celList(REGIONS.aws)} : ${path}.region in ${celList(REGIONS.azure)}`,
    messageExpression: `'spec.region: ' + ${path}.region + ' is not a region of provider ' + ${path}.provider + ' (AWS regions look like us-east-1, Azure regions like eastus)'`,
    fieldPath: ".region",
  };
}

export const providerField = cel(
  z.enum(PROVIDERS).describe(
    "Cloud to compose onto: aws or azure. Immutable: switching clouds would replace every resource (and its data), so it is refused; create a new resource instead.",
  ),
  { rule: "self == oldSelf", message: "spec.provider is immutable: create a new resource on the other cloud and migrate, instead of switching this one" },
);

export const regionField = cel(
  z.string().min(1).max(32).describe("Cloud region, e.g. us-east-1 (AWS) or eastus (Azure). Must belong to spec.provider. Immutable."),
  { rule: "self == oldSelf", message: "spec.region is immutable: resources cannot move between regions; create a new resource in the other region" },
);

export const MAX_TAGS = 40;

/**
 * User tags. Both clouds allow 50 tags a resource; Tessera adds its own three (and a Name on some AWS
 * resources), so users get 40. Key and value rules that differ per cloud are spec-level rules in
 * commonRules(), where the provider is visible.
 */
export const tagsField = z
  .record(z.string().min(1).max(128), z.string().max(256))
  .refine((t) => Object.keys(t).length <= MAX_TAGS, { message: `at most ${MAX_TAGS} tags: both clouds allow 50 a resource and Tessera adds its own` })
  .optional()
  .describe(
    `Tags added to every cloud resource, beside Tessera's own tessera-kind, tessera-namespace and tessera-name tags, which win over a user tag of the same key. At most ${MAX_TAGS}. AWS: keys and values use letters, digits, spaces and _ . : / = + - @, and keys may not start with aws: (reserved by AWS). Azure: keys may not contain < > % & \\ ? /.`,
  )
  .meta({ maxProperties: MAX_TAGS });

/** AWS tag characters (docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions). */
const AWS_TAG_CHARS = String.raw`^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$`;

/**
 * Rules every kind's spec carries: the region belongs to the provider, and tags are ones the provider
 * accepts. Each kind's schema spreads these into its spec-level rules.
 */
export function commonRules(path = "self"): Rule[] {
  return [
    regionRule(path),
    {
      rule: `${path}.provider != 'aws' || !has(${path}.tags) || ${path}.tags.all(k, k.matches('${AWS_TAG_CHARS}') && ${path}.tags[k].matches('${AWS_TAG_CHARS}'))`,
      message: "spec.tags: AWS tag keys and values may contain only letters, digits, spaces and _ . : / = + - @; rename the tag",
      fieldPath: ".tags",
    },
    {
      rule: `${path}.provider != 'aws' || !has(${path}.tags) || ${path}.tags.all(k, !k.matches('^[aA][wW][sS]:'))`,
      message: "spec.tags: tag keys starting with aws: are reserved by AWS and refused; rename the tag",
      fieldPath: ".tags",
    },
    {
      rule: String.raw`${path}.provider != 'azure' || !has(${path}.tags) || ${path}.tags.all(k, !k.matches('[<>%&\\\\?/]'))`,
      message: "spec.tags: Azure tag keys may not contain < > % & \\ ? or /; rename the tag",
      fieldPath: ".tags",
    },
  ];
}

/** A reference to another Tessera XR in the same namespace. Cross-namespace references are not expressible. */
export const localRef = (kind: string) =>
  z
    .object({
      name: z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).describe(`Name of a ${kind} in this namespace.`),
    })
    .strict()
    .describe(`Reference to a ${kind} in the same namespace, on the same provider and region.`);

/**
 * Suffixes of the Secret names providers write for Tessera XRs (generated passwords, tokens, keys:
 * functions/<kind>/names.ts). No XR may name its connection Secret like one: it would overwrite, adopt
 * and later delete another XR's credentials.
 */
export const GENERATED_SECRET_SUFFIXES = ["-postgres-admin", "-redis-auth", "-redis-keys"] as const;

/**
 * Name for a composed connection Secret; optional everywhere, defaulted from the XR name by the
 * function. The function also refuses a name that an existing Secret not composed by this XR has.
 */
export const secretNameField = cel(
  z
    .string()
    .min(1)
    .max(253)
    .regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/)
    .refine((n) => !GENERATED_SECRET_SUFFIXES.some((x) => n.endsWith(x)), {
      message: `names ending in ${GENERATED_SECRET_SUFFIXES.join(", ")} belong to Secrets the providers generate for Tessera XRs; choose another name`,
    }),
  {
    rule: `!(${GENERATED_SECRET_SUFFIXES.map((x) => `self.endsWith('${x}')`).join(" || ")})`,
    message: `connectionSecretName: names ending in ${GENERATED_SECRET_SUFFIXES.join(", ")} belong to Secrets the providers generate for Tessera XRs; choose another name`,
  },
)
  .optional()
  .describe(
    "Name of the connection Secret written in this namespace (default: <metadata.name> with a kind-specific suffix). It must be this resource's own: a Secret of that name that this resource did not create (another resource's connection Secret, a provider's generated password, credentials) is refused, never overwritten.",
  );
