/**
 * The part of CEL that Tessera's own XRD rules are written in, compiled to closures over plain JSON.
 *
 * Why not a full CEL library at run time: the function checks every XR against its XRD's rules, and a
 * full CEL (with its protobuf type registry and generated parser) cost about 60 ms of the function's
 * cold start, for 38 rules of a few kinds. The full library (@bufbuild/cel) remains the reference:
 * the tests evaluate the provider CRDs with it, and hold this subset to the same verdicts on every
 * XRD rule over generated specs (test/shared/cel-subset.test.ts).
 *
 * Supported: literals (int, double, string, bool, null, lists), `self`/`oldSelf` and macro variables,
 * field selection and indexing, `has()`, `size()`, `string()`, `int()`, the `all`/`exists`/`exists_one`
 * macros, `startsWith`/`endsWith`/`contains`/`matches`, `! - * / % + < <= > >= == != in && || ?:`.
 * Anything else is refused when the rule is compiled, so an XRD rule outside the subset fails the
 * tests (and the function's first use of it), never silently.
 *
 * Semantics follow the CEL spec where the rules can tell: `&&`/`||` (and the macros) absorb errors
 * when the other side decides the result; selecting a missing field is an error; ints divide as ints.
 */

export class CelError extends Error {}

export type Vars = Readonly<Record<string, unknown>>;
export type Program = (vars: Vars) => unknown;

// ---------------------------------------------------------------------------------------- lexing

type Tok = { k: "num"; v: number } | { k: "str"; v: string } | { k: "id"; v: string } | { k: "op"; v: string } | { k: "end" };

const OPS = ["&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "?", ":", "+", "-", "*", "/", "%", ".", ",", "(", ")", "[", "]"];
const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"' };

const NUM = /\d+\.\d+(?:[eE][+-]?\d+)?|\d+/y;
const ID = /[A-Za-z_][A-Za-z0-9_]*/y;

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    NUM.lastIndex = i;
    const num = NUM.exec(src);
    if (num) {
      out.push({ k: "num", v: Number(num[0]) });
      i += num[0].length;
      if (/[uU]/.test(src[i] ?? "")) throw new CelError(`unsupported CEL: unsigned literal at ${i}`);
      continue;
    }
    if (c === "'" || c === '"') {
      let s = "";
      i++;
      while (src[i] !== c) {
        if (i >= src.length) throw new CelError("unterminated string literal");
        if (src[i] === "\\") {
          const e = ESCAPES[src[i + 1] ?? ""];
          if (e === undefined) throw new CelError(`unsupported CEL: escape \\${src[i + 1]}`);
          s += e;
          i += 2;
        } else s += src[i++];
      }
      i++;
      out.push({ k: "str", v: s });
      continue;
    }
    ID.lastIndex = i;
    const id = ID.exec(src);
    if (id) {
      out.push({ k: "id", v: id[0] });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new CelError(`unsupported CEL: unexpected ${JSON.stringify(c)} at ${i}`);
    out.push({ k: "op", v: op });
    i += op.length;
  }
  out.push({ k: "end" });
  return out;
}

// ------------------------------------------------------------------------------ values and errors

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const typeName = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "list" : typeof v === "object" ? "map" : typeof v === "number" ? "number" : typeof v);

function bool(v: unknown, what: string): boolean {
  if (typeof v !== "boolean") throw new CelError(`no matching overload for ${what} on ${typeName(v)}`);
  return v;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => k in b && equal(a[k], b[k]));
  }
  return false;
}

