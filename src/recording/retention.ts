/** RECORDING_RETENTION_DAYS: a sweep at start and then daily that deletes recordings older than the retention. */
import { readdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { systemClock, type Clock, type Timer } from "../base/clock.ts";
import type { Logger } from "../log/logger.ts";

export const DAY_MS = 86_400_000;

export interface RetentionOptions {
  /** RECORDINGS_PATH. */
  dir: string;
  /** Recordings last written more than this many days ago are deleted; 0 keeps them forever. */
  retentionDays: number;
  logger: Logger;
  clock?: Clock;
  /** Between sweeps (default one day). */
  everyMs?: number;
}

export interface RetentionSweep {
  /** Deletes what is past the retention now; resolves with how many files were deleted. */
  sweep(): Promise<number>;
  /** Stops the daily timer (a sweep in progress finishes). */
  stop(): void;
}

/** Starts the sweep (the first runs at once). With retentionDays 0 nothing is ever deleted. */
export function startRetentionSweep({ dir, retentionDays, logger, clock = systemClock, everyMs = DAY_MS }: RetentionOptions): RetentionSweep {
  let timer: Timer | undefined;
  let stopped = false;
  let running: Promise<number> | undefined;

  const sweepOnce = async (): Promise<number> => {
    if (retentionDays <= 0) return 0;
    const cutoffMs = clock.epochMs() - retentionDays * DAY_MS;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as { code?: string }).code !== "ENOENT") logger.warn("recording retention sweep could not read RECORDINGS_PATH", { dir, err });
      return 0;
    }
    let deleted = 0;
    let failed = 0;
    for (const name of names) {
      if (!name.endsWith(".wav")) continue;
      const path = join(dir, name);
      try {
        const info = await stat(path);
        if (!info.isFile() || info.mtimeMs >= cutoffMs) continue;
        await unlink(path);
        deleted++;
      } catch {
        failed++;
      }
    }
    if (deleted > 0) logger.info("recordings past RECORDING_RETENTION_DAYS deleted", { deleted, retention_days: retentionDays });
    if (failed > 0) logger.warn("some recordings past the retention could not be deleted", { failed, dir });
    return deleted;
  };

  const sweep = (): Promise<number> => {
    running ??= sweepOnce().finally(() => (running = undefined));
    return running;
  };

  const schedule = () => {
    if (stopped || retentionDays <= 0) return;
    timer = clock.setTimer(() => {
      void sweep().finally(schedule);
    }, everyMs);
    (timer as { unref?: () => void }).unref?.();
  };

  void sweep();
  schedule();
  return {
    sweep,
    stop() {
      stopped = true;
      clock.clearTimer(timer);
    },
  };
}
