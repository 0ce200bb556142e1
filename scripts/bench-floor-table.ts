/**
 * The floor's responses, precomputed by the bench: a file of (request length, response) records, so
 * the floor answers each request with the bytes the function sends for it without decoding anything.
 * Requests of equal length share the first one's response; the bytes on the wire stay the same mix.
 */
export function responseTable(pairs: Array<[number, Buffer]>): Buffer {
  const parts: Buffer[] = [];
  for (const [length, rsp] of pairs) {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(length, 0);
    head.writeUInt32LE(rsp.length, 4);
    parts.push(head, rsp);
  }
  return Buffer.concat(parts);
}

export function readResponseTable(file: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let p = 0; p + 8 <= file.length; ) {
    const length = file.readUInt32LE(p);
    const size = file.readUInt32LE(p + 4);
    if (!out.has(length)) out.set(length, file.subarray(p + 8, p + 8 + size));
    p += 8 + size;
  }
  return out;
}
