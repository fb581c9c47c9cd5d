/** Filter design checks: the prototypes behind every rate pair, and the half-band structure. */
import { describe, expect, test } from "bun:test";
import { besselI0, designLowpass, kaiserBeta, responseDb } from "../../src/audio/filter-design.ts";
import { HALF_BAND_LENGTH, HALF_BAND_PAIRS, halfBandImpulse } from "../../src/audio/half-band-resampler.ts";
import { polyphaseTable } from "../../src/audio/polyphase-resampler.ts";

test("Bessel I0 and Kaiser beta match published values", () => {
  expect(besselI0(0)).toBe(1);
  expect(besselI0(1)).toBeCloseTo(1.2660658777520082, 12);
  expect(besselI0(5)).toBeCloseTo(27.239871823604442, 10);
  expect(besselI0(10)).toBeCloseTo(2815.716628466254, 8);
  expect(kaiserBeta(90)).toBeCloseTo(8.959, 3);
  expect(kaiserBeta(40)).toBeCloseTo(3.395, 3);
});

test("a designed lowpass is symmetric (linear phase) and has the requested DC gain", () => {
  const taps = designLowpass({ sampleRate: 48_000, cutoffHz: 4000, length: 101, beta: 8, gain: 6 });
  for (let i = 0; i < 50; i++) expect(taps[i]).toBeCloseTo(taps[100 - i]!, 15);
  expect(taps.reduce((a, b) => a + b, 0)).toBeCloseTo(6, 12);
});

describe("half-band prototype (8 ↔ 16 kHz)", () => {
  const taps = halfBandImpulse();
  const center = (HALF_BAND_LENGTH - 1) / 2;

  test("has the half-band structure the fast path relies on", () => {
    expect(taps.length).toBe(79);
    expect(taps[center]).toBe(0.5);
    for (let offset = 2; offset <= center; offset += 2) expect([taps[center + offset], taps[center - offset]]).toEqual([0, 0]);
    for (let offset = 1; offset <= center; offset += 2) expect(taps[center + offset]).toBe(taps[center - offset]!);
    expect(HALF_BAND_PAIRS % 4).toBe(0);
  });

  test("passband flat to 0.01 dB up to 3.4 kHz, ≥ 85 dB down from 4.6 kHz, delay 2.44 ms", () => {
    for (let hz = 0; hz <= 3400; hz += 25) expect(Math.abs(responseDb(taps, hz, 16_000))).toBeLessThan(0.01);
    for (let hz = 4600; hz <= 8000; hz += 25) expect(responseDb(taps, hz, 16_000)).toBeLessThan(-85);
    expect((center / 16_000) * 1000).toBeCloseTo(2.4375, 4);
  });
});

describe.each([22_050, 24_000, 44_100, 48_000])("polyphase prototypes for %i Hz", (rate) => {
  for (const [inputRate, outputRate] of [[8000, rate], [rate, 8000]]) {
    test(`${inputRate} → ${outputRate}: flat to 3.4 kHz, ≥ 85 dB down from 4.6 kHz, delay ≤ 2.6 ms`, () => {
      const table = polyphaseTable(inputRate!, outputRate!);
      const prototypeRate = inputRate! * table.up;
      const gainDb = 20 * Math.log10(table.up);
      for (let hz = 0; hz <= 3400; hz += 100) expect(Math.abs(responseDb(table.prototype, hz, prototypeRate) - gainDb)).toBeLessThan(0.01);
      for (let hz = 4600; hz <= Math.max(inputRate!, outputRate!) / 2; hz += 250) {
        expect(responseDb(table.prototype, hz, prototypeRate) - gainDb).toBeLessThan(-85);
      }
      expect(((table.prototype.length - 1) / 2 / prototypeRate) * 1000).toBeLessThan(2.6);
      expect(table.tapsPerPhase % 4).toBe(0);
      expect(polyphaseTable(inputRate!, outputRate!)).toBe(table); // cached per rate pair
    });
  }
});
