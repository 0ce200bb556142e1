/**
 * The protobuf codec of Crossplane's function protocol (proto/fn/v1/run_function.proto), written
 * for this function's hot path.
 *
 * Why not the SDK's generated codec: it turns every google.protobuf.Struct into a tree of
 * `{ kind: { structValue: { fields } } }` wrappers and back, and most of a call's CPU went there
 * (see `npm run bench`). Here a Struct is decoded straight into plain JSON values and encoded
 * straight from them into one growing buffer, with no intermediate tree. The message shapes are the
 * SDK's own TypeScript types, so the rest of the function does not know which codec ran.
 *
 * Both directions of both messages are here: the server decodes requests and encodes responses,
 * `npm run render -- --function-address` does the reverse. Tests check every direction against an
 * independent codec built from the .proto file by @grpc/proto-loader.
 */
import type {
  Condition,

  Requirements,
  Resource,
  ResourceSelector,
  Result,
  RunFunctionRequest,
  RunFunctionResponse,
  State,
} from "@crossplane-org/function-sdk-typescript";
import type { ObservedObject } from "../shared/types.ts";

/** The protocol's enums, as numbers, so the runtime bundle does not load the SDK for four enums. */
export const Ready = { READY_UNSPECIFIED: 0, READY_TRUE: 1, READY_FALSE: 2 } as const;
export const Severity = { SEVERITY_UNSPECIFIED: 0, SEVERITY_FATAL: 1, SEVERITY_WARNING: 2, SEVERITY_NORMAL: 3 } as const;
export const Target = { TARGET_UNSPECIFIED: 0, TARGET_COMPOSITE: 1, TARGET_COMPOSITE_AND_CLAIM: 2 } as const;
export const Status = { STATUS_CONDITION_UNSPECIFIED: 0, STATUS_CONDITION_UNKNOWN: 1, STATUS_CONDITION_TRUE: 2, STATUS_CONDITION_FALSE: 3 } as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** Encoding is synchronous, so one scratch buffer serves every call. */
const MAX_SCRATCH = 4 << 20;
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * One growing buffer. A length-delimited field reserves one byte for its length and, once the
 * body is written, moves the body right when the length needs more bytes: a memmove, far cheaper
 * than sizing every nested Struct twice.
 */
