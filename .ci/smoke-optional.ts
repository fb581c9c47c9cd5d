/**
 * Smoke test of the parts the binary loads only when the configuration asks for them (each a chunk of its own):
 * MySQL (DATABASE_HOST), signed URLs (ELEVENLABS_API_KEY), the cluster (REDIS_URL),
 * the post-call webhook (POST_CALL_WEBHOOK_URL) and the ElevenLabs SDK (`homebook check-agent`). One call through
 * all of them, against the MariaDB and Redis on this machine, with the binary's own fake agent. Run from an empty
 * directory with nothing beside the binary.
 */
import { mkdtempSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { RedisClient } from "bun";

const binary = resolve(process.argv[2] ?? "dist/homebook");
const dir = mkdtempSync(join(tmpdir(), "homebook-smoke-optional-"));
const homebook = join(dir, "homebook");
copyFileSync(binary, homebook);

const tag = `${process.pid}_${Date.now().toString(36)}`;
const port = 20000 + Math.floor(Math.random() * 10000);
const agentPort = port + 10000;
const ADMIN = "smoke-admin-token-123456";
const API_KEY = "smoke-elevenlabs-key";
const env: Record<string, string> = {
  PATH: process.env.PATH ?? "",
  HOST: "127.0.0.1",
  PORT: String(port),
  ADMIN_TOKEN: ADMIN,
  DATABASE_HOST: "127.0.0.1",
  DATABASE_USER: "root",
  DATABASE_MASTER_NAME: `hb_smoke_${tag}_master`,
  DATABASE_NAME: `hb_smoke_${tag}_cluster`,
  ELEVENLABS_API_KEY: API_KEY,
  ELEVENLABS_AGENT_ID: "agent_smoke",
  ELEVENLABS_BASE_URL: `http://127.0.0.1:${agentPort}`,
  REDIS_URL: "redis://127.0.0.1:6379",
  REDIS_KEY_PREFIX: `hb-smoke-${tag}:`,
  POST_CALL_WEBHOOK_SECRET: "smoke-webhook-secret-1234",
};

const webhooks: string[] = [];
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (req) => {
    webhooks.push(await req.text());
    return new Response("ok");
  },
});
env.POST_CALL_WEBHOOK_URL = `http://127.0.0.1:${receiver.port}/hook`;

const children: { kill(signal?: number | NodeJS.Signals): void }[] = [];

async function cleanUp(): Promise<void> {
  for (const child of children) child.kill("SIGKILL");
  receiver.stop(true);
  Bun.spawnSync(["mariadb", "-uroot", "-h127.0.0.1", "-e", `DROP DATABASE IF EXISTS ${env.DATABASE_MASTER_NAME}; DROP DATABASE IF EXISTS ${env.DATABASE_NAME};`]);
  const redis = new RedisClient(env.REDIS_URL);
  let cursor = "0";
  do {
    const [next, keys] = (await redis.send("SCAN", [cursor, "MATCH", `${env.REDIS_KEY_PREFIX}*`, "COUNT", "1000"])) as [string, string[]];
    if (keys.length > 0) await redis.send("DEL", keys);
    cursor = next;
  } while (cursor !== "0");
  redis.close();
}

async function fail(message: string): Promise<never> {
  console.error(`smoke-optional: FAIL ${message}`);
  await cleanUp();
  process.exit(1);
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    await Bun.sleep(100);
  }
  return fail(`${what} within ${timeoutMs} ms`);
}

const migrate = Bun.spawnSync([homebook, "db", "migrate"], { cwd: dir, env, timeout: 30_000 });
if (migrate.exitCode !== 0) await fail(`homebook db migrate (MySQL): exit ${migrate.exitCode}: ${migrate.stderr.toString()}`);
console.log("smoke-optional: db migrate created and migrated the MySQL databases");

children.push(Bun.spawn([homebook, "agent", "--port", String(agentPort), "--persona", "echo", "--api-key", API_KEY], { cwd: dir, env, stdout: "ignore", stderr: "inherit" }));
const server = Bun.spawn([homebook, "serve"], { cwd: dir, env, stdout: "ignore", stderr: "inherit" });
children.push(server);
const base = `http://127.0.0.1:${port}`;

const health = await until("/health 200 with Redis up", async () => {
  const body = (await (await fetch(`${base}/health`)).json()) as { components?: { redis?: { state?: string } } };
  return body.components?.redis?.state === "up" ? body : undefined;
});
console.log(`smoke-optional: /health 200, redis ${health.components?.redis?.state} (cluster loaded)`);

const call = Bun.spawnSync([homebook, "call", "--url", `ws://127.0.0.1:${port}/ws/smoke-optional-1`, "--tone", "440", "--seconds", "2", "--json"], {
  cwd: dir,
  env: { PATH: env.PATH! },
  timeout: 60_000,
});
let verdict: { reason?: string } = {};
try {
  verdict = JSON.parse(call.stdout.toString());
} catch {
  await fail(`homebook call printed no verdict: ${call.stderr.toString()}`);
}
if (call.exitCode !== 0 || verdict.reason !== "the gateway ended the call (terminate)") await fail(`the call over a signed URL: exit ${call.exitCode}, ${verdict.reason}`);
console.log("smoke-optional: call over a signed URL ended cleanly");

const stored = await until("the call record in MySQL", async () => {
  const res = await fetch(`${base}/calls/smoke-optional-1`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const body = (await res.json()) as { status?: string; call?: { end_reason?: string } };
  return body.status === "finished" ? body : undefined;
});
console.log(`smoke-optional: call record stored in MySQL (${stored.call?.end_reason})`);

await until("the post-call webhook", async () => (webhooks.some((b) => b.includes('"smoke-optional-1"')) ? true : undefined));
console.log("smoke-optional: post-call webhook delivered (webhook dispatcher loaded)");

const check = Bun.spawnSync([homebook, "check-agent", "--json"], { cwd: dir, env, timeout: 30_000 });
let checked: { agents?: { agentId: string; checks: { status: string }[] }[]; fails?: number } = {};
try {
  checked = JSON.parse(check.stdout.toString());
} catch {
  await fail(`homebook check-agent printed no report: ${check.stderr.toString()}`);
}
const smokeAgent = checked.agents?.find((a) => a.agentId === env.ELEVENLABS_AGENT_ID);
if (check.exitCode !== 0 || !smokeAgent || smokeAgent.checks.length < 5 || smokeAgent.checks.some((c) => c.status === "fail")) {
  await fail(`homebook check-agent against the fake agent: exit ${check.exitCode}, ${check.stdout.toString().slice(0, 300)}`);
}
console.log(`smoke-optional: check-agent read ${env.ELEVENLABS_AGENT_ID} over REST (ElevenLabs SDK loaded), ${smokeAgent!.checks.length} items, no FAIL`);

server.kill("SIGTERM");
const code = await Promise.race([server.exited, Bun.sleep(10_000).then(() => "timeout" as const)]);
if (code !== 0) await fail(`SIGTERM exit was ${code}, expected 0`);
console.log("smoke-optional: SIGTERM exited 0");
await cleanUp();
