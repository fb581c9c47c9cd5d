/** ElevenLabs agent audio format names (`pcm_16000`, `ulaw_8000`, …) and what they mean. */

export type AgentAudioFormat = "pcm_8000" | "pcm_16000" | "pcm_22050" | "pcm_24000" | "pcm_44100" | "pcm_48000" | "ulaw_8000";

export interface AgentAudioFormatInfo {
  format: AgentAudioFormat;
  encoding: "pcm" | "ulaw";
  sampleRate: number;
}

const FORMATS: Record<AgentAudioFormat, AgentAudioFormatInfo> = {
  pcm_8000: { format: "pcm_8000", encoding: "pcm", sampleRate: 8000 },
  pcm_16000: { format: "pcm_16000", encoding: "pcm", sampleRate: 16_000 },
  pcm_22050: { format: "pcm_22050", encoding: "pcm", sampleRate: 22_050 },
  pcm_24000: { format: "pcm_24000", encoding: "pcm", sampleRate: 24_000 },
  pcm_44100: { format: "pcm_44100", encoding: "pcm", sampleRate: 44_100 },
  pcm_48000: { format: "pcm_48000", encoding: "pcm", sampleRate: 48_000 },
  ulaw_8000: { format: "ulaw_8000", encoding: "ulaw", sampleRate: 8000 },
};

/** Every format an agent may use, in a stable order. */
export const AGENT_AUDIO_FORMATS = Object.keys(FORMATS) as AgentAudioFormat[];

/**
 * Parse an agent audio format name as the ElevenLabs API reports it.
 * Returns undefined for names Homebook cannot bridge (the caller decides how to fail).
 * @example parseAgentAudioFormat("pcm_16000") // { format: "pcm_16000", encoding: "pcm", sampleRate: 16000 }
 */
export function parseAgentAudioFormat(name: string): AgentAudioFormatInfo | undefined {
  const info = Object.hasOwn(FORMATS, name) ? FORMATS[name as AgentAudioFormat] : undefined;
  return info ? { ...info } : undefined;
}

/** Bytes one millisecond of audio takes in this format (PCM is 16-bit mono). */
export function bytesPerMs(format: AgentAudioFormat): number {
  const { encoding, sampleRate } = FORMATS[format];
  return (sampleRate / 1000) * (encoding === "pcm" ? 2 : 1);
}
