/** Public shapes of the fake ElevenLabs Agents server (the contract tests and `homebook agent` use). */
import type { AgentAudioFormat } from "../audio/agent-format.ts";
import type { Clock } from "../base/clock.ts";
import type { Logger } from "../log/logger.ts";
import type { ErrorDetails, AgentErrorType } from "./agent-wire.ts";
import type { ServerEvent } from "./agent-event-examples.ts";
import type { FakeAgentConfig } from "./fake-agent-config.ts";

export type FakeAgentPersona = "scripted" | "echo";

/**
 * A stalled service, for setup-deadline tests: "signed_url" never answers get-signed-url, "upgrade"
 * never answers the WebSocket upgrade, "metadata" accepts the upgrade but never sends a frame.
 */
export type FakeAgentStall = "signed_url" | "upgrade" | "metadata";

/**
 * Ways to make the fake more forgiving than the real service, for clients that are not yet conformant.
 * Each is off by default: the fake is strict.
 */
export interface FakeAgentLeniency {
  /**
   * Send metadata as soon as the socket opens, before (and without) the client's
   * conversation_initiation_client_data, and never close a conversation for a missing init.
   */
  metadataBeforeInit?: boolean;
  /**
   * Refuse a missing, bad or expired signature after the handshake (close 1008) instead of at the
   * HTTP upgrade (401 without a signature, 403 with a bad or expired one).
   */
  refusalsAfterHandshake?: boolean;
}

/** The service's wait queue (agents at their concurrency limit): `queue_status` waiting, then the outcome. */
export interface FakeAgentQueue {
  /** Time spent waiting before the outcome. */
  waitMs: number;
  /** "admitted": the conversation proceeds; "timed_out": close 3008 "too many concurrent connections". */
  outcome: "admitted" | "timed_out";
  /** How many conversations, from the first, are queued. Default: every one. */
  conversations?: number;
  /** queue_status before metadata instead of after it (the order is unconfirmed; the official mock sends metadata first). */
  beforeMetadata?: boolean;
}

/** A spoken message: its text and its length (played as a tone). */
export interface SpokenMessage {
  text: string;
  durationMs: number;
  toneHz?: number;
}

export interface FakeAgentOptions {
  /** Listen port on 127.0.0.1; 0 or unset picks a free one. */
  port?: number;
  /** Time source for every timer, deadline and timestamp of the server and its conversations. Default systemClock. */
  clock?: Clock;
  /** When set, the signed-URL REST endpoint needs `xi-api-key` with this value (else 401). */
  apiKey?: string;
  /** Formats announced in conversation_initiation_metadata. Default pcm_16000 both. */
  inputFormat?: AgentAudioFormat;
  outputFormat?: AgentAudioFormat;
  /** "scripted" (default): tests drive every turn. "echo": greets, repeats the caller, `#` ends, `0` transfers. */
  persona?: FakeAgentPersona;
  /** Scripted persona's first message, spoken as a tone of FIRST_MESSAGE_TONE_HZ; null = wait for the user. */
  firstMessage?: SpokenMessage | null;
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
  /** Explicit leniency for clients that are not yet conformant (default: none, the fake is strict). */
  lenient?: FakeAgentLeniency;
  /**
   * A conversation whose client sends no conversation_initiation_client_data within this is closed:
   * error {code 1008, error_type "missing_fields"}, then close 1008 (the fake's choice; the real service's
   * behaviour is unpublished). Default 5000 ms; 0 waits forever.
   */
  initTimeoutMs?: number;
  /** Send agent_response_complete after each agent turn's last audio. Default true (real servers are not reliably prompt with it). */
  agentResponseComplete?: boolean;
  /** Close a conversation after this long: the max-duration message, error {1000, max_duration_exceeded}, close 1000. Unset: no limit. */
  maxDurationMs?: number;
  /** What the agent says when the maximum duration is reached (null: nothing). */
  maxDurationMessage?: SpokenMessage | null;
  /** No user audio for this long ends the conversation: error {1002, transport_receive_timeout}, close 1002. Default 60 000 ms (the service's); 0 disables. */
  userAudioTimeoutMs?: number;
  /** Put conversations in the service's wait queue. */
  queue?: FakeAgentQueue;
  /** The service cancels this many conversation requests, from the first, right after the handshake (close 3000 "Request error"). */
  cancelFirst?: number;
  /** Close every conversation with this code right after the handshake, before any frame (a failing service, e.g. 1011). */
  refuseWith?: { code: number; reason?: string };
  /**
   * Changes what GET /v1/convai/agents/{agent_id} (and its tools) answer: given the agent as Homebook needs it
   * (reflecting the options above), edit it in place or return another. Branch on `config.agent.agent_id` for several agents.
   */
  agentConfig?: (config: FakeAgentConfig) => FakeAgentConfig | void;
}

