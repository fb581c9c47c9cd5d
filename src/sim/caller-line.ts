/** The simulated caller's side of the line: what they say, queued in the call's wire format and cut into 20 ms frames. */
import { callerAudioToWire, frameBytes, silenceByte, type CallerPcm, type McubeMediaFormat } from "./mcube-media.ts";

export class CallerLine {
  private readonly parts: Uint8Array[] = [];
  private offset = 0;
  private readonly frameBytes: number;
  private readonly silence: number;
  /** Whole frames of silence sent since the caller last had audio queued. */
  silentFrames = 0;

  constructor(private readonly format: McubeMediaFormat) {
    this.frameBytes = frameBytes(format);
    this.silence = silenceByte(format);
  }

  /** Queues caller audio (8 kHz μ-law bytes, or PCM at a rate) after whatever is still queued; returns its length in ms. */
  say(audio: Uint8Array | CallerPcm): number {
    const wire = callerAudioToWire(audio, this.format);
    if (wire.length === 0) return 0;
    this.parts.push(wire);
    this.silentFrames = 0;
    return (wire.length * 20) / this.frameBytes;
  }

  get isSpeaking(): boolean {
    return this.parts.length > 0;
  }

  /** The next 20 ms: queued audio, padded with silence. `finished` is true when this frame took the last queued byte. */
  nextFrame(): { frame: Uint8Array; finished: boolean } {
    const frame = new Uint8Array(this.frameBytes).fill(this.silence);
    let filled = 0;
    let finished = false;
    while (filled < this.frameBytes && this.parts.length > 0) {
      const head = this.parts[0]!;
      const take = Math.min(this.frameBytes - filled, head.length - this.offset);
      frame.set(head.subarray(this.offset, this.offset + take), filled);
      filled += take;
      this.offset += take;
      if (this.offset === head.length) {
        this.parts.shift();
        this.offset = 0;
        finished = this.parts.length === 0;
      }
    }
    this.silentFrames = filled > 0 || this.parts.length > 0 ? 0 : this.silentFrames + 1;
    return { frame, finished };
  }
}
