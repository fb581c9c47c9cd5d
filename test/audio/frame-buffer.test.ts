import { describe, expect, test } from "bun:test";
import { FrameBuffer } from "../../src/audio/frame-buffer.ts";
import { concat, randomChunks, seededRandom } from "./signals.ts";

function bytes(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

describe("FrameBuffer", () => {
  test("agent chunks of any size come out as playAudio-sized pieces, in order, across wrap-around", () => {
    const audio = bytes(48_000, 1); // 6 s of μ-law
    const buffer = new FrameBuffer(8000); // 1 s: the stream wraps many times
    const pieces: Uint8Array[] = [];
    let offset = 0;
    for (const size of randomChunks(audio.length, 3000, 5)) {
      buffer.push(audio.subarray(offset, offset + size));
      offset += size;
      while (buffer.byteLength >= 1600) pieces.push(buffer.take(1600)!); // 200 ms pieces
    }
    pieces.push(buffer.takeAll());
    expect(concat(pieces)).toEqual(audio);
    expect(buffer.capacityBytes).toBe(8000); // never needed to grow
  });

  test("knows how many milliseconds it holds at 8 kHz μ-law", () => {
    const buffer = new FrameBuffer(1600);
    expect(buffer.durationMs).toBe(0);
    buffer.push(new Uint8Array(160));
    expect(buffer.durationMs).toBe(20);
    buffer.push(new Uint8Array(4));
    expect([buffer.byteLength, buffer.durationMs]).toEqual([164, 20.5]);
    buffer.take(100);
    expect(buffer.byteLength).toBe(64);
  });

  test("take returns what is there when asked for more, undefined when empty", () => {
    const buffer = new FrameBuffer(16);
    expect(buffer.take(10)).toBeUndefined();
    buffer.push(Uint8Array.of(1, 2, 3));
    expect(buffer.take(0)).toBeUndefined();
    expect(buffer.take(10)).toEqual(Uint8Array.of(1, 2, 3));
    expect(buffer.take(10)).toBeUndefined();
    expect(buffer.takeAll()).toEqual(new Uint8Array(0));
  });

  test("taken pieces are copies: later pushes do not change them", () => {
    const buffer = new FrameBuffer(4);
    buffer.push(Uint8Array.of(1, 2, 3, 4));
    const piece = buffer.take(2)!;
    buffer.push(Uint8Array.of(9, 9));
    expect(piece).toEqual(Uint8Array.of(1, 2));
    expect(buffer.takeAll()).toEqual(Uint8Array.of(3, 4, 9, 9));
  });

  test("a push larger than the capacity grows the buffer and loses nothing", () => {
    const buffer = new FrameBuffer(100);
    buffer.push(bytes(70, 2));
    buffer.take(50); // head in the middle, then wrap
    const big = bytes(1000, 3);
    buffer.push(big);
    expect(buffer.capacityBytes).toBeGreaterThanOrEqual(1020);
    expect(buffer.takeAll()).toEqual(concat([bytes(70, 2).subarray(50), big]));
  });

  test("clear drops everything (barge-in)", () => {
    const buffer = new FrameBuffer(320);
    buffer.push(new Uint8Array(300));
    buffer.clear();
    expect([buffer.byteLength, buffer.durationMs]).toEqual([0, 0]);
    buffer.push(Uint8Array.of(7));
    expect(buffer.takeAll()).toEqual(Uint8Array.of(7));
  });

  test("rejects a nonsensical capacity", () => {
    expect(() => new FrameBuffer(0)).toThrow(/positive whole number/);
    expect(() => new FrameBuffer(1.5)).toThrow(RangeError);
  });
});
