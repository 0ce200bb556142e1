/**
 * The stand-ins the production bundle gives grpc-js for Node modules (scripts/build.ts): they must
 * answer exactly as the real modules do.
 */
import { isIPv6 as nodeIsIPv6 } from "node:net";
import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { lazyModule } from "../../functions/runtime/shims/lazy.ts";
import { isIPv6 } from "../../functions/runtime/shims/net.ts";

describe("net shim", () => {
  it("answers isIPv6 as Node does", () => {
    const inputs = ["::", "::1", "1:2:3:4:5:6:7:8", "fe80::1%eth0", "::ffff:10.0.0.1", "[::1]", "1:2:3", "gibberish:", ":", "0.0.0.0", "127.0.0.1", "localhost", "", "dns:host", "2001:db8::/32"];
    for (const s of inputs) expect([s, isIPv6(s)]).toEqual([s, nodeIsIPv6(s)]);
  });
});

describe("lazy module", () => {
  it("loads the real module on first use, once, and behaves as it", () => {
    let loads = 0;
    const lazy = lazyModule(() => (loads++, zlib)) as typeof zlib;
    expect(loads).toBe(0);
    const packed = lazy.gzipSync(Buffer.from("tessera"));
    expect(zlib.gunzipSync(packed).toString()).toBe("tessera");
    expect("constants" in lazy).toBe(true);
    expect(Object.keys(lazy)).toEqual(Object.keys(zlib));
    expect(lazy.constants.Z_BEST_COMPRESSION).toBe(zlib.constants.Z_BEST_COMPRESSION);
    expect(loads).toBe(1);
  });
});
