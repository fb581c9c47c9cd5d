import { describe, expect, test } from "bun:test";
import { mulawDecode, mulawEncode, MULAW_SILENCE } from "../../src/audio/mulaw.ts";

// Reference G.711 μ-law written from the recommendation's segment description, independently of
// the table-driven codec: segment end points searched in a table, bias 0x84, clip 32635.
const BIAS = 0x84;
const CLIP = 32635;
const SEGMENT_END = [0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff, 0x3fff, 0x7fff];

function referenceEncode(sample: number): number {
  let mask: number;
  let magnitude: number;
  if (sample < 0) {
    magnitude = -sample;
    mask = 0x7f;
  } else {
    magnitude = sample;
    mask = 0xff;
  }
  if (magnitude > CLIP) magnitude = CLIP;
  magnitude += BIAS;
  const segment = SEGMENT_END.findIndex((end) => magnitude <= end);
  if (segment < 0) return 0x7f ^ mask;
  return ((segment << 4) | ((magnitude >> (segment + 3)) & 0x0f)) ^ mask;
}

function referenceDecode(code: number): number {
  const inverted = ~code & 0xff;
  const segment = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  // Interval midpoint: (2m + 33)·2^(segment+2) − 132.
  const magnitude = (2 * mantissa + 33) * 2 ** (segment + 2) - BIAS;
  return inverted & 0x80 ? -magnitude : magnitude;
}

describe("μ-law decode", () => {
  test("all 256 codes match the reference", () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const decoded = mulawDecode(codes);
    const mismatches = [...codes].filter((code) => decoded[code] !== referenceDecode(code));
    expect(mismatches).toEqual([]);
  });

  test("golden values from G.711", () => {
    const decoded = mulawDecode(Uint8Array.from([0x00, 0x80, 0xff, 0x7f, 0x7e, 0xfe, 0xf0, 0x70]));
    expect([...decoded]).toEqual([-32124, 32124, 0, 0, -8, 8, 120, -120]);
  });

  test("writes into a caller's buffer without allocating and rejects a short one", () => {
    const out = new Int16Array(4);
    expect(mulawDecode(Uint8Array.from([0x00, 0x80]), out)).toBe(out);
    expect([...out]).toEqual([-32124, 32124, 0, 0]);
    expect(() => mulawDecode(new Uint8Array(3), new Int16Array(2))).toThrow(RangeError);
  });
});

describe("μ-law encode", () => {
  test("all 65,536 inputs match the reference", () => {
    const inputs = Int16Array.from({ length: 65_536 }, (_, i) => i - 32_768);
    const encoded = mulawEncode(inputs);
    let mismatches = 0;
    let first: number | undefined;
    for (let i = 0; i < inputs.length; i++) {
      if (encoded[i] !== referenceEncode(inputs[i]!)) {
        mismatches++;
        first ??= inputs[i];
      }
    }
    expect({ mismatches, first }).toEqual({ mismatches: 0, first: undefined });
  });

  test("golden values: silence, clipping, sign", () => {
    const encoded = mulawEncode(Int16Array.from([0, 32767, -32768, 32635, -32635, 1, -1, 8, -8]));
    expect([...encoded]).toEqual([0xff, 0x80, 0x00, 0x80, 0x00, 0xff, 0x7f, 0xfe, 0x7e]);
    expect(MULAW_SILENCE).toBe(0xff);
  });

  test("every code except negative zero survives decode → encode", () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const again = mulawEncode(mulawDecode(codes));
    const changed = [...codes].filter((code) => again[code] !== code);
    expect(changed).toEqual([0x7f]); // −0 decodes to 0, which encodes as +0 (0xff)
  });

  test("quantization error stays within half a step of each segment", () => {
    for (let sample = -32_635; sample <= 32_635; sample += 7) {
      const back = mulawDecode(mulawEncode(Int16Array.of(sample)))[0]!;
      const segment = SEGMENT_END.findIndex((end) => Math.abs(sample) + BIAS <= end);
      expect(Math.abs(back - sample)).toBeLessThanOrEqual(2 ** (segment + 2));
    }
  });

  test("writes into a caller's buffer and rejects a short one", () => {
    const out = new Uint8Array(3);
    expect(mulawEncode(Int16Array.of(0, 0), out)).toBe(out);
    expect(() => mulawEncode(new Int16Array(3), new Uint8Array(2))).toThrow(RangeError);
  });
});
