/**
 * `net` as grpc-js sees it in the production bundle (scripts/build.ts redirects its imports here).
 * grpc-js asks isIPv6 of every address it binds or logs, and Node's isIPv6 compiles a very large
 * regular expression the first time it runs: about 5 ms of every cold start, for an answer that is
 * "no" for any IPv4 address or host name. A string without ':' is never an IPv6 address, so only
 * strings with one reach Node's check; everything else in `net` is Node's own.
 */
import { isIPv6 as nodeIsIPv6 } from "node:net";

export * from "node:net";

export function isIPv6(input: string): boolean {
  return (typeof input !== "string" || input.includes(":")) && nodeIsIPv6(input);
}
