import { describe, expect, test } from "bun:test";
import { HomebookError } from "../../src/base/errors.ts";
import { mulawEncode } from "../../src/audio/mulaw.ts";
import { readWav, wavToPcm16, writeWav, type WavAudio } from "../../src/audio/wav.ts";
import { noteIfSoxMissing, runSox, SOX_PATH } from "./sox.ts";
import { levelDb, tone } from "./signals.ts";

noteIfSoxMissing("wav");

function pcmAudio(samples: Int16Array, sampleRate: number): WavAudio {
  return { sampleRate, encoding: "pcm16", data: new Uint8Array(samples.buffer.slice(0), samples.byteOffset, samples.byteLength) };
}

function expectInvalid(bytes: Uint8Array, message: RegExp): void {
  let error: unknown;
  try {
    readWav(bytes);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(HomebookError);
  expect((error as HomebookError).code).toBe("invalid_input");
  expect((error as HomebookError).message).toMatch(message);
  expect((error as HomebookError).fix).toContain("mono");
}

/** A hand-built WAV with a custom fmt body. */
function wavWithFormat(tag: number, channels: number, rate: number, bits: number, data = new Uint8Array(4)): Uint8Array {
  const header = new Uint8Array(44);
  const view = new DataView(header.buffer);
  header.set(new TextEncoder().encode("RIFF"), 0);
  view.setUint32(4, 36 + data.length, true);
  header.set(new TextEncoder().encode("WAVEfmt "), 8);
  view.setUint32(16, 16, true);
  view.setUint16(20, tag, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, (rate * channels * bits) / 8, true);
  view.setUint16(32, (channels * bits) / 8, true);
  view.setUint16(34, bits, true);
  header.set(new TextEncoder().encode("data"), 36);
  view.setUint32(40, data.length, true);
  const out = new Uint8Array(44 + data.length);
  out.set(header);
  out.set(data, 44);
  return out;
}

describe("WAV round trips", () => {
  for (const sampleRate of [8000, 16_000, 22_050, 44_100, 48_000]) {
    test(`16-bit PCM at ${sampleRate} Hz`, () => {
      const samples = tone(sampleRate, 440, 50);
      const file = writeWav(pcmAudio(samples, sampleRate));
      expect(file.length).toBe(44 + samples.length * 2);
      const back = readWav(file);
      expect(back.sampleRate).toBe(sampleRate);
      expect(back.encoding).toBe("pcm16");
      expect(wavToPcm16(back).samples).toEqual(samples);
    });
  }

  test("μ-law with an odd number of samples (padded chunk)", () => {
    const data = mulawEncode(tone(8000, 1000, 20)).subarray(0, 159);
    const back = readWav(writeWav({ sampleRate: 8000, encoding: "mulaw", data }));
    expect(back).toEqual({ sampleRate: 8000, encoding: "mulaw", data });
    expect(wavToPcm16(back).samples.length).toBe(159);
  });

  test("unknown chunks before the data chunk are skipped", () => {
    const file = writeWav({ sampleRate: 8000, encoding: "mulaw", data: Uint8Array.of(1, 2, 3) });
    const list = Uint8Array.of(...new TextEncoder().encode("LIST"), 3, 0, 0, 0, 9, 9, 9, 0); // odd size + pad
    const dataAt = new TextDecoder().decode(file).indexOf("data");
    const withList = new Uint8Array(file.length + list.length);
    withList.set(file.subarray(0, dataAt));
    withList.set(list, dataAt);
    withList.set(file.subarray(dataAt), dataAt + list.length);
    expect(readWav(withList).data).toEqual(Uint8Array.of(1, 2, 3));
  });

  test("writeWav refuses odd-length 16-bit data", () => {
    expect(() => writeWav({ sampleRate: 8000, encoding: "pcm16", data: new Uint8Array(3) })).toThrow(/odd length/);
  });
});

describe("bad files get clear errors", () => {
  const good = writeWav(pcmAudio(tone(8000, 440, 20), 8000));
  test("empty or tiny", () => expectInvalid(new Uint8Array(0), /too short.*truncated or empty/));
  test("not RIFF/WAVE", () => expectInvalid(new TextEncoder().encode("ID3\u0004 this is an mp3 file"), /not a RIFF\/WAVE file/));
  test("truncated data", () => expectInvalid(good.subarray(0, good.length - 10), /declares 320 bytes but only 310 are present \(truncated file\)/));
  test("truncated inside the header", () => expectInvalid(good.subarray(0, 30), /fmt chunk is truncated/));
  test("no data chunk", () => expectInvalid(good.subarray(0, 36), /no data chunk/));
  test("stereo", () => expectInvalid(wavWithFormat(1, 2, 8000, 16), /2 channels are not supported: only mono/));
  test("24-bit PCM", () => expectInvalid(wavWithFormat(1, 1, 8000, 24, new Uint8Array(6)), /24-bit PCM is not supported/));
  test("A-law", () => expectInvalid(wavWithFormat(6, 1, 8000, 8), /format tag 6 is not supported/));
  test("float", () => expectInvalid(wavWithFormat(3, 1, 8000, 32), /format tag 3 is not supported/));
  test("odd-length 16-bit data", () => expectInvalid(wavWithFormat(1, 1, 8000, 16, new Uint8Array(3)), /odd length/));
  test("zero sample rate", () => expectInvalid(wavWithFormat(1, 1, 0, 16), /sample rate 0 Hz is out of range/));
});

describe.skipIf(!SOX_PATH)("interoperates with sox", () => {
  test("reads sox's μ-law and 16-bit files", () => {
    const ulaw = readWav(runSox(["-n", "-r", "8000", "-e", "mu-law", "-b", "8", "-c", "1", "-t", "wav", "-", "synth", "1.2", "sine", "1000", "vol", "0.5"]));
    expect([ulaw.encoding, ulaw.sampleRate, ulaw.data.length]).toEqual(["mulaw", 8000, 9600]);
    expect(levelDb(wavToPcm16(ulaw).samples, 8000, 1000)).toBeCloseTo(-6.02, 0);
    const pcm = readWav(runSox(["-n", "-r", "22050", "-e", "signed", "-b", "16", "-c", "1", "-t", "wav", "-", "synth", "1.2", "sine", "440", "vol", "0.5"]));
    expect([pcm.encoding, pcm.sampleRate]).toEqual(["pcm16", 22050]);
    expect(levelDb(wavToPcm16(pcm).samples, 22050, 440)).toBeCloseTo(-6.02, 0);
  });

  test("names what is wrong with sox's stereo and 24-bit (extensible) files", () => {
    expectInvalid(runSox(["-n", "-r", "8000", "-b", "16", "-c", "2", "-t", "wav", "-", "synth", "0.1", "sine", "1000"]), /2 channels/);
    expectInvalid(runSox(["-n", "-r", "8000", "-b", "24", "-c", "1", "-t", "wav", "-", "synth", "0.1", "sine", "1000"]), /24-bit PCM is not supported/);
  });

  test("reads WAVs streamed to a pipe (unknown data length) to the end of the file", () => {
    const streamed = readWav(runSox(["-n", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1", "-t", "wav", "-", "synth", "0.5", "sine", "1000"]));
    expect(streamed.data.length).toBe(8000);
  });

  test("sox reads the files we write", () => {
    const samples = tone(16_000, 440, 100);
    const raw = runSox(["-t", "wav", "-", "-t", "raw", "-e", "signed", "-b", "16", "-L", "-"], writeWav(pcmAudio(samples, 16_000)));
    expect(new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2)).toEqual(samples);
    const ulaw = mulawEncode(samples.subarray(0, 801));
    const rawUlaw = runSox(["-t", "wav", "-", "-t", "raw", "-e", "mu-law", "-b", "8", "-"], writeWav({ sampleRate: 16_000, encoding: "mulaw", data: ulaw }));
    expect(rawUlaw).toEqual(ulaw);
  });
});
