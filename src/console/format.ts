/** How the console writes times, durations, end reasons and timeline events for operators. */
import type { CallEventKind, EndReason, TranscriptTurn } from "../call/call-record.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";

/** A number in the one spelling stored records use (10 digits); live calls carry what Mcube sent. */
export function phone(number: string | undefined): string {
  return number === undefined ? "" : (normalizePhoneNumber(number) ?? number);
}

/** 7 s → "0:07"; 725 s → "12:05"; 3723 s → "1:02:03". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Milliseconds since the call's start, as a timeline shows them: "+1.40 s". */
export function formatOffset(ms: number): string {
  return `+${(Math.max(0, ms) / 1000).toFixed(2)} s`;
}

/** An instant in UTC ("2026-01-15 10:00:01 UTC"); the page's script shows it in the operator's time zone. */
export function formatTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

const END_REASON_LABELS: Record<EndReason, string> = {
  caller_hangup: "Caller hung up",
  agent_end_call: "Agent ended the call",
  transfer: "Transferred",
  fallback_transfer: "Fallback transfer (agent failed)",
  upstream_error: "Agent error",
  capacity_rejected: "Refused: at capacity",
  start_timeout: "No start from Mcube",
  drain: "Gateway draining",
  internal_error: "Internal error",
  max_duration: "Maximum duration reached",
  interrupted: "Gateway stopped mid-call",
  send_stall: "Mcube stopped reading",
};

/** An end reason in words, with its code for searching the logs: "Transferred (transfer)". */
export function endReasonLabel(reason: EndReason | string): string {
  const label = END_REASON_LABELS[reason as EndReason];
  return label ? `${label} (${reason})` : reason;
}

const EVENT_LABELS: Record<CallEventKind, string> = {
  start: "Call started",
  agent_connected: "Agent connected",
  first_agent_audio: "First agent audio",
  barge_in: "Caller barged in",
  tool_call: "Tool call",
  agent_reconnect: "Agent reconnected",
  transfer: "Transfer",
  end: "Call ended",
};

export function eventLabel(kind: CallEventKind | string): string {
  return EVENT_LABELS[kind as CallEventKind] ?? kind;
}

/** Who said a transcript turn. */
export function speaker(role: TranscriptTurn["role"]): string {
  return role === "agent" ? "Agent" : "Caller";
}

/** The most recent transcript turn, shortened for a table cell: "Agent: Namaste, how can I…". */
export function latestLine(transcript: readonly TranscriptTurn[], maxChars = 120): string {
  const turn = transcript[transcript.length - 1];
  if (!turn) return "";
  const text = turn.text.length > maxChars ? `${turn.text.slice(0, maxChars - 1)}…` : turn.text;
  return `${speaker(turn.role)}: ${text}`;
}

/** Per-direction added latency: "up 2.1 ms, down 4.0 ms"; empty when the call core did not measure it. */
export function formatAddedLatency(latency: { uplink: number; downlink: number } | undefined): string {
  if (!latency) return "";
  return `up ${latency.uplink.toFixed(1)} ms, down ${latency.downlink.toFixed(1)} ms`;
}
