/** One conversation on the fake ElevenLabs server: the protocol state, scripted turns, and the hooks a persona uses. */
import type { AgentAudioFormat } from "../audio/agent-format.ts";
import type { Logger } from "../log/logger.ts";
import { chunkPlanMs, encodeAgentAudio, formatInfo, seededRandom, sliceByPlan } from "./agent-audio.ts";
import {
  agentResponseCorrectionFrame,
  agentResponseFrame,
  agentToolResponseFrame,
  audioFrame,
  clientToolCallFrame,
  errorFrame,
  interruptionFrame,
  metadataFrame,
  pingFrame,
  userTranscriptFrame,
  CLOSE_REASONS,
} from "./agent-wire.ts";
import type { FakeConversation, SpeakTurn } from "./fake-agent-types.ts";
import { concatBytes, tonePcm16 } from "./tones.ts";

/** Tone of the scripted first message. */
export const FIRST_MESSAGE_TONE_HZ = 440;
/** Default tones of later scripted turns, in order (then repeating). */
export const TURN_TONES_HZ = [660, 880, 550, 770, 990, 330] as const;
/** Tone of late audio sent after an interruption: a client that plays it has a bug. */
export const STALE_TONE_HZ = 1250;

export interface SocketLike {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Stop reading the socket (client frames and pings pile up unread). */
  pause?(): void;
}

export interface ConversationSettings {
  id: string;
  agentId: string;
  inputFormat: AgentAudioFormat;
  outputFormat: AgentAudioFormat;
  pingIntervalMs: number;
  realtimeFactor: number;
  seed: number;
  logger?: Logger;
}

type Listener<T> = (value: T) => void;

interface Waiter {
  predicate: (m: any) => boolean;
  resolve: (m: any) => void;
}

/** A turn being streamed; `aborted` stops it between chunks. */
interface ActiveTurn {
  id: number;
  aborted: boolean;
}

export class FakeConversationSession implements FakeConversation {
  readonly id: string;
  readonly agentId: string;
  readonly init: Promise<unknown>;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly messages: unknown[] = [];
  /** Wall-clock time (performance.now) until which the caller is still hearing the agent. */
  speakingUntil = 0;

  private readonly settings: ConversationSettings;
  private readonly random: () => number;
  private readonly audioParts: Uint8Array[] = [];
  private audioCache: Uint8Array | undefined;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly sleepers = new Set<() => void>();
  private readonly waiters = new Set<Waiter>();
  private readonly audioListeners: Listener<Uint8Array>[] = [];
  private readonly frameListeners: Listener<any>[] = [];
  private socket: SocketLike | undefined;
  private resolveInit!: (frame: unknown) => void;
  private resolveClosed!: (value: { code: number; reason: string }) => void;
  private initReceived = false;
  private isClosed = false;
  private frozen = false;
  private eventCounter = 0;
  private pingCounter = 0;
  private pingSentAt = new Map<number, number>();
  private lastPingMs: number | null = null;
  /** Scripted turns spoken without an explicit tone (picks the next of TURN_TONES_HZ). */
  private turnCount = 0;
  private currentTurn: ActiveTurn | undefined;
  private speakChain: Promise<unknown> = Promise.resolve();
  lastAgentEventId = 0;

