/** Public shapes of the fake ElevenLabs Agents server (the contract tests and `homebook agent` use). */
import type { AgentAudioFormat } from "../audio/agent-format.ts";
import type { Logger } from "../log/logger.ts";

export type FakeAgentPersona = "scripted" | "echo";

/**
 * A stalled service, for setup-deadline tests: "signed_url" never answers get-signed-url, "upgrade"
 * never answers the WebSocket upgrade, "metadata" accepts the upgrade but never sends a frame.
 */
export type FakeAgentStall = "signed_url" | "upgrade" | "metadata";

export interface FakeAgentOptions {
  /** Listen port on 127.0.0.1; 0 or unset picks a free one. */
  port?: number;
  /** When set, the signed-URL REST endpoint needs `xi-api-key` with this value (else 401). */
  apiKey?: string;
  /** Formats announced in conversation_initiation_metadata. Default pcm_16000 both. */
  inputFormat?: AgentAudioFormat;
  outputFormat?: AgentAudioFormat;
  /** "scripted" (default): tests drive every turn. "echo": greets, repeats the caller, `#` ends, `0` transfers. */
  persona?: FakeAgentPersona;
  /** Scripted persona's first message, spoken as a tone of FIRST_MESSAGE_TONE_HZ; null = wait for the user. */
  firstMessage?: { text: string; durationMs: number; toneHz?: number } | null;
  /** Agent ids that exist; others are refused right after the handshake (close 3000). Unset = any id. */
  knownAgents?: string[];
  /** Override paths the agent enables, like "agent.first_message" or "tts.voice_id". Unset = all allowed. */
  allowedOverrides?: string[];
  /** Dynamic variables the agent's prompt uses; missing ones end the conversation (1008). */
  requiredDynamicVariables?: string[];
  /** Interval of server pings. Default 2000 ms. */
  pingIntervalMs?: number;
  /** Private agent: the WebSocket needs a valid conversation_signature. Default: true when apiKey is set. */
  requireSignedUrl?: boolean;
  /** How much faster than real time turn audio is sent. Default 4 (the real service streams TTS ahead). */
  realtimeFactor?: number;
  /** Seed for chunk sizes; the same seed gives the same chunking. */
  seed?: number;
  /** Where conversation starts/ends go (info) and transcripts (debug). */
  logger?: Logger;
  /** Stall every setup at this stage (unset: a healthy service). */
  stall?: FakeAgentStall;
}

export interface FakeAgentStats {
  signedUrlRequests: number;
  connections: number;
  /** Requests left unanswered by `stall` ("signed_url" or "upgrade"). */
  stalledRequests: number;
}

export interface FakeAgentServer {
  /** http://127.0.0.1:port — what ELEVENLABS_BASE_URL points at. */
  readonly baseUrl: string;
  readonly port: number;
  readonly conversations: FakeConversation[];
  readonly stats: FakeAgentStats;
  /** The next conversation not yet handed out by this method, waiting for it to open if needed. */
  nextConversation(timeoutMs?: number): Promise<FakeConversation>;
  /** Invalidates every signed URL issued so far (a reused URL is then refused with close 1008). */
  revokeSignedUrls(): void;
  /** Closes every conversation (1001) and the listener. */
  stop(): Promise<void>;
}

export interface SpeakTurn {
  /** agent_response text; default describes the tone. */
  text?: string;
  durationMs: number;
  /** Tone of this turn; default cycles through TURN_TONES_HZ so turns are told apart by ear. */
  toneHz?: number;
  /** Force the event_id (e.g. to replay an old id); default the next id. */
  eventId?: number;
}

export interface FakeConversation {
  readonly id: string;
  readonly agentId: string;
  /** The conversation_initiation_client_data frame received (null if the client sent something else first). */
  readonly init: Promise<unknown>;
  /** All user_audio_chunk bytes received, in the agent input format. */
  readonly userAudio: Uint8Array;
  /** Every client frame except audio chunks (pongs, client_tool_result, user_message …), parsed. */
  readonly messages: unknown[];
  /** event_id of the agent turn being spoken, or of the last one. */
  readonly lastAgentEventId: number;
  /** One agent turn as irregular audio chunks (60 ms–1.5 s) sharing an event_id; resolves with it once sent. */
  speak(turn: SpeakTurn): Promise<number>;
  /** Stops the current turn and sends `interruption`; with staleAudioMs, then sends late audio of the interrupted turn. */
  interrupt(options?: { staleAudioMs?: number }): Promise<number>;
  /** Late `audio` (tone STALE_TONE_HZ) carrying an old event_id, as the service sends after an interruption. */
  sendStaleAudio(eventId: number, durationMs: number): void;
  /** Sends client_tool_call; the client owes one client_tool_result with the returned tool_call_id. */
  clientToolCall(toolName: string, parameters: Record<string, unknown>): Promise<string>;
  /** agent_tool_response{tool_type:"system"} for a server-side tool (end_call, transfer_to_number …). */
  systemToolResponse(toolName: string): void;
  userTranscript(text: string): void;
  agentResponseCorrection(original: string, corrected: string): void;
  close(code: number, reason?: string): void;
  /**
   * The connection dies without a close (half-open TCP, a stalled server): nothing more is sent (no
   * audio, no pings), the client's frames and WebSocket pings go unread (no pong), the socket stays open.
   */
  freeze(): void;
  /** error frame {code, error_type, message} then close with `code`. */
  error(code: number, errorType: string, message?: string): void;
  /** First client frame (already received or future) matching `predicate`. Default timeout 5000 ms. */
  waitForMessage(predicate: (m: any) => boolean, timeoutMs?: number): Promise<any>;
  readonly closed: Promise<{ code: number; reason: string }>;
}
