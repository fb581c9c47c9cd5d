/** WAV (RIFF) read and write: mono 16-bit PCM or 8-bit μ-law, any sample rate. */

import { HomebookError } from "../base/errors.ts";
import { mulawDecode } from "./mulaw.ts";
import { bytesToPcm16 } from "./pcm-bytes.ts";

export interface WavAudio {
  sampleRate: number;
  encoding: "pcm16" | "mulaw";
  /** Raw sample bytes: PCM16 little-endian, or one μ-law byte per sample. */
  data: Uint8Array;
}

const FORMAT_PCM = 1;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;
/** Data sizes writers use when streaming to a pipe and the length is unknown (sox, ffmpeg). */
const STREAMED_SIZES = new Set([0xffffffff, 0x7ffff000]);

function invalid(message: string): HomebookError {
  return new HomebookError("invalid_input", `WAV: ${message}`, {
    fix: "use a mono WAV file with 16-bit PCM or 8-bit μ-law samples, e.g. `sox in.wav -c 1 -e signed -b 16 out.wav`",
  });
}

function fourCC(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}

/**
 * Parse a WAV file. Throws HomebookError("invalid_input") naming what is wrong: not RIFF/WAVE,
 * truncated, stereo, an unsupported sample format, a missing fmt or data chunk.
 */
export function readWav(bytes: Uint8Array): WavAudio {
  if (bytes.length < 12) throw invalid(`file is ${bytes.length} bytes, too short for a RIFF header (truncated or empty)`);
  if (fourCC(bytes, 0) !== "RIFF" || fourCC(bytes, 8) !== "WAVE") throw invalid("not a RIFF/WAVE file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: { encoding: WavAudio["encoding"]; sampleRate: number } | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = fourCC(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") {
      if (size < 16 || body + size > bytes.length) throw invalid("fmt chunk is truncated");
      format = parseFormat(view, body, size);
    } else if (id === "data") {
      if (!format) throw invalid("data chunk comes before the fmt chunk");
      const available = bytes.length - body;
      if (STREAMED_SIZES.has(size)) {
        // Written to a pipe: the samples run to the end of the file.
        const whole = format.encoding === "pcm16" ? available - (available % 2) : available;
        return { ...format, data: bytes.slice(body, body + whole) };
      }
      if (size > available) throw invalid(`data chunk declares ${size} bytes but only ${available} are present (truncated file)`);
      if (format.encoding === "pcm16" && size % 2 !== 0) throw invalid(`16-bit data chunk has an odd length (${size} bytes)`);
      return { ...format, data: bytes.slice(body, body + size) };
    }
    offset = body + size + (size % 2); // chunks are padded to even length
  }
  throw invalid(format ? "no data chunk (truncated file?)" : "no fmt chunk (truncated file?)");
}

function parseFormat(view: DataView, body: number, size: number): { encoding: WavAudio["encoding"]; sampleRate: number } {
  let tag = view.getUint16(body, true);
  const channels = view.getUint16(body + 2, true);
  const sampleRate = view.getUint32(body + 4, true);
  const bitsPerSample = view.getUint16(body + 14, true);
  if (tag === FORMAT_EXTENSIBLE) {
    if (size < 40) throw invalid("WAVE_FORMAT_EXTENSIBLE fmt chunk is truncated");
    tag = view.getUint16(body + 24, true); // first two bytes of the SubFormat GUID
  }
  if (channels !== 1) throw invalid(`${channels} channels are not supported: only mono`);
  if (!(sampleRate >= 1000 && sampleRate <= 384_000)) throw invalid(`sample rate ${sampleRate} Hz is out of range`);
  if (tag === FORMAT_PCM && bitsPerSample === 16) return { encoding: "pcm16", sampleRate };
  if (tag === FORMAT_MULAW && bitsPerSample === 8) return { encoding: "mulaw", sampleRate };
  const name = tag === FORMAT_PCM ? `${bitsPerSample}-bit PCM` : tag === FORMAT_MULAW ? `${bitsPerSample}-bit μ-law` : `format tag ${tag}`;
  throw invalid(`${name} is not supported: only 16-bit PCM and 8-bit μ-law`);
}

/** Serialize to a canonical WAV file (44-byte header for PCM; fmt + fact for μ-law). */
export function writeWav(audio: WavAudio): Uint8Array {
  const { sampleRate, encoding, data } = audio;
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw invalid(`sample rate ${sampleRate} is not a positive whole number`);
  if (encoding === "pcm16" && data.length % 2 !== 0) throw invalid(`16-bit data has an odd length (${data.length} bytes)`);
  const pcm = encoding === "pcm16";
  const fmtSize = pcm ? 16 : 18;
  const factSize = pcm ? 0 : 12;
  const headerSize = 12 + 8 + fmtSize + factSize + 8;
  const pad = data.length % 2;
  const out = new Uint8Array(headerSize + data.length + pad);
  const view = new DataView(out.buffer);
  const writeId = (offset: number, id: string) => {
    for (let i = 0; i < 4; i++) out[offset + i] = id.charCodeAt(i);
  };
  const bytesPerSample = pcm ? 2 : 1;
  writeId(0, "RIFF");
  view.setUint32(4, out.length - 8, true);
  writeId(8, "WAVE");
  writeId(12, "fmt ");
  view.setUint32(16, fmtSize, true);
  view.setUint16(20, pcm ? FORMAT_PCM : FORMAT_MULAW, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * bytesPerSample, true);
  view.setUint16(32, bytesPerSample, true);
  view.setUint16(34, bytesPerSample * 8, true);
  let offset = 36;
  if (!pcm) {
    view.setUint16(36, 0, true); // cbSize
    writeId(38, "fact");
    view.setUint32(42, 4, true);
    view.setUint32(46, data.length, true);
    offset = 50;
  }
  writeId(offset, "data");
  view.setUint32(offset + 4, data.length, true);
  out.set(data, offset + 8);
  return out;
}

/** Decode a WAV's samples to 16-bit linear PCM at its own rate. */
export function wavToPcm16(audio: WavAudio): { sampleRate: number; samples: Int16Array } {
  const samples =
    audio.encoding === "mulaw"
      ? mulawDecode(audio.data)
      : bytesToPcm16(audio.data, 0, audio.data.length >> 1, new Int16Array(audio.data.length >> 1));
  return { sampleRate: audio.sampleRate, samples };
}
