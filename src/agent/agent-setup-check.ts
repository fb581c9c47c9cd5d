/**
 * Whether an ElevenLabs agent is set up the way Homebook needs (README "Switching to a real ElevenLabs agent"),
 * item by item, from its REST configuration as the official SDK parses it. Pure: no I/O.
 */
import type { ElevenLabs } from "@elevenlabs/elevenlabs-js";
import { parseAgentAudioFormat, AGENT_AUDIO_FORMATS, type AgentAudioFormat } from "../audio/agent-format.ts";
import { agentAudioFormat, describeFormat, sameFormat, type AudioFormat } from "../audio/audio-format.ts";
import { CLIENT_TOOLS, SYSTEM_TOOLS } from "./elevenlabs-protocol.ts";

export type AgentSettings = ElevenLabs.GetAgentResponseModel;
/** A tool as the agent's inline `prompt.tools` or a standalone tool (`prompt.tool_ids`) describes it. */
export type ToolSettings = ElevenLabs.PromptAgentApiModelOutputToolsItem | ElevenLabs.ToolResponseModelToolConfig;

export type CheckStatus = "ok" | "warn" | "fail";

export interface SetupCheck {
  /** What was checked: "input format", "override first message", "client event interruption" … */
  item: string;
  status: CheckStatus;
  message: string;
  /** What to change, and where in the ElevenLabs dashboard. */
  fix?: string;
}

/** What Homebook's configuration asks of one agent. */
export interface AgentNeeds {
  /** The Mcube stream's format when `start` names none (MCUBE_AUDIO_FORMAT, MCUBE_SAMPLE_RATE). */
  callFormat: AudioFormat;
  /** Override paths the bots on this agent set ("agent.first_message" …), with the bots that set each. */
  overrides: ReadonlyMap<string, readonly string[]>;
}

/** The dashboard's names of the override fields Homebook sends. */
const OVERRIDE_LABELS: Record<string, string> = {
  "agent.prompt.prompt": "system prompt",
  "agent.first_message": "first message",
  "agent.language": "language",
  "tts.voice_id": "voice",
};

/** Client events Homebook relies on; `fail` when a call cannot work as it should without it. */
const CLIENT_EVENTS: { event: ElevenLabs.ClientEvent; status: CheckStatus; without: string }[] = [
  { event: "audio", status: "fail", without: "the caller hears nothing of the agent" },
  { event: "interruption", status: "fail", without: "no barge-in: the agent talks over a caller who interrupts it" },
  { event: "agent_response", status: "warn", without: "transcripts and call records miss the agent's words" },
  { event: "user_transcript", status: "warn", without: "transcripts and call records miss the caller's words" },
  { event: "ping", status: "warn", without: "the service's keep-alive pings are not sent (a default event: keep it)" },
  { event: "agent_response_correction", status: "warn", without: "after a barge-in the transcript keeps what the agent meant to say, not what was heard" },
  { event: "agent_response_complete", status: "warn", without: "each turn's checkpoint goes out after 300 ms of quiet instead of at once" },
  { event: "client_tool_call", status: "warn", without: `the client tools (${CLIENT_TOOLS.join(", ")}) never reach Homebook` },
  { event: "agent_tool_response", status: "warn", without: `Homebook does not see the system tools (${SYSTEM_TOOLS.join(", ")})` },
  { event: "agent_tool_response_full_payload", status: "warn", without: "a system transfer goes to the bot's number, not its own, and keypad digits are lost" },
  { event: "mcp_tool_call", status: "warn", without: "an MCP tool that asks for approval waits for an answer that never comes" },
];

/** What the agent cannot do without each client tool Homebook answers, and the system tool that does the same. */
const CLIENT_TOOL_NEEDS: Record<(typeof CLIENT_TOOLS)[number], { without: string; system: SystemToolName }> = {
  transfer_call: { without: "the agent cannot hand the caller to a human", system: "transfer_to_number" },
  end_call: { without: "the agent cannot hang up after its goodbye", system: "end_call" },
  send_dtmf: { without: "the agent cannot press keys (an IVR on an outbound call)", system: "play_keypad_touch_tone" },
};
type SystemToolName = (typeof SYSTEM_TOOLS)[number];
const isHandledSystemTool = (name: string): name is SystemToolName => (SYSTEM_TOOLS as readonly string[]).includes(name);

/**
 * Every check for one agent, in the README's order: formats, overrides, client events, tools, auth, limits.
 * @example checkAgentSetup(agent, tools, { callFormat: MULAW_8K, overrides: new Map([["agent.first_message", ["bot_a"]]]) })
 */
export function checkAgentSetup(agent: AgentSettings, tools: readonly ToolSettings[], needs: AgentNeeds): SetupCheck[] {
  const config = agent.conversationConfig;
  return [
    formatCheck("input format", config.asr?.userInputAudioFormat, needs.callFormat, "Advanced → User input audio format (asr.user_input_audio_format)"),
    formatCheck("output format", config.tts?.agentOutputAudioFormat, needs.callFormat, "Voice → TTS output format (tts.agent_output_audio_format)"),
    ...overrideChecks(agent, needs.overrides),
    ...clientEventChecks(config.conversation?.clientEvents),
    ...toolChecks(tools),
    authCheck(agent.platformSettings?.auth?.enableAuth),
    maxDurationCheck(config.conversation?.maxDurationSeconds),
  ];
}

