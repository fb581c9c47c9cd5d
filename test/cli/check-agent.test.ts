import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { tempDir } from "../helpers/env.ts";
import { startFakeAgentServer, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";

const MAIN = join(import.meta.dir, "../../src/main.ts");
const API_KEY = "sk_check_agent_test_key";

/** Runs the real CLI (the fake agent answers from this process, so never spawnSync). */
async function homebook(args: string[], env: Record<string, string>) {
  const proc = Bun.spawn([process.execPath, MAIN, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? "", HOMEBOOK_DB_PATH: join(dir, "homebook.db"), ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** The line of the text output for one item (its status word first). */
function line(stdout: string, item: string): string {
  return stdout.split("\n").find((l) => new RegExp(`^  (ok|warn|FAIL)\\s+${item}\\s`).test(l))?.trim() ?? `(no line for ${item})`;
}

let dir: string;
let agent: FakeAgentServer;
let env: Record<string, string>;

beforeAll(async () => {
  dir = tempDir("homebook-check-agent-");
  agent = await startFakeAgentServer({
    apiKey: API_KEY,
    knownAgents: ["agent_good", "agent_bad"],
    inputFormat: "ulaw_8000",
    outputFormat: "ulaw_8000",
    agentConfig: ({ agent: a, tools }) => {
      if (a.agent_id !== "agent_bad") return;
      const config = a.conversation_config;
      // A format the service might add one day, which Homebook cannot bridge.
      config.asr!.user_input_audio_format = "mp3_44100" as never;
      config.tts!.agent_output_audio_format = "pcm_22050";
      config.conversation!.client_events = config.conversation!.client_events!.filter((e) => e !== "interruption");
      a.platform_settings!.overrides!.conversation_config_override!.agent!.first_message = false;
      const endCall = tools.find((t) => t.tool_config.type === "client" && t.tool_config.name === "end_call")!;
      if (endCall.tool_config.type === "client") endCall.tool_config.expects_response = false;
    },
  });
  env = { ELEVENLABS_API_KEY: API_KEY, ELEVENLABS_BASE_URL: agent.baseUrl, ELEVENLABS_AGENT_ID: "agent_good" };
  const added = await homebook(["bots", "add", "--did", "8040001234", "--agent-id", "agent_bad", "--bot-id", "bot_bad", "--first-message", "Namaste"], env);
  expect(added.code).toBe(0);
});

afterAll(async () => {
  await agent.stop();
});

describe("homebook check-agent", () => {
  test("a well-configured agent: every item ok, exit 0", async () => {
    const r = await homebook(["check-agent", "--agent-id", "agent_good"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('agent agent_good "Fake agent agent_good" (ELEVENLABS_AGENT_ID)');
    expect(line(r.stdout, "input format")).toBe("ok    input format               ulaw_8000: no resampling for μ-law 8000 Hz calls");
    expect(line(r.stdout, "client events")).toStartWith("ok");
    expect(line(r.stdout, "client tool end_call")).toStartWith("ok");
    expect(line(r.stdout, "authentication")).toStartWith("ok");
    expect(r.stdout).not.toMatch(/^\s+(warn|FAIL)/m);
    expect(r.stdout).toContain("1 agent checked: 0 FAIL, 0 warnings");
    expect(r.stdout + r.stderr).not.toContain(API_KEY);
  });

  test("a misconfigured agent: the FAIL and warn lines say what to change, exit 1", async () => {
    const r = await homebook(["check-agent", "--agent-id", "agent_bad"], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("(bot bot_bad)");
    expect(line(r.stdout, "input format")).toMatch(/^FAIL .*mp3_44100 cannot be bridged/);
    expect(r.stdout).toContain("→ set Advanced → User input audio format (asr.user_input_audio_format) to ulaw_8000");
    expect(line(r.stdout, "output format")).toMatch(/^warn .*pcm_22050: converted \(resampled\) on every μ-law 8000 Hz call/);
    expect(line(r.stdout, "override first message")).toMatch(/^FAIL .*not enabled, but bot bot_bad sets it/);
    expect(r.stdout).toContain("→ enable Security → Overrides → first message (agent.first_message)");
    expect(line(r.stdout, "client event interruption")).toMatch(/^FAIL .*no barge-in/);
    expect(line(r.stdout, "client tool end_call")).toMatch(/^warn .*"wait for response" is off/);
    expect(line(r.stdout, "client tool transfer_call")).toStartWith("ok");
    expect(r.stdout).toContain("1 agent checked: 3 FAIL, 2 warnings");
  });

  test("without --agent-id: the default agent and every bot's, as JSON", async () => {
    const r = await homebook(["check-agent", "--json"], env);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { agents: { agentId: string; usedBy: string[]; checks: { item: string; status: string; fix?: string }[] }[]; fails: number; warnings: number };
    expect(report.agents.map((a) => [a.agentId, a.usedBy])).toEqual([
      ["agent_good", ["default"]],
      ["agent_bad", ["bot_bad"]],
    ]);
    expect(report.fails).toBe(3);
    expect(report.warnings).toBe(2);
    const bad = report.agents[1]!.checks.find((c) => c.item === "client event interruption");
    expect(bad).toMatchObject({ status: "fail", fix: "add interruption in Advanced → Client events (conversation.client_events)" });
  });

  test("a wrong API key: one clear FAIL line per agent, exit 1, the key never printed", async () => {
    const wrong = "sk_wrong_key_value";
    const r = await homebook(["check-agent"], { ...env, ELEVENLABS_API_KEY: wrong });
    expect(r.code).toBe(1);
    expect(line(r.stdout, "agent")).toBe("FAIL  agent  API key refused (HTTP 401)");
    expect(r.stdout).toContain("→ ELEVENLABS_API_KEY: set a valid key");
    expect(r.stdout).toContain("2 agents checked: 2 FAIL");
    expect(r.stdout + r.stderr).not.toContain(wrong);
  });

  test("an unknown agent: agent not found, exit 1", async () => {
    const r = await homebook(["check-agent", "--agent-id", "agent_gone"], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("agent agent_gone\n");
    expect(line(r.stdout, "agent")).toBe("FAIL  agent  agent not found (HTTP 404)");
  });

  test("bad input and missing settings exit 2 saying how to fix them", async () => {
    const flag = await homebook(["check-agent", "--agent", "x"], env);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--agent");
    expect(flag.stderr).toContain("homebook check-agent --help");
    const { ELEVENLABS_API_KEY: _, ...noKey } = env;
    const keyless = await homebook(["check-agent"], noKey);
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain("set ELEVENLABS_API_KEY");
    const help = await homebook(["check-agent", "--help"], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: homebook check-agent");
  });
});