class Writer {
  buf = scratch;
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(v: number): void {
    this.ensure(10);
    // Negative int32 enums never occur here; every varint written is a non-negative safe integer.
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  double(field: number, v: number): void {
    this.tag(field, FIXED64);
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  string(field: number, s: string): void {
    this.tag(field, LEN);
    const len = s.length;
    if (len < 0x80 / 3) {
      // Short strings (most keys and values): at most 3 bytes per UTF-16 unit, so one length byte.
      // Copying ASCII by hand beats a native Buffer.write call at these sizes.
      this.ensure(1 + len * 3);
      const buf = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      const n = i === len ? len : buf.write(s, start, "utf8");
      buf[this.pos] = n;
      this.pos = start + n;
      return;
    }
    const n = Buffer.byteLength(s, "utf8");
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, n, "utf8");
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, LEN);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Writes a length-delimited sub-message whose body `body` writes. */
  message(field: number, body: () => void): void {
    const start = this.begin(field);
    body();
    this.end(start);
  }

  /** Opens a length-delimited field; returns where its body starts, for end(). */
  begin(field: number): number {
    this.tag(field, LEN);
    this.ensure(1);
    return ++this.pos;
  }

  end(start: number): void {
    const len = this.pos - start;
    if (len < 0x80) {
      this.buf[start - 1] = len;
      return;
    }
    let extra = 0;
    for (let v = len >>> 7; v > 0; v >>>= 7) extra++;
    this.ensure(extra);
    this.buf.copyWithin(start + extra, start, this.pos);
    let p = start - 1;
    let v = len;
    while (v > 0x7f) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
    this.pos += extra;
  }

  /**
   * A copy of exactly the bytes written. Encoding happens in one shared scratch buffer, kept (and
   * grown) across calls, so a response costs one allocation of its own size, not a chain of
   * doubling buffers for the garbage collector.
   */
  finish(): Buffer {
    return Buffer.from(this.view());
  }

  /** The bytes written, in the scratch buffer itself: valid until the next encode. */
  view(): Buffer {
    if (this.buf.length <= MAX_SCRATCH) scratch = this.buf;
    return this.buf.subarray(0, this.pos);
  }
}

/** google.protobuf.Value, straight from a JSON value. */
function writeValue(w: Writer, field: number, v: Json | undefined): void {
  const start = w.begin(field);
  switch (typeof v) {
    case "string":
      w.string(3, v);
      break;
    case "number":
      w.double(2, v);
      break;
    case "boolean":
      w.tag(4, VARINT);
      w.varint(v ? 1 : 0);
      break;
    default:
      if (v !== null && typeof v === "object") {
        const inner = w.begin(Array.isArray(v) ? 6 : 5);
        if (Array.isArray(v)) for (const item of v) writeValue(w, 1, item);
        else writeStructBody(w, v);
        w.end(inner);
      } else {
        w.tag(1, VARINT);
        w.varint(0);
      }
  }
  w.end(start);
}

/** The fields of a google.protobuf.Struct. Undefined members are skipped, as JSON would. */
function writeStructBody(w: Writer, o: Record<string, unknown>): void {
  for (const key in o) {
    const v = o[key];
    if (v === undefined) continue;
    const start = w.begin(1);
    w.string(1, key);
    writeValue(w, 2, v as Json);
    w.end(start);
  }
}

function writeStruct(w: Writer, field: number, o: Record<string, unknown> | undefined): void {
  if (o !== undefined) w.message(field, () => writeStructBody(w, o));
}

function writeMap<V>(w: Writer, field: number, m: Record<string, V> | undefined, value: (v: V) => void): void {
  if (!m) return;
  for (const key in m) {
    const v = m[key] as V;
    if (v === undefined) continue;
    w.message(field, () => {
      w.string(1, key);
      value(v);
    });
  }
}

function writeResource(w: Writer, r: Resource): void {
  writeStruct(w, 1, r.resource);
  writeMap(w, 2, r.connectionDetails, (b) => w.bytes(2, b));
  if (r.ready) {
    w.tag(3, VARINT);
    w.varint(r.ready);
  }
}

function writeState(w: Writer, field: number, s: State | undefined): void {
  if (!s) return;
  w.message(field, () => {
    if (s.composite) w.message(1, () => writeResource(w, s.composite!));
    writeMap(w, 2, s.resources, (r) => w.message(2, () => writeResource(w, r)));
  });
}

function writeEnum(w: Writer, field: number, v: number | undefined, always = false): void {
  if (v === undefined || (!v && !always)) return;
  w.tag(field, VARINT);
  w.varint(v);
}

function writeSelector(w: Writer, s: ResourceSelector): void {
  if (s.apiVersion) w.string(1, s.apiVersion);
  if (s.kind) w.string(2, s.kind);
  if (s.matchName !== undefined) w.string(3, s.matchName);
  if (s.matchLabels) w.message(4, () => writeMap(w, 1, s.matchLabels!.labels, (v) => w.string(2, v)));
  if (s.namespace !== undefined) w.string(5, s.namespace);
}

function writeRequirements(w: Writer, r: Requirements | undefined): void {
  if (!r) return;
  w.message(5, () => {
    writeMap(w, 1, r.extraResources, (s) => w.message(2, () => writeSelector(w, s)));
    writeMap(w, 2, r.resources, (s) => w.message(2, () => writeSelector(w, s)));
    writeMap(w, 3, r.schemas, (s) => w.message(2, () => {
      if (s.apiVersion) w.string(1, s.apiVersion);
      if (s.kind) w.string(2, s.kind);
    }));
  });
}

export function encodeResponse(rsp: RunFunctionResponse): Buffer {
  return Buffer.from(encodeResponseView(rsp));
}

/**
 * The encoded response as a view of the shared scratch buffer: valid only until the next encode, so
 * only for a caller that copies it at once (grpc-js's serializer copies it into its frame), sparing
 * every response an allocation and a copy of its own.
 */
export function encodeResponseView(rsp: RunFunctionResponse): Buffer {
  const w = new Writer();
  if (rsp.meta) {
    const meta = rsp.meta;
    w.message(1, () => {
      if (meta.tag) w.string(1, meta.tag);
      if (meta.ttl) {
        const ttl = meta.ttl;
        w.message(2, () => {
          if (ttl.seconds) { w.tag(1, VARINT); w.varint(ttl.seconds); }
          if (ttl.nanos) { w.tag(2, VARINT); w.varint(ttl.nanos); }
        });
      }
    });
  }
  writeState(w, 2, rsp.desired);
  for (const r of rsp.results ?? []) {
    w.message(3, () => {
      writeEnum(w, 1, r.severity);
      if (r.message) w.string(2, r.message);
      if (r.reason !== undefined) w.string(3, r.reason);
      writeEnum(w, 4, r.target, true);
    });
  }
  writeStruct(w, 4, rsp.context);
  writeRequirements(w, rsp.requirements);
  for (const c of rsp.conditions ?? []) {
    w.message(6, () => {
      if (c.type) w.string(1, c.type);
      writeEnum(w, 2, c.status);
      if (c.reason) w.string(3, c.reason);
      if (c.message !== undefined) w.string(4, c.message);
      writeEnum(w, 5, c.target, true);
    });
  }
  writeStruct(w, 7, rsp.output);
  return w.view();
}

export function encodeRequest(req: RunFunctionRequest): Buffer {
  const w = new Writer();
  if (req.meta) {
    const meta = req.meta;
    w.message(1, () => {
      if (meta.tag) w.string(1, meta.tag);
      if (meta.capabilities?.length) w.message(2, () => { for (const c of meta.capabilities) w.varint(c); });
    });
  }
  writeState(w, 2, req.observed);
  writeState(w, 3, req.desired);
  writeStruct(w, 4, req.input);
  writeStruct(w, 5, req.context);
  const resources = (field: number, m: RunFunctionRequest["requiredResources"] | undefined) =>
    writeMap(w, field, m, (rs) => w.message(2, () => { for (const r of rs.items) w.message(1, () => writeResource(w, r)); }));
  resources(6, req.extraResources);
  writeMap(w, 7, req.credentials, (c) => w.message(2, () => {
    if (c.credentialData) w.message(1, () => writeMap(w, 1, c.credentialData!.data, (b) => w.bytes(2, b)));
  }));
  resources(8, req.requiredResources);
  writeMap(w, 9, req.requiredSchemas, (s) => w.message(2, () => writeStruct(w, 1, s.openapiV3)));
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

export class WireError extends Error {}
/** A request within the protocol but over a limit this function sets (answered RESOURCE_EXHAUSTED). */
export class LimitError extends WireError {}

/**
 * Varints up to 2^56 are decoded exactly enough for what they carry here (lengths, enums, durations);
 * larger ones were silently truncated (a length of 2^63 read as 0), so they are refused. Zero
 * padding bytes past the eighth are harmless and accepted, as protobuf allows them.
 */
const VARINT_LIMIT = 2 ** 56;
function checkVarint(v: number, lastByte: number): number {
  if (lastByte >= 8 && v >= VARINT_LIMIT) throw new WireError("varint of 2^56 or more; no field of this protocol carries one");
  return v;
}

/**
 * What one request may decode to. Kubernetes objects are shallow (a managed resource nests about 10
 * deep) and the examples' largest request holds about 7,000 values; a hostile one of 15 MiB of
 * `[{},{},…]` held 4 million, raised RSS by 670 MiB and blocked the event loop for 5 s. Lists count
 * towards the depth as Structs do.
 */
export const MAX_DEPTH = 64;
export const MAX_VALUES = 500_000;
let valuesLeft = MAX_VALUES;
function spend(): void {
  if (--valuesLeft < 0) throw new LimitError(`more than ${MAX_VALUES} values (Struct fields, list items, map entries); no Kubernetes object needs that many`);
}

class Reader {
  pos: number;
  constructor(readonly buf: Buffer, pos = 0, readonly end = buf.length) {
    this.pos = pos;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError("truncated varint");
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return checkVarint(result, i);
    }
    throw new WireError("varint longer than 10 bytes");
  }

  /** Returns the sub-reader of a length-delimited field. */
  sub(): Reader {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new WireError("length-delimited field runs past its message");
    this.pos += len;
    return new Reader(this.buf, start, start + len);
  }

  string(): string {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new WireError("string runs past its message");
    this.pos += len;
    return this.buf.toString("utf8", start, start + len);
  }

  bytes(): Buffer {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new WireError("bytes run past their message");
    this.pos += len;
    // A copy, so the request buffer can be freed while the bytes live on.
    return Buffer.from(this.buf.subarray(start, start + len));
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new WireError("truncated double");
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  skip(wire: number): void {
    switch (wire) {
      case VARINT: this.varint(); return;
      case FIXED64: this.pos += 8; break;
      case LEN: this.sub(); return;
      case FIXED32: this.pos += 4; break;
      default: throw new WireError(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) throw new WireError("truncated field");
  }
}


// Struct decoding is the hot path: a cursor over the buffer instead of a Reader per nested message.
let B: Buffer = Buffer.alloc(0);
let P = 0;

function varintAt(end: number): number {
  // Tags and lengths are nearly always one byte.
  if (P < end) {
    const b = B[P]!;
    if (b < 0x80) {
      P++;
      return b;
    }
  }
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (P >= end) throw new WireError("truncated varint");
    const b = B[P++]!;
    result += (b & 0x7f) * mul;
    mul *= 128;
    if (b < 0x80) return checkVarint(result, i);
  }
  throw new WireError("varint longer than 10 bytes");
}

/** Returns the end of the length-delimited field at the cursor, which moves to its start. */
function lenAt(end: number): number {
  const len = varintAt(end);
  const stop = P + len;
  if (stop > end) throw new WireError("length-delimited field runs past its message");
  return stop;
}

/**
 * Struct keys repeat endlessly (apiVersion, metadata, conditions...), and so do most short values
 * (kinds, regions, condition types and reasons). A short ASCII string seen before is returned as the
 * same string from a small direct-mapped table, instead of allocating it again (less to build, less
 * garbage to collect). Keys and values have their own tables so that values cannot evict keys.
 */
const TABLE_BITS = 12;
const KEYS: Array<string | undefined> = new Array(1 << TABLE_BITS).fill(undefined);
const VALUES: Array<string | undefined> = new Array(1 << TABLE_BITS).fill(undefined);

// Buffer's own slice methods, without toString's encoding dispatch (Node has had both forever).
const latin1 = (start: number, stop: number) => (B as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(start, stop);
const utf8 = (start: number, stop: number) => (B as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice(start, stop);

function internedAt(table: Array<string | undefined>, max: number, end: number): string {
  const stop = lenAt(end);
  const start = P;
  P = stop;
  const n = stop - start;
  if (n > max) return utf8(start, stop);
  if (n === 0) return "";
  // A cheap hash of the length and a few bytes picks the slot; the full comparison decides a hit
  // (and, matching an ASCII string, proves the bytes ASCII), so a hit reads each byte once.
  const h = (n * 31 + B[start]!) * 31 + B[stop - 1]! + B[start + (n >> 1)]! * 961 + B[start + (n >> 2)]! * 7;
  const slot = (h ^ (h >>> TABLE_BITS)) & ((1 << TABLE_BITS) - 1);
  const hit = table[slot];
  if (hit !== undefined && hit.length === n) {
    let i = 0;
    while (i < n && hit.charCodeAt(i) === B[start + i]) i++;
    if (i === n) return hit;
  }
  for (let i = start; i < stop; i++) if (B[i]! >= 0x80) return utf8(start, stop);
  const str = latin1(start, stop);
  table[slot] = str;
  return str;
}

const keyAt = (end: number) => internedAt(KEYS, 64, end);
const stringAt = (end: number) => internedAt(VALUES, 40, end);

function skipAt(wire: number, end: number): void {
  switch (wire) {
    case VARINT: varintAt(end); return;
    case FIXED64: P += 8; break;
    case LEN: P = lenAt(end); return;
    case FIXED32: P += 4; break;
    default: throw new WireError(`unsupported wire type ${wire}`);
  }
  if (P > end) throw new WireError("truncated field");
}

function valueAt(end: number, depth: number): Json {
  spend();
  let v: Json = null;
  while (P < end) {
    const tag = varintAt(end);
    switch (tag) {
      case (1 << 3) | VARINT: varintAt(end); v = null; break;
      case (2 << 3) | FIXED64:
        if (P + 8 > end) throw new WireError("truncated double");
        v = B.readDoubleLE(P);
        P += 8;
        break;
      case (3 << 3) | LEN: v = stringAt(end); break;
      case (4 << 3) | VARINT: v = varintAt(end) !== 0; break;
      case (5 << 3) | LEN: v = structAt(lenAt(end), depth + 1); break;
      case (6 << 3) | LEN: {
        if (depth >= MAX_DEPTH) throw new LimitError(`values nested deeper than ${MAX_DEPTH}`);
        const stop = lenAt(end);
        const out: Json[] = [];
        while (P < stop) {
          const t = varintAt(stop);
          if (t === ((1 << 3) | LEN)) {
            const itemEnd = lenAt(stop);
            out.push(valueAt(itemEnd, depth + 1));
            P = itemEnd;
          } else skipAt(t & 7, stop);
        }
        v = out;
        break;
      }
      default: skipAt(tag & 7, end);
    }
  }
  return v;
}

/**
 * A Struct becomes an object without a prototype. V8 keeps such objects as hash maps from the start,
 * so filling one is an insert rather than a walk through hidden-class transitions, which multiply
 * because Crossplane's field order differs on every call. With no prototype, a key "__proto__" is
 * also plain data.
 */
function structAt(end: number, depth: number): JsonObject {
  if (depth > MAX_DEPTH) throw new LimitError(`values nested deeper than ${MAX_DEPTH}`);
  const out: JsonObject = Object.create(null) as JsonObject;
  while (P < end) {
    const tag = varintAt(end);
    if (tag !== ((1 << 3) | LEN)) { skipAt(tag & 7, end); continue; }
    const entryEnd = lenAt(end);
    let key = "";
    let value: Json = null;
    while (P < entryEnd) {
      const t = varintAt(entryEnd);
      if (t === ((1 << 3) | LEN)) key = keyAt(entryEnd);
      else if (t === ((2 << 3) | LEN)) {
        const valueEnd = lenAt(entryEnd);
        value = valueAt(valueEnd, depth);
        P = valueEnd;
      } else skipAt(t & 7, entryEnd);
    }
    out[key] = value;
  }
  return out;
}

/**
 * How much of a Struct to decode: fields named in `nested` through their own Projection, and, if
 * `only` is set, only the fields it names (others are skipped over, never decoded); without `only`,
 * every other field whole.
 */
interface Projection {
  readonly nested?: ReadonlyMap<string, Projection>;
  readonly only?: ReadonlySet<string>;
}

/** structAt through a Projection. Not the hot path's structAt: most Structs are decoded whole. */
function projectedStructAt(end: number, depth: number, keep: Projection): JsonObject {
  if (depth > MAX_DEPTH) throw new LimitError(`values nested deeper than ${MAX_DEPTH}`);
  const out: JsonObject = Object.create(null) as JsonObject;
  while (P < end) {
    const tag = varintAt(end);
    if (tag !== ((1 << 3) | LEN)) { skipAt(tag & 7, end); continue; }
    const entryEnd = lenAt(end);
    let key = "";
    let valueStart = -1;
    let valueEnd = -1;
    // Protobuf allows the value before the key: locate the value, decide once the key is known.
    while (P < entryEnd) {
      const t = varintAt(entryEnd);
      if (t === ((1 << 3) | LEN)) key = keyAt(entryEnd);
      else if (t === ((2 << 3) | LEN)) {
        valueEnd = lenAt(entryEnd);
        valueStart = P;
        P = valueEnd;
      } else skipAt(t & 7, entryEnd);
    }
    const sub = keep.nested?.get(key);
    if (!sub && keep.only && !keep.only.has(key)) continue;
    let value: Json = null;
    if (valueStart >= 0) {
      P = valueStart;
      value = sub ? projectedValueAt(valueEnd, depth, sub) : valueAt(valueEnd, depth);
      P = entryEnd;
    }
    out[key] = value;
  }
  return out;
}

/** A google.protobuf.Value: a struct_value through `keep`, any other kind of value as it is. */
function projectedValueAt(end: number, depth: number, keep: Projection): Json {
  const start = P;
  if (P < end && varintAt(end) === ((5 << 3) | LEN)) {
    const stop = lenAt(end);
    const v = projectedStructAt(stop, depth + 1, keep);
    P = stop;
    if (P === end) return v;
  }
  P = start;
  return valueAt(end, depth);
}

/**
 * What the function decodes of an observed composed resource: all of it but metadata, and of
 * metadata only name, namespace, labels and annotations. Crossplane sends each resource whole,
 * metadata.managedFields included (several KB per resource once Crossplane and its provider have
 * applied it), with ownerReferences, uid, resourceVersion and more that no renderer reads; those are
 * skipped over. The fields are the ones ObservedObject (types.ts) declares, so code that needed
 * another one would not compile without adding it here.
 */
const OBSERVED_METADATA: { readonly [K in keyof NonNullable<ObservedObject["metadata"]>]-?: true } = { name: true, namespace: true, labels: true, annotations: true };
const OBSERVED_COMPOSED: Projection = { nested: new Map([["metadata", { only: new Set(Object.keys(OBSERVED_METADATA)) }]]) };

/** Decodes the Struct the reader is positioned on (its length prefix next), through `keep` if given. */
function readStruct(r: Reader, keep?: Projection): JsonObject {
  B = r.buf;
  P = r.pos;
  const stop = lenAt(r.end);
  const out = keep ? projectedStructAt(stop, 0, keep) : structAt(stop, 0);
  r.pos = stop;
  return out;
}

/** Sets a map entry; a key "__proto__" stays data instead of replacing the object's prototype. */
function put<V>(o: Record<string, V>, key: string, value: V): void {
  if (key === "__proto__") Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

/** Reads a map field's entry: key (field 1, string) and value (field 2) by `value`. */
function readEntry<V>(r: Reader, value: (r: Reader, wire: number) => V, empty: V): [string, V] {
  spend();
  let key = "";
  let v = empty;
  while (r.more()) {
    const t = r.varint();
    if (t === ((1 << 3) | LEN)) key = r.string();
    else if (t >>> 3 === 2) v = value(r, t & 7);
    else r.skip(t & 7);
  }
  return [key, v];
}

function readResource(r: Reader, keep?: Projection): Resource {
  spend();
  const out: Resource = { resource: undefined, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED };
  while (r.more()) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | LEN: out.resource = readStruct(r, keep); break;
      case (2 << 3) | LEN: {
        const [k, v] = readEntry(r.sub(), (e) => e.bytes(), Buffer.alloc(0));
        put(out.connectionDetails, k, v);
        break;
      }
      case (3 << 3) | VARINT: out.ready = r.varint(); break;
      default: r.skip(tag & 7);
    }
  }
  return out;
}

function readState(r: Reader, composed?: Projection): State {
  const out: State = { composite: undefined, resources: {} };
  while (r.more()) {
    const tag = r.varint();
    if (tag === ((1 << 3) | LEN)) out.composite = readResource(r.sub());
    else if (tag === ((2 << 3) | LEN)) {
      const [k, v] = readEntry<Resource | undefined>(r.sub(), (e) => readResource(e.sub(), composed), undefined);
      if (v) put(out.resources, k, v);
    } else r.skip(tag & 7);
  }
  return out;
}

function readResources(r: Reader): { items: Resource[] } {
  const items: Resource[] = [];
  while (r.more()) {
    const tag = r.varint();
    if (tag === ((1 << 3) | LEN)) items.push(readResource(r.sub()));
    else r.skip(tag & 7);
  }
  return { items };
}

function readMeta(r: Reader): NonNullable<RunFunctionRequest["meta"]> {
  const out: NonNullable<RunFunctionRequest["meta"]> = { tag: "", capabilities: [] };
  while (r.more()) {
    const tag = r.varint();
    if (tag === ((1 << 3) | LEN)) out.tag = r.string();
    else if (tag === ((2 << 3) | VARINT)) (spend(), out.capabilities.push(r.varint()));
    else if (tag === ((2 << 3) | LEN)) {
      const packed = r.sub();
      while (packed.more()) (spend(), out.capabilities.push(packed.varint()));
    } else r.skip(tag & 7);
  }
  return out;
}

export function decodeRequest(buf: Buffer): RunFunctionRequest {
  valuesLeft = MAX_VALUES;
  const r = new Reader(buf);
  const out: RunFunctionRequest = {
    meta: undefined,
    observed: undefined,
    desired: undefined,
    extraResources: {},
    credentials: {},
    requiredResources: {},
    requiredSchemas: {},
  };
  while (r.more()) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | LEN: out.meta = readMeta(r.sub()); break;
      case (2 << 3) | LEN: out.observed = readState(r.sub(), OBSERVED_COMPOSED); break;
      case (3 << 3) | LEN: out.desired = readState(r.sub()); break;
      case (4 << 3) | LEN: out.input = readStruct(r); break;
      case (5 << 3) | LEN: out.context = readStruct(r); break;
      case (6 << 3) | LEN: {
        const [k, v] = readEntry(r.sub(), (e) => readResources(e.sub()), { items: [] as Resource[] });
        put(out.extraResources, k, v);
        break;
      }
      case (7 << 3) | LEN: {
        const [k, v] = readEntry(r.sub(), (e) => {
          const c = e.sub();
          const data: Record<string, Buffer> = {};
          while (c.more()) {
            const t = c.varint();
            if (t !== ((1 << 3) | LEN)) { c.skip(t & 7); continue; }
            const d = c.sub();
            while (d.more()) {
              const dt = d.varint();
              if (dt !== ((1 << 3) | LEN)) { d.skip(dt & 7); continue; }
              const [dk, dv] = readEntry(d.sub(), (x) => x.bytes(), Buffer.alloc(0));
              put(data, dk, dv);
            }
          }
          return { credentialData: { data } };
        }, { credentialData: undefined } as RunFunctionRequest["credentials"][string]);
        put(out.credentials, k, v);
        break;
      }
      case (8 << 3) | LEN: {
        const [k, v] = readEntry(r.sub(), (e) => readResources(e.sub()), { items: [] as Resource[] });
        put(out.requiredResources, k, v);
        break;
      }
      case (9 << 3) | LEN: {
        const [k, v] = readEntry(r.sub(), (e) => {
          const s = e.sub();
          let openapiV3: JsonObject | undefined;
          while (s.more()) {
            const t = s.varint();
            if (t === ((1 << 3) | LEN)) openapiV3 = readStruct(s);
            else s.skip(t & 7);
          }
          return { openapiV3 };
        }, { openapiV3: undefined } as { openapiV3: JsonObject | undefined });
        put(out.requiredSchemas, k, v);
        break;
      }
      default: r.skip(tag & 7);
    }
  }
  return out;
}

function readSelector(r: Reader): ResourceSelector {
  const out: ResourceSelector = { apiVersion: "", kind: "" };
  while (r.more()) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | LEN: out.apiVersion = r.string(); break;
      case (2 << 3) | LEN: out.kind = r.string(); break;
      case (3 << 3) | LEN: out.matchName = r.string(); break;
      case (4 << 3) | LEN: {
        const labels: Record<string, string> = {};
        const m = r.sub();
        while (m.more()) {
          const t = m.varint();
          if (t !== ((1 << 3) | LEN)) { m.skip(t & 7); continue; }
          const [k, v] = readEntry(m.sub(), (e) => e.string(), "");
          put(labels, k, v);
        }
        out.matchLabels = { labels };
        break;
      }
      case (5 << 3) | LEN: out.namespace = r.string(); break;
      default: r.skip(tag & 7);
    }
  }
  return out;
}

