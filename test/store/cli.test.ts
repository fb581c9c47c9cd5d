/** `homebook bots|did|db` through the real entry (bun src/main.ts), on SQLite and on MariaDB. */
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { createBotResolver } from "../../src/store/bot-resolver.ts";
import { openDatabases } from "../../src/store/open-databases.ts";
import { tempDir } from "../helpers/env.ts";
import type { Bot } from "../../src/call/bot.ts";
import { mysqlTarget, sqliteTarget, type StoreTarget } from "./stores.ts";

const MAIN = join(import.meta.dir, "../../src/main.ts");
/** Each CLI run is a fresh process; allow for a busy machine. */
const SPAWNING_TEST_TIMEOUT_MS = 30_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in a clean directory (no .env) with only `env` set. */
async function homebook(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const proc = Bun.spawn([process.execPath, MAIN, ...args], {
    cwd: tempDir("homebook-cli-"),
    env: { PATH: process.env.PATH ?? "", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** A bad-input run: exit 2 and exactly one line on stderr containing `text`. */
function expectUsageError(run: Run, text: string): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe("");
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
  expect(run.stderr).toContain(text);
}

describe("homebook bots/did on SQLite", () => {
  const target = sqliteTarget();
  const env = target.env;

  test("db migrate creates the store once; a second run has nothing to do", async () => {
    const first = await homebook(env, "db", "migrate");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("applied 001-did-numbers, 001-bots");
    const second = await homebook(env, "db", "migrate", "--json");
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ store: "sqlite", applied: [] });
  }, SPAWNING_TEST_TIMEOUT_MS);

  test("bots add stores every option, and the gateway's resolver then answers the DID with that bot", async () => {
    const promptFile = join(tempDir(), "prompt.txt");
    writeFileSync(promptFile, "You book test drives.\nBe brief.");
    const added = await homebook(
      env,
      "bots", "add", "--did", "+91 80 7000 1000", "--did", "08070001001", "--agent-id", "agent_cli", "--name", "Test drives",
      "--company", "Sunrise Motors", "--first-message", "Hello from Sunrise", "--prompt-file", promptFile, "--language", "hi",
      "--voice-id", "voice_9", "--transfer-number", "098765 43210", "--fallback-number", "+919876500000",
      "--var", "city=Pune", "--var", "note=a=b", "--json",
    );
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    const bot = JSON.parse(added.stdout);
    expect(bot.botId).toMatch(/^bot_[a-z0-9]{10}$/);
    expect(bot).toMatchObject({ dids: ["8070001000", "8070001001"], prompt: "You book test drives.\nBe brief.", transferNumber: "9876543210" });

    const dbs = await openDatabases(loadConfig(env), silentLogger);
    try {
      const { bot: resolved, source } = await createBotResolver({ dbs, config: loadConfig(env), logger: silentLogger }).resolve("918070001001");
      expect(source).toBe("store");
      expect(resolved).toMatchObject({
        botId: bot.botId,
        agentId: "agent_cli",
        name: "Test drives",
        companyName: "Sunrise Motors",
        firstMessage: "Hello from Sunrise",
        language: "hi",
        voiceId: "voice_9",
        fallbackNumber: "9876500000",
        dynamicVariables: { city: "Pune", note: "a=b" },
      });
    } finally {
      await dbs.close();
    }
  }, SPAWNING_TEST_TIMEOUT_MS);

  test("list, update, did assign/list/remove and bots remove, in text and JSON", async () => {
    const added = await homebook(env, "bots", "add", "--did", "8070002000", "--agent-id", "agent_a", "--bot-id", "bot_flow");
    expect(added.code).toBe(0);
    expect(added.stdout).toContain("added bot_flow");

    const updated = await homebook(env, "bots", "update", "--bot-id", "bot_flow", "--disable", "--var", "x=1", "--json");
    expect(JSON.parse(updated.stdout)).toMatchObject({ botId: "bot_flow", active: false, dynamicVariables: { x: "1" } });

    const assigned = await homebook(env, "did", "assign", "--did", "80-7000-2001", "--bot-id", "bot_flow", "--business-id", "b7", "--business-name", "Flow Ltd");
    expect(assigned.code).toBe(0);
    expect(assigned.stdout).toContain("8070002001");

    const dids = JSON.parse((await homebook(env, "did", "list", "--bot-id", "bot_flow", "--json")).stdout);
    expect(dids).toEqual([
      { did: "8070002000", botId: "bot_flow" },
      { did: "8070002001", botId: "bot_flow", businessId: "b7", businessName: "Flow Ltd" },
    ]);
    const listed = await homebook(env, "bots", "list");
    expect(listed.stdout).toMatch(/bot_flow\tbot_flow\tagent agent_a\tdisabled\tDIDs: 8070002000, 8070002001/);

    expect((await homebook(env, "did", "remove", "--did", "8070002001")).code).toBe(0);
    const removed = await homebook(env, "bots", "remove", "--bot-id", "bot_flow", "--json");
    expect(JSON.parse(removed.stdout)).toEqual({ botId: "bot_flow", releasedDids: ["8070002000"] });
    expect(JSON.parse((await homebook(env, "bots", "list", "--json")).stdout).some((b: { botId: string }) => b.botId === "bot_flow")).toBe(false);
  }, SPAWNING_TEST_TIMEOUT_MS);

  test("bad input: one line saying what to fix, exit 2, nothing written", async () => {
    await homebook(env, "bots", "add", "--did", "8070003000", "--agent-id", "agent_a", "--bot-id", "bot_taken");
    expectUsageError(await homebook(env, "bots", "add", "--did", "8070003000", "--agent-id", "agent_b"), "already assigned to bot bot_taken");
    expectUsageError(await homebook(env, "bots", "add", "--did", "80700", "--agent-id", "agent_b"), '--did "80700" is not a phone number');
    expectUsageError(await homebook(env, "bots", "add", "--did", "8070003001"), "--agent-id is required");
    expectUsageError(await homebook(env, "bots", "add", "--agent-id", "agent_b"), "--did is required");
    expectUsageError(await homebook(env, "bots", "add", "--did", "8070003001", "--agent-id", "a", "--var", "no-equals"), '--var "no-equals" is not key=value');
    expectUsageError(await homebook(env, "bots", "add", "--did", "8070003001", "--agent-id", "a", "--prompt-file", "/nonexistent/p.txt"), "cannot be read (ENOENT)");
    expectUsageError(await homebook(env, "bots", "add", "--did", "8070003001", "--agent-id", "a", "--transfer-number", "12"), "--transfer-number");
    expectUsageError(await homebook(env, "bots", "add", "--did", "8070003001", "--agent-id", "a", "--bot-id", "bot_taken"), "already exists");
    expectUsageError(await homebook(env, "did", "assign", "--did", "8070003001", "--bot-id", "bot_ghost"), "no bot with id bot_ghost");
    expectUsageError(await homebook(env, "bots", "update", "--bot-id", "bot_taken"), "nothing to change");
    expectUsageError(await homebook(env, "bots", "remove", "--bot-id", "bot_ghost"), "homebook bots list");
    expectUsageError(await homebook(env, "did", "remove", "--did", "8070003009"), "is not assigned");
    expectUsageError(await homebook(env, "bots", "frobnicate"), "unknown subcommand 'frobnicate'");
    expect((await homebook(env, "bots", "add", "--did", "8070003001", "--agent-id", "a", "--colour", "red")).code).toBe(2);

    const dids = JSON.parse((await homebook(env, "did", "list", "--json")).stdout).map((d: { did: string }) => d.did);
    expect(dids).toContain("8070003000");
    expect(dids).not.toContain("8070003001");
  }, SPAWNING_TEST_TIMEOUT_MS);

  test("--help prints the usage and exits 0", async () => {
    const help = await homebook(env, "bots", "add", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--transfer-number");
  }, SPAWNING_TEST_TIMEOUT_MS);
});

describe("homebook bots/did/db on MariaDB", () => {
  const target: StoreTarget = mysqlTarget("cli");
  afterAll(() => target.destroy());

  test("before db migrate the CLI says to run it; db migrate creates both databases; then the same commands work", async () => {
    const early = await homebook(target.env, "bots", "list");
    expect(early.code).toBe(1);
    expect(early.stderr).toContain("run 'homebook db migrate' first");

    const migrated = await homebook(target.env, "db", "migrate", "--json");
    expect(migrated.stderr).toBe("");
    expect(JSON.parse(migrated.stdout)).toMatchObject({
      store: "mysql",
      createdDatabases: [target.env.DATABASE_MASTER_NAME, target.env.DATABASE_NAME],
      applied: expect.arrayContaining(["001-did-numbers", "001-bots"]),
    });
    expect(JSON.parse((await homebook(target.env, "db", "migrate", "--json")).stdout)).toMatchObject({ createdDatabases: [], applied: [] });

    const added = await homebook(target.env, "bots", "add", "--did", "8070004000", "--agent-id", "agent_my", "--var", "city=नागपुर", "--json");
    expect(added.code).toBe(0);
    const listed = JSON.parse((await homebook(target.env, "bots", "list", "--json")).stdout);
    expect(listed).toEqual([expect.objectContaining({ agentId: "agent_my", dids: ["8070004000"], dynamicVariables: { city: "नागपुर" } })]);
    expectUsageError(await homebook(target.env, "did", "assign", "--did", "+918070004000", "--bot-id", listed[0].botId), "already assigned");
  }, SPAWNING_TEST_TIMEOUT_MS);

  test("an unreachable MySQL is an error with the fix, exit 1", async () => {
    const down = await homebook({ ...target.env, DATABASE_PORT: "1", DATABASE_CONNECT_TIMEOUT_MS: "500" }, "did", "list");
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("MySQL master database unavailable (ECONNREFUSED): check DATABASE_HOST, DATABASE_PORT");
  }, SPAWNING_TEST_TIMEOUT_MS);

  test("a refused MySQL login says to check the user and password, exit 1", async () => {
    const denied = await homebook({ ...target.env, DATABASE_USER: "homebook_no_such_user", DATABASE_PASSWORD: "wrong-password" }, "bots", "list");
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("check DATABASE_USER and DATABASE_PASSWORD");
    expect(denied.stderr).not.toContain("wrong-password");
  }, SPAWNING_TEST_TIMEOUT_MS);
});

/** A bot's overrides of a global setting: each choice, as stored and as `bots list` shows it; "default" clears it. */
const OVERRIDES = [
  { option: "recording", field: "recording", setting: "RECORDING", choices: [["on", true], ["off", false]], shown: (v: unknown) => `recording ${v ? "on" : "off"}` },
  { option: "mcp-approval", field: "mcpApproval", setting: "MCP_TOOL_APPROVAL", choices: [["approve", "approve"], ["reject", "reject"]], shown: (v: unknown) => `mcp ${v}` },
] as const;

describe.each([
  ["SQLite", () => sqliteTarget()],
  ["MariaDB", () => mysqlTarget("rec")],
] as const)("bot overrides on %s", (_name, makeTarget) => {
  const target: StoreTarget = makeTarget();
  afterAll(() => target.destroy());

  /** The bot the gateway's resolver answers `did` with. */
  async function resolvedBot(did: string): Promise<Bot> {
    const config = loadConfig(target.env);
    const dbs = await openDatabases(config, silentLogger);
    try {
      const { bot, source } = await createBotResolver({ dbs, config, logger: silentLogger }).resolve(did);
      expect(source).toBe("store");
      return bot;
    } finally {
      await dbs.close();
    }
  }

  for (const [index, { option, field, setting, choices, shown }] of OVERRIDES.entries()) {
    const [[first, firstValue], [second, secondValue]] = choices;
    test(`--${option} ${first}, ${second} and default reach the call's bot; anything else is refused with the choices`, async () => {
      await target.prepare();
      const did = `807000500${index}`;
      const botId = `override_bot_${index}`;
      const added = await homebook(target.env, "bots", "add", "--did", did, "--agent-id", "agent_rec", "--bot-id", botId, `--${option}`, first, "--json");
      expect(added.stderr).toBe("");
      expect(JSON.parse(added.stdout)).toMatchObject({ botId, [field]: firstValue });
      expect((await resolvedBot(did))[field]).toBe(firstValue);

      const changed = await homebook(target.env, "bots", "update", "--bot-id", botId, `--${option}`, second.toUpperCase());
      expect(changed.stdout).toContain(shown(secondValue));
      expect((await resolvedBot(did))[field]).toBe(secondValue);

      const back = await homebook(target.env, "bots", "update", "--bot-id", botId, `--${option}`, "default", "--json");
      expect(JSON.parse(back.stdout)[field]).toBeUndefined();
      expect((await resolvedBot(did))[field]).toBeUndefined();

      expectUsageError(await homebook(target.env, "bots", "update", "--bot-id", botId, `--${option}`, "yes"), `use ${first}, ${second} or default (follow ${setting})`);
    }, SPAWNING_TEST_TIMEOUT_MS);
  }

  test("a value the gateway cannot read in mcp_approval is an invalid row naming the column", async () => {
    const config = loadConfig(target.env);
    const dbs = await openDatabases(config, silentLogger);
    try {
      await dbs.cluster.execute("UPDATE bots SET mcp_approval = ? WHERE bot_id = ?", ["sometimes", "override_bot_1"]);
      const { source } = await createBotResolver({ dbs, config, logger: silentLogger }).resolve("8070005001");
      expect(source).toBe("default");
    } finally {
      await dbs.close();
    }
    const listed = await homebook(target.env, "bots", "list", "--bot-id", "override_bot_1");
    expect(listed.stdout).toContain("INVALID");
    expect(listed.stdout).toContain("mcp_approval");
  }, SPAWNING_TEST_TIMEOUT_MS);

  test("a store that lacks the override columns still answers calls; the CLI says to migrate", async () => {
    if (target.dialect !== "mysql") return; // SQLite migrates itself on open: the columns are always there
    const config = loadConfig(target.env);
    const dbs = await openDatabases(config, silentLogger);
    await dbs.cluster.execute("ALTER TABLE bots DROP COLUMN recording");
    await dbs.cluster.execute("ALTER TABLE bots DROP COLUMN mcp_approval");
    await dbs.close();
    const bot = await resolvedBot("8070005000");
    expect(bot.recording).toBeUndefined();
    expect(bot.mcpApproval).toBeUndefined();
    const listed = await homebook(target.env, "bots", "list");
    expect(listed.code).toBe(1);
    expect(listed.stderr).toContain("run 'homebook db migrate'");
  }, SPAWNING_TEST_TIMEOUT_MS);
});
