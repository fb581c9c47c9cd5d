/** The fake agent's turns: audio streamed ahead of real time in irregular chunks, one turn after another, interruptions and late audio. */
import type { AgentAudioFormat } from "../audio/agent-format.ts";
import type { Clock } from "../base/clock.ts";
import type { Logger } from "../log/logger.ts";
import { chunkPlanMs, encodeAgentAudio, formatInfo, seededRandom, sliceByPlan } from "./agent-audio.ts";
import { agentResponseCompleteFrame, agentResponseFrame, audioFrame, interruptionFrame } from "./agent-wire.ts";
import type { SpeakTurn } from "./fake-agent-types.ts";
import { tonePcm16 } from "./tones.ts";

/** Tone of the scripted first message. */
export const FIRST_MESSAGE_TONE_HZ = 440;
/** Default tones of later scripted turns, in order (then repeating). */
export const TURN_TONES_HZ = [660, 880, 550, 770, 990, 330] as const;
/** Tone of late audio sent after an interruption: a client that plays it has a bug. */
export const STALE_TONE_HZ = 1250;

/** What the turns need from their conversation. */
export interface TurnHost {
  readonly clock: Clock;
  readonly isOpen: boolean;
  sendFrame(frame: object): void;
  nextEventId(): number;
  /** Moves the event counter up to at least `id`. */
  claimEventId(id: number): void;
  /** Resolves after `ms` on the clock, or at once when the conversation ends. */
  sleep(ms: number): Promise<void>;
}

export interface TurnSettings {
  conversationId: string;
  outputFormat: AgentAudioFormat;
  realtimeFactor: number;
  seed: number;
  /** Default for agent_response_complete after each turn. */
  agentResponseComplete: boolean;
  logger?: Logger;
}

/** A turn being streamed; `aborted` stops it between chunks. */
interface ActiveTurn {
  id: number;
  aborted: boolean;
}

export class TurnStreamer {
  /** event_id of the turn being spoken, or of the last one. */
  lastEventId = 0;
  /** Clock time (ms) until which the caller is still hearing the agent, by the real-time estimate. */
  speakingUntil = 0;

  private readonly random: () => number;
  private currentTurn: ActiveTurn | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private turnCount = 0;
  /** Set by the last turn of a conversation: queued turns after it send nothing. */
  private ended = false;

  constructor(
    private readonly host: TurnHost,
    private readonly settings: TurnSettings,
  ) {
    this.random = seededRandom(settings.seed);
  }

  private get rate(): number {
    return formatInfo(this.settings.outputFormat).sampleRate;
  }

  /** True while a turn is being sent or still playing at the caller (by the real-time estimate). */
  get isSpeaking(): boolean {
    return this.currentTurn !== undefined || this.host.clock.now() < this.speakingUntil;
  }

  /** One turn of a tone (queued behind earlier turns). */
  speak(turn: SpeakTurn): Promise<number> {
    const { samples, text } = this.render(turn);
    return this.speakSamples(samples, text, turn);
  }

  /** A turn's tone (default: the next of TURN_TONES_HZ) and its text. */
  private render(turn: SpeakTurn): { samples: Int16Array; text: string } {
    const hz = turn.toneHz ?? TURN_TONES_HZ[this.turnCount++ % TURN_TONES_HZ.length]!;
    return { samples: tonePcm16(hz, turn.durationMs, this.rate), text: turn.text ?? `(a ${hz} Hz tone for ${turn.durationMs} ms)` };
  }

  /** Speaks PCM16 samples at the output format's rate as one turn (turns queue behind each other). */
  speakSamples(samples: Int16Array, text: string, options: { eventId?: number; agentResponseComplete?: boolean } = {}): Promise<number> {
    // Turns queued behind the conversation's last one are never spoken.
    return this.then(() => (this.ended ? this.lastEventId : this.stream(samples, text, options)));
  }

  /** Runs `task` in turn order: after every turn queued before it. */
  then<T>(task: () => T | Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Later turns wait until `gate` settles (e.g. a tool call waiting for approval). */
  hold(gate: Promise<unknown>): void {
    this.chain = this.chain.then(() => gate).catch(() => undefined);
  }

  /** The conversation's last turn, spoken now: the current turn stops and queued ones are dropped. */
  async final(turn: SpeakTurn | null): Promise<void> {
    this.ended = true;
    this.abortCurrent();
    if (!turn) return;
    const { samples, text } = this.render(turn);
    await this.stream(samples, text, turn);
  }

  private async stream(samples: Int16Array, text: string, options: { eventId?: number; agentResponseComplete?: boolean }): Promise<number> {
    const { host } = this;
    const id = options.eventId ?? host.nextEventId();
    host.claimEventId(id);
    this.lastEventId = id;
    if (!host.isOpen) return id;
    const { realtimeFactor, outputFormat } = this.settings;
    const rate = this.rate;
    const durationMs = (samples.length * 1000) / rate;
    const turn: ActiveTurn = { id, aborted: false };
    this.currentTurn = turn;
    this.speakingUntil = Math.max(host.clock.now(), this.speakingUntil) + durationMs;
    this.settings.logger?.debug("fake agent turn", { conversation_id: this.settings.conversationId, event_id: id, agent_response: text });
    // agent_response carries the turn's whole text and goes with the first audio chunk.
    host.sendFrame(agentResponseFrame(text, id));
    const plan = chunkPlanMs(durationMs, this.random);
    const pieces = sliceByPlan(samples, rate, plan);
    for (let i = 0; i < pieces.length; i++) {
      if (turn.aborted || !host.isOpen) break;
      host.sendFrame(audioFrame(encodeAgentAudio(pieces[i]!, outputFormat), id));
      await host.sleep((plan[i] ?? 0) / realtimeFactor);
    }
    if (turn.aborted) this.speakingUntil = host.clock.now();
    else if (options.agentResponseComplete ?? this.settings.agentResponseComplete) host.sendFrame(agentResponseCompleteFrame(id));
    if (this.currentTurn === turn) this.currentTurn = undefined;
    return id;
  }

  /**
   * Stops the current turn and sends `interruption`. Its id is newer than the interrupted turn's (clients drop audio
   * with event_id <= it), or the turn's own id with sameEventId (the service has been seen doing both).
   */
  interrupt(options: { staleAudioMs?: number; sameEventId?: boolean } = {}): number {
    const interruptedId = this.currentTurn?.id ?? this.lastEventId;
    this.abortCurrent();
    this.speakingUntil = this.host.clock.now();
    const id = options.sameEventId ? interruptedId : this.host.nextEventId();
    this.host.sendFrame(interruptionFrame(id));
    if (options.staleAudioMs) this.sendStaleAudio(interruptedId, options.staleAudioMs);
    return id;
  }

  sendStaleAudio(eventId: number, durationMs: number): void {
    const { outputFormat } = this.settings;
    const samples = tonePcm16(STALE_TONE_HZ, durationMs, this.rate);
    for (const piece of sliceByPlan(samples, this.rate, chunkPlanMs(durationMs, this.random))) {
      this.host.sendFrame(audioFrame(encodeAgentAudio(piece, outputFormat), eventId));
    }
  }

  /** Stops the turn being streamed (between chunks). */
  abortCurrent(): void {
    if (this.currentTurn) this.currentTurn.aborted = true;
  }
}