/** What `reconfigure` can change for conversations opened from then on; a field left out keeps its value. */
export type FakeAgentChanges = Pick<FakeAgentOptions, "knownAgents" | "stall" | "refuseWith">;

export interface FakeAgentStats {
  signedUrlRequests: number;
  /** Conversation sockets opened (upgrades refused with an HTTP status are not counted here). */
  connections: number;
  /** Upgrades refused with 401/403 (a missing, bad or expired signature). */
  upgradeRefusals: number;
  /** Requests left unanswered by `stall` ("signed_url" or "upgrade"). */
  stalledRequests: number;
}

export interface FakeAgentServer {
  /** http://127.0.0.1:port — what ELEVENLABS_BASE_URL points at. */
  readonly baseUrl: string;
  readonly port: number;
  readonly conversations: FakeConversation[];
  readonly stats: FakeAgentStats;
  /** The next conversation not yet handed out by this method, waiting for it to open if needed (timeout on the server's clock). */
  nextConversation(timeoutMs?: number): Promise<FakeConversation>;
  /** Invalidates every signed URL issued so far (a reused URL is then refused). */
  revokeSignedUrls(): void;
  /**
   * Changes how conversations opened from now on are treated (open ones are left alone): the agent deleted
   * mid-call (`knownAgents`), the service stalling (`stall`) or failing every request (`refuseWith`).
   * A field set to undefined clears it.
   */
  reconfigure(changes: FakeAgentChanges): void;
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
  /** Send agent_response_complete after this turn (default: the server's agentResponseComplete). */
  agentResponseComplete?: boolean;
}

/** Where a system tool's agent_tool_response_full_payload goes relative to its plain agent_tool_response. */
export type FullPayloadOrder = "full_payload_first" | "response_first";

export interface SystemToolOptions {
  /** The tool's result, sent as agent_tool_response_full_payload (JSON); unset: no full payload. */
  fullPayload?: unknown;
  /** Default "response_first". */
  order?: FullPayloadOrder;
  isError?: boolean;
}

export interface EndCallOptions {
  /** The goodbye turn; null: none. */
  goodbye: SpeakTurn | null;
  /** agent_tool_response{end_call} before the goodbye audio or after it (the real order is not guaranteed). */
  toolResponse: "before_audio" | "after_audio";
  /** Also send the full payload ({status:"success", reason}). */
  fullPayload?: boolean;
  reason?: string;
}

export interface TransferToNumberOptions {
  /** The number in full_tool_result.transfer_number. */
  number: string;
  /** Which of the two tool responses comes first. */
  order: FullPayloadOrder;
  reason?: string;
}

export interface McpToolCallOptions {
  toolName?: string;
  serviceId?: string;
  parameters?: Record<string, unknown>;
  /** How long the turn waits for mcp_tool_approval_result. Default 300 s (the service's). */
  approvalTimeoutSecs?: number;
}

/** How an MCP approval request ended: the client's answer, or none within approval_timeout_secs. */
export interface McpToolOutcome {
  toolCallId: string;
  decision: "approved" | "rejected" | "timed_out";
}

