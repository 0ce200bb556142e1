/**
 * A real OCI registry for package tests: Debian's docker-registry (the CNCF distribution server)
 * on a free loopback port, with storage in a temporary directory. `.ci/run` installs it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunningRegistry {
  host: string;
  stop: () => void;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** With `user`, the registry requires HTTP Basic auth (htpasswd, bcrypt made by python3's crypt). */
export async function startRegistry(user?: { username: string; password: string }): Promise<RunningRegistry> {
  if (spawnSync("sh", ["-c", "command -v docker-registry"]).status !== 0) {
    throw new Error("docker-registry is not installed: apt-get install docker-registry (.ci/run does this)");
  }
  const dir = mkdtempSync(join(tmpdir(), "tessera-registry-"));
  const port = await freePort();
  const config = join(dir, "config.yml");
  let auth = "";
  if (user) {
    const hash = spawnSync("python3", ["-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))", user.password], { encoding: "utf8" }).stdout.trim();
    writeFileSync(join(dir, "htpasswd"), `${user.username}:${hash}\n`);
    auth = `auth:\n  htpasswd:\n    realm: tessera-test\n    path: ${dir}/htpasswd\n`;
  }
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`);
  const child: ChildProcess = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited ${child.exitCode}: ${stderr}`);
    try {
      const status = (await fetch(`http://${host}/v2/`)).status;
      if (status === 200 || (user && status === 401)) return { host, stop: () => child.kill("SIGKILL") };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`docker-registry did not answer on ${host}: ${stderr}`);
}
