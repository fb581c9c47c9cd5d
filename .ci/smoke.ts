/** Smoke test of the compiled binary, run from an empty directory with nothing beside it. */
import { mkdtempSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const binary = resolve(process.argv[2] ?? "dist/homebook");
const dir = mkdtempSync(join(tmpdir(), "homebook-smoke-"));
copyFileSync(binary, join(dir, "homebook"));

let server: { kill(signal?: number | NodeJS.Signals): void } | undefined;

function fail(message: string): never {
  console.error(`smoke: FAIL ${message}`);
  server?.kill("SIGKILL"); // never leave a gateway running behind a failed check
  process.exit(1);
}

const port = 20000 + Math.floor(Math.random() * 20000);
const child = (server = Bun.spawn([join(dir, "homebook"), "serve"], {
  cwd: dir,
  env: { PATH: process.env.PATH ?? "", PORT: String(port), HOST: "127.0.0.1", ADMIN_TOKEN: "smoke-admin-token-123456" },
  stdout: "ignore",
  stderr: "inherit",
}));
const base = `http://127.0.0.1:${port}`;

let healthy = false;
for (let i = 0; i < 100 && !healthy; i++) {
  await Bun.sleep(100);
  healthy = await fetch(`${base}/health`).then((r) => r.status === 200, () => false);
}
if (!healthy) fail("/health never answered 200");
console.log("smoke: /health 200");

const scrape = await fetch(`${base}/metrics`, { headers: { authorization: "Bearer smoke-admin-token-123456" } });
const exposition = await scrape.text();
if (scrape.status !== 200 || !exposition.includes("homebook_active_calls") || !exposition.includes("homebook_process_resident_memory_bytes")) {
  fail("/metrics did not render the call and process metrics from the binary");
}
if ((await fetch(`${base}/metrics`)).status !== 401) fail("/metrics without the token was not 401");
console.log("smoke: /metrics 200 (call and process metrics), 401 without the token");

const opened = await new Promise<boolean>((res) => {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/x`);
  const timer = setTimeout(() => res(false), 5000);
  ws.onopen = () => {
    clearTimeout(timer);
    ws.close(1000);
    res(true);
  };
  ws.onerror = () => {
    clearTimeout(timer);
    res(false);
  };
});
if (!opened) fail("WebSocket upgrade on /ws/x did not open");
console.log("smoke: /ws/x upgraded");

// The first-run flow through the binary: offline echo agent, greeting, echo, # → terminate, record stored.
const call = Bun.spawnSync(
  [join(dir, "homebook"), "call", "--url", `ws://127.0.0.1:${port}/ws/smoke-call-1`, "--tone", "440", "--seconds", "2", "--json"],
  { cwd: dir, env: { PATH: process.env.PATH ?? "" }, timeout: 60_000 },
);
let verdict: { ok?: boolean; reason?: string } = {};
try {
  verdict = JSON.parse(call.stdout.toString());
} catch {
  fail(`homebook call printed no verdict: ${call.stderr.toString()}`);
}
if (call.exitCode !== 0 || verdict.reason !== "the gateway ended the call (terminate)") {
  fail(`homebook call against the binary: exit ${call.exitCode}, ${verdict.reason}`);
}
console.log(`smoke: homebook call: ${verdict.reason}`);
let stored: { status?: string; call?: { end_reason?: string } } = {};
for (let i = 0; i < 50 && stored.status !== "finished"; i++) {
  const res = await fetch(`${base}/calls/smoke-call-1`, { headers: { authorization: "Bearer smoke-admin-token-123456" } });
  stored = res.status === 200 ? ((await res.json()) as typeof stored) : {};
  if (stored.status !== "finished") await Bun.sleep(100);
}
if (stored.call?.end_reason !== "agent_end_call") fail(`call record for smoke-call-1: ${JSON.stringify(stored)}`);
console.log("smoke: call record stored (agent_end_call)");

// The console's page, stylesheet and scripts are embedded in the binary.
const signIn = await fetch(`${base}/console`).then((r) => r.text());
const assets = await Promise.all(["console.css", "live.js", "local-time.js"].map((name) => fetch(`${base}/console/assets/${name}`).then((r) => r.status === 200 && r.text())));
if (!signIn.includes('name="token"') || assets.some((body) => !body || body.length < 100)) fail("the console's sign-in page or its assets are missing from the binary");
console.log("smoke: /console sign-in form and its assets served from the binary");

child.kill("SIGTERM");
const code = await Promise.race([child.exited, Bun.sleep(10_000).then(() => "timeout" as const)]);
if (code !== 0) fail(`SIGTERM exit was ${code}, expected 0`);
console.log("smoke: SIGTERM exited 0");
