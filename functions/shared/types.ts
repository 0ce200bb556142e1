/**
 * The contract between the function's I/O layer (fn.ts) and each kind's pure renderers.
 * A renderer sees only parsed, defaulted spec and plain observed objects; it never touches protobuf.
 */
import type { Provider } from "../../apis/shared/common.ts";
import type { ApiDefinition } from "../../apis/index.ts";
import type { PlatformConfig } from "./platform.ts";

export type Obj = Record<string, unknown>;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: Obj;
  status?: Obj;
  [k: string]: unknown;
}

/**
 * A managed-resource kind as functions/crds describes it (generated from the real CRDs by
 * `npm run generate:types`): its apiVersion and kind as literals and its spec's shape. Renderers
 * pass one to managed() (`managed<rds.Instance>(...)`) so that tsc checks what they compose.
 */
export interface ManagedKind {
  apiVersion: string;
  kind: string;
  spec: { forProvider: object; initProvider?: object | undefined };
}

/** What managed() takes when no kind is given: any apiVersion, kind and object (not checked). */
export interface Untyped extends ManagedKind {
  spec: { forProvider: Obj; initProvider?: Obj | undefined };
}

/** The forProvider type of a kind, for renderers that build it apart: `const fp: ForProvider<rds.Instance> = {...}`. */
export type ForProvider<M extends ManagedKind> = M["spec"]["forProvider"];
/** The initProvider type of a kind. */
export type InitProvider<M extends ManagedKind> = NonNullable<M["spec"]["initProvider"]>;

/**
 * A composed resource that is not built by managed() (a Secret, a Usage, a ProviderConfig), typed
 * by its generated type: `return { apiVersion, kind, metadata, ... } satisfies Composed<Usage>`
 * makes tsc check every field, and the object still is a K8sObject.
 */
export type Composed<T extends { apiVersion: string; kind: string }> = T & { metadata?: K8sObject["metadata"] };

/**
 * An observed composed resource as the codec decodes it (functions/runtime/wire.ts): everything but
 * metadata, of which only these fields. Crossplane also sends managedFields, ownerReferences, uid and
 * more; the codec skips them, and this type keeps code from reading them.
 */
export interface ObservedObject {
  apiVersion: string;
  kind: string;
  metadata?: Pick<NonNullable<K8sObject["metadata"]>, "name" | "namespace" | "labels" | "annotations">;
  spec?: Obj;
  status?: Obj;
  [k: string]: unknown;
}

export interface ObservedResource {
  resource: ObservedObject;
  /** Decoded connection details the provider wrote for this resource (bytes as UTF-8). */
  connectionDetails: Record<string, string>;
}

export interface XrMeta {
  name: string;
  namespace: string;
  /** metadata.uid of the XR: tells one XR from an earlier one of the same name (Crossplane always sends it). */
  uid?: string;
}

export interface RenderContext<S> {
  xr: XrMeta;
  spec: S;
  /** Observed composed resources by composition-resource-name. */
  observed: Record<string, ObservedResource>;
  /** Required resources by requirement name (always present: fn.ts only renders once they are fetched). */
  required: Record<string, K8sObject[]>;
  /**
   * Platform settings (shared/platform.ts: the EnvironmentConfig `tessera`), for kinds whose
   * KindModule.platform asks for them; absent otherwise and in tests that build a context by hand.
   */
  platform?: PlatformConfig;
}

export interface Rendered {
  /** Desired composed resources by key. Keys are identities: never rename one. */
  resources: Record<string, K8sObject>;
  /** Kind-specific status, computed from observed state only. */
  status: Obj;
  /** Resources that will be added once something they depend on is observed (staged creation). */
  pending: string[];
  /** Observed keys the spec deliberately removed (e.g. a replica taken out of spec.readReplicas). */
  released: string[];
  /**
   * What the XR waits for that is not one of its composed resources (another XR's grant), each said in
   * full in MESSAGE and ResourcesReady; like pending, it keeps the XR from being Ready.
   */
  awaiting?: string[];
  /** Non-fatal things the user must know (a setting degraded, a resource orphaned): Warning results. */
  warnings?: string[];
}

export type Renderer<S> = (ctx: RenderContext<S>) => Rendered;

/** A required resource: one object by name, or (matchLabels) every object in the namespace with these labels. */
export interface Selector {
  apiVersion: string;
  kind: string;
  name?: string;
  /** Select by labels instead of name (e.g. the Usages of a Network); the match may be empty. An empty set selects every object of the kind in the namespace. */
  matchLabels?: Record<string, string>;
  /** Omitted only for a cluster-scoped kind (the EnvironmentConfig of shared/platform.ts). */
  namespace?: string;
}

/**
 * One platform API. `renderers` is keyed by every Provider, so adding a cloud to PROVIDERS fails to
 * compile until each kind implements it.
 */
export interface KindModule<S> {
  api: ApiDefinition;
  parse: (raw: unknown) => S;
  /** Other resources this XR needs, by requirement name (e.g. the Network it is placed in). */
  requirements?: (spec: S, xr: XrMeta) => Record<string, Selector>;
  /**
   * Secrets this XR composes under a name the user may choose (its connection Secret), with the spec
   * field that names each. fn.ts reads each as a required resource and refuses a name held by a Secret
   * this XR did not compose, so one XR never overwrites, adopts or deletes another's Secret.
   */
  secrets?: (spec: S, xr: XrMeta) => Array<{ field: string; name: string }>;
  /**
   * Whether this spec renders a firewall Crossplane's providers must pass themselves (shared/platform.ts):
   * fn.ts then fetches the platform EnvironmentConfig and passes its settings as ctx.platform.
   */
  platform?: (spec: S) => boolean;
  /** Checks that need required resources (same provider, same region); throws SpecError. */
  validate?: (ctx: RenderContext<S>) => void;
  renderers: Record<Provider, Renderer<S>>;
  /** MRD names (`<plural>.<group>`) of every managed resource kind the renderers may compose. */
  composes: readonly string[];
  /**
   * The composed kinds (`<group>/<Kind>`) that hold data. Dropping one from desired state deletes it,
   * so fn.ts refuses any render that drops one the spec did not deliberately release.
   */
  stateful: readonly string[];
}
