/** IPv4 CIDR arithmetic for checks the API server's CEL cannot express here. */
export interface Block {
  start: number;
  end: number;
  prefix: number;
}

export function block(cidr: string): Block {
  const [ip = "", p = "32"] = cidr.split("/");
  const prefix = Number(p);
  const n = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - prefix);
  const start = Math.floor(n / size) * size;
  return { start, end: start + size - 1, prefix };
}

/** True when the CIDR's address is its network address (10.0.1.0/24, not 10.0.1.5/24). */
export function isAligned(cidr: string): boolean {
  const [ip = ""] = cidr.split("/");
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0) === block(cidr).start;
}

export const contains = (outer: Block, inner: Block) => inner.start >= outer.start && inner.end <= outer.end;
export const overlaps = (a: Block, b: Block) => a.start <= b.end && b.start <= a.end;
