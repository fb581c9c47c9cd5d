/** Test signals: sine tones as μ-law or PCM16, and a Goertzel detector that tells how much of a tone is in a buffer. */
import { MULAW_SILENCE, mulawDecode, mulawEncode } from "../audio/mulaw.ts";

export { MULAW_SILENCE };

/** Telephone rate: every μ-law buffer here is 8 kHz, one byte per sample. */
export const MULAW_SAMPLE_RATE = 8000;
/** Level reported for a buffer with no trace of the tone. */
export const SILENCE_DB = -120;

/** Peak amplitude of a full-scale sine at `dbfs` (0 dBFS = 32767). */
function amplitudeFor(dbfs: number): number {
  return Math.min(32767, 32767 * 10 ** (dbfs / 20));
}

/**
 * A sine tone as PCM16 samples. `phase` (radians) lets a caller continue a tone across chunks.
 * @example tonePcm16(440, 100, 16000) // 1600 samples of 440 Hz at -6 dBFS
 */
export function tonePcm16(hz: number, ms: number, sampleRate: number, dbfs = -6, phase = 0): Int16Array {
  const count = Math.round((ms * sampleRate) / 1000);
  const out = new Int16Array(count);
  const amplitude = amplitudeFor(dbfs);
  const step = (2 * Math.PI * hz) / sampleRate;
  for (let i = 0; i < count; i++) out[i] = Math.round(amplitude * Math.sin(phase + step * i));
  return out;
}

/** A sine tone as 8 kHz μ-law bytes, the way a phone line carries it. */
export function toneMulaw(hz: number, ms: number, dbfs = -6): Uint8Array {
  return mulawEncode(tonePcm16(hz, ms, MULAW_SAMPLE_RATE, dbfs));
}

/** `ms` of μ-law silence. */
export function silenceMulaw(ms: number): Uint8Array {
  return new Uint8Array(Math.round((ms * MULAW_SAMPLE_RATE) / 1000)).fill(MULAW_SILENCE);
}

/** Concatenates byte arrays into one. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

interface ToneMeasure {
  /** Level of the tone component, dBFS (peak amplitude relative to full scale). */
  toneDb: number;
  /** Share of the window's energy that is the tone, 0..1. */
  share: number;
}

/**
 * Hann-windowed Goertzel over samples[start, end). The Hann window keeps a tone 200 Hz away from
 * leaking into this bin (sidelobes fall below -60 dB), so distinct turn tones stay distinct.
 */
function measureTone(samples: Int16Array, start: number, end: number, hz: number, sampleRate: number): ToneMeasure {
  const n = end - start;
  if (n <= 0) return { toneDb: SILENCE_DB, share: 0 };
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  let windowSum = 0;
  let windowedEnergy = 0;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1 || 1));
    const x = (samples[start + i] ?? 0) * w;
    windowSum += w;
    windowedEnergy += x * x;
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2);
  // |X| = A * windowSum / 2 for a sine of peak amplitude A centred on the bin.
  const amplitude = (2 * Math.sqrt(power)) / windowSum;
  const toneDb = amplitude > 0 ? Math.max(SILENCE_DB, 20 * Math.log10(amplitude / 32768)) : SILENCE_DB;
  // Parseval: a Hann-windowed sine puts 3|X|² (main lobe, both signs of frequency) into n·energy.
  const share = windowedEnergy > 0 ? Math.min(1, (3 * power) / (n * windowedEnergy)) : 0;
  return { toneDb, share };
}

/**
 * Level in dBFS of the `hz` component of a μ-law buffer (8 kHz). A full buffer of a -6 dBFS tone
 * reads about -6; silence reads SILENCE_DB.
 */
export function toneLevelDb(mulaw: Uint8Array, hz: number): number {
  const samples = mulawDecode(mulaw);
  return measureTone(samples, 0, samples.length, hz, MULAW_SAMPLE_RATE).toneDb;
}

export interface TonePresenceOptions {
  /** Analysis window; the answer is a multiple of it. Default 20 ms (one Mcube frame). */
  windowMs?: number;
  /** Weakest level that counts as present. Default -30 dBFS. */
  minDb?: number;
  /** Least share of the window's energy the tone must carry. Default 0.5 (the tone dominates). */
  minShare?: number;
}

/** Per-window presence of a tone: true where the window holds that tone. */
export function tonePresence(mulaw: Uint8Array, hz: number, options: TonePresenceOptions = {}): boolean[] {
  const { windowMs = 20, minDb = -30, minShare = 0.5 } = options;
  const samples = mulawDecode(mulaw);
  const size = Math.max(8, Math.round((windowMs * MULAW_SAMPLE_RATE) / 1000));
  const out: boolean[] = [];
  for (let start = 0; start + size <= samples.length; start += size) {
    const m = measureTone(samples, start, start + size, hz, MULAW_SAMPLE_RATE);
    out.push(m.toneDb >= minDb && m.share >= minShare);
  }
  return out;
}

/**
 * How many ms of the `hz` tone a μ-law buffer holds, counted in whole windows, so a test can say
 * "the greeting was heard in full": `expect(toneMs(call.heard, 440)).toBeGreaterThanOrEqual(1500 - 40)`.
 */
export function toneMs(mulaw: Uint8Array, hz: number, options: TonePresenceOptions = {}): number {
  const windowMs = options.windowMs ?? 20;
  return tonePresence(mulaw, hz, options).filter(Boolean).length * windowMs;
}

/** Offset in ms of the first window holding the tone, or undefined when it never appears. */
export function firstToneAtMs(mulaw: Uint8Array, hz: number, options: TonePresenceOptions = {}): number | undefined {
  const windowMs = options.windowMs ?? 20;
  const index = tonePresence(mulaw, hz, options).indexOf(true);
  return index < 0 ? undefined : index * windowMs;
}

/** RMS level of PCM16 samples in dBFS (SILENCE_DB for digital silence). */
export function rmsDb(samples: Int16Array, start = 0, end = samples.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const v = samples[i] ?? 0;
    sum += v * v;
  }
  const n = end - start;
  if (n <= 0 || sum === 0) return SILENCE_DB;
  return Math.max(SILENCE_DB, 10 * Math.log10(sum / n / (32768 * 32768)));
}
