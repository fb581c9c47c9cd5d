/** `homebook serve` as a real child process for operations tests: its files in one directory, helpers to call it and read its SQLite store. */
import { Database } from "bun:sqlite";
import { join, resolve } from "node:path";
import { startMcubeCall } from "../../src/sim/mcube-call.ts";
import { tempDir } from "../helpers/env.ts";
import { until } from "./helpers.ts";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
export const CUSTOMER = "9876543210";

/** A loopback port nothing listens on now. */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/**
 * Starts `homebook serve` with its files in `dir` (a fresh one unless given: pass one to restart) and
 * waits for /health. `env` adds settings (ELEVENLABS_BASE_URL and ELEVENLABS_AGENT_ID among them).
 */
export async function serve(env: Record<string, string>, dir = tempDir("homebook-serve-"), port = freePort()) {
  const files = { log: join(dir, "voicebot.log"), db: join(dir, "homebook.db"), outbox: join(dir, "outbox.jsonl") };
  const proc = Bun.spawn([process.execPath, MAIN, "serve"], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_FILE: files.log,
      HOMEBOOK_DB_PATH: files.db,
      OUTBOX_PATH: files.outbox,
      ...env,
    },
    stdout: "ignore",
    stderr: "ignore",
  });
  const base = `http://127.0.0.1:${port}`;
  await until(() => fetch(`${base}/health`).then((r) => r.status === 200, () => false), 10_000, "serve to answer /health");
  const call = (sessionId: string) =>
    startMcubeCall({ url: `ws://127.0.0.1:${port}/ws/${sessionId}`, callId: `call-${sessionId}`, upgradeHeaders: { "X-DID": "8040001234", "X-CustNumber": CUSTOMER } });
  /** Rows from the SQLite store the process writes (read-only, while it runs or after it exited). */
  const rows = <T>(sql: string, ...params: string[]): T[] => {
    const db = new Database(files.db, { readonly: true });
    try {
      return db.query(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  const record = (sessionId: string) =>
    rows<{ end_reason: string; transfer_to: string | null }>("SELECT end_reason, transfer_to FROM call_records WHERE session_id = ?", sessionId)[0] ?? null;
  const count = (sessionId: string) => rows<{ n: number }>("SELECT COUNT(*) AS n FROM call_records WHERE session_id = ?", sessionId)[0]!.n;
  return { proc, base, port, dir, files, call, rows, record, count };
}

/** The exit code, or "running" if the process is still up after `ms`. */
export async function exitedWithin(proc: { exited: Promise<number> }, ms: number): Promise<number | "running"> {
  return Promise.race([proc.exited, Bun.sleep(ms).then(() => "running" as const)]);
}
