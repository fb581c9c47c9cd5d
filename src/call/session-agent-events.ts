/** Routes a call's agent events: audio and barge-in to the downlink, transcripts to the log, tools to call control. */
import { clientToolResult, type AgentMessage } from "../agent/elevenlabs-protocol.ts";
import type { Logger } from "../log/logger.ts";
import type { CallControl } from "./call-control.ts";
import type { Downlink } from "./session-downlink.ts";
import type { TranscriptLog } from "./transcript-log.ts";

export interface AgentEventsDeps {
  downlink: Downlink;
  transcript: TranscriptLog;
  control: CallControl;
  /** Sends a frame to the agent (no-op once it is gone). */
  send(frame: object): void;
  readonly log: Logger;
  noteIgnored(kind: string): void;
}

/** Client tools a phone line offers the agent (configure them in the agent as client tools). */
export const CLIENT_TOOLS = ["transfer_call", "end_call"] as const;

export class AgentEvents {
  constructor(private readonly deps: AgentEventsDeps) {}

  handle(message: AgentMessage, receivedAtMs: number): void {
    const { downlink, transcript } = this.deps;
    switch (message.kind) {
      case "audio":
        return downlink.audio(message.audioBase64, message.eventId, receivedAtMs);
      case "interruption":
        this.deps.log.debug("caller interrupted the agent", { event_id: message.eventId });
        return downlink.interrupt(message.eventId);
      case "agent_response_complete":
        return downlink.turnComplete(message.eventId);
      case "user_transcript":
        return transcript.add("user", message.text, message.eventId);
      case "agent_response":
        return transcript.add("agent", message.text, message.eventId);
      case "agent_response_correction":
        return transcript.correct(message.original, message.corrected, message.eventId);
      case "client_tool_call":
        return this.clientTool(message.toolName, message.toolCallId, message.parameters);
      case "agent_tool_response":
        return this.systemTool(message.toolName, message.toolType, message.isError, message.fullResult);
      case "error":
        this.deps.log.warn("agent sent an error", { error_type: message.errorType, code: message.code });
        return;
      case "ignored":
        return this.deps.noteIgnored(message.reason);
      default:
        return;
    }
  }

  /** Every client tool call gets exactly one client_tool_result, so the agent's LLM never blocks on us. */
  private clientTool(toolName: string, toolCallId: string, parameters: Record<string, unknown>): void {
    const reply = (result: string, isError = false) => this.deps.send(clientToolResult(toolCallId, result, isError));
    if (toolName === "transfer_call") {
      reply("transferring the call");
      return this.deps.control.requestTransfer(parameters.phone_number ?? parameters.number, "client_tool");
    }
    if (toolName === "end_call") {
      reply("ending the call");
      return this.deps.control.requestEnd("client_tool");
    }
    this.deps.noteIgnored(`unknown_client_tool:${toolName.slice(0, 40)}`);
    reply(`unknown tool ${toolName}: this phone line supports ${CLIENT_TOOLS.join(" and ")}`, true);
  }

  /** System tools run inside ElevenLabs; the bridge only sees their result and carries out the phone part. */
  private systemTool(toolName: string, toolType: string | undefined, isError: boolean, fullResult: string | undefined): void {
    if (toolType !== undefined && toolType !== "system") return;
    if (toolName === "end_call") return this.deps.control.requestEnd("system_tool");
    if (toolName === "transfer_to_number") {
      if (isError) this.deps.log.warn("agent reported transfer_to_number as failed; transferring from the bridge anyway");
      return this.deps.control.requestTransfer(transferNumberOf(fullResult), "system_tool");
    }
  }
}

/** transfer_number from a transfer_to_number system tool's full result (JSON), if present. */
function transferNumberOf(fullResult: string | undefined): string | undefined {
  if (!fullResult) return undefined;
  try {
    const value = (JSON.parse(fullResult) as { transfer_number?: unknown }).transfer_number;
    return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
  } catch {
    return undefined;
  }
}
