/** `homebook check-agent`: reads each agent's configuration over REST and says, item by item, whether it suits Homebook. */
import { loadConfig, type Config } from "../config/index.ts";
import { HomebookError, UsageError } from "../base/errors.ts";
import { overridePaths } from "../agent/elevenlabs-protocol.ts";
import { botOverride } from "../call/conversation-start.ts";
import { formatOfContentType } from "../telephony/mcube-protocol.ts";
import { checkAgentSetup, type SetupCheck } from "../agent/agent-setup-check.ts";
import { agentSettingsReader, describeReadFailure } from "../agent/agent-settings-reader.ts";
import type { BotRecord } from "../store/bot-admin.ts";
import { parseCommandArgs } from "./args.ts";
import { withStore } from "./bots.ts";

export const usage = `Usage: homebook check-agent [--agent-id ID] [--json]

Reads each ElevenLabs agent's configuration over REST (ELEVENLABS_API_KEY, at ELEVENLABS_BASE_URL)
and prints one line per item with ok, warn or FAIL, and what to change where in the ElevenLabs
dashboard: audio formats (against MCUBE_AUDIO_FORMAT), the overrides the bots on the agent set,
client events, client and system tools, authentication and the maximum duration.

  --agent-id ID   check only this agent (still against the bots that use it)
  --json          machine-readable output

Without --agent-id it checks ELEVENLABS_AGENT_ID and the agent of every enabled bot in the store.
Exits 0 when nothing FAILs, 1 when something does, 2 on bad input or settings.`;

/** REST requests give up after this long (the SDK retries a busy service twice within it). */
const REQUEST_TIMEOUT_MS = 30_000;

interface AgentTarget {
  agentId: string;
  /** "default" (ELEVENLABS_AGENT_ID) and the ids of the enabled bots on the agent. */
  usedBy: string[];
  /** Override path → the bots that set it. */
  overrides: Map<string, string[]>;
}

interface AgentReport {
  agentId: string;
  name?: string;
  usedBy: string[];
  checks: SetupCheck[];
}

/** The agents to check: the default one and every enabled bot's, each with the overrides its bots set. */
function targetsOf(config: Config, bots: readonly BotRecord[], only: string | undefined): AgentTarget[] {
  const targets = new Map<string, AgentTarget>();
  const target = (agentId: string) => {
    let t = targets.get(agentId);
    if (!t) targets.set(agentId, (t = { agentId, usedBy: [], overrides: new Map() }));
    return t;
  };
  if (only) target(only);
  const defaultAgent = config.elevenlabs.agentId;
  if (defaultAgent && (!only || only === defaultAgent)) target(defaultAgent).usedBy.push("default");
  for (const bot of bots) {
    if (!bot.active || bot.invalid || (only && bot.agentId !== only)) continue;
    const t = target(bot.agentId);
    t.usedBy.push(bot.botId);
    for (const path of overridePaths(botOverride(bot))) t.overrides.set(path, [...(t.overrides.get(path) ?? []), bot.botId]);
  }
  return [...targets.values()];
}

const LABEL: Record<SetupCheck["status"], string> = { ok: "ok  ", warn: "warn", fail: "FAIL" };

function printText(reports: readonly AgentReport[]): void {
  for (const report of reports) {
    const name = report.name ? ` "${report.name}"` : "";
    const used = report.usedBy.length ? ` (${report.usedBy.map((u) => (u === "default" ? "ELEVENLABS_AGENT_ID" : `bot ${u}`)).join(", ")})` : "";
    console.log(`agent ${report.agentId}${name}${used}`);
    const width = Math.max(...report.checks.map((c) => c.item.length));
    for (const check of report.checks) {
      console.log(`  ${LABEL[check.status]}  ${check.item.padEnd(width)}  ${check.message}`);
      if (check.fix && check.status !== "ok") console.log(`  ${" ".repeat(4 + 2 + width)}  → ${check.fix}`);
    }
    console.log("");
  }
}

function count(reports: readonly AgentReport[], status: SetupCheck["status"]): number {
  return reports.reduce((n, r) => n + r.checks.filter((c) => c.status === status).length, 0);
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("check-agent", argv, {
    "agent-id": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const only = values["agent-id"]?.trim();
  if (only === "") throw new UsageError("check-agent: --agent-id is empty", "give an agent id, like --agent-id agent_7a1b2c");
  const config = loadConfig();
  const { apiKey, baseUrl } = config.elevenlabs;
  if (!apiKey) {
    throw new HomebookError("config", "check-agent reads agents over the ElevenLabs REST API, which needs ELEVENLABS_API_KEY", {
      fix: "set ELEVENLABS_API_KEY in .env or the environment (a key with Agents access)",
    });
  }
  const targets = targetsOf(config, await withStore((admin) => admin.listBots()), only);
  if (targets.length === 0) {
    throw new UsageError("check-agent: no agent to check", "set ELEVENLABS_AGENT_ID, add a bot ('homebook bots add'), or give --agent-id");
  }
  const read = await agentSettingsReader({ apiKey, baseUrl, timeoutMs: REQUEST_TIMEOUT_MS });
  const callFormat = formatOfContentType(config.mcube.audioFormat, config.mcube.sampleRate);
  const reports = await Promise.all(
    targets.map(async ({ agentId, usedBy, overrides }): Promise<AgentReport> => {
      try {
        const { agent, tools, unreadableTools } = await read(agentId);
        const checks = checkAgentSetup(agent, tools, { callFormat, overrides });
        for (const { toolId, reason } of unreadableTools) checks.push({ item: `tool ${toolId}`, status: "warn", message: `could not be read: ${reason}` });
        return { agentId, name: agent.name, usedBy, checks };
      } catch (err) {
        return { agentId, usedBy, checks: [{ item: "agent", status: "fail", ...describeReadFailure(err) }] };
      }
    }),
  );
  const fails = count(reports, "fail");
  const warnings = count(reports, "warn");
  if (values.json) console.log(JSON.stringify({ agents: reports, fails, warnings }, null, 2));
  else {
    printText(reports);
    const agents = `${reports.length} agent${reports.length === 1 ? "" : "s"}`;
    console.log(`${agents} checked: ${fails} FAIL, ${warnings} warning${warnings === 1 ? "" : "s"}`);
  }
  return fails > 0 ? 1 : 0;
}
