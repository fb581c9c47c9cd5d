/** Agent-side audio for the fake ElevenLabs server: format encode/decode and irregular turn chunking. */
import { parseAgentAudioFormat, type AgentAudioFormat, type AgentAudioFormatInfo } from "../audio/agent-format.ts";
import { mulawDecode, mulawEncode } from "../audio/mulaw.ts";
import { bytesToPcm16, pcm16ToBytes } from "../audio/pcm-bytes.ts";
import { createResampler } from "../audio/resampler.ts";

/** Smallest and largest `audio` event the fake sends (the real service sends TTS-sized, irregular pieces). */
export const MIN_CHUNK_MS = 60;
export const MAX_CHUNK_MS = 1500;

export function formatInfo(format: AgentAudioFormat): AgentAudioFormatInfo {
  const info = parseAgentAudioFormat(format);
  if (!info) throw new RangeError(`unknown agent audio format ${format}`);
  return info;
}

/** PCM16 samples → wire bytes in `format` (PCM16LE, or μ-law for ulaw_8000). */
export function encodeAgentAudio(samples: Int16Array, format: AgentAudioFormat): Uint8Array {
  return formatInfo(format).encoding === "ulaw" ? mulawEncode(samples) : pcm16ToBytes(samples);
}

/** Wire bytes in `format` → PCM16 samples (an odd trailing PCM byte is ignored). */
export function decodeAgentAudio(bytes: Uint8Array, format: AgentAudioFormat): Int16Array {
  if (formatInfo(format).encoding === "ulaw") return mulawDecode(bytes);
  const count = bytes.length >> 1;
  return bytesToPcm16(bytes, 0, count, new Int16Array(count));
}

/**
 * One-shot rate conversion of a whole clip with the audio module's resamplers (which pair 8 kHz
 * with an agent rate; two agent rates go through 8 kHz, the telephone band anyway).
 */
export function convertRate(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return samples;
  if (fromRate === 8000 || toRate === 8000) return createResampler(fromRate, toRate).process(samples);
  return createResampler(8000, toRate).process(createResampler(fromRate, 8000).process(samples));
}

/** Small seeded PRNG (mulberry32) so a conversation's chunking is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Splits `totalMs` into irregular chunk lengths, each from MIN_CHUNK_MS to MAX_CHUNK_MS
 * (a turn shorter than MIN_CHUNK_MS is one chunk).
 * @example chunkPlanMs(2000, Math.random) // e.g. [734, 1118, 148]
 */
export function chunkPlanMs(totalMs: number, random: () => number): number[] {
  const plan: number[] = [];
  let remaining = Math.max(0, Math.round(totalMs));
  while (remaining > 0) {
    let chunk = Math.round(MIN_CHUNK_MS + random() * (MAX_CHUNK_MS - MIN_CHUNK_MS));
    if (remaining - chunk < MIN_CHUNK_MS) {
      // Never leave a sliver shorter than the minimum behind.
      chunk = remaining <= MAX_CHUNK_MS ? remaining : remaining - MIN_CHUNK_MS;
    }
    plan.push(chunk);
    remaining -= chunk;
  }
  return plan;
}

/** Cuts PCM16 samples at `sampleRate` into pieces following a chunk plan in ms. */
export function sliceByPlan(samples: Int16Array, sampleRate: number, planMs: readonly number[]): Int16Array[] {
  const pieces: Int16Array[] = [];
  let elapsedMs = 0;
  let start = 0;
  for (const ms of planMs) {
    elapsedMs += ms;
    const end = Math.min(samples.length, Math.round((elapsedMs * sampleRate) / 1000));
    if (end > start) pieces.push(samples.subarray(start, end));
    start = end;
  }
  if (start < samples.length) pieces.push(samples.subarray(start));
  return pieces;
}
