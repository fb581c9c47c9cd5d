/** Streaming sample-rate conversion between telephony audio (8 kHz, or 16 kHz L16) and agent rates. */

import type { StreamResampler } from "./stream-resampler.ts";
import { HalfBandDownsampler, HalfBandUpsampler } from "./half-band-resampler.ts";
import { PolyphaseResampler, polyphaseTable } from "./polyphase-resampler.ts";

export type { StreamResampler } from "./stream-resampler.ts";

/** Rates the gateway bridges between (Mcube's 8 or 16 kHz, and every agent rate). */
export const SUPPORTED_RATES = [8000, 16_000, 22_050, 24_000, 44_100, 48_000] as const;

class IdentityResampler implements StreamResampler {
  constructor(
    readonly inputRate: number,
    readonly outputRate: number,
  ) {}
  process(input: Int16Array, into?: Int16Array): Int16Array {
    if (!into || into.length < input.length) return input.slice();
    const out = into.subarray(0, input.length);
    out.set(input);
    return out;
  }
  reset(): void {}
}

function checkRate(rate: number, role: string): void {
  if (!(SUPPORTED_RATES as readonly number[]).includes(rate)) {
    throw new RangeError(`unsupported ${role} sample rate ${rate} Hz: expected one of ${SUPPORTED_RATES.join(", ")}`);
  }
}

/**
 * A streaming resampler between two supported rates (either direction): half-band filters for
 * 8 ⇄ 16 kHz, polyphase filters for every other pair. Filter tables are built once per rate pair
 * and shared between calls.
 * @example const up = createResampler(8000, 16000); const pcm16k = up.process(pcm8kFrame);
 */
export function createResampler(inputRate: number, outputRate: number): StreamResampler {
  checkRate(inputRate, "input");
  checkRate(outputRate, "output");
  if (inputRate === outputRate) return new IdentityResampler(inputRate, outputRate);
  if (inputRate === 8000 && outputRate === 16_000) return new HalfBandUpsampler();
  if (inputRate === 16_000 && outputRate === 8000) return new HalfBandDownsampler();
  return new PolyphaseResampler(polyphaseTable(inputRate, outputRate));
}
