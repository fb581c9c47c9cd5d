/**
 * The small interfaces the call core needs from the layers around it. The core owns them; the
 * single-process defaults live in call/, the cluster (Redis), store and recording layers implement
 * them, and the composition root (service.ts) wires one of each.
 */
import type { LiveCall } from "./call-record.ts";

/** Gives an agent-connection slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

/** ELEVENLABS_MAX_CONNECTIONS: slots for open agent conversations, granted in arrival order. */
export interface AgentSlots {
  /**
   * A slot, at once when one is free, else after the callers queued before this one. Rejects with a
   * HomebookError of code "capacity" after ELEVENLABS_QUEUE_TIMEOUT_MS, or when `signal` aborts.
   */
  acquire(signal: AbortSignal): Promise<ReleaseSlot>;
  /** Slots held (cluster-wide when the implementation is). */
  readonly inUse: number;
  /** Callers waiting for a slot. */
  readonly waiting: number;
}

/** Live calls beyond this process (a cluster registry); absent on a single gateway. */
export interface CallRegistry {
  /** Claims a session id for this gateway; false when another gateway holds it live. */
  claim(sessionId: string): Promise<boolean>;
  /** The current view of a live call of this gateway (state changes; the registry keeps it fresh). */
  update(call: LiveCall): void;
  /** The call ended on this gateway. */
  release(sessionId: string): void;
  /** Live calls of every gateway, each with its `instance`. */
  list(): Promise<LiveCall[]>;
  find(sessionId: string): Promise<LiveCall | undefined>;
}

/**
 * One call's recording. Audio is 16-bit PCM at 8 kHz; `atMs` is milliseconds since the call's start
 * on the call's clock. The right channel is what the caller heard: audio sent plays from when it was
 * queued, in order, and `cleared` drops whatever had not been played yet.
 */
export interface CallRecording {
  /** Caller audio as received. */
  caller(samples: Int16Array, atMs: number): void;
  /** Audio sent to the caller (queued at Mcube from `atMs`). */
  sent(samples: Int16Array, atMs: number): void;
  /** Mcube dropped its queue (clearAudio). */
  cleared(atMs: number): void;
  /** The call ended at `atMs`: write what is left and close the file. True when a file was kept. */
  close(atMs: number): boolean;
}

/** Opens recordings for calls that should be recorded (RECORDING and the bot's override). */
export interface Recordings {
  /** A recording for this call, or undefined when it is not recorded. */
  open(sessionId: string, botRecording: boolean | undefined): CallRecording | undefined;
}
