/** Feeds a call's recording: both directions converted from the call's media format to 16-bit PCM at 8 kHz, timed from the call's start. */
import { PCM16_8K, type AudioFormat } from "../audio/audio-format.ts";
import { createTranscoder, type Transcoder } from "../audio/transcoder.ts";
import type { CallRecording } from "./ports.ts";

/** 16-bit samples over PCM bytes (a copy only for bytes at an odd offset, e.g. a raw binary frame). */
function samplesOf(bytes: Uint8Array): Int16Array {
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  return new Int16Array(aligned.buffer, aligned.byteOffset, aligned.length >> 1);
}

export class CallRecordingTap {
  private readonly callerPath: Transcoder;
  private readonly heardPath: Transcoder;

  constructor(
    private readonly recording: CallRecording,
    format: AudioFormat,
    private readonly sinceStartMs: () => number,
  ) {
    this.callerPath = createTranscoder(format, PCM16_8K);
    this.heardPath = createTranscoder(format, PCM16_8K);
  }

  /** Caller audio as received (the call's format). */
  caller(bytes: Uint8Array): void {
    this.recording.caller(samplesOf(this.callerPath.process(bytes)), this.sinceStartMs());
  }

  /** Audio handed to Mcube for the caller (the call's format). */
  sent(bytes: Uint8Array): void {
    this.recording.sent(samplesOf(this.heardPath.process(bytes)), this.sinceStartMs());
  }

  cleared(): void {
    this.heardPath.reset();
    this.recording.cleared(this.sinceStartMs());
  }

  /** The call ended: true when a file was kept. */
  close(): boolean {
    return this.recording.close(this.sinceStartMs());
  }
}
