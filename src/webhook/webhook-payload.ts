/** The post-call webhook's JSON body, built once per call so every attempt sends the same bytes. */
import { normalizePhoneNumber } from "../base/phone-number.ts";

/** What the body needs of a finished call (a CallRecord has it); times are epoch ms. */
export interface FinishedCall {
  sessionId: string;
  callId?: string;
  did?: string;
  endReason: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  botId?: string;
  agentId?: string;
  conversationId?: string;
  customerNumber?: string;
  transferTo?: string;
  /** A recording was kept (served at GET /calls/{id}/recording). */
  recorded?: boolean;
}

/** One transcript line (a TranscriptTurn has it). */
export interface TranscriptLine {
  role: "user" | "agent";
  text: string;
}

/** What a receiver gets after each call. Times are epoch milliseconds, as in GET /calls. */
export interface PostCallPayload {
  type: "call.ended";
  session_id: string;
  call_id: string | null;
  did: string | null;
  end_reason: string;
  started_at: number;
  ended_at: number;
  duration_ms: number;
  transcript: { role: "user" | "agent"; text: string }[];
  /** GET /calls/{session_id}/recording on PUBLIC_BASE_URL when the call was recorded, else null. */
  recording_url: string | null;
  bot_id: string | null;
  agent_id: string | null;
  conversation_id: string | null;
  customer_number: string | null;
  transfer_to: string | null;
}

const phone = (n: string | undefined) => (n === undefined ? null : (normalizePhoneNumber(n) ?? n));

/** The payload of one finished call. `publicBaseUrl` (PUBLIC_BASE_URL) makes recording links absolute. */
export function postCallPayload(record: FinishedCall, transcript: readonly TranscriptLine[], publicBaseUrl?: string): PostCallPayload {
  return {
    type: "call.ended",
    session_id: record.sessionId,
    call_id: record.callId ?? null,
    did: phone(record.did),
    end_reason: record.endReason,
    started_at: record.startedAt,
    ended_at: record.endedAt,
    duration_ms: record.durationMs,
    transcript: transcript.map((t) => ({ role: t.role, text: t.text })),
    recording_url: record.recorded && publicBaseUrl ? `${publicBaseUrl}/calls/${encodeURIComponent(record.sessionId)}/recording` : null,
    bot_id: record.botId ?? null,
    agent_id: record.agentId ?? null,
    conversation_id: record.conversationId ?? null,
    customer_number: phone(record.customerNumber),
    transfer_to: phone(record.transferTo),
  };
}

/** The body bytes (as text) of one call's webhook. */
export function postCallBody(record: FinishedCall, transcript: readonly TranscriptLine[], publicBaseUrl?: string): string {
  return JSON.stringify(postCallPayload(record, transcript, publicBaseUrl));
}
