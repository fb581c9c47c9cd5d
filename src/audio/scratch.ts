/** Per-call reusable typed arrays with a bound on what a call keeps. */

/**
 * A buffer reused from one chunk to the next: it grows (doubling) to fit the chunks a call sees, up to
 * `maxKept` elements. A larger chunk gets an array of its own that is not kept, so one long agent
 * chunk does not hold its size for the rest of the call.
 *
 * @example
 * const scratch = new Scratch((n) => new Uint8Array(n), 2048, 16_384);
 * const room = scratch.get(1200); // reused next time
 */
export class Scratch<T extends Uint8Array | Int16Array> {
  private buffer: T;

  constructor(
    private readonly make: (length: number) => T,
    initialLength: number,
    private readonly maxKept: number,
  ) {
    this.buffer = make(initialLength);
  }

  /** An array of at least `length` elements, valid until the next `get`. */
  get(length: number): T {
    if (this.buffer.length >= length) return this.buffer;
    if (length > this.maxKept) return this.make(length);
    this.buffer = this.make(Math.min(this.maxKept, Math.max(length, this.buffer.length * 2)));
    return this.buffer;
  }

  /** Elements kept now. */
  get keptLength(): number {
    return this.buffer.length;
  }
}

/** What a call keeps per scratch at most: 16 KiB (about half a second of 16 kHz PCM). */
export const MAX_KEPT_BYTES = 16_384;
export const MAX_KEPT_SAMPLES = 8192;

/**
 * Decodes a leg's base64 audio payloads into one reused buffer (kept up to MAX_KEPT_BYTES).
 *
 * @example
 * const decoder = new Base64Decoder(1024);
 * const bytes = decoder.decode(frame.media.payload); // undefined: not base64
 */
export class Base64Decoder {
  private readonly scratch: Scratch<Uint8Array>;

  constructor(initialBytes: number) {
    this.scratch = new Scratch((n) => new Uint8Array(n), initialBytes, MAX_KEPT_BYTES);
  }

  /** The payload's bytes, a view valid until the next `decode`; undefined when it is not base64. */
  decode(base64: string): Uint8Array | undefined {
    // Base64 is 4 characters per 3 bytes: make room, then decode in place.
    const room = this.scratch.get((base64.length >> 2) * 3 + 3);
    try {
      return room.subarray(0, room.setFromBase64(base64).written);
    } catch {
      return undefined;
    }
  }
}
