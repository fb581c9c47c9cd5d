/** Kaiser-windowed sinc lowpass design for the resamplers (computed once per rate pair). */

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const quarterSquare = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser beta for a stopband attenuation in dB (Kaiser's empirical formula). */
export function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21) return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return 0;
}

/** Taps Kaiser's formula needs for an attenuation and a transition width (both sides of the cutoff together). */
export function kaiserLength(attenuationDb: number, transitionHz: number, sampleRate: number): number {
  const deltaOmega = (2 * Math.PI * transitionHz) / sampleRate;
  return Math.ceil((attenuationDb - 7.95) / (2.285 * deltaOmega)) + 1;
}

export interface LowpassSpec {
  /** Rate the filter runs at, in Hz. */
  sampleRate: number;
  /** −6 dB point in Hz (the middle of the transition band). */
  cutoffHz: number;
  /** Number of taps (the impulse is symmetric around (length − 1) / 2). */
  length: number;
  /** Kaiser window beta. */
  beta: number;
  /** DC gain of the whole filter (the interpolation factor for a polyphase upsampler). */
  gain: number;
}

/** Windowed-sinc lowpass taps, normalized so the taps sum to `gain`. */
export function designLowpass({ sampleRate, cutoffHz, length, beta, gain }: LowpassSpec): Float64Array {
  const taps = new Float64Array(length);
  const center = (length - 1) / 2;
  const fc = cutoffHz / sampleRate; // cycles per sample
  const i0Beta = besselI0(beta);
  let sum = 0;
  for (let n = 0; n < length; n++) {
    const t = n - center;
    const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    const ratio = center === 0 ? 0 : t / center;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - ratio * ratio))) / i0Beta;
    taps[n] = sinc * window;
    sum += taps[n]!;
  }
  for (let n = 0; n < length; n++) taps[n] = (taps[n]! * gain) / sum;
  return taps;
}

/** Magnitude response of a tap set at a frequency, in dB (for tests and design checks). */
export function responseDb(taps: Float64Array, frequencyHz: number, sampleRate: number): number {
  const w = (2 * Math.PI * frequencyHz) / sampleRate;
  let re = 0;
  let im = 0;
  for (let n = 0; n < taps.length; n++) {
    re += taps[n]! * Math.cos(w * n);
    im -= taps[n]! * Math.sin(w * n);
  }
  return 20 * Math.log10(Math.hypot(re, im));
}

/**
 * Filter spec of a pair with 8 kHz on one side: the filter keeps 0–3.4 kHz (the telephone band)
 * and stops everything from 4.6 kHz on, which is where the first image of a 3.4 kHz tone lands.
 * The transition is symmetric around 4 kHz.
 */
export const PASSBAND_HZ = 3400;
export const STOPBAND_HZ = 4600;
export const STOPBAND_DB = 90;
export const KAISER_BETA = kaiserBeta(STOPBAND_DB);

/**
 * The band a resampler between two rates keeps: the 8 kHz spec scaled to the narrower rate, so a
 * 16 kHz call (L16) ⇄ a 24 kHz agent keeps 0–6.8 kHz and stops 9.2 kHz on, around 8 kHz.
 */
export function resamplingBand(inputRate: number, outputRate: number): { passbandHz: number; stopbandHz: number } {
  const scale = Math.min(inputRate, outputRate) / 8000;
  return { passbandHz: PASSBAND_HZ * scale, stopbandHz: STOPBAND_HZ * scale };
}

/**
 * Round (half up, like Math.round) and clamp a filter output to a 16-bit sample. Offsetting into
 * the positive range lets `| 0` floor, which is cheaper than Math.round on the per-sample path.
 */
export function toInt16(value: number): number {
  const shifted = value + 32768.5;
  return (shifted >= 65535 ? 65535 : shifted <= 0 ? 0 : shifted | 0) - 32768;
}
