/** Test helpers: a Config on a free loopback port, with files in a temp directory. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "../../src/config/index.ts";

/** A fresh temp directory for one test's files. */
export function tempDir(prefix = "homebook-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Config for an in-process gateway on 127.0.0.1:0 with its files under a temp directory. */
export function testConfig(env: Record<string, string> = {}): Config {
  const dir = tempDir();
  return loadConfig({
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_FILE: join(dir, "voicebot.log"),
    HOMEBOOK_DB_PATH: join(dir, "homebook.db"),
    OUTBOX_PATH: join(dir, "outbox.jsonl"),
    ...env,
  });
}