/** The agent format that needs no conversion for this call format, if there is one. */
function passthroughFormat(callFormat: AudioFormat): AgentAudioFormat | undefined {
  return AGENT_AUDIO_FORMATS.find((f) => sameFormat(agentAudioFormat(f), callFormat));
}

function formatCheck(item: string, name: string | undefined, callFormat: AudioFormat, where: string): SetupCheck {
  const best = passthroughFormat(callFormat);
  const call = describeFormat(callFormat);
  if (name === undefined) return { item, status: "warn", message: "not reported by the service", fix: `set ${where} to ${best ?? "a supported format"}` };
  const info = parseAgentAudioFormat(name);
  if (!info) {
    return {
      item,
      status: "fail",
      message: `${name} cannot be bridged: every call goes to the fallback number`,
      fix: `set ${where} to ${best ?? "one of " + AGENT_AUDIO_FORMATS.join(", ")}`,
    };
  }
  if (name === best) return { item, status: "ok", message: `${name}: no resampling for ${call} calls` };
  return {
    item,
    status: "warn",
    message: `${name}: converted (resampled) on every ${call} call`,
    fix: best ? `set ${where} to ${best} for none` : undefined,
  };
}

/** The value at a snake_case path ("agent.first_message") of an SDK (camelCase) object. */
function atPath(value: unknown, path: string): unknown {
  const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return path.split(".").reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[camel(key)] : undefined), value);
}

function overrideChecks(agent: AgentSettings, needed: ReadonlyMap<string, readonly string[]>): SetupCheck[] {
  if (needed.size === 0) return [{ item: "overrides", status: "ok", message: "no bot on this agent overrides a field: none needs enabling" }];
  const enabled = agent.platformSettings?.overrides?.conversationConfigOverride;
  return [...needed].map(([path, bots]) => {
    const label = OVERRIDE_LABELS[path] ?? path;
    const item = `override ${label}`;
    const who = bots.length === 1 ? `bot ${bots[0]} sets it` : `bots ${bots.join(", ")} set it`;
    if (atPath(enabled, path) === true) return { item, status: "ok", message: `enabled (${who})` };
    return {
      item,
      status: "fail",
      message: `not enabled, but ${who}: those calls go to the fallback number`,
      fix: `enable Security → Overrides → ${label} (${path}), or clear it on the bot ('homebook bots update')`,
    };
  });
}

function clientEventChecks(events: readonly string[] | undefined): SetupCheck[] {
  const on = new Set(events ?? []);
  const missing = CLIENT_EVENTS.filter((e) => !on.has(e.event));
  if (missing.length === 0) return [{ item: "client events", status: "ok", message: `all ${CLIENT_EVENTS.length} that Homebook uses are on` }];
  return missing.map(({ event, status, without }) => ({
    item: `client event ${event}`,
    status,
    message: `off: ${without}`,
    fix: `add ${event} in Advanced → Client events (conversation.client_events)`,
  }));
}

function toolChecks(tools: readonly ToolSettings[]): SetupCheck[] {
  const named = (t: ToolSettings): t is Extract<ToolSettings, { name: string }> => "name" in t && typeof t.name === "string";
  const systemTools = tools.filter((t) => t.type === "system" && named(t)).map((t) => (t as { name: string }).name);
  const checks = CLIENT_TOOLS.map((name): SetupCheck => {
    const { without, system } = CLIENT_TOOL_NEEDS[name];
    const item = `client tool ${name}`;
    const tool = tools.find((t) => named(t) && t.name === name && t.type !== "system");
    const instead = systemTools.includes(system) ? ` (the system tool ${system} is on instead)` : "";
    if (!tool) {
      return instead
        ? { item, status: "ok", message: `not set up${instead}` }
        : { item, status: "warn", message: `not set up: ${without}`, fix: `add a client tool ${name} in Tools, "wait for response" on` };
    }
    if (tool.type !== "client") return { item, status: "warn", message: `is a ${tool.type} tool: Homebook never sees it`, fix: `make ${name} a client tool (Tools)` };
    if (tool.expectsResponse !== true) {
      return { item, status: "warn", message: `"wait for response" is off: the agent does not wait for Homebook's answer`, fix: `turn on "wait for response" for ${name} (Tools → ${name})` };
    }
    return { item, status: "ok", message: `client tool, "wait for response" on` };
  });
  const known = systemTools.filter(isHandledSystemTool);
  const others = systemTools.filter((n) => !isHandledSystemTool(n));
  const list = known.length ? known.join(", ") : `none of ${SYSTEM_TOOLS.join(", ")}`;
  checks.push({ item: "system tools", status: "ok", message: `${list}${others.length ? `; also ${others.join(", ")} (handled by the service)` : ""}` });
  return checks;
}

/** Homebook reads agents with ELEVENLABS_API_KEY, so calls use signed URLs; authentication only keeps others out. */
function authCheck(enableAuth: boolean | undefined): SetupCheck {
  const item = "authentication";
  if (enableAuth === true) return { item, status: "ok", message: "on: only signed URLs (ELEVENLABS_API_KEY) start conversations" };
  return {
    item,
    status: "warn",
    message: "off: anyone who knows the agent id can talk to it (on your bill); Homebook still uses signed URLs",
    fix: "turn on Security → Enable authentication (platform_settings.auth.enable_auth)",
  };
}

function maxDurationCheck(seconds: number | undefined): SetupCheck {
  const item = "max duration";
  if (seconds === undefined) return { item, status: "ok", message: "not reported (the service's default applies)" };
  return { item, status: "ok", message: `${seconds} s: then the agent's last message is heard and the call ends (record: max_duration)` };
}
