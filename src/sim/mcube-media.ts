/**
 * The media formats an Mcube (Plivo-style) stream carries: G.711 μ-law at 8 kHz, or 16-bit linear PCM (audio/x-l16)
 * at 8 or 16 kHz, little-endian as Plivo's own stream code reads and writes it. Conversion between them and framing.
 */
import { mulawDecode, mulawEncode, MULAW_SILENCE } from "../audio/mulaw.ts";
import { bytesToPcm16, pcm16ToBytes } from "../audio/pcm-bytes.ts";
import { convertRate } from "./agent-audio.ts";

export type McubeEncoding = "audio/x-mulaw" | "audio/x-l16";

/** What `start.mediaFormat` announces and what every media frame and playAudio of the call should carry. */
export interface McubeMediaFormat {
  encoding: McubeEncoding;
  sampleRate: 8000 | 16000;
}

/** Mcube's classic format (and the default): μ-law at 8 kHz. */
export const MULAW_8K: McubeMediaFormat = { encoding: "audio/x-mulaw", sampleRate: 8000 };

/** The formats Plivo's stream accepts (μ-law only at 8 kHz). */
export const MEDIA_FORMATS: readonly McubeMediaFormat[] = [MULAW_8K, { encoding: "audio/x-l16", sampleRate: 8000 }, { encoding: "audio/x-l16", sampleRate: 16000 }];

/** One media frame lasts this long. */
export const FRAME_MS = 20;

/** Samples a caller's audio carries: PCM16 at a rate (any rate the audio module resamples from). */
export interface CallerPcm {
  pcm: Int16Array;
  sampleRate: number;
}

/** The supported format with this contentType and rate, if any (rates may arrive as strings). */
export function mediaFormatOf(contentType: unknown, sampleRate: unknown): McubeMediaFormat | undefined {
  const rate = Number(sampleRate);
  return MEDIA_FORMATS.find((f) => f.encoding === contentType && f.sampleRate === rate);
}

export function sameFormat(a: McubeMediaFormat, b: McubeMediaFormat): boolean {
  return a.encoding === b.encoding && a.sampleRate === b.sampleRate;
}

/** "audio/x-l16 at 16000 Hz". */
export function describeFormat(format: McubeMediaFormat): string {
  return `${format.encoding} at ${format.sampleRate} Hz`;
}

/** Bytes per millisecond of audio in this format. */
export function bytesPerMs(format: McubeMediaFormat): number {
  return (format.sampleRate / 1000) * (format.encoding === "audio/x-l16" ? 2 : 1);
}

/** Bytes of one 20 ms frame: 160 (μ-law), 320 (L16 8 kHz) or 640 (L16 16 kHz). */
export function frameBytes(format: McubeMediaFormat): number {
  return bytesPerMs(format) * FRAME_MS;
}

/** The byte that fills silence: 0xFF for μ-law, 0 for L16. */
export function silenceByte(format: McubeMediaFormat): number {
  return format.encoding === "audio/x-mulaw" ? MULAW_SILENCE : 0;
}

/** Wire bytes → PCM16 samples at the format's rate (an odd trailing L16 byte is ignored). */
export function decodeMedia(bytes: Uint8Array, format: McubeMediaFormat): Int16Array {
  if (format.encoding === "audio/x-mulaw") return mulawDecode(bytes);
  const count = bytes.length >> 1;
  return bytesToPcm16(bytes, 0, count, new Int16Array(count));
}

/** PCM16 samples at the format's rate → wire bytes (a copy). */
export function encodeMedia(samples: Int16Array, format: McubeMediaFormat): Uint8Array {
  return format.encoding === "audio/x-mulaw" ? mulawEncode(samples) : pcm16ToBytes(samples).slice();
}

/** Audio in one stream format → another (bytes untouched when the formats are the same). */
export function convertMedia(bytes: Uint8Array, from: McubeMediaFormat, to: McubeMediaFormat): Uint8Array {
  if (sameFormat(from, to)) return bytes;
  return encodeMedia(convertRate(decodeMedia(bytes, from), from.sampleRate, to.sampleRate), to);
}

/** Caller audio (8 kHz μ-law bytes, or PCM at any rate) → wire bytes in the call's format. */
export function callerAudioToWire(audio: Uint8Array | CallerPcm, format: McubeMediaFormat): Uint8Array {
  if (audio instanceof Uint8Array) return convertMedia(audio, MULAW_8K, format);
  return encodeMedia(convertRate(audio.pcm, audio.sampleRate, format.sampleRate), format);
}
