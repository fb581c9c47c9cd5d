/** A private redis-server speaking only TLS, with a password and a throwaway CA made by openssl; never the machine's shared Redis. */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import type { Subprocess } from "bun";
import { tempDir } from "./env.ts";
import { until } from "./wait.ts";

export interface TlsRedis {
  readonly port: number;
  readonly password: string;
  /** The test CA's certificate (PEM file) that signed the server's certificate (for 127.0.0.1 and localhost). */
  readonly caFile: string;
  /** rediss://:<password>@127.0.0.1:<port>/0, or with another password. */
  url(password?: string): string;
  stop(): void;
}

function run(cmd: string[], cwd: string): void {
  const result = Bun.spawnSync(cmd, { cwd, stdout: "ignore", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`${cmd.slice(0, 2).join(" ")} failed: ${result.stderr.toString().trim()}`);
}

/** A CA and a server certificate it signed, valid for 127.0.0.1 and localhost (P-256 keys: quick to make). */
function makeCertificates(dir: string): void {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run(["openssl", "req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Homebook test CA"], dir);
  run(["openssl", "req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], dir);
  writeFileSync(join(dir, "san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.cnf"], dir);
}

async function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = listener;
  listener.stop(true);
  return port;
}

/** Whether a TLS client trusting `ca` completes a handshake on `port`. */
function handshakes(port: number, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca });
    socket.once("secureConnect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Starts redis-server on a free port with TLS only (`port 0`), `requirepass`, no persistence, its
 * files in a temp directory. The password is in its config file, not on its command line.
 * @example const redis = await startTlsRedis(); // REDIS_URL=redis.url(), REDIS_TLS_CA_FILE=redis.caFile
 */
export async function startTlsRedis(password = `pw-${crypto.randomUUID()}`): Promise<TlsRedis> {
  if (!Bun.which("redis-server") || !Bun.which("openssl")) throw new Error("this test needs redis-server (built with TLS, as Debian's is) and openssl on PATH");
  const dir = tempDir("homebook-tls-redis-");
  makeCertificates(dir);
  const ca = await Bun.file(join(dir, "ca.pem")).text();
  let proc: Subprocess | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 3 && !proc; attempt++) {
    port = await freePort();
    writeFileSync(
      join(dir, "redis.conf"),
      [
        "port 0",
        `tls-port ${port}`,
        "tls-cert-file server.pem",
        "tls-key-file server.key",
        "tls-ca-cert-file ca.pem",
        "tls-auth-clients no",
        `requirepass ${password}`,
        'save ""',
        "appendonly no",
        "bind 127.0.0.1",
        `dir ${dir}`,
        "logfile redis.log",
      ].join("\n"),
    );
    const started = Bun.spawn(["redis-server", join(dir, "redis.conf")], { cwd: dir, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    const ready = await until(async () => (started.exitCode !== null ? "exited" : (await handshakes(port, ca)) ? "ready" : undefined), 10_000, "the TLS redis-server to listen");
    if (ready === "ready") proc = started;
  }
  if (!proc) throw new Error(`redis-server did not start with TLS: see ${join(dir, "redis.log")}`);
  const running = proc;
  return {
    port,
    password,
    caFile: join(dir, "ca.pem"),
    url: (pw = password) => `rediss://:${pw}@127.0.0.1:${port}/0`,
    stop() {
      running.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
