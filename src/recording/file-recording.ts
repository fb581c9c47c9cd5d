/** One call's recording on disk: the heard-audio mix feeding a growing stereo WAV file. */
import { unlink } from "node:fs";
import type { CallRecording } from "../call/ports.ts";
import { HeardMix, RECORDING_SAMPLE_RATE } from "./heard-mix.ts";
import { WavFileWriter } from "./wav-file-writer.ts";

export interface FileRecordingOptions {
  path: string;
  /** The first write error; the call goes on unrecorded from there. */
  onError?(err: unknown): void;
  /** Called once the file is complete (or removed) after `close`. */
  onFinished?(result: { kept: boolean; path: string; samples: number }): void;
  blockMs?: number;
}

/**
 * Implements the call core's CallRecording port. Creating it creates the file (throws when it
 * cannot); `close` returns at once and the last writes complete in the background.
 */
export class FileRecording implements CallRecording {
  private readonly mix: HeardMix;
  private readonly writer: WavFileWriter;
  private readonly onFinished: NonNullable<FileRecordingOptions["onFinished"]>;
  /** Resolves when the file is complete (or removed). */
  finished: Promise<void> | undefined;

  constructor({ path, onError, onFinished = () => undefined, blockMs }: FileRecordingOptions) {
    this.writer = new WavFileWriter(path, { sampleRate: RECORDING_SAMPLE_RATE, onError });
    this.mix = new HeardMix({ onBlock: (block) => this.writer.append(block), blockMs });
    this.onFinished = onFinished;
  }

  caller(samples: Int16Array, atMs: number): void {
    this.mix.caller(samples, atMs);
  }

  sent(samples: Int16Array, atMs: number): void {
    this.mix.sent(samples, atMs);
  }

  cleared(atMs: number): void {
    this.mix.cleared(atMs);
  }

  /** Ends the recording at `atMs`. A call that ended at its start has no audio: its file is removed and false returned. */
  close(atMs: number): boolean {
    if (this.finished) return this.mix.written > 0;
    const samples = this.mix.end(atMs);
    const kept = samples > 0; // after a write error the file holds what was written before it
    const path = this.writer.path;
    this.finished = this.writer.finish().then(async () => {
      if (!kept) await new Promise<void>((resolve) => unlink(path, () => resolve()));
      this.onFinished({ kept, path, samples });
    });
    return kept;
  }
}
