/** What one call leaves behind: its record, its transcript, and the view of a live call. */

export const END_REASONS = [
  "caller_hangup",
  "agent_end_call",
  "transfer",
  "fallback_transfer",
  "upstream_error",
  "capacity_rejected",
  "start_timeout",
  "drain",
  "internal_error",
] as const;

export type EndReason = (typeof END_REASONS)[number];

/** Timestamps are epoch milliseconds. */
export interface CallRecord {
  sessionId: string;
  callId?: string;
  streamId?: string;
  did?: string;
  botId?: string;
  businessId?: string;
  agentId?: string;
  conversationId?: string;
  customerNumber?: string;
  startedAt: number;
  agentConnectedAt?: number;
  firstAgentAudioAt?: number;
  endedAt: number;
  durationMs: number;
  endReason: EndReason;
  transferTo?: string;
  framesIn: number;
  framesOut: number;
  interruptions: number;
  errorDetail?: string;
}

export interface TranscriptTurn {
  role: "user" | "agent";
  text: string;
  /** Milliseconds since the call started. */
  offsetMs: number;
  eventId?: number;
}

/** Receives each finished call. Must not throw and must not block the call (queue, then persist). */
export interface CallRecordSink {
  write(record: CallRecord, transcript: readonly TranscriptTurn[]): void;
}

/** A live call as the admin API shows it. */
export interface LiveCall extends Omit<CallRecord, "endedAt" | "durationMs" | "endReason"> {
  state: string;
  transcript: readonly TranscriptTurn[];
}

/** Dynamic variables and names an outbound campaign attached to a call, found by callId or refid. */
export interface OutboundCallContext {
  refid: string;
  customerNumber?: string;
  customerName?: string;
  did?: string;
  variables: Record<string, string>;
}

export interface OutboundContextLookup {
  find(callId: string): Promise<OutboundCallContext | undefined>;
}
