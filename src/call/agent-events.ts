/**
 * What an agent conversation's events mean for the call, apart from its audio: barge-in and turn ends
 * to the media bridge, transcript lines, tool calls answered and turned into intents, MCP approvals,
 * key presses, and errors logged with the service's own words.
 */
import type { AgentEvent, AgentLeg } from "../agent/agent-leg.ts";
import { HomebookError } from "../base/errors.ts";
import type { Logger } from "../log/logger.ts";
import { clientToolOutcome, systemToolIntent, type ToolIntent } from "./agent-tools.ts";
import type { CallFacts } from "./call-facts.ts";
import { sendStalls } from "./call-metrics.ts";
import type { TranscriptTurn } from "./call-record.ts";
import type { MediaBridge } from "./media-bridge.ts";

/** The call as its agent events see it. */
export interface AgentEventTarget {
  readonly log: Logger;
  readonly facts: CallFacts;
  readonly media: MediaBridge;
  /** MCP_TOOL_APPROVAL (a bot may override it). */
  readonly mcpToolApproval: "approve" | "reject";
  /** Carries out what a tool asked for (end, transfer, key presses). */
  act(intent: ToolIntent): void;
  /** The agent connection is unusable: reconnect or fall back. */
  agentLost(failure: HomebookError): void;
  /** A new transcript line (journal it, refresh the live view). */
  transcribed(turn: TranscriptTurn): void;
  /** The service said the conversation reached its maximum duration (its close follows). */
  maxDurationReached(): void;
  noteIgnored(kind: string): void;
}

export function routeAgentEvent(call: AgentEventTarget, agent: AgentLeg, event: AgentEvent): void {
  const { facts, log } = call;
  switch (event.kind) {
    case "interruption":
      log.debug("caller interrupted the agent", { event_id: event.eventId });
      return call.media.interrupt(event.eventId);
    case "agent_response_complete":
      return call.media.turns.complete(event.eventId);
    case "user_transcript":
    case "agent_response":
      return call.transcribed(facts.addTranscript(event.kind === "user_transcript" ? "user" : "agent", event.text, event.eventId));
    case "agent_response_correction":
      return facts.transcript.correct(event.original, event.corrected, event.eventId);
    case "client_tool_call": {
      const outcome = clientToolOutcome(event.toolName, event.parameters);
      agent.toolResult(event.toolCallId, outcome.result, outcome.isError);
      facts.timeline.add("tool_call", `client ${event.toolName.slice(0, 40)}${outcome.isError ? " (refused)" : ""}`);
      return outcome.intent ? call.act(outcome.intent) : call.noteIgnored(`client_tool:${event.toolName.slice(0, 40)}`);
    }
    case "agent_tool_response": {
      const intent = systemToolIntent(event);
      if (!intent) return;
      facts.timeline.add("tool_call", `system ${event.toolName}${event.isError ? " (reported failed)" : ""}`);
      if (event.isError && intent.kind === "transfer") log.warn("agent reported transfer_to_number as failed; transferring from the bridge anyway");
      return call.act(intent);
    }
    case "mcp_tool_call": {
      if (event.state !== "awaiting_approval") return;
      // The agent waits for exactly one answer: without it, its turn stalls until the approval times out.
      const approve = (facts.bot?.mcpApproval ?? call.mcpToolApproval) === "approve";
      agent.mcpApproval(event.toolCallId, approve);
      facts.timeline.add("tool_call", `mcp ${event.toolName.slice(0, 40)} ${approve ? "approved" : "rejected"}`);
      return log.info(approve ? "approved an MCP tool call" : "rejected an MCP tool call (MCP_TOOL_APPROVAL)", { tool_name: event.toolName.slice(0, 80) });
    }
    case "dtmf_request":
      return event.digits ? call.act({ kind: "dtmf", digits: event.digits }) : call.noteIgnored("dtmf_request_without_digits");
    case "queue_status":
      return log.info("agent service queue", { status: event.status });
    case "error":
      if (event.errorType === "max_duration_exceeded") call.maxDurationReached();
      return log.warn("agent sent an error", { code: event.code, error_type: event.errorType, message: event.message, debug_message: event.debugMessage, reason: event.reason });
    case "stalled":
      sendStalls.inc({ leg: "agent" });
      log.warn("agent stopped reading caller audio", { buffered_bytes: event.bufferedBytes });
      agent.abandon();
      return call.agentLost(new HomebookError("upstream_unavailable", "agent stopped reading (SEND_STALL_TIMEOUT_MS)", { retryable: true }));
    case "passive":
      return;
    case "ignored":
      return call.noteIgnored(event.reason);
  }
}
