/** RECORDING and the per-bot override: which calls are recorded, where each file lives, and the last writes at shutdown. */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { CallRecording, Recordings } from "../call/ports.ts";
import type { Logger } from "../log/logger.ts";
import { Counter } from "../metrics/registry.ts";
import { FileRecording } from "./file-recording.ts";

/** Where finished recordings are found (the recording endpoint and the console read it). */
export interface RecordingFiles {
  /** The file of a call's recording, or undefined when there is none (never recorded, or deleted by retention). */
  find(sessionId: string): Promise<{ path: string; bytes: number } | undefined>;
}

export interface FileRecordingsOptions {
  /** RECORDING=on: record calls whose bot does not say otherwise. */
  enabled: boolean;
  /** RECORDINGS_PATH. */
  dir: string;
  logger: Logger;
  /** Size of the blocks written (tests use small ones). */
  blockMs?: number;
}

const recordingsTotal = new Counter({
  name: "homebook_recordings_total",
  help: "Call recordings by outcome: kept (a file per call), empty (ended at its start: no file), failed (could not be created), write_error (cut short by a disk error).",
  labelNames: ["outcome"],
});

/** Session ids become file names: the /ws pattern, minus names made only of dots. */
const FILE_NAME = /^(?!\.+$)[A-Za-z0-9._:-]{1,128}$/;

/** Implements the call core's Recordings port with one WAV file per call under RECORDINGS_PATH. */
export class FileRecordings implements Recordings, RecordingFiles {
  private readonly enabled: boolean;
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly blockMs: number | undefined;
  private readonly writing = new Set<Promise<void>>();

  constructor({ enabled, dir, logger, blockMs }: FileRecordingsOptions) {
    this.enabled = enabled;
    this.dir = dir;
    this.logger = logger;
    this.blockMs = blockMs;
  }

  /** The file a session's recording is written to, or undefined for an id that cannot be a file name. */
  pathOf(sessionId: string): string | undefined {
    return FILE_NAME.test(sessionId) ? join(this.dir, `${sessionId}.wav`) : undefined;
  }

  /** A recording when RECORDING (or the bot's own `recording`, which wins) says so; undefined otherwise or when the file cannot be created. */
  open(sessionId: string, botRecording: boolean | undefined): CallRecording | undefined {
    if (!(botRecording ?? this.enabled)) return undefined;
    const path = this.pathOf(sessionId);
    if (!path) return undefined;
    const log = this.logger.child({ session_id: sessionId });
    try {
      const recording = new FileRecording({
        path,
        blockMs: this.blockMs,
        onError: (err) => {
          recordingsTotal.inc({ outcome: "write_error" });
          log.error("call recording cut short by a write error", { err, fix: "check free space and permissions of RECORDINGS_PATH" });
        },
        onFinished: ({ kept }) => recordingsTotal.inc({ outcome: kept ? "kept" : "empty" }),
      });
      return {
        caller: (samples, atMs) => recording.caller(samples, atMs),
        sent: (samples, atMs) => recording.sent(samples, atMs),
        cleared: (atMs) => recording.cleared(atMs),
        close: (atMs) => {
          const kept = recording.close(atMs);
          this.track(recording.finished);
          return kept;
        },
      };
    } catch (err) {
      recordingsTotal.inc({ outcome: "failed" });
      const exists = (err as { code?: string }).code === "EEXIST";
      log.error("call recording could not be started; the call goes on unrecorded", {
        err,
        fix: exists ? "a recording with this session id exists already and is kept" : "make RECORDINGS_PATH a directory this user can write",
      });
      return undefined;
    }
  }

  async find(sessionId: string): Promise<{ path: string; bytes: number } | undefined> {
    const path = this.pathOf(sessionId);
    if (!path) return undefined;
    try {
      const info = await stat(path);
      return info.isFile() ? { path, bytes: info.size } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Resolves when every closed recording is complete on disk (graceful shutdown, tests). */
  async whenIdle(): Promise<void> {
    while (this.writing.size > 0) await Promise.all([...this.writing]);
  }

  private track(finished: Promise<void> | undefined): void {
    if (!finished) return;
    this.writing.add(finished);
    void finished.finally(() => this.writing.delete(finished));
  }
}