  constructor(settings: ConversationSettings) {
    this.settings = settings;
    this.id = settings.id;
    this.agentId = settings.agentId;
    this.random = seededRandom(settings.seed);
    this.init = new Promise((resolve) => (this.resolveInit = resolve));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get userAudio(): Uint8Array {
    if (!this.audioCache) this.audioCache = concatBytes(this.audioParts);
    return this.audioCache;
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

  /** The socket opened. */
  attach(socket: SocketLike): void {
    this.socket = socket;
  }

  /** The request is accepted: metadata goes first, then pings start. */
  begin(): void {
    const { id, outputFormat, inputFormat, pingIntervalMs } = this.settings;
    this.settings.logger?.info("fake agent conversation started", { conversation_id: id, agent_id: this.agentId });
    this.sendFrame(metadataFrame(id, outputFormat, inputFormat));
    this.every(pingIntervalMs, () => this.ping());
  }

  /** The socket opened but the request is refused before any frame (unknown agent, bad signature). */
  refuse(code: number, reason: string): void {
    this.socket?.close(code, reason);
  }

  /** Raw client text frame. Returns false when it was malformed (the conversation is then closing). */
  receive(text: string): boolean {
    if (this.frozen) return true; // a dead server reads nothing
    let frame: any;
    try {
      frame = JSON.parse(text);
    } catch {
      this.error(1008, "invalid_message", "Invalid message received");
      return false;
    }
    if (frame === null || typeof frame !== "object") {
      this.error(1008, "invalid_message", "Invalid message received");
      return false;
    }
    if (typeof frame.user_audio_chunk === "string") {
      const bytes = new Uint8Array(Buffer.from(frame.user_audio_chunk, "base64"));
      this.audioParts.push(bytes);
      this.audioCache = undefined;
      for (const listener of this.audioListeners) listener(bytes);
      return true;
    }
    this.messages.push(frame);
    if (frame.type === "pong") this.onPong(frame);
    if (!this.initReceived) {
      this.initReceived = true;
      this.resolveInit(frame.type === "conversation_initiation_client_data" ? frame : null);
    }
    for (const listener of this.frameListeners) listener(frame);
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(frame)) {
        this.waiters.delete(waiter);
        waiter.resolve(frame);
      }
    }
    return true;
  }

