import { describe, expect, test } from "bun:test";
import { mulawEncode } from "../../src/audio/mulaw.ts";
import { concatBytes, firstToneAtMs, silenceMulaw, SILENCE_DB, toneLevelDb, toneMs, toneMulaw } from "../../src/sim/tones.ts";

describe("tones", () => {
  test("toneLevelDb reads a tone's level and nothing at other frequencies or in silence", () => {
    expect(toneLevelDb(toneMulaw(440, 500), 440)).toBeCloseTo(-6, 0);
    expect(toneLevelDb(toneMulaw(440, 500, -20), 440)).toBeCloseTo(-20, 0);
    expect(toneLevelDb(toneMulaw(440, 500), 660)).toBeLessThan(-50);
    expect(toneLevelDb(silenceMulaw(500), 440)).toBe(SILENCE_DB);
  });

  test("toneMs counts how long each tone is present, in 20 ms windows", () => {
    const line = concatBytes([silenceMulaw(300), toneMulaw(440, 1000), toneMulaw(660, 500), silenceMulaw(200)]);
    expect(toneMs(line, 440)).toBe(1000);
    expect(toneMs(line, 660)).toBe(500);
    expect(toneMs(line, 550)).toBe(0);
    expect(firstToneAtMs(line, 440)).toBe(300);
    expect(firstToneAtMs(line, 660)).toBe(1300);
    expect(firstToneAtMs(line, 1000)).toBeUndefined();
  });

  test("weak tones and noise do not count", () => {
    expect(toneMs(toneMulaw(440, 400, -45), 440)).toBe(0);
    let seed = 7;
    const noise = new Int16Array(8000).map(() => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed / 0x7fffffff - 0.5) * 20000;
    });
    expect(toneMs(mulawEncode(noise), 440)).toBe(0);
  });
});
