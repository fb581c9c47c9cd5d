/**
 * One direction of one call's audio: bytes in one format → bytes in another (decode, resample,
 * encode), through per-call scratch buffers, so the per-frame path allocates no audio memory.
 */
import { agentAudioFormat, MULAW_8K, sameFormat, type AudioFormat } from "./audio-format.ts";
import type { AgentAudioFormat } from "./agent-format.ts";
import { mulawDecode, mulawEncode } from "./mulaw.ts";
import { createResampler } from "./resampler.ts";
import { MAX_KEPT_BYTES, MAX_KEPT_SAMPLES, Scratch } from "./scratch.ts";
import type { StreamResampler } from "./stream-resampler.ts";

/** Stateful: keep one per direction per call. */
export interface Transcoder {
  /**
   * Converts the next chunk of the stream. The result is a view of the transcoder's scratch buffer
   * (or `input` itself when nothing needs converting), valid until the next call: copy it to keep it.
   */
  process(input: Uint8Array): Uint8Array;
  /** Drops filter history and any half sample carried over (barge-in and reconnect only). */
  reset(): void;
  /** True when bytes pass through untouched (both sides speak the same format). */
  readonly passthrough: boolean;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

class Passthrough implements Transcoder {
  readonly passthrough = true;
  process(input: Uint8Array): Uint8Array {
    return input;
  }
  reset(): void {}
}

class Converting implements Transcoder {
  readonly passthrough = false;
  // Sized for a 20 ms frame at 48 kHz; each grows to the chunks the call sees, and keeps at most 16 KiB.
  private readonly decoded = new Scratch((n) => new Int16Array(n), 960, MAX_KEPT_SAMPLES);
  private readonly resampled = new Scratch((n) => new Int16Array(n), 960, MAX_KEPT_SAMPLES);
  private readonly encoded = new Scratch((n) => new Uint8Array(n), 1920, MAX_KEPT_BYTES);
  /** PCM only: the low byte of a sample split across chunks, or -1. */
  private carry = -1;
  private readonly resampler: StreamResampler | undefined;

  constructor(
    private readonly from: AudioFormat,
    private readonly to: AudioFormat,
  ) {
    this.resampler = from.sampleRate === to.sampleRate ? undefined : createResampler(from.sampleRate, to.sampleRate);
  }

  process(input: Uint8Array): Uint8Array {
    const samples = this.decode(input);
    const output = this.resampler ? this.resample(samples) : samples;
    return this.encode(output);
  }

  reset(): void {
    this.resampler?.reset();
    this.carry = -1;
  }

  private decode(input: Uint8Array): Int16Array {
    if (this.from.encoding === "ulaw") {
      return mulawDecode(input, this.decoded.get(input.length)).subarray(0, input.length);
    }
    const bigEndian = this.from.encoding === "pcm16be";
    const carried = this.carry >= 0;
    const total = input.length + (carried ? 1 : 0);
    const count = total >> 1;
    const nextCarry = total % 2 === 1 ? input[input.length - 1]! : -1;
    // Aligned little-endian PCM on a little-endian host is already samples: no copy.
    if (!carried && !bigEndian && LITTLE_ENDIAN_HOST && input.byteOffset % 2 === 0) {
      this.carry = nextCarry;
      return new Int16Array(input.buffer, input.byteOffset, count);
    }
    const out = this.decoded.get(count);
    let i = 0;
    let b = 0;
    if (carried) {
      // The previous chunk ended mid-sample: its last byte is this sample's first.
      out[0] = bigEndian ? ((this.carry << 8) | input[0]!) << 16 >> 16 : ((this.carry | (input[0]! << 8)) << 16) >> 16;
      i = 1;
      b = 1;
    }
    if (bigEndian) for (; i < count; i++, b += 2) out[i] = (((input[b]! << 8) | input[b + 1]!) << 16) >> 16;
    else for (; i < count; i++, b += 2) out[i] = ((input[b]! | (input[b + 1]! << 8)) << 16) >> 16;
    this.carry = nextCarry;
    return out.subarray(0, count);
  }

  private resample(samples: Int16Array): Int16Array {
    const room = Math.ceil((samples.length * this.to.sampleRate) / this.from.sampleRate) + 8;
    return this.resampler!.process(samples, this.resampled.get(room));
  }

  private encode(samples: Int16Array): Uint8Array {
    const n = samples.length;
    if (this.to.encoding === "ulaw") {
      return mulawEncode(samples, this.encoded.get(n)).subarray(0, n);
    }
    if (this.to.encoding === "pcm16le" && LITTLE_ENDIAN_HOST) return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
    const out = this.encoded.get(2 * n);
    const bigEndian = this.to.encoding === "pcm16be";
    for (let i = 0, b = 0; i < n; i++, b += 2) {
      const s = samples[i]!;
      out[b] = bigEndian ? (s >> 8) & 0xff : s & 0xff;
      out[b + 1] = bigEndian ? s & 0xff : (s >> 8) & 0xff;
    }
    return out.subarray(0, 2 * n);
  }
}

/**
 * A transcoder from `from` to `to`; bytes pass through untouched when the formats are the same.
 * @example const up = createTranscoder(MULAW_8K, agentAudioFormat("pcm_16000")); agentLeg.sendAudio(up.process(frame));
 */
export function createTranscoder(from: AudioFormat, to: AudioFormat): Transcoder {
  return sameFormat(from, to) ? new Passthrough() : new Converting(from, to);
}

/** Caller audio (μ-law 8 kHz from Mcube) → the agent's input format. */
export function createUplinkTranscoder(agentInputFormat: AgentAudioFormat): Transcoder {
  return createTranscoder(MULAW_8K, agentAudioFormat(agentInputFormat));
}

/** Agent audio (its output format) → μ-law 8 kHz; PCM chunks of any length (an odd byte waits for the next chunk). */
export function createDownlinkTranscoder(agentOutputFormat: AgentAudioFormat): Transcoder {
  return createTranscoder(agentAudioFormat(agentOutputFormat), MULAW_8K);
}
