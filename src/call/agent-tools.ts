/**
 * What the agent's tools ask of the phone line: end the call, transfer it, press keys. Client tools
 * run here and get exactly one result; system tools ran inside ElevenLabs and the bridge carries out
 * the phone part. Pure: the call acts on the intents.
 */
import { CLIENT_TOOLS, type SystemToolResult } from "../agent/elevenlabs-protocol.ts";

export type ToolIntent =
  | { kind: "end"; source: "client_tool" | "system_tool" }
  /** `number` is the tool's own (any format), or undefined for the bot's configured one. */
  | { kind: "transfer"; number: string | undefined; source: "client_tool" | "system_tool" }
  | { kind: "dtmf"; digits: string };

export interface ClientToolOutcome {
  result: string;
  isError: boolean;
  intent?: ToolIntent;
}

const KEYS = /^[0-9*#wW]+$/;

function textOf(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : typeof value === "number" ? String(value) : undefined;
}

/** A client_tool_call: what to answer and what to do. Unknown tools are answered with an error naming the ones offered. */
export function clientToolOutcome(toolName: string, parameters: Record<string, unknown>): ClientToolOutcome {
  switch (toolName) {
    case "transfer_call":
      return { result: "transferring the call", isError: false, intent: { kind: "transfer", number: textOf(parameters.phone_number ?? parameters.number), source: "client_tool" } };
    case "end_call":
      return { result: "ending the call", isError: false, intent: { kind: "end", source: "client_tool" } };
    case "send_dtmf": {
      const digits = textOf(parameters.digits ?? parameters.dtmf);
      if (!digits || !KEYS.test(digits)) return { result: "send_dtmf needs `digits`: 0-9, * and # (w or W to pause)", isError: true };
      return { result: `pressed ${digits.length} keys`, isError: false, intent: { kind: "dtmf", digits } };
    }
    default:
      return { result: `unknown tool ${toolName}: this phone line supports ${CLIENT_TOOLS.join(", ")}`, isError: true };
  }
}

/** A system tool's response (agent_tool_response, or its _full_payload twin): the phone part to carry out. */
export function systemToolIntent(response: SystemToolResult): ToolIntent | undefined {
  if (response.toolType !== undefined && response.toolType !== "system") return undefined;
  switch (response.toolName) {
    case "end_call":
      return { kind: "end", source: "system_tool" };
    case "transfer_to_number":
      return { kind: "transfer", number: resultField(response.fullResult, "transfer_number"), source: "system_tool" };
    case "play_keypad_touch_tone": {
      const digits = resultField(response.fullResult, "dtmf_tones") ?? resultField(response.fullResult, "digits");
      return digits && KEYS.test(digits) ? { kind: "dtmf", digits } : undefined;
    }
    default:
      return undefined;
  }
}

/** One field of a system tool's full result (JSON text), if present. */
function resultField(fullResult: string | undefined, field: string): string | undefined {
  if (!fullResult) return undefined;
  try {
    return textOf((JSON.parse(fullResult) as Record<string, unknown>)[field]);
  } catch {
    return undefined;
  }
}