  /** The socket is gone: stop every timer and turn. */
  onSocketClosed(code: number, reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stopActivity();
    if (!this.initReceived) this.resolveInit(null);
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
    if (this.currentTurn) this.currentTurn.aborted = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  onUserAudio(listener: Listener<Uint8Array>): void {
    this.audioListeners.push(listener);
  }

  onClientFrame(listener: Listener<any>): void {
    this.frameListeners.push(listener);
  }

  nextEventId(): number {
    this.eventCounter += 1;
    return this.eventCounter;
  }

  speak(turn: SpeakTurn): Promise<number> {
    const { outputFormat } = this.settings;
    const hz = turn.toneHz ?? TURN_TONES_HZ[this.turnCount++ % TURN_TONES_HZ.length]!;
    const samples = tonePcm16(hz, turn.durationMs, formatInfo(outputFormat).sampleRate);
    return this.speakSamples(samples, turn.text ?? `(a ${hz} Hz tone for ${turn.durationMs} ms)`, turn.eventId);
  }

  /** Speaks PCM16 samples at the output format's rate as one turn (turns queue behind each other). */
  speakSamples(samples: Int16Array, text: string, eventId?: number): Promise<number> {
    const run = this.speakChain.then(() => this.streamTurn(samples, text, eventId));
    this.speakChain = run.catch(() => undefined);
    return run;
  }

  private async streamTurn(samples: Int16Array, text: string, eventId: number | undefined): Promise<number> {
    const id = eventId ?? this.nextEventId();
    this.eventCounter = Math.max(this.eventCounter, id);
    this.lastAgentEventId = id;
    if (!this.isOpen) return id;
    const { outputFormat, realtimeFactor } = this.settings;
    const rate = formatInfo(outputFormat).sampleRate;
    const durationMs = (samples.length * 1000) / rate;
    const turn: ActiveTurn = { id, aborted: false };
    this.currentTurn = turn;
    this.speakingUntil = Math.max(performance.now(), this.speakingUntil) + durationMs;
    this.settings.logger?.debug("fake agent turn", { conversation_id: this.id, event_id: id, agent_response: text });
    // agent_response carries the turn's whole text and goes with the first audio chunk.
    this.sendFrame(agentResponseFrame(text, id));
    const plan = chunkPlanMs(durationMs, this.random);
    const pieces = sliceByPlan(samples, rate, plan);
    for (let i = 0; i < pieces.length; i++) {
      if (turn.aborted || !this.isOpen) break;
      this.sendFrame(audioFrame(encodeAgentAudio(pieces[i]!, outputFormat), id));
      await this.sleep((plan[i] ?? 0) / realtimeFactor);
    }
    if (turn.aborted) this.speakingUntil = performance.now();
    if (this.currentTurn === turn) this.currentTurn = undefined;
    return id;
  }

  /** True while a turn is being sent or still playing at the caller (by real-time estimate). */
  get isSpeaking(): boolean {
    return this.currentTurn !== undefined || performance.now() < this.speakingUntil;
  }

  async interrupt(options: { staleAudioMs?: number } = {}): Promise<number> {
    const turn = this.currentTurn;
    const interruptedId = turn?.id ?? this.lastAgentEventId;
    if (turn) turn.aborted = true;
    this.speakingUntil = performance.now();
    // The interruption id is newer than the interrupted turn's; clients drop audio with event_id <= it.
    const id = this.nextEventId();
    this.sendFrame(interruptionFrame(id));
    if (options.staleAudioMs) this.sendStaleAudio(interruptedId, options.staleAudioMs);
    return id;
  }

  sendStaleAudio(eventId: number, durationMs: number): void {
    const { outputFormat } = this.settings;
    const rate = formatInfo(outputFormat).sampleRate;
    const samples = tonePcm16(STALE_TONE_HZ, durationMs, rate);
    for (const piece of sliceByPlan(samples, rate, chunkPlanMs(durationMs, this.random))) {
      this.sendFrame(audioFrame(encodeAgentAudio(piece, outputFormat), eventId));
    }
  }

  async clientToolCall(toolName: string, parameters: Record<string, unknown>): Promise<string> {
    const toolCallId = `${toolName}_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
    this.sendFrame(clientToolCallFrame(toolName, toolCallId, parameters, this.lastAgentEventId));
    return toolCallId;
  }

  systemToolResponse(toolName: string): void {
    const toolCallId = `${toolName}_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
    this.sendFrame(agentToolResponseFrame(toolName, toolCallId, "system", this.lastAgentEventId));
  }

  userTranscript(text: string): void {
    this.settings.logger?.debug("fake agent heard", { conversation_id: this.id, user_transcript: text });
    this.sendFrame(userTranscriptFrame(text, this.nextEventId()));
  }

  agentResponseCorrection(original: string, corrected: string): void {
    this.sendFrame(agentResponseCorrectionFrame(original, corrected, this.lastAgentEventId));
  }

  close(code: number, reason?: string): void {
    if (this.isClosed || !this.socket) return;
    if (this.currentTurn) this.currentTurn.aborted = true;
    this.socket.close(code, reason ?? CLOSE_REASONS[code] ?? "");
  }

  error(code: number, errorType: string, message?: string): void {
    this.sendFrame(errorFrame(code, errorType, message));
    this.close(code, message ?? errorType);
  }

  waitForMessage(predicate: (m: any) => boolean, timeoutMs = 5000): Promise<any> {
    const found = this.messages.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`fake agent: no matching client frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Sends a frame if the socket is open (and not frozen). */
  sendFrame(frame: object): void {
    if (!this.isOpen || this.frozen) return;
    this.socket!.send(JSON.stringify(frame));
  }

  /** A timer owned by the conversation: cleared when it closes. */
  after(ms: number, fn: () => void): void {
    if (this.isClosed || this.frozen) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private every(ms: number, fn: () => void): void {
    this.after(ms, () => {
      fn();
      this.every(ms, fn);
    });
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.isClosed || this.frozen) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.sleepers.delete(wake);
        resolve();
      };
      this.sleepers.add(wake);
      this.after(ms, wake);
    });
  }

  private ping(): void {
    this.pingCounter += 1;
    this.pingSentAt.set(this.pingCounter, performance.now());
    this.sendFrame(pingFrame(this.pingCounter, this.lastPingMs));
  }

  private onPong(frame: { event_id?: unknown }): void {
    const sentAt = typeof frame.event_id === "number" ? this.pingSentAt.get(frame.event_id) : undefined;
    if (sentAt === undefined) return;
    this.pingSentAt.delete(frame.event_id as number);
    this.lastPingMs = Math.round(performance.now() - sentAt);
  }
}
