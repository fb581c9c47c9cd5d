/**
 * Resampler quality bar (issue: −6 dBFS tones at every supported rate pair): passband flat within
 * 0.5 dB to 3.4 kHz (6.8 kHz for 16 kHz calls), aliases and images ≥ 80 dB down, group delay ≤ 3 ms per direction.
 */
import { describe, expect, test } from "bun:test";
import { createResampler } from "../../src/audio/resampler.ts";
import { foldHz, levelDb, rmsDb, snrDb, steadySecond, tone, toneDelayMs } from "./signals.ts";

const AGENT_RATES = [16_000, 22_050, 24_000, 44_100, 48_000];
const PASSBAND_TONES_HZ = [100, 300, 1000, 2000, 3000, 3400];
const TONE_MS = 1200; // 100 ms settling + one analysed second + spare
const TONE_DBFS = 20 * Math.log10(0.5); // −6.02
const DOWN_BY_80_DBFS = TONE_DBFS - 80;

function resampleOneShot(input: Int16Array, inputRate: number, outputRate: number): Int16Array {
  return createResampler(inputRate, outputRate).process(input);
}

/** Delay from the 250 Hz tone's phase (unambiguous to 4 ms); every other tone must agree (linear phase). */
function expectLinearPhaseDelay(inputRate: number, outputRate: number): void {
  const delays = [250, 500, 1000, 3000].map((hz) => {
    const input = tone(inputRate, hz, TONE_MS);
    return { hz, delayMs: toneDelayMs(input, inputRate, resampleOneShot(input, inputRate, outputRate), outputRate, hz) };
  });
  const delayMs = delays[0]!.delayMs;
  expect(delayMs).toBeGreaterThan(0);
  expect(delayMs).toBeLessThanOrEqual(3);
  for (const { hz, delayMs: d } of delays) {
    const periodMs = 1000 / hz;
    const offset = (((d - delayMs) % periodMs) + periodMs) % periodMs;
    expect({ hz, agrees: Math.min(offset, periodMs - offset) < 0.005 }).toEqual({ hz, agrees: true });
  }
}

/** Stopband tones for a downsampler from `rate`: 4.6 kHz up to near Nyquist, skipping folds onto DC or 4 kHz. */
function stopbandTones(rate: number): number[] {
  const list: number[] = [];
  for (let hz = 4600; hz < rate / 2 - 50; hz += Math.round((rate / 2 - 4600) / 14)) {
    const folded = foldHz(hz, 8000);
    if (folded > 50 && folded < 3950) list.push(hz);
  }
  return list;
}

for (const rate of AGENT_RATES) {
  describe(`8000 → ${rate} Hz`, () => {
    test("passband 100 Hz – 3.4 kHz is flat within 0.5 dB and clean (SNR ≥ 80 dB)", () => {
      for (const hz of PASSBAND_TONES_HZ) {
        const input = tone(8000, hz, TONE_MS);
        const output = resampleOneShot(input, 8000, rate);
        expect(output.length).toBe((input.length * rate) / 8000);
        const gainDb = levelDb(output, rate, hz) - levelDb(input, 8000, hz);
        expect({ hz, flat: Math.abs(gainDb) <= 0.5 }).toEqual({ hz, flat: true });
        expect({ hz, snr: snrDb(output, rate, hz) >= 80 }).toEqual({ hz, snr: true });
      }
    });

    test("every image of 300 Hz – 3.4 kHz tones is at least 80 dB down", () => {
      for (const hz of [300, 1000, 2000, 3400]) {
        const output = resampleOneShot(tone(8000, hz, TONE_MS), 8000, rate);
        for (let k = 1; k * 8000 - hz < rate / 2; k++) {
          for (const image of [k * 8000 - hz, k * 8000 + hz]) {
            if (image >= rate / 2) continue;
            const db = levelDb(output, rate, image);
            expect({ hz, image, db: Math.round(db), ok: db <= DOWN_BY_80_DBFS }).toEqual({ hz, image, db: Math.round(db), ok: true });
          }
        }
      }
    });

    test("group delay ≤ 3 ms and the same at every frequency (linear phase)", () => expectLinearPhaseDelay(8000, rate));
  });

  describe(`${rate} → 8000 Hz`, () => {
    test("passband 100 Hz – 3.4 kHz is flat within 0.5 dB and clean (SNR ≥ 80 dB)", () => {
      for (const hz of PASSBAND_TONES_HZ) {
        const input = tone(rate, hz, TONE_MS);
        const output = resampleOneShot(input, rate, 8000);
        expect(output.length).toBe((input.length * 8000) / rate);
        const gainDb = levelDb(output, 8000, hz) - levelDb(input, rate, hz);
        expect({ hz, flat: Math.abs(gainDb) <= 0.5 }).toEqual({ hz, flat: true });
        expect({ hz, snr: snrDb(output, 8000, hz) >= 80 }).toEqual({ hz, snr: true });
      }
    });

    test("tones from 4.6 kHz to Nyquist alias at least 80 dB down", () => {
      for (const hz of stopbandTones(rate)) {
        const output = resampleOneShot(tone(rate, hz, TONE_MS), rate, 8000);
        const alias = levelDb(output, 8000, foldHz(hz, 8000));
        const everything = rmsDb(output, steadySecond(8000));
        expect({ hz, alias: Math.round(alias), ok: alias <= DOWN_BY_80_DBFS && everything <= DOWN_BY_80_DBFS }).toEqual({
          hz,
          alias: Math.round(alias),
          ok: true,
        });
      }
    });

    test("group delay ≤ 3 ms and the same at every frequency (linear phase)", () => expectLinearPhaseDelay(rate, 8000));
  });
}

