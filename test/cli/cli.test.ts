import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { tempDir } from "../helpers/env.ts";
import { VERSION } from "../../src/base/version.ts";

const MAIN = join(import.meta.dir, "../../src/main.ts");

/** Runs the real CLI entry in a clean directory with only the given environment. */
function homebook(args: string[], env: Record<string, string> = {}) {
  const cwd = tempDir("homebook-cli-");
  const result = Bun.spawnSync([process.execPath, MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString(), cwd };
}

describe("homebook CLI", () => {
  test("--help lists the commands and exits 0", () => {
    const r = homebook(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: homebook [command]");
    expect(r.stdout).toContain("serve");
  });

  test("--version prints the package version", () => {
    const r = homebook(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  test("an unknown command prints usage and exits 2", () => {
    const r = homebook(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect(r.stderr).toContain("Usage: homebook");
  });

  test("an unknown option says what is wrong and how to fix it, exit 2", () => {
    const r = homebook(["serve", "--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--bogus");
    expect(r.stderr).toContain("homebook serve --help");
  });

  test("bad configuration exits 2 listing every problem, without secrets", () => {
    const r = homebook(["serve"], { PORT: "99999", LOG_LEVEL: "chatty", ADMIN_TOKEN: "weak-secret" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("3 configuration problems");
    expect(r.stderr).toContain("PORT");
    expect(r.stderr).toContain("LOG_LEVEL");
    expect(r.stderr).toContain("ADMIN_TOKEN");
    expect(r.stderr).not.toContain("weak-secret");
  });

  test("config prints the effective settings with secrets hidden", () => {
    const r = homebook(["config", "--json"], { ELEVENLABS_API_KEY: "sk_hidden_value", ELEVENLABS_AGENT_ID: "agent_x" });
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout) as Record<string, string>;
    expect(shown.PORT).toBe("7900");
    expect(shown.ELEVENLABS_API_KEY).toBe("set");
    expect(r.stdout).not.toContain("sk_hidden_value");
  });

  test("config says where calls and records go", () => {
    const offline = homebook(["config"]);
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain("# calls go to: the built-in offline echo agent");
    expect(offline.stdout).toContain("# bots and call records: SQLite file ./data/homebook.db");
    const live = homebook(["config"], { ELEVENLABS_API_KEY: "sk_hidden_value", ELEVENLABS_AGENT_ID: "agent_x", DATABASE_HOST: "db.internal" });
    expect(live.stdout).toContain("# calls go to: ElevenLabs at https://api.elevenlabs.io (signed URLs)");
    expect(live.stdout).toContain("# bots and call records: MySQL at db.internal:3306");
    expect(live.stdout).not.toContain("sk_hidden_value");
  });

  test("serve with no configuration starts, logs where it listens, and exits 0 on SIGTERM", async () => {
    const cwd = tempDir("homebook-serve-");
    const child = Bun.spawn([process.execPath, MAIN], {
      cwd,
      env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = child.stdout.getReader();
    let out = "";
    let url: string | undefined;
    while (!url) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
      url = out.match(/"msg":"listening".*"url":"(http:\/\/[^"]+)"/)?.[1];
    }
    expect(url).toBeDefined();
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    expect(await Bun.file(join(cwd, "logs/voicebot.log")).text()).toContain('"msg":"listening"');
  });
});
