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
  /** The agent's maximum conversation duration passed; its closing words were played first. */
  "max_duration",
  /** The gateway stopped while the call was live (crash, kill -9); found in the journal at restart. */
  "interrupted",
  /** Mcube stopped reading what the gateway sent for SEND_STALL_TIMEOUT_MS. */
  "send_stall",
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
  /** Every agent conversation of the call, in order (more than one after a reconnect). */
  conversationIds?: string[];
  /** Agent reconnects during the call. */
  reconnects?: number;
  /** What happened when, for the operator console. */
  timeline?: CallEvent[];
  /** True when a recording of the call was written (RECORDING). */
  recorded?: boolean;
  /** INSTANCE_ID of the gateway that carried the call. */
  instance?: string;
}

export type CallEventKind =
  | "start"
  | "agent_connected"
  | "first_agent_audio"
  | "barge_in"
  | "tool_call"
  | "agent_reconnect"
  | "transfer"
  | "end";

/** One entry of a call's timeline. `detail` is operator-safe text (no PII: no numbers, no transcript). */
export interface CallEvent {
  /** Milliseconds since the call's start. */
  atMs: number;
  kind: CallEventKind;
  detail?: string;
}

export interface TranscriptTurn {
  role: "user" | "agent";
  text: string;
  /** Milliseconds since the call started. */
  offsetMs: number;
  eventId?: number;
}

/** What is known of a call while it is live (its record without the ending). */
export type LiveRecord = Omit<CallRecord, "endedAt" | "durationMs" | "endReason">;

/**
 * Where calls are recorded. Must not throw and must not block the call: queue, then persist off the
 * media path. `begin` and `transcript` journal a live call so that a crash leaves it in the history.
 */
export interface CallRecordSink {
  /** The call started (Mcube's start): its live entry, which a crash leaves behind as "interrupted". */
  begin?(call: LiveRecord): void;
  /** Transcript lines added since the last call (the sink batches writes, at most about 1 s behind). */
  transcript?(sessionId: string, turns: readonly TranscriptTurn[]): void;
  /** The call ended: the final record replaces its live entry. */
  write(record: CallRecord, transcript: readonly TranscriptTurn[]): void;
}

/** A live call as the admin API and the console show it. */
export interface LiveCall extends LiveRecord {
  state: string;
  transcript: readonly TranscriptTurn[];
  /** The agent's audio is playing to the caller now (by the playout estimate). */
  agentSpeaking?: boolean;
  /** Time the gateway added to this call's audio, mean over its recent frames, per direction (ms). */
  addedLatencyMs?: { uplink: number; downlink: number };
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

/** What a test (or the admin API) can check after a call: nothing may be left. */
export interface SessionDebugState {
  state: string;
  timers: number;
  agentOpen: boolean;
  holdsAgentSlot: boolean;
  mcubeOpen: boolean;
  pendingCheckpoints: number;
  uplinkBufferedMs: number;
  /** Per socket: bytes queued unsent now, and audio bytes dropped while it was over MAX_SEND_BUFFER_BYTES (agent: the current conversation). */
  mcubeBufferedBytes: number;
  mcubeDroppedBytes: number;
  agentBufferedBytes: number;
  agentDroppedBytes: number;
}