export interface FakeConversation {
  readonly id: string;
  readonly agentId: string;
  /**
   * The conversation_initiation_client_data frame received. Strict: resolves when it arrives (null if the socket
   * closes first). With lenient.metadataBeforeInit: the first client frame if it is the init, else null.
   */
  readonly init: Promise<unknown>;
  /** Client frames (audio or not) that arrived before the init frame; a conformant client sends none. */
  readonly framesBeforeInit: number;
  /** All user_audio_chunk bytes received after the init, in the agent input format. */
  readonly userAudio: Uint8Array;
  /** Every client frame except audio chunks (pongs, client_tool_result, user_message …), parsed. */
  readonly messages: unknown[];
  /** event_id of the agent turn being spoken, or of the last one. */
  readonly lastAgentEventId: number;
  /** The socket is open (neither side closed it). */
  readonly isOpen: boolean;
  /** Each user_audio_chunk after the init, as it arrives (in the agent input format). */
  onUserAudio(listener: (bytes: Uint8Array) => void): void;
  /** Each other client frame, parsed, as it arrives (for the order of frames and audio). */
  onClientFrame(listener: (frame: any) => void): void;
  /** One agent turn as irregular audio chunks (60 ms–1.5 s) sharing an event_id; resolves with it once sent. */
  speak(turn: SpeakTurn): Promise<number>;
  /**
   * Stops the current turn and sends `interruption` (its id newer than the turn's, or equal to it with
   * sameEventId); with staleAudioMs, then sends late audio of the interrupted turn.
   */
  interrupt(options?: { staleAudioMs?: number; sameEventId?: boolean }): Promise<number>;
  /** Late `audio` (tone STALE_TONE_HZ) carrying an old event_id, as the service sends after an interruption. */
  sendStaleAudio(eventId: number, durationMs: number): void;
  /** Sends client_tool_call; the client owes one client_tool_result with the returned tool_call_id. */
  clientToolCall(toolName: string, parameters: Record<string, unknown>): Promise<string>;
  /** agent_tool_response{tool_type:"system"} for a server-side tool, with its full payload when given; returns the tool_call_id. */
  systemToolResponse(toolName: string, options?: SystemToolOptions): string;
  /** The system end_call: goodbye and tool response in the chosen order, then close 1000. */
  endCall(options: EndCallOptions): Promise<void>;
  /** The system transfer_to_number: the plain and the full-payload tool responses in the chosen order; returns the tool_call_id. */
  transferToNumber(options: TransferToNumberOptions): string;
  /** The system play_keypad_touch_tone: dtmf_tones in the full payload; returns the tool_call_id. */
  playKeypadTouchTone(tones: string, order?: FullPayloadOrder): string;
  /** dtmf_request (payload unconfirmed): the agent asks the client to press `digits`; returns its event_id. */
  dtmfRequest(digits: string): number;
  /**
   * mcp_tool_call awaiting_approval: later turns wait until the client's mcp_tool_approval_result arrives or
   * approval_timeout_secs passes; then the call's success or failure is sent.
   */
  mcpToolCall(options?: McpToolCallOptions): Promise<McpToolOutcome>;
  /** The maximum duration is reached now: the max-duration message, error {1000, max_duration_exceeded}, close 1000. */
  exceedMaxDuration(): Promise<void>;
  /** Sends any server event as is (official or one of the unconfirmed ones), for clients to be tested against. */
  sendEvent(event: ServerEvent): void;
  /** Sends `data` exactly as given: any text (JSON or not) as a text frame, bytes as a binary frame (junk a client must survive). */
  sendRaw(data: string | Uint8Array): void;
  userTranscript(text: string): void;
  agentResponseCorrection(original: string, corrected: string): void;
  close(code: number, reason?: string): void;
  /**
   * The connection dies without a close (half-open TCP, a stalled server): nothing more is sent (no
   * audio, no pings), the client's frames and WebSocket pings go unread (no pong), the socket stays open.
   */
  freeze(): void;
  /** An error frame with exactly the fields given (only the code is required), then close with `code`. */
  error(code: 1000 | 1002 | 1008 | 1011, errorType?: AgentErrorType, message?: string, more?: Omit<ErrorDetails, "errorType" | "message">): void;
  /** First client frame (already received or future) matching `predicate`. Default timeout 5000 ms on the server's clock. */
  waitForMessage(predicate: (m: any) => boolean, timeoutMs?: number): Promise<any>;
  readonly closed: Promise<{ code: number; reason: string }>;
}
