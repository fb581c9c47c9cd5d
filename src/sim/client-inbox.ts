/** What a fake conversation received from its client: audio, the other frames, and waits for a frame (timed on a clock). */
import type { Clock } from "../base/clock.ts";
import { concatBytes } from "./tones.ts";

type Listener<T> = (value: T) => void;

interface Waiter {
  predicate: (m: any) => boolean;
  resolve: (m: any) => void;
  reject: (err: Error) => void;
}

export class ClientInbox {
  /** Every client frame except audio chunks, parsed, in arrival order. */
  readonly messages: unknown[] = [];
  private readonly audioParts: Uint8Array[] = [];
  private audioCache: Uint8Array | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly audioListeners: Listener<Uint8Array>[] = [];
  private readonly frameListeners: Listener<any>[] = [];
  private closedReason: string | undefined;

  constructor(private readonly clock: Clock) {}

  /** Every user_audio_chunk received, concatenated. */
  get userAudio(): Uint8Array {
    this.audioCache ??= concatBytes(this.audioParts);
    return this.audioCache;
  }

  addAudio(bytes: Uint8Array): void {
    this.audioParts.push(bytes);
    this.audioCache = undefined;
    for (const listener of this.audioListeners) listener(bytes);
  }

  addFrame(frame: any): void {
    this.messages.push(frame);
    for (const listener of this.frameListeners) listener(frame);
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(frame)) {
        this.waiters.delete(waiter);
        waiter.resolve(frame);
      }
    }
  }

  onAudio(listener: Listener<Uint8Array>): void {
    this.audioListeners.push(listener);
  }

  onFrame(listener: Listener<any>): void {
    this.frameListeners.push(listener);
  }

  /** First frame (already received or future) matching `predicate`; rejects after `timeoutMs` on the clock or when the conversation closes. */
  waitFor(predicate: (m: any) => boolean, timeoutMs: number): Promise<any> {
    const found = this.messages.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    if (this.closedReason) return Promise.reject(new Error(`fake agent: ${this.closedReason} before a matching client frame`));
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(() => {
        this.waiters.delete(waiter);
        reject(new Error(`fake agent: no matching client frame within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = <T>(fn: (v: T) => void) => (value: T) => {
        this.clock.clearTimer(timer);
        fn(value);
      };
      const waiter: Waiter = { predicate, resolve: settle(resolve), reject: settle(reject) };
      this.waiters.add(waiter);
    });
  }

  /** The conversation ended: pending and later waits fail. */
  close(code: number): void {
    this.closedReason = `conversation closed (${code})`;
    for (const waiter of this.waiters) waiter.reject(new Error(`fake agent: ${this.closedReason} before a matching client frame`));
    this.waiters.clear();
  }
}