function compare(op: string, a: unknown, b: unknown): boolean {
  const ok = (typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string") || (typeof a === "boolean" && typeof b === "boolean");
  if (!ok) throw new CelError(`no matching overload for ${op} on ${typeName(a)}, ${typeName(b)}`);
  const x = a as number, y = b as number;
  return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
}

function select(v: unknown, field: string): unknown {
  if (!isMap(v)) throw new CelError(`no such key: ${field} (on ${typeName(v)})`);
  const x = v[field];
  if (x === undefined) throw new CelError(`no such key: ${field}`);
  return x;
}

function arith(op: string, a: unknown, b: unknown): unknown {
  if (op === "+" && typeof a === "string" && typeof b === "string") return a + b;
  if (op === "+" && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (typeof a !== "number" || typeof b !== "number") throw new CelError(`no matching overload for ${op} on ${typeName(a)}, ${typeName(b)}`);
  const ints = Number.isInteger(a) && Number.isInteger(b);
  if ((op === "/" || op === "%") && ints && b === 0) throw new CelError(op === "/" ? "divide by zero" : "modulus by zero");
  switch (op) {
    case "+": return a + b;
    case "-": return a - b;
    case "*": return a * b;
    case "/": return ints ? Math.trunc(a / b) : a / b;
    default: return a % b;
  }
}

/** Runs both sides of a CEL `&&`/`||`: a side that decides the result wins over an error on the other. */
function logical(decides: boolean, what: string, l: Program, r: Program): Program {
  return (vars) => {
    let err: unknown;
    try {
      if (bool(l(vars), what) === decides) return decides;
    } catch (e) {
      err = e;
    }
    if (bool(r(vars), what) === decides) return decides;
    if (err) throw err;
    return !decides;
  };
}

type Macro = "all" | "exists" | "exists_one";

function macro(kind: Macro, target: Program, v: string, body: Program): Program {
  return (vars) => {
    const t = target(vars);
    const items = Array.isArray(t) ? t : isMap(t) ? Object.keys(t) : undefined;
    if (!items) throw new CelError(`no matching overload for ${kind} on ${typeName(t)}`);
    let count = 0;
    let err: unknown;
    for (const item of items) {
      let r: boolean;
      try {
        r = bool(body({ ...vars, [v]: item }), kind);
      } catch (e) {
        if (kind === "exists_one") throw e;
        err ??= e;
        continue;
      }
      if (kind === "all" && !r) return false;
      if (kind === "exists" && r) return true;
      if (r) count++;
    }
    if (err) throw err;
    return kind === "all" ? true : kind === "exists" ? false : count === 1;
  };
}

const sizeOf = (v: unknown): number => {
  if (typeof v === "string") return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).filter((k) => v[k] !== undefined).length;
  throw new CelError(`no matching overload for size on ${typeName(v)}`);
};

const FUNCTIONS: Record<string, (v: unknown) => unknown> = {
  size: sizeOf,
  string: (v) => {
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    throw new CelError(`no matching overload for string on ${typeName(v)}`);
  },
  int: (v) => {
    if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
    if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
    throw new CelError(`cannot convert ${typeName(v)} to int`);
  },
};

/** Compiled `matches` patterns. XRD rules use a handful of constant patterns, so this stays small. */
const PATTERNS = new Map<string, RegExp>();

/**
 * RE2 (CEL's regex dialect) as a JS RegExp: the patterns Tessera's rules use (classes, `\p{..}`,
 * anchors, quantifiers) mean the same in both with the `u` flag. CEL's `matches` is unanchored.
 */
function pattern(re: string): RegExp {
  let r = PATTERNS.get(re);
  if (!r) {
    try {
      r = new RegExp(re, "u");
    } catch {
      throw new CelError(`invalid regular expression ${JSON.stringify(re)}`);
    }
    PATTERNS.set(re, r);
  }
  return r;
}

const STRING_METHODS: Record<string, (s: string, arg: string) => boolean> = {
  startsWith: (s, a) => s.startsWith(a),
  endsWith: (s, a) => s.endsWith(a),
  contains: (s, a) => s.includes(a),
  matches: (s, a) => pattern(a).test(s),
};

// ---------------------------------------------------------------------------------------- parsing

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[], private readonly src: string) {}

  private peek(): Tok {
    return this.toks[this.i]!;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.k === "op" && t.v === v;
  }
  private eat(v: string): boolean {
    if (!this.isOp(v)) return false;
    this.i++;
    return true;
  }
  private expect(v: string): void {
    if (!this.eat(v)) throw new CelError(`expected ${v} in ${JSON.stringify(this.src)}`);
  }

  parse(): Program {
    const p = this.expr();
    if (this.peek().k !== "end") throw new CelError(`unexpected input after the expression in ${JSON.stringify(this.src)}`);
    return p;
  }

  private expr(): Program {
    const cond = this.or();
    if (!this.eat("?")) return cond;
    const yes = this.or();
    this.expect(":");
    const no = this.expr();
    return (vars) => (bool(cond(vars), "?:") ? yes(vars) : no(vars));
  }

  private or(): Program {
    let l = this.and();
    while (this.eat("||")) l = logical(true, "||", l, this.and());
    return l;
  }

  private and(): Program {
    let l = this.relation();
    while (this.eat("&&")) l = logical(false, "&&", l, this.relation());
    return l;
  }

  private relation(): Program {
    let l = this.addition();
    for (;;) {
      const t = this.peek();
      const op = t.k === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(t.v) ? t.v : t.k === "id" && t.v === "in" ? "in" : undefined;
      if (!op) return l;
      this.i++;
      const a = l, b = this.addition();
      if (op === "==") l = (v) => equal(a(v), b(v));
      else if (op === "!=") l = (v) => !equal(a(v), b(v));
      else if (op === "in")
        l = (v) => {
          const x = a(v), c = b(v);
          if (Array.isArray(c)) return c.some((y) => equal(x, y));
          if (isMap(c) && typeof x === "string") return c[x] !== undefined;
          throw new CelError(`no matching overload for in on ${typeName(x)}, ${typeName(c)}`);
        };
      else l = (v) => compare(op, a(v), b(v));
    }
  }

  private addition(): Program {
    let l = this.multiplication();
    for (;;) {
      const op = this.isOp("+") ? "+" : this.isOp("-") ? "-" : undefined;
      if (!op) return l;
      this.i++;
      const a = l, b = this.multiplication();
      l = (v) => arith(op, a(v), b(v));
    }
  }

  private multiplication(): Program {
    let l = this.unary();
    for (;;) {
      const op = this.isOp("*") ? "*" : this.isOp("/") ? "/" : this.isOp("%") ? "%" : undefined;
      if (!op) return l;
      this.i++;
      const a = l, b = this.unary();
      l = (v) => arith(op, a(v), b(v));
    }
  }

  private unary(): Program {
    if (this.eat("!")) {
      const x = this.unary();
      return (v) => !bool(x(v), "!");
    }
    if (this.eat("-")) {
      const x = this.unary();
      return (v) => {
        const n = x(v);
        if (typeof n !== "number") throw new CelError(`no matching overload for - on ${typeName(n)}`);
        return -n;
      };
    }
    return this.member();
  }

  /**
   * A primary followed by selections, indexes and method calls. For `has(x.f)`, `presence` is set and
   * the last step must be a field selection, which then tests presence instead of reading the field.
   */
  private member(presence = false): Program {
    let target = this.primary();
    let parent: Program | undefined;
    let field: string | undefined;
    for (;;) {
      if (this.eat(".")) {
        const name = this.ident();
        if (!this.eat("(")) {
          const t = target;
          parent = t;
          field = name;
          target = (v) => select(t(v), name);
          continue;
        }
        target = this.method(target, name);
      } else if (this.eat("[")) {
        const t = target, k = this.expr();
        this.expect("]");
        target = (v) => {
          const c = t(v), key = k(v);
          if (Array.isArray(c) && typeof key === "number") {
            if (!Number.isInteger(key) || key < 0 || key >= c.length) throw new CelError(`index out of bounds: ${key}`);
            return c[key];
          }
          if (isMap(c) && typeof key === "string") return select(c, key);
          throw new CelError(`no matching overload for [] on ${typeName(c)}`);
        };
      } else break;
      parent = field = undefined;
    }
    if (!presence) return target;
    if (!parent || field === undefined) throw new CelError(`has() needs a field selection in ${JSON.stringify(this.src)}`);
    const p = parent, f = field;
    return (v) => {
      const o = p(v);
      if (!isMap(o)) throw new CelError(`no matching overload for has on ${typeName(o)}`);
      return o[f] !== undefined;
    };
  }

  private method(target: Program, name: string): Program {
    if (name === "all" || name === "exists" || name === "exists_one") {
      const v = this.ident();
      this.expect(",");
      const body = this.expr();
      this.expect(")");
      return macro(name, target, v, body);
    }
    const str = STRING_METHODS[name];
    if (str) {
      const arg = this.expr();
      this.expect(")");
      return (v) => {
        const s = target(v), a = arg(v);
        if (typeof s !== "string" || typeof a !== "string") throw new CelError(`no matching overload for ${name} on ${typeName(s)}, ${typeName(a)}`);
        return str(s, a);
      };
    }
    if (name === "size") {
      this.expect(")");
      return (v) => sizeOf(target(v));
    }
    throw new CelError(`unsupported CEL: method ${name}() in ${JSON.stringify(this.src)}`);
  }

  private ident(): string {
    const t = this.peek();
    if (t.k !== "id") throw new CelError(`expected a name in ${JSON.stringify(this.src)}`);
    this.i++;
    return t.v;
  }

  private primary(): Program {
    const t = this.peek();
    this.i++;
    if (t.k === "num" || t.k === "str") {
      const value = t.v;
      return () => value;
    }
    if (t.k === "op" && t.v === "(") {
      const e = this.expr();
      this.expect(")");
      return e;
    }
    if (t.k === "op" && t.v === "[") {
      const items: Program[] = [];
      while (!this.eat("]")) {
        items.push(this.expr());
        if (!this.eat(",")) {
          this.expect("]");
          break;
        }
      }
      return (v) => items.map((p) => p(v));
    }
    if (t.k !== "id") throw new CelError(`unsupported CEL: unexpected ${t.k === "op" ? t.v : "end"} in ${JSON.stringify(this.src)}`);
    const name = t.v;
    if (name === "true" || name === "false") {
      const b = name === "true";
      return () => b;
    }
    if (name === "null") return () => null;
    if (!this.eat("(")) {
      return (v) => {
        if (!Object.hasOwn(v, name)) throw new CelError(`undeclared reference to ${name}`);
        return v[name];
      };
    }
    if (name === "has") {
      // has() takes a field selection and tests presence instead of reading the field.
      const arg = this.member(true);
      this.expect(")");
      return arg;
    }
    const fn = FUNCTIONS[name];
    if (!fn) throw new CelError(`unsupported CEL: function ${name}() in ${JSON.stringify(this.src)}`);
    const arg = this.expr();
    this.expect(")");
    return (v) => fn(arg(v));
  }
}

export function compile(expr: string): Program {
  return new Parser(lex(expr), expr).parse();
}
