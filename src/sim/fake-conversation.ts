/**
 * One conversation on the fake ElevenLabs server: the protocol's life (init, queue, metadata, pings, limits,
 * errors, close), every timer on an injected clock, and the hooks a persona or a test uses to script it.
 */
import type { AgentAudioFormat } from "../audio/agent-format.ts";
import type { Clock, Timer } from "../base/clock.ts";
import type { Logger } from "../log/logger.ts";
import type { ServerEvent } from "./agent-event-examples.ts";
import * as tools from "./agent-tools.ts";
import { TurnStreamer } from "./agent-turns.ts";
import { CLOSE_REASONS, errorFrame, metadataFrame, pingFrame, queueStatusFrame, userTranscriptFrame, agentResponseCorrectionFrame, type AgentErrorType, type ErrorDetails } from "./agent-wire.ts";
import type {
  EndCallOptions,
  FakeAgentQueue,
  FakeConversation,
  FullPayloadOrder,
  McpToolCallOptions,
  McpToolOutcome,
  SpeakTurn,
  SpokenMessage,
  SystemToolOptions,
  TransferToNumberOptions,
} from "./fake-agent-types.ts";
import type { InitVerdict } from "./init-validation.ts";
import { ClientInbox } from "./client-inbox.ts";
import { OwnedTimers } from "../base/owned-timers.ts";

export { FIRST_MESSAGE_TONE_HZ, STALE_TONE_HZ, TURN_TONES_HZ } from "./agent-turns.ts";

/** Tone of the default max-duration message. */
export const MAX_DURATION_TONE_HZ = 1100;

export interface SocketLike {
  send(data: string | Uint8Array): void;
  close(code: number, reason: string): void;
  /** Stop reading the socket (client frames and pings pile up unread). */
  pause?(): void;
}

export interface ConversationSettings {
  id: string;
  agentId: string;
  clock: Clock;
  inputFormat: AgentAudioFormat;
  outputFormat: AgentAudioFormat;
  pingIntervalMs: number;
  realtimeFactor: number;
  seed: number;
  agentResponseComplete: boolean;
  /** Strict: the conversation starts on the client's init. Lenient: metadata on open, the first frame is the init or nothing. */
  metadataBeforeInit: boolean;
  /** A stalled service: frames are read, but the conversation never starts (no metadata, no pings, no deadlines). */
  stalled: boolean;
  /** Strict mode only: no init within this closes the conversation (0: wait forever). */
  initTimeoutMs: number;
  maxDurationMs?: number;
  maxDurationMessage: SpokenMessage | null;
  /** 0: no limit. */
  userAudioTimeoutMs: number;
  queue?: FakeAgentQueue;
  /** Checks the init frame; a refusal ends the conversation with the error (before any metadata when strict). */
  validate(init: unknown): InitVerdict;
  /** The conversation is under way (admitted): the persona takes over. */
  onStart(conversation: FakeConversationSession, init: unknown): void;
  logger?: Logger;
}

export class FakeConversationSession implements FakeConversation {
  readonly id: string;
  readonly agentId: string;
  readonly clock: Clock;
  readonly init: Promise<unknown>;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly turns: TurnStreamer;
  framesBeforeInit = 0;

  private readonly settings: ConversationSettings;
  private readonly inbox: ClientInbox;
  private readonly timers: OwnedTimers;
  private socket: SocketLike | undefined;
  private resolveInit!: (frame: unknown) => void;
  private resolveClosed!: (value: { code: number; reason: string }) => void;
  private initReceived = false;
  private isClosed = false;
  private frozen = false;
  private eventCounter = 0;
  private pingCounter = 0;
  private readonly pingSentAt = new Map<number, number>();
  private lastPingMs: number | null = null;
  private initTimer: Timer | undefined;
  private idleTimer: Timer | undefined;

  constructor(settings: ConversationSettings) {
    this.settings = settings;
    this.id = settings.id;
    this.agentId = settings.agentId;
    this.clock = settings.clock;
    this.inbox = new ClientInbox(settings.clock);
    this.timers = new OwnedTimers(settings.clock);
    this.init = new Promise((resolve) => (this.resolveInit = resolve));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.turns = new TurnStreamer(this, {
      conversationId: settings.id,
      outputFormat: settings.outputFormat,
      realtimeFactor: settings.realtimeFactor,
      seed: settings.seed,
      agentResponseComplete: settings.agentResponseComplete,
      logger: settings.logger,
    });
  }

  get userAudio(): Uint8Array {
    return this.inbox.userAudio;
  }

  get messages(): unknown[] {
    return this.inbox.messages;
  }

  get inputFormat(): AgentAudioFormat {
    return this.settings.inputFormat;
  }

  get outputFormat(): AgentAudioFormat {
    return this.settings.outputFormat;
  }

  get isOpen(): boolean {
    return !this.isClosed && this.socket !== undefined;
  }

  get lastAgentEventId(): number {
    return this.turns.lastEventId;
  }

  get isSpeaking(): boolean {
    return this.turns.isSpeaking;
  }

