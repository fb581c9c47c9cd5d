/** Energy-based speech detector: start after a few loud frames, end after a pause; hands over each utterance. */
import { rmsDb } from "./tones.ts";

export interface SpeechDetectorOptions {
  sampleRate: number;
  frameMs?: number;
  /** A frame at or above this RMS level is speech. Default -40 dBFS (a quiet line sits near -60). */
  thresholdDb?: number;
  /** Consecutive loud frames that start an utterance (avoids clicks). Default 3 (60 ms). */
  startFrames?: number;
  /** Silence that ends an utterance. Default 600 ms. */
  endSilenceMs?: number;
  /** Shorter utterances are dropped as noise. Default 200 ms. */
  minUtteranceMs?: number;
  /** Longer ones are cut here and handed over. Default 15 000 ms. */
  maxUtteranceMs?: number;
}

export interface SpeechEvents {
  onStart(): void;
  /** The utterance's samples (trailing pause trimmed) and its length. */
  onEnd(samples: Int16Array, durationMs: number): void;
}

export class SpeechDetector {
  private readonly frameSamples: number;
  private readonly frame: Int16Array;
  private fill = 0;
  private loudRun: Int16Array[] = [];
  private utterance: Int16Array[] = [];
  private silentFrames = 0;
  private speaking = false;
  private readonly settings: Required<SpeechDetectorOptions>;

  constructor(options: SpeechDetectorOptions, private readonly events: SpeechEvents) {
    this.settings = {
      frameMs: 20,
      thresholdDb: -40,
      startFrames: 3,
      endSilenceMs: 600,
      minUtteranceMs: 200,
      maxUtteranceMs: 15_000,
      ...options,
    };
    this.frameSamples = Math.round((this.settings.sampleRate * this.settings.frameMs) / 1000);
    this.frame = new Int16Array(this.frameSamples);
  }

  get isSpeaking(): boolean {
    return this.speaking;
  }

  /** Feeds samples of any length. */
  push(samples: Int16Array): void {
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(this.frameSamples - this.fill, samples.length - offset);
      this.frame.set(samples.subarray(offset, offset + take), this.fill);
      this.fill += take;
      offset += take;
      if (this.fill === this.frameSamples) {
        this.fill = 0;
        this.onFrame(this.frame.slice());
      }
    }
  }

  private onFrame(frame: Int16Array): void {
    const { thresholdDb, startFrames, endSilenceMs, frameMs, maxUtteranceMs } = this.settings;
    const loud = rmsDb(frame) >= thresholdDb;
    if (!this.speaking) {
      this.loudRun = loud ? [...this.loudRun, frame] : [];
      if (this.loudRun.length >= startFrames) {
        this.speaking = true;
        this.utterance = this.loudRun;
        this.loudRun = [];
        this.silentFrames = 0;
        this.events.onStart();
      }
      return;
    }
    this.utterance.push(frame);
    this.silentFrames = loud ? 0 : this.silentFrames + 1;
    if (this.silentFrames * frameMs >= endSilenceMs || this.utterance.length * frameMs >= maxUtteranceMs) this.finish();
  }

  private finish(): void {
    const { frameMs, minUtteranceMs } = this.settings;
    const kept = this.utterance.slice(0, this.utterance.length - this.silentFrames);
    this.speaking = false;
    this.utterance = [];
    this.silentFrames = 0;
    const durationMs = kept.length * frameMs;
    if (durationMs < minUtteranceMs) return;
    const samples = new Int16Array(kept.length * this.frameSamples);
    kept.forEach((f, i) => samples.set(f, i * this.frameSamples));
    this.events.onEnd(samples, durationMs);
  }
}