/** A 16 kHz call (L16) ⇄ an agent at a higher rate: the same spec scaled to 16 kHz (0–6.8 kHz kept, 9.2 kHz on stopped). */
const WIDEBAND_TONES_HZ = [100, 1000, 3400, 5000, 6800];
for (const rate of AGENT_RATES.filter((r) => r > 16_000)) {
  describe(`16000 ⇄ ${rate} Hz`, () => {
    test("passband 100 Hz – 6.8 kHz is flat within 0.5 dB and clean (SNR ≥ 80 dB), both ways", () => {
      for (const [from, to] of [[16_000, rate], [rate, 16_000]] as const) {
        for (const hz of WIDEBAND_TONES_HZ) {
          const input = tone(from, hz, TONE_MS);
          const output = resampleOneShot(input, from, to);
          const gainDb = levelDb(output, to, hz) - levelDb(input, from, hz);
          expect({ from, hz, flat: Math.abs(gainDb) <= 0.5, snr: snrDb(output, to, hz) >= 80 }).toEqual({ from, hz, flat: true, snr: true });
        }
      }
    });

    test("up: every image of 1 – 6.8 kHz tones is at least 80 dB down; down: tones from 9.2 kHz to Nyquist alias at least 80 dB down", () => {
      for (const hz of [1000, 3400, 6800]) {
        const output = resampleOneShot(tone(16_000, hz, TONE_MS), 16_000, rate);
        for (let k = 1; k * 16_000 - hz < rate / 2; k++) {
          for (const image of [k * 16_000 - hz, k * 16_000 + hz].filter((f) => f < rate / 2)) {
            const db = levelDb(output, rate, image);
            expect({ hz, image, ok: db <= DOWN_BY_80_DBFS }).toEqual({ hz, image, ok: true });
          }
        }
      }
      for (let hz = 9200; hz < rate / 2 - 50; hz += Math.round((rate / 2 - 9200) / 8)) {
        const folded = foldHz(hz, 16_000);
        if (folded <= 50 || folded >= 7950) continue;
        const output = resampleOneShot(tone(rate, hz, TONE_MS), rate, 16_000);
        expect({ hz, ok: levelDb(output, 16_000, folded) <= DOWN_BY_80_DBFS && rmsDb(output, steadySecond(16_000)) <= DOWN_BY_80_DBFS }).toEqual({ hz, ok: true });
      }
    });

    test("group delay ≤ 3 ms and the same at every frequency (linear phase), both ways", () => {
      expectLinearPhaseDelay(16_000, rate);
      expectLinearPhaseDelay(rate, 16_000);
    });
  });
}

describe("the issue's named probes", () => {
  test("a 5 kHz tone resampled 16 kHz → 8 kHz leaves its 3 kHz alias ≥ 80 dB down", () => {
    const output = resampleOneShot(tone(16_000, 5000, TONE_MS), 16_000, 8000);
    expect(levelDb(output, 8000, 3000)).toBeLessThanOrEqual(DOWN_BY_80_DBFS);
  });

  test("the 7 kHz image of a 1 kHz tone resampled 8 kHz → 16 kHz is ≥ 80 dB below the tone", () => {
    const output = resampleOneShot(tone(8000, 1000, TONE_MS), 8000, 16_000);
    expect(levelDb(output, 16_000, 1000) - levelDb(output, 16_000, 7000)).toBeGreaterThanOrEqual(80);
  });

  test("a naive resampler fails the same probes (the measurements can tell good from bad)", () => {
    // Sample-and-hold upsampling and plain decimation: what the filters exist to prevent.
    const held = tone(8000, 1000, TONE_MS);
    const doubled = new Int16Array(held.length * 2).map((_, i) => held[i >> 1]!);
    expect(levelDb(doubled, 16_000, 1000) - levelDb(doubled, 16_000, 7000)).toBeLessThan(30);
    const high = tone(16_000, 5000, TONE_MS);
    const decimated = new Int16Array(high.length / 2).map((_, i) => high[2 * i]!);
    expect(levelDb(decimated, 8000, 3000)).toBeGreaterThan(-10);
  });
});
