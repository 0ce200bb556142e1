/** Throwaway mTLS material made with openssl: a CA, a server and a client, and a stranger from another CA. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";


function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: "pipe" });
}

function ca(dir: string, name: string): void {
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.crt`], dir);
}

function leaf(dir: string, caName: string, name: string, san: string): void {
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${caName}.crt`, "-CAkey", `${caName}.key`, "-CAcreateserial", "-days", "1", "-extfile", `${name}.ext`, "-out", `${name}.crt`], dir);
}

export interface Certs {
  dir: string;
  /** Laid out as Crossplane mounts them: tls.crt, tls.key, ca.crt. */
  serverDir: string;
  ca: Buffer;
  client: { key: Buffer; cert: Buffer };
  /** A client certificate from a CA the server does not trust. */
  stranger: { key: Buffer; cert: Buffer };
}

export function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), "tessera-certs-"));
  ca(dir, "ca");
  ca(dir, "other-ca");
  leaf(dir, "ca", "server", "DNS:localhost,IP:127.0.0.1");
  leaf(dir, "ca", "client", "DNS:crossplane");
  leaf(dir, "other-ca", "stranger", "DNS:crossplane");
  const serverDir = join(dir, "server");
  mkdirSync(serverDir);
  const read = (f: string) => readFileSync(join(dir, f));
  writeFileSync(join(serverDir, "tls.crt"), read("server.crt"));
  writeFileSync(join(serverDir, "tls.key"), read("server.key"));
  writeFileSync(join(serverDir, "ca.crt"), read("ca.crt"));
  return {
    dir,
    serverDir,
    ca: read("ca.crt"),
    client: { key: read("client.key"), cert: read("client.crt") },
    stranger: { key: read("stranger.key"), cert: read("stranger.crt") },
  };
}

