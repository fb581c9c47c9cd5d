/** Per-call, per-direction audio conversion between Mcube (μ-law 8 kHz) and the agent's format. */

import { parseAgentAudioFormat, type AgentAudioFormat } from "./agent-format.ts";
import { mulawDecode, mulawEncode } from "./mulaw.ts";
import { bytesToPcm16, pcm16ToBytes } from "./pcm-bytes.ts";
import { createResampler, type StreamResampler } from "./resampler.ts";

/** One direction of one call. Stateful: keep one per direction per call. */
export interface Transcoder {
  /** Convert the next chunk of the stream; the returned bytes belong to the caller. */
  process(input: Uint8Array): Uint8Array;
  /** Drop filter history and any half sample carried over (barge-in only). */
  reset(): void;
}

function formatInfo(format: AgentAudioFormat) {
  const info = parseAgentAudioFormat(format);
  if (!info) throw new RangeError(`unsupported agent audio format "${format}"`);
  return info;
}

/** μ-law passthrough: the agent speaks telephone audio already, so no decode/encode round trip. */
class PassthroughTranscoder implements Transcoder {
  process(input: Uint8Array): Uint8Array {
    return input;
  }
  reset(): void {}
}

/** μ-law 8 kHz → PCM16LE at the agent's rate. */
class UplinkPcmTranscoder implements Transcoder {
  /** Scratch for typical frames (up to 100 ms); larger chunks use a temporary array. */
  private readonly decoded = new Int16Array(800);
  constructor(private readonly resampler: StreamResampler) {}

  process(input: Uint8Array): Uint8Array {
    const scratch = input.length <= this.decoded.length ? this.decoded : new Int16Array(input.length);
    const pcm8k = mulawDecode(input, scratch).subarray(0, input.length);
    return pcm16ToBytes(this.resampler.process(pcm8k));
  }
  reset(): void {
    this.resampler.reset();
  }
}

/** PCM16LE at the agent's rate → μ-law 8 kHz; an odd trailing byte waits for the next chunk. */
class DownlinkPcmTranscoder implements Transcoder {
  /** Scratch for typical chunks (up to 100 ms at 48 kHz); larger chunks use a temporary array. */
  private readonly scratch = new Int16Array(4800);
  private carry = -1;
  constructor(private readonly resampler: StreamResampler) {}

  process(input: Uint8Array): Uint8Array {
    if (input.length === 0) return new Uint8Array(0);
    const carried = this.carry >= 0;
    const total = input.length + (carried ? 1 : 0);
    const count = total >> 1;
    const samples = count <= this.scratch.length ? this.scratch : new Int16Array(count);
    if (carried) {
      // The previous chunk ended mid-sample: its last byte is this sample's low byte.
      samples[0] = ((this.carry | (input[0]! << 8)) << 16) >> 16;
      bytesToPcm16(input, 1, count - 1, samples.subarray(1));
    } else {
      bytesToPcm16(input, 0, count, samples);
    }
    this.carry = total % 2 === 1 ? input[input.length - 1]! : -1;
    const resampled = this.resampler.process(samples.subarray(0, count));
    return mulawEncode(resampled);
  }
  reset(): void {
    this.resampler.reset();
    this.carry = -1;
  }
}

/**
 * Caller audio (μ-law 8 kHz bytes from Mcube) → the agent's input format
 * (PCM16LE at its rate, or μ-law bytes passed through unchanged).
 */
export function createUplinkTranscoder(agentInputFormat: AgentAudioFormat): Transcoder {
  const { encoding, sampleRate } = formatInfo(agentInputFormat);
  if (encoding === "ulaw") return new PassthroughTranscoder();
  return new UplinkPcmTranscoder(createResampler(8000, sampleRate));
}

/**
 * Agent audio (its output format) → μ-law 8 kHz bytes for Mcube playAudio. PCM chunks of any
 * length work: an odd trailing byte is carried to the next chunk.
 */
export function createDownlinkTranscoder(agentOutputFormat: AgentAudioFormat): Transcoder {
  const { encoding, sampleRate } = formatInfo(agentOutputFormat);
  if (encoding === "ulaw") return new PassthroughTranscoder();
  return new DownlinkPcmTranscoder(createResampler(sampleRate, 8000));
}
