/** Writes one recording file as it grows: samples appended in order off the call's path, header sizes patched about every second. */
import { close, mkdirSync, openSync, write, writeSync } from "node:fs";
import { dirname } from "node:path";
import { RECORDING_CHANNELS, stereoWavHeader, WAV_HEADER_BYTES } from "./stereo-wav.ts";

export interface WavFileWriterOptions {
  sampleRate: number;
  /** The header's sizes are rewritten after this much more audio (default one second), so a crash leaves a playable file. */
  headerEveryBytes?: number;
  /** Audio waiting for a slow disk beyond this is dropped (left as silence) instead of held in memory. Default 1 MiB. */
  maxQueuedBytes?: number;
  /** The first write error (disk full, I/O error); later audio is dropped. */
  onError?(err: unknown): void;
}

function writeAt(fd: number, bytes: Uint8Array, position: number): Promise<void> {
  return new Promise((resolve, reject) => write(fd, bytes, 0, bytes.length, position, (err) => (err ? reject(err) : resolve())));
}

export class WavFileWriter {
  private readonly fd: number;
  private readonly sampleRate: number;
  private readonly headerEveryBytes: number;
  private readonly maxQueuedBytes: number;
  private readonly onError: (err: unknown) => void;
  private tail: Promise<void> = Promise.resolve();
  private queuedBytes = 0;
  private patchedBytes = 0;
  private finishing: Promise<void> | undefined;
  /** Bytes of audio appended (including any dropped for a stalled disk). */
  dataBytes = 0;
  droppedBytes = 0;
  failed: unknown;

  /**
   * Creates the file (and its directory) with an empty-data header. Throws when it cannot, or when
   * the file exists already (`wx`: a recording is never overwritten).
   */
  constructor(readonly path: string, { sampleRate, headerEveryBytes, maxQueuedBytes = 1 << 20, onError = () => undefined }: WavFileWriterOptions) {
    this.sampleRate = sampleRate;
    this.headerEveryBytes = headerEveryBytes ?? sampleRate * RECORDING_CHANNELS * 2;
    this.maxQueuedBytes = maxQueuedBytes;
    this.onError = onError;
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, "wx", 0o600);
    try {
      writeSync(this.fd, stereoWavHeader(0, sampleRate), 0, WAV_HEADER_BYTES, 0);
    } catch (err) {
      close(this.fd, () => undefined);
      throw err;
    }
  }

  /** Appends interleaved samples; returns at once (the write happens in the background, in order). */
  append(interleaved: Int16Array): void {
    // Int16Array memory is little-endian on every platform Bun runs on, as WAV wants.
    const bytes = new Uint8Array(interleaved.buffer, interleaved.byteOffset, interleaved.byteLength);
    const position = WAV_HEADER_BYTES + this.dataBytes;
    this.dataBytes += bytes.length;
    if (this.failed !== undefined || this.finishing) return;
    if (this.queuedBytes + bytes.length > this.maxQueuedBytes) {
      this.droppedBytes += bytes.length;
      return;
    }
    this.queuedBytes += bytes.length;
    this.enqueue(() => writeAt(this.fd, bytes, position).finally(() => (this.queuedBytes -= bytes.length)));
    if (this.dataBytes - this.patchedBytes >= this.headerEveryBytes) this.patchHeader();
  }

  /** Writes the final sizes and closes the file; resolves when everything is on disk (never rejects). */
  finish(): Promise<void> {
    this.finishing ??= (async () => {
      this.patchHeader();
      await this.tail;
      await new Promise<void>((resolve) => close(this.fd, () => resolve()));
    })();
    return this.finishing;
  }

  private patchHeader(): void {
    const dataBytes = this.dataBytes;
    this.patchedBytes = dataBytes;
    this.enqueue(() => writeAt(this.fd, stereoWavHeader(dataBytes, this.sampleRate), 0));
  }

  private enqueue(work: () => Promise<void>): void {
    this.tail = this.tail.then(async () => {
      if (this.failed !== undefined) return;
      try {
        await work();
      } catch (err) {
        this.failed = err;
        this.onError(err);
      }
    });
  }
}
