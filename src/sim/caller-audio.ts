/** What the simulated caller says: a WAV at any rate or a tone, as 8 kHz μ-law; and DTMF plans like "1@2s,#@6s". */
import { mulawEncode } from "../audio/mulaw.ts";
import { PolyphaseResampler, polyphaseTable } from "../audio/polyphase-resampler.ts";
import { createResampler, SUPPORTED_RATES } from "../audio/resampler.ts";
import { readWav, wavToPcm16 } from "../audio/wav.ts";
import { UsageError } from "../base/errors.ts";
import { toneMulaw } from "./tones.ts";

/** Polyphase tables grow with the interpolation factor; past this, ask for a conversion with sox. */
const MAX_INTERPOLATION = 1000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** PCM16 at any rate → 8 kHz, with the audio module's telephone-band resamplers. */
export function toTelephoneRate(samples: Int16Array, sampleRate: number): Int16Array {
  if ((SUPPORTED_RATES as readonly number[]).includes(sampleRate)) return createResampler(sampleRate, 8000).process(samples);
  if (8000 / gcd(sampleRate, 8000) > MAX_INTERPOLATION) {
    throw new UsageError(`call: a WAV at ${sampleRate} Hz cannot be resampled here`, "convert it first: sox in.wav -r 8000 -c 1 out.wav");
  }
  return new PolyphaseResampler(polyphaseTable(sampleRate, 8000)).process(samples);
}

/** A mono WAV (PCM16 or μ-law, any rate) → 8 kHz μ-law caller audio. */
export function wavToCallerAudio(bytes: Uint8Array): Uint8Array {
  const { sampleRate, samples } = wavToPcm16(readWav(bytes));
  return mulawEncode(toTelephoneRate(samples, sampleRate));
}

export function toneCallerAudio(hz: number, seconds: number): Uint8Array {
  return toneMulaw(hz, seconds * 1000, -10);
}

/** "2s", "1.5s", "800ms" or a bare number of seconds → ms. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  return match[2] === "ms" ? value : value * 1000;
}

/**
 * Parses a DTMF plan: digits with times after `start`.
 * @example parseDtmfPlan("1@2s,#@6s") // [{ digit: "1", atMs: 2000 }, { digit: "#", atMs: 6000 }]
 */
export function parseDtmfPlan(plan: string): { digit: string; atMs: number }[] {
  return plan
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)
    .map((part) => {
      const [digit, at] = part.split("@");
      const atMs = at === undefined ? undefined : parseDurationMs(at);
      if (!digit || !/^[0-9*#A-Da-d]$/.test(digit) || atMs === undefined) {
        throw new UsageError(`call: --dtmf part "${part}" is not DIGIT@TIME`, 'write it like --dtmf "1@2s,#@6.5s" (digits 0-9 * # A-D; times after start)');
      }
      return { digit, atMs };
    });
}