function readRequirements(r: Reader): Requirements {
  const out: Requirements = { extraResources: {}, resources: {}, schemas: {} };
  while (r.more()) {
    const tag = r.varint();
    if (tag === ((1 << 3) | LEN) || tag === ((2 << 3) | LEN)) {
      const [k, v] = readEntry(r.sub(), (e) => readSelector(e.sub()), { apiVersion: "", kind: "" });
      put(tag >>> 3 === 1 ? out.extraResources : out.resources, k, v);
    } else if (tag === ((3 << 3) | LEN)) {
      const [k, v] = readEntry(r.sub(), (e) => {
        const s = e.sub();
        const sel = { apiVersion: "", kind: "" };
        while (s.more()) {
          const t = s.varint();
          if (t === ((1 << 3) | LEN)) sel.apiVersion = s.string();
          else if (t === ((2 << 3) | LEN)) sel.kind = s.string();
          else s.skip(t & 7);
        }
        return sel;
      }, { apiVersion: "", kind: "" });
      put(out.schemas, k, v);
    } else r.skip(tag & 7);
  }
  return out;
}

export function decodeResponse(buf: Buffer): RunFunctionResponse {
  valuesLeft = MAX_VALUES;
  const r = new Reader(buf);
  const out: RunFunctionResponse = { meta: undefined, desired: undefined, results: [], requirements: undefined, conditions: [] };
  while (r.more()) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | LEN: {
        const m = r.sub();
        const meta: NonNullable<RunFunctionResponse["meta"]> = { tag: "" };
        while (m.more()) {
          const t = m.varint();
          if (t === ((1 << 3) | LEN)) meta.tag = m.string();
          else if (t === ((2 << 3) | LEN)) {
            const d = m.sub();
            const ttl = { seconds: 0, nanos: 0 };
            while (d.more()) {
              const dt = d.varint();
              if (dt === ((1 << 3) | VARINT)) ttl.seconds = d.varint();
              else if (dt === ((2 << 3) | VARINT)) ttl.nanos = d.varint();
              else d.skip(dt & 7);
            }
            meta.ttl = ttl;
          } else m.skip(t & 7);
        }
        out.meta = meta;
        break;
      }
      case (2 << 3) | LEN: out.desired = readState(r.sub()); break;
      case (3 << 3) | LEN: {
        const s = r.sub();
        const res: Result = { severity: 0, message: "" };
        while (s.more()) {
          const t = s.varint();
          switch (t) {
            case (1 << 3) | VARINT: res.severity = s.varint(); break;
            case (2 << 3) | LEN: res.message = s.string(); break;
            case (3 << 3) | LEN: res.reason = s.string(); break;
            case (4 << 3) | VARINT: res.target = s.varint(); break;
            default: s.skip(t & 7);
          }
        }
        out.results.push(res);
        break;
      }
      case (4 << 3) | LEN: out.context = readStruct(r); break;
      case (5 << 3) | LEN: out.requirements = readRequirements(r.sub()); break;
      case (6 << 3) | LEN: {
        const s = r.sub();
        const c: Condition = { type: "", status: 0, reason: "" };
        while (s.more()) {
          const t = s.varint();
          switch (t) {
            case (1 << 3) | LEN: c.type = s.string(); break;
            case (2 << 3) | VARINT: c.status = s.varint(); break;
            case (3 << 3) | LEN: c.reason = s.string(); break;
            case (4 << 3) | LEN: c.message = s.string(); break;
            case (5 << 3) | VARINT: c.target = s.varint(); break;
            default: s.skip(t & 7);
          }
        }
        out.conditions.push(c);
        break;
      }
      case (7 << 3) | LEN: out.output = readStruct(r); break;
      default: r.skip(tag & 7);
    }
  }
  return out;
}