  /** The socket opened. */
  attach(socket: SocketLike): void {
    this.socket = socket;
  }

  /** The request is accepted: strict, wait for the client's init; lenient, start at once. */
  open(): void {
    if (this.settings.metadataBeforeInit) {
      void this.start(undefined);
      return;
    }
    const { initTimeoutMs } = this.settings;
    if (initTimeoutMs > 0) {
      this.initTimer = this.timers.after(initTimeoutMs, () => {
        if (this.initReceived) return;
        this.error(1008, "missing_fields", "conversation_initiation_client_data was not received");
      });
    }
  }

  /** The socket opened but the request is refused before any frame (unknown agent, bad signature). */
  refuse(code: number, reason: string): void {
    this.socket?.close(code, reason);
  }

  /** Admission (queue), metadata, pings and limits; then the persona (strict: with the init; lenient: once the init is known). */
  private async start(init: unknown): Promise<void> {
    if (!(await this.admit())) return;
    const { id, pingIntervalMs, maxDurationMs, userAudioTimeoutMs } = this.settings;
    this.settings.logger?.info("fake agent conversation started", { conversation_id: id, agent_id: this.agentId });
    this.timers.every(pingIntervalMs, () => this.ping());
    if (maxDurationMs !== undefined) this.timers.after(maxDurationMs, () => void this.exceedMaxDuration());
    if (userAudioTimeoutMs > 0) this.armIdleTimer();
    if (!this.settings.metadataBeforeInit) {
      this.settings.onStart(this, init);
      return;
    }
    const first = await this.init;
    if (!this.isOpen) return;
    if (this.refusedBy(first)) return;
    this.settings.onStart(this, first);
  }

  /** Sends metadata, going through the wait queue first when there is one; false when the conversation ended there. */
  private async admit(): Promise<boolean> {
    const { queue, id, outputFormat, inputFormat } = this.settings;
    const metadata = () => this.sendFrame(metadataFrame(id, outputFormat, inputFormat));
    if (!queue) {
      metadata();
      return true;
    }
    if (!queue.beforeMetadata) metadata();
    this.sendFrame(queueStatusFrame("waiting"));
    await this.timers.sleep(queue.waitMs);
    if (!this.isOpen) return false;
    if (queue.outcome === "timed_out") {
      this.sendFrame(queueStatusFrame("timed_out"));
      this.close(3008);
      return false;
    }
    this.sendFrame(queueStatusFrame("admitted"));
    if (queue.beforeMetadata) metadata();
    return true;
  }

  /** True (and the conversation ends with the error) when the init breaks the agent's rules. */
  private refusedBy(init: unknown): boolean {
    const verdict = this.settings.validate(init);
    if (verdict.ok) return false;
    this.error(1008, verdict.errorType, verdict.message);
    return true;
  }

  /** Raw client text frame. Returns false when it was malformed (the conversation is then closing). */
  receive(text: string): boolean {
    if (this.frozen) return true; // a dead server reads nothing
    let frame: any;
    try {
      frame = JSON.parse(text);
    } catch {
      frame = undefined;
    }
    if (frame === null || typeof frame !== "object") {
      this.error(1008, "invalid_message", "Invalid message received");
      return false;
    }
    const strictBeforeInit = !this.settings.metadataBeforeInit && !this.initReceived;
    if (strictBeforeInit && frame.type !== "conversation_initiation_client_data") this.framesBeforeInit += 1;
    if (typeof frame.user_audio_chunk === "string") {
      if (!strictBeforeInit) this.recordUserAudio(new Uint8Array(Buffer.from(frame.user_audio_chunk, "base64")));
      return true;
    }
    if (frame.type === "pong") this.onPong(frame);
    if (!this.initReceived) this.onFirstFrames(frame);
    this.inbox.addFrame(frame);
    return true;
  }

  /** Strict: only the init starts the conversation. Lenient: the first frame is the init, or there is none. */
  private onFirstFrames(frame: any): void {
    const isInit = frame.type === "conversation_initiation_client_data";
    if (this.settings.metadataBeforeInit) {
      this.initReceived = true;
      this.resolveInit(isInit ? frame : null);
      return;
    }
    if (!isInit) return;
    this.initReceived = true;
    this.timers.cancel(this.initTimer);
    this.resolveInit(frame);
    if (!this.settings.stalled && !this.refusedBy(frame)) void this.start(frame);
  }

  private recordUserAudio(bytes: Uint8Array): void {
    if (this.idleTimer !== undefined) this.armIdleTimer();
    this.inbox.addAudio(bytes);
  }

  /** transport_receive_timeout: no user audio for userAudioTimeoutMs. */
  private armIdleTimer(): void {
    this.timers.cancel(this.idleTimer);
    this.idleTimer = this.timers.after(this.settings.userAudioTimeoutMs, () => {
      this.error(1002, "transport_receive_timeout", "No user audio received");
    });
  }

  /** The socket is gone: stop every timer and turn; pending waits fail. */
  onSocketClosed(code: number, reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stopActivity();
    if (!this.initReceived) this.resolveInit(null);
    this.inbox.close(code);
    this.settings.logger?.info("fake agent conversation closed", { conversation_id: this.id, code });
    this.resolveClosed({ code, reason });
  }

