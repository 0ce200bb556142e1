/**
 * Package lint as Crossplane applies it (crossplane-runtime pkg/xpkg/lint.go, see
 * ../shared/provider-crds/crossplane/META.md): exactly one meta object of the package's kind, only
 * the object kinds that package may carry, valid semver constraints, fully qualified dependencies.
 * Every problem is reported at once, each naming the object and the fix.
 */
import type { K8sObject } from "../../functions/shared/types.ts";

export type PackageKind = "Configuration" | "Function";

const META_VERSIONS: Record<PackageKind, string[]> = {
  Configuration: ["meta.pkg.crossplane.io/v1", "meta.pkg.crossplane.io/v1alpha1"],
  Function: ["meta.pkg.crossplane.io/v1", "meta.pkg.crossplane.io/v1beta1"],
};

/** `apiVersion kind` pairs each package may hold besides its meta object. */
const ALLOWED: Record<PackageKind, Array<[RegExp, string]>> = {
  Configuration: [
    [/^apiextensions\.crossplane\.io\/v[12]$/, "CompositeResourceDefinition"],
    [/^apiextensions\.crossplane\.io\/v1$/, "Composition"],
    [/^apiextensions\.crossplane\.io\/v1alpha1$/, "ManagedResourceActivationPolicy"],
    [/^ops\.crossplane\.io\/v1alpha1$/, "Operation"],
    [/^ops\.crossplane\.io\/v1alpha1$/, "CronOperation"],
    [/^ops\.crossplane\.io\/v1alpha1$/, "WatchOperation"],
  ],
  Function: [[/^apiextensions\.k8s\.io\/v1(beta1)?$/, "CustomResourceDefinition"]],
};

// Masterminds semver constraints: comparisons joined by spaces or commas, alternatives by ||,
// hyphen ranges, wildcards, and the ~ ^ operators.
const VERSION = String.raw`v?(?:0|[1-9]\d*|[xX*])(?:\.(?:0|[1-9]\d*|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?`;
const COMPARISON = String.raw`(?:(?:=|!=|>=|<=|=>|=<|>|<|~>|~|\^)\s*)?${VERSION}`;
const RANGE = String.raw`${VERSION}\s+-\s+${VERSION}`;
const GROUP = String.raw`(?:${RANGE}|${COMPARISON})(?:\s*,?\s*(?:${RANGE}|${COMPARISON}))*`;
const CONSTRAINT = new RegExp(String.raw`^\s*${GROUP}(?:\s*\|\|\s*${GROUP})*\s*$`);

export function validConstraint(c: string): boolean {
  return CONSTRAINT.test(c);
}

/**
 * The provider families' versions Tessera's composed resources are validated against (the CRDs in
 * ../shared/provider-crds: provider-upjet-aws v2.6.0, provider-upjet-azure v2.7.0). A Configuration
 * that allowed any later version would let a provider upgrade change defaults or validation under
 * running compositions; raising a bound is a release with new CRDs validated.
 */
/** Provider versions whose CRDs Tessera is validated against (../shared/provider-crds/README.md). */
export const VALIDATED_PROVIDERS = { aws: ">=v2.6.0 <v2.7.0", azure: ">=v2.7.0 <v2.8.0", helm: ">=v1.4.0 <v1.5.0", kubernetes: ">=v1.2.1 <v1.3.0" } as const;

/** A package reference with its registry host and without tag or digest. */
export function fullyQualified(ref: string): boolean {
  const slash = ref.indexOf("/");
  if (slash <= 0) return false;
  const host = ref.slice(0, slash);
  const path = ref.slice(slash + 1);
  return (host.includes(".") || host.includes(":") || host === "localhost") && /^[a-z0-9]+(?:[._\/-][a-z0-9]+)*$/.test(path);
}

interface Meta {
  metadata?: { name?: string };
  spec?: {
    crossplane?: { version?: string };
    dependsOn?: Array<{ apiVersion?: string; kind?: string; package?: string; provider?: string; configuration?: string; function?: string; version?: string }>;
  };
}

