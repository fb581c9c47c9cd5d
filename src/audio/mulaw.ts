/** G.711 μ-law codec (ITU-T G.711, BIAS 0x84, CLIP 32635) by table lookup. */

const BIAS = 0x84;
const CLIP = 32635;

function decodeCode(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + BIAS) << exponent) - BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

function encodeSample(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = sample < 0 ? -sample : sample;
  if (magnitude > CLIP) magnitude = CLIP;
  magnitude += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** 256 entries: μ-law code → linear sample. */
const DECODE_TABLE = new Int16Array(256);
for (let code = 0; code < 256; code++) DECODE_TABLE[code] = decodeCode(code);

/** 65,536 entries indexed by the sample's 16-bit pattern (sample & 0xffff) → μ-law code. */
const ENCODE_TABLE = new Uint8Array(65_536);
for (let bits = 0; bits < 65_536; bits++) ENCODE_TABLE[bits] = encodeSample((bits << 16) >> 16);

/**
 * Decode μ-law bytes to 16-bit linear samples.
 * @param output optional destination with at least `input.length` samples (no allocation when given).
 */
export function mulawDecode(input: Uint8Array, output: Int16Array = new Int16Array(input.length)): Int16Array {
  const n = input.length;
  if (output.length < n) throw new RangeError(`mulawDecode: output holds ${output.length} samples, need ${n}`);
  const table = DECODE_TABLE;
  let i = 0;
  // Four per step: ~20% faster than one per step in JavaScriptCore (bench/audio.ts).
  for (; i + 4 <= n; i += 4) {
    output[i] = table[input[i]!]!;
    output[i + 1] = table[input[i + 1]!]!;
    output[i + 2] = table[input[i + 2]!]!;
    output[i + 3] = table[input[i + 3]!]!;
  }
  for (; i < n; i++) output[i] = table[input[i]!]!;
  return output;
}

/**
 * Encode 16-bit linear samples to μ-law bytes.
 * @param output optional destination with at least `input.length` bytes (no allocation when given).
 */
export function mulawEncode(input: Int16Array, output: Uint8Array = new Uint8Array(input.length)): Uint8Array {
  const n = input.length;
  if (output.length < n) throw new RangeError(`mulawEncode: output holds ${output.length} bytes, need ${n}`);
  const table = ENCODE_TABLE;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    output[i] = table[input[i]! & 0xffff]!;
    output[i + 1] = table[input[i + 1]! & 0xffff]!;
    output[i + 2] = table[input[i + 2]! & 0xffff]!;
    output[i + 3] = table[input[i + 3]! & 0xffff]!;
  }
  for (; i < n; i++) output[i] = table[input[i]! & 0xffff]!;
  return output;
}

/** μ-law code of digital silence (linear 0). */
/** Bytes one millisecond of μ-law at 8 kHz takes (one byte per sample): Mcube's media format. */
export const MULAW_BYTES_PER_MS = 8;

export const MULAW_SILENCE = 0xff;
