/**
 * Our resamplers against `sox -D … rate -v` (very high quality, no dither): spectral levels and
 * SNR are compared, never samples (the two filters differ in delay and length by design).
 */
import { describe, expect, test } from "bun:test";
import { createResampler } from "../../src/audio/resampler.ts";
import { noteIfSoxMissing, SOX_PATH, soxResample } from "./sox.ts";
import { levelDb, snrDb, tone, tones } from "./signals.ts";

noteIfSoxMissing("sox-comparison");

const AGENT_RATES = [16_000, 22_050, 24_000, 44_100, 48_000];
const PAIRS = AGENT_RATES.flatMap((rate): [number, number][] => [[8000, rate], [rate, 8000]]);
const MULTITONE_HZ = [200, 450, 700, 950, 1200, 1450, 1700, 1950, 2200, 2450, 2700, 2950, 3200, 3400];
const DOWN_BY_80_DBFS = -6.02 - 80;

describe.skipIf(!SOX_PATH).each(PAIRS)("%i → %i Hz vs sox rate -v", (inputRate, outputRate) => {
  test("single tones: same level (±0.1 dB) and SNR ≥ 80 dB, within 6 dB of sox", () => {
    // Frequencies that do not divide the rates, so rounding noise spreads instead of piling into harmonics.
    for (const hz of [301, 1013, 2999, 3391]) {
      const input = tone(inputRate, hz, 1200);
      const ours = createResampler(inputRate, outputRate).process(input);
      const sox = soxResample(input, inputRate, outputRate);
      expect(ours.length).toBe(sox.length);
      const levels = { hz, ours: levelDb(ours, outputRate, hz), sox: levelDb(sox, outputRate, hz) };
      expect({ hz, close: Math.abs(levels.ours - levels.sox) <= 0.1 }).toEqual({ hz, close: true });
      const snr = { ours: snrDb(ours, outputRate, hz), sox: snrDb(sox, outputRate, hz) };
      expect({ hz, ok: snr.ours >= 80 && snr.ours >= snr.sox - 6, ...snr }).toMatchObject({ hz, ok: true });
    }
  });

  test("a 14-tone signal across the telephone band has the same spectrum (every tone ±0.1 dB)", () => {
    const input = tones(inputRate, MULTITONE_HZ, 1200, 2000);
    const ours = createResampler(inputRate, outputRate).process(input);
    const sox = soxResample(input, inputRate, outputRate);
    for (const hz of MULTITONE_HZ) {
      const difference = levelDb(ours, outputRate, hz) - levelDb(sox, outputRate, hz);
      expect({ hz, close: Math.abs(difference) <= 0.1 }).toEqual({ hz, close: true });
    }
  });

  test(inputRate === 8000 ? "the 7 kHz image of 1 kHz is ≥ 80 dB down in both" : "a 5 kHz tone's 3 kHz alias is ≥ 80 dB down in both", () => {
    const [hz, probeHz] = inputRate === 8000 ? [1000, 7000] : [5000, 3000];
    const input = tone(inputRate, hz, 1200);
    const ours = createResampler(inputRate, outputRate).process(input);
    const sox = soxResample(input, inputRate, outputRate);
    expect(levelDb(sox, outputRate, probeHz)).toBeLessThanOrEqual(DOWN_BY_80_DBFS);
    expect(levelDb(ours, outputRate, probeHz)).toBeLessThanOrEqual(DOWN_BY_80_DBFS);
  });
});
