import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DAY_MS, startRetentionSweep } from "../../src/recording/retention.ts";
import { createLogger } from "../../src/log/logger.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { until } from "../helpers/wait.ts";
import { tempDir } from "../helpers/env.ts";

/** A recording file last written `ageDays` before the clock's now. */
function fileAged(dir: string, name: string, clock: TestClock, ageDays: number): string {
  const path = join(dir, name);
  writeFileSync(path, "RIFF");
  const when = new Date(clock.epochMs() - ageDays * DAY_MS);
  utimesSync(path, when, when);
  return path;
}

describe("RECORDING_RETENTION_DAYS", () => {
  test("the sweep at start deletes recordings past the retention, and the daily one those that aged since", async () => {
    const dir = join(tempDir("homebook-retention-"), "recordings");
    mkdirSync(dir, { recursive: true });
    const clock = new TestClock();
    const old = fileAged(dir, "old.wav", clock, 31);
    const recent = fileAged(dir, "recent.wav", clock, 29.5);
    const fresh = fileAged(dir, "fresh.wav", clock, 0);
    const other = fileAged(dir, "notes.txt", clock, 400);
    const lines: string[] = [];
    const logger = createLogger({ level: "info", stdout: "none", sink: (l) => lines.push(l) });

    const sweep = startRetentionSweep({ dir, retentionDays: 30, logger, clock });
    expect(await sweep.sweep()).toBe(1); // joins the sweep at start, still running
    expect([existsSync(old), existsSync(recent), existsSync(fresh), existsSync(other)]).toEqual([false, true, true, true]);
    expect(JSON.parse(lines.find((l) => l.includes("RECORDING_RETENTION_DAYS"))!).deleted).toBe(1);

    await clock.advance(DAY_MS - 1);
    expect(existsSync(recent)).toBe(true);
    await clock.advance(1);
    // The daily sweep runs now; its file I/O is real, so wait for its effect rather than guess how long it takes.
    await until(() => !existsSync(recent), 5000, "the daily sweep to delete the recording that aged past the retention");
    expect([existsSync(fresh), existsSync(other)]).toEqual([true, true]);
    await clock.settle();
    expect(clock.pending).toBe(1); // and the next day's sweep is armed
    sweep.stop();
    expect(clock.pending).toBe(0);
  });

  test("0 keeps every recording and arms no timer; a missing directory is not an error", async () => {
    const dir = join(tempDir("homebook-retention-"), "recordings");
    mkdirSync(dir);
    const clock = new TestClock();
    const ancient = fileAged(dir, "ancient.wav", clock, 10_000);
    const keep = startRetentionSweep({ dir, retentionDays: 0, logger: createLogger({ stdout: "none" }), clock });
    expect(await keep.sweep()).toBe(0);
    expect(existsSync(ancient)).toBe(true);
    expect(clock.pending).toBe(0);
    const lines: string[] = [];
    const missing = startRetentionSweep({ dir: join(dir, "nowhere"), retentionDays: 7, logger: createLogger({ stdout: "none", sink: (l) => lines.push(l) }), clock });
    expect(await missing.sweep()).toBe(0);
    expect(lines).toEqual([]);
    missing.stop();
  });
});
