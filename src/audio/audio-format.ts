/** What a stream of audio bytes is: sample encoding and rate. Both legs of a call describe their audio this way. */
import { parseAgentAudioFormat, type AgentAudioFormat } from "./agent-format.ts";

/** G.711 μ-law (1 byte per sample), or signed 16-bit PCM in either byte order. */
export type SampleEncoding = "ulaw" | "pcm16le" | "pcm16be";

export interface AudioFormat {
  readonly encoding: SampleEncoding;
  /** Samples per second. */
  readonly sampleRate: number;
}

/** Mcube's default and the telephone network's own: μ-law at 8 kHz. */
export const MULAW_8K: AudioFormat = Object.freeze({ encoding: "ulaw", sampleRate: 8000 });

/** 16-bit PCM at 8 kHz, little-endian: what recordings and signal checks use. */
export const PCM16_8K: AudioFormat = Object.freeze({ encoding: "pcm16le", sampleRate: 8000 });

/** Bytes one millisecond of audio takes. */
export function bytesPerMsOf(format: AudioFormat): number {
  return (format.sampleRate / 1000) * (format.encoding === "ulaw" ? 1 : 2);
}

/** Bytes per sample: 1 for μ-law, 2 for PCM. */
export function bytesPerSampleOf(format: AudioFormat): 1 | 2 {
  return format.encoding === "ulaw" ? 1 : 2;
}

export function sameFormat(a: AudioFormat, b: AudioFormat): boolean {
  return a.encoding === b.encoding && a.sampleRate === b.sampleRate;
}

/** The format an ElevenLabs agent format name stands for (`pcm_*` is 16-bit little-endian). */
export function agentAudioFormat(name: AgentAudioFormat): AudioFormat {
  const info = parseAgentAudioFormat(name);
  if (!info) throw new RangeError(`unsupported agent audio format "${name}"`);
  return { encoding: info.encoding === "ulaw" ? "ulaw" : "pcm16le", sampleRate: info.sampleRate };
}

/** "μ-law 8000 Hz" / "PCM16LE 16000 Hz", for logs and errors. */
export function describeFormat(format: AudioFormat): string {
  const names: Record<SampleEncoding, string> = { ulaw: "μ-law", pcm16le: "PCM16LE", pcm16be: "PCM16BE" };
  return `${names[format.encoding]} ${format.sampleRate} Hz`;
}