export function lint(kind: PackageKind, objects: K8sObject[]): string[] {
  const errors: string[] = [];
  const isMeta = (o: K8sObject) => o.apiVersion?.startsWith("meta.pkg.crossplane.io/");
  const metas = objects.filter(isMeta);
  if (metas.length !== 1) errors.push(`a ${kind} package needs exactly one meta object (meta.pkg.crossplane.io ${kind}), found ${metas.length}`);
  const meta = metas[0] as (K8sObject & Meta) | undefined;
  if (meta) {
    if (meta.kind !== kind || !META_VERSIONS[kind].includes(meta.apiVersion)) {
      errors.push(`meta object is ${meta.apiVersion} ${meta.kind}; a ${kind} package needs ${META_VERSIONS[kind].join(" or ")} ${kind}`);
    }
    if (objects[0] !== meta) errors.push("the meta object must come first in package.yaml");
    if (meta.spec === undefined) errors.push("meta object has no spec; Crossplane requires the key");
    if (kind === "Function" && !meta.metadata?.name?.startsWith("function-")) errors.push(`Function name ${JSON.stringify(meta.metadata?.name)} must start with "function-"`);
    const cv = meta.spec?.crossplane?.version;
    if (cv !== undefined && !validConstraint(cv)) errors.push(`spec.crossplane.version ${JSON.stringify(cv)} is not a semver constraint (e.g. ">=v2.0.0")`);
    for (const [i, d] of (meta.spec?.dependsOn ?? []).entries()) {
      const where = `spec.dependsOn[${i}]`;
      const legacy = [d.provider, d.configuration, d.function].filter((x) => x !== undefined);
      const ref = d.package ?? legacy[0];
      if (d.package !== undefined) {
        if (!d.apiVersion || !d.kind) errors.push(`${where}: package needs apiVersion (pkg.crossplane.io/v1) and kind (Provider, Configuration or Function)`);
        else if (!["Provider", "Configuration", "Function"].includes(d.kind)) errors.push(`${where}: kind ${JSON.stringify(d.kind)} must be Provider, Configuration or Function`);
        if (legacy.length) errors.push(`${where}: use either package or one of provider/configuration/function, not both`);
      } else if (legacy.length !== 1) {
        errors.push(`${where}: name the dependency with apiVersion, kind and package`);
      }
      if (ref !== undefined && !fullyQualified(ref)) errors.push(`${where}: ${JSON.stringify(ref)} must be a fully qualified package without tag, e.g. xpkg.crossplane.io/org/name`);
      if (d.version === undefined) errors.push(`${where}: version is required (a semver constraint such as ">=v2.0.0")`);
      else if (!validConstraint(d.version)) errors.push(`${where}: version ${JSON.stringify(d.version)} is not a semver constraint`);
      const family = (/^xpkg\.upbound\.io\/upbound\/provider-(aws|azure)(-|$)/.exec(ref ?? "")?.[1] ??
        /^xpkg\.crossplane\.io\/crossplane-contrib\/provider-(helm|kubernetes)$/.exec(ref ?? "")?.[1]) as keyof typeof VALIDATED_PROVIDERS | undefined;
      if (family && d.version !== VALIDATED_PROVIDERS[family]) {
        errors.push(`${where}: ${ref} version ${JSON.stringify(d.version)}: use ${JSON.stringify(VALIDATED_PROVIDERS[family])}, the minor version whose CRDs Tessera is validated against (../shared/provider-crds)`);
      }
    }
  }
  for (const o of objects) {
    if (isMeta(o)) continue;
    if (!ALLOWED[kind].some(([api, k]) => api.test(o.apiVersion ?? "") && o.kind === k)) {
      errors.push(`${o.apiVersion} ${o.kind} ${o.metadata?.name ?? ""} cannot be in a ${kind} package; allowed: ${ALLOWED[kind].map(([, k]) => k).join(", ")}`);
    }
  }
  return errors;
}