  freeze(): void {
    if (this.isClosed || this.frozen) return;
    this.frozen = true;
    this.settings.logger?.info("fake agent conversation frozen", { conversation_id: this.id });
    this.stopActivity();
    this.socket?.pause?.();
  }

  /** Stops the current turn, every timer and every sleeper. */
  private stopActivity(): void {
    this.turns.abortCurrent();
    this.timers.stop();
  }

  /** Each user_audio_chunk as it arrives (for personas). */
  onUserAudio(listener: (bytes: Uint8Array) => void): void {
    this.inbox.onAudio(listener);
  }

  /** Each other client frame as it arrives (for personas). */
  onClientFrame(listener: (frame: any) => void): void {
    this.inbox.onFrame(listener);
  }

  nextEventId(): number {
    this.eventCounter += 1;
    return this.eventCounter;
  }

  claimEventId(id: number): void {
    this.eventCounter = Math.max(this.eventCounter, id);
  }

  speak(turn: SpeakTurn): Promise<number> {
    return this.turns.speak(turn);
  }

  speakSamples(samples: Int16Array, text: string): Promise<number> {
    return this.turns.speakSamples(samples, text);
  }

  async interrupt(options: { staleAudioMs?: number; sameEventId?: boolean } = {}): Promise<number> {
    return this.turns.interrupt(options);
  }

  sendStaleAudio(eventId: number, durationMs: number): void {
    this.turns.sendStaleAudio(eventId, durationMs);
  }

  async clientToolCall(toolName: string, parameters: Record<string, unknown>): Promise<string> {
    return tools.clientToolCall(this, toolName, parameters);
  }

  systemToolResponse(toolName: string, options?: SystemToolOptions): string {
    return tools.systemToolResponse(this, toolName, options);
  }

  endCall(options: EndCallOptions): Promise<void> {
    return tools.endCall(this, options);
  }

  transferToNumber(options: TransferToNumberOptions): string {
    return tools.transferToNumber(this, options);
  }

  playKeypadTouchTone(tones: string, order?: FullPayloadOrder): string {
    return tools.playKeypadTouchTone(this, tones, order);
  }

  dtmfRequest(digits: string): number {
    return tools.dtmfRequest(this, digits);
  }

  mcpToolCall(options?: McpToolCallOptions): Promise<McpToolOutcome> {
    return tools.mcpToolCall(this, options);
  }

  async exceedMaxDuration(): Promise<void> {
    if (!this.isOpen) return;
    await this.turns.final(this.settings.maxDurationMessage && { toneHz: MAX_DURATION_TONE_HZ, ...this.settings.maxDurationMessage });
    this.error(1000, "max_duration_exceeded");
  }

  sendEvent(event: ServerEvent): void {
    this.sendFrame(event);
  }

  sendRaw(data: string | Uint8Array): void {
    if (this.isOpen && !this.frozen) this.socket!.send(data);
  }

  userTranscript(text: string): void {
    this.settings.logger?.debug("fake agent heard", { conversation_id: this.id, user_transcript: text });
    this.sendFrame(userTranscriptFrame(text, this.nextEventId()));
  }

  agentResponseCorrection(original: string, corrected: string): void {
    this.sendFrame(agentResponseCorrectionFrame(original, corrected, this.turns.lastEventId));
  }

  close(code: number, reason?: string): void {
    if (this.isClosed || !this.socket) return;
    this.turns.abortCurrent();
    this.socket.close(code, reason ?? CLOSE_REASONS[code] ?? "");
  }

  error(code: 1000 | 1002 | 1008 | 1011, errorType?: AgentErrorType, message?: string, more: Omit<ErrorDetails, "errorType" | "message"> = {}): void {
    this.sendFrame(errorFrame(code, { errorType, message, ...more }));
    this.close(code, message ?? errorType ?? CLOSE_REASONS[code]);
  }

  waitForMessage(predicate: (m: any) => boolean, timeoutMs = 5000): Promise<any> {
    return this.inbox.waitFor(predicate, timeoutMs);
  }

  /** Sends a frame if the socket is open (and not frozen). */
  sendFrame(frame: object): void {
    if (!this.isOpen || this.frozen) return;
    this.socket!.send(JSON.stringify(frame));
  }

  /** Resolves after `ms` on the conversation's clock, or at once when it ends. */
  sleep(ms: number): Promise<void> {
    return this.timers.sleep(ms);
  }

  private ping(): void {
    this.pingCounter += 1;
    this.pingSentAt.set(this.pingCounter, this.clock.now());
    this.sendFrame(pingFrame(this.pingCounter, this.lastPingMs));
  }

  private onPong(frame: { event_id?: unknown }): void {
    const sentAt = typeof frame.event_id === "number" ? this.pingSentAt.get(frame.event_id) : undefined;
    if (sentAt === undefined) return;
    this.pingSentAt.delete(frame.event_id as number);
    this.lastPingMs = Math.round(this.clock.now() - sentAt);
  }
}
