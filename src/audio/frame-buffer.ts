/** Ring buffer of μ-law 8 kHz bytes: agent chunks of any size in, playAudio-sized pieces out. */
import { MULAW_BYTES_PER_MS } from "./mulaw.ts";

/**
 * Preallocated FIFO of μ-law bytes. `capacityBytes` is the initial allocation; a push that does
 * not fit doubles it (audio is never dropped silently; `clear()` is the way to drop it).
 * @example const fb = new FrameBuffer(8000 * 10); fb.push(chunk); const piece = fb.take(160 * 10);
 */
export class FrameBuffer {
  private storage: Uint8Array;
  private head = 0;
  private length = 0;

  constructor(capacityBytes: number) {
    if (!Number.isInteger(capacityBytes) || capacityBytes < 1) {
      throw new RangeError(`FrameBuffer capacity must be a positive whole number of bytes, got ${capacityBytes}`);
    }
    this.storage = new Uint8Array(capacityBytes);
  }

  /** Bytes held. */
  get byteLength(): number {
    return this.length;
  }

  /** Milliseconds of audio held (at 8 kHz μ-law). */
  get durationMs(): number {
    return this.length / MULAW_BYTES_PER_MS;
  }

  /** Bytes the buffer holds without growing. */
  get capacityBytes(): number {
    return this.storage.length;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.length + bytes.length > this.storage.length) this.grow(this.length + bytes.length);
    const capacity = this.storage.length;
    const tail = (this.head + this.length) % capacity;
    const first = Math.min(bytes.length, capacity - tail);
    this.storage.set(bytes.subarray(0, first), tail);
    if (first < bytes.length) this.storage.set(bytes.subarray(first), 0);
    this.length += bytes.length;
  }

  /** Remove and return up to `maxBytes` from the front, or undefined when empty. */
  take(maxBytes: number): Uint8Array | undefined {
    if (this.length === 0 || maxBytes <= 0) return undefined;
    const count = Math.min(Math.floor(maxBytes), this.length);
    const out = new Uint8Array(count);
    this.copyOut(out, count);
    return out;
  }

  /** Remove and return everything held (an empty array when empty). */
  takeAll(): Uint8Array {
    const out = new Uint8Array(this.length);
    this.copyOut(out, this.length);
    return out;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }

  private copyOut(out: Uint8Array, count: number): void {
    const capacity = this.storage.length;
    const first = Math.min(count, capacity - this.head);
    out.set(this.storage.subarray(this.head, this.head + first), 0);
    if (first < count) out.set(this.storage.subarray(0, count - first), first);
    this.head = (this.head + count) % capacity;
    this.length -= count;
    if (this.length === 0) this.head = 0;
  }

  private grow(minimum: number): void {
    let capacity = this.storage.length * 2;
    while (capacity < minimum) capacity *= 2;
    const grown = new Uint8Array(capacity);
    const held = this.length;
    this.copyOut(grown, held);
    this.storage = grown;
    this.head = 0;
    this.length = held;
  }
}
