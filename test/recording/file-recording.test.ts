import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileRecordings } from "../../src/recording/recordings.ts";
import { headerForLength, readStereoWav, WAV_HEADER_BYTES } from "../../src/recording/stereo-wav.ts";
import { readWav } from "../../src/audio/wav.ts";
import { createLogger } from "../../src/log/logger.ts";
import { tempDir } from "../helpers/env.ts";
import { noteIfSoxMissing, SOX_PATH } from "../audio/sox.ts";
import { AGENT_HZ, agentBurst, CALLER_HZ, callerFrames, play, tone, toneSpans } from "./signals.ts";

noteIfSoxMissing("file-recording");
const dirs: string[] = [];
function recordingsIn(options: { enabled?: boolean; dir?: string } = {}) {
  const dir = options.dir ?? join(tempDir("homebook-rec-"), "recordings");
  dirs.push(dir);
  const lines: string[] = [];
  const logger = createLogger({ level: "info", stdout: "none", sink: (l) => lines.push(l) });
  return { recordings: new FileRecordings({ enabled: options.enabled ?? true, dir, logger }), dir, lines };
}

afterAll(() => {
  for (const dir of dirs) if (existsSync(dir)) chmodSync(dir, 0o755);
});

describe("FileRecordings: one stereo WAV per call", () => {
  test("a recorded call leaves a 16-bit stereo 8 kHz WAV: caller left, heard audio right, a clear's unplayed audio absent, length = the call", async () => {
    const { recordings, dir } = recordingsIn();
    const rec = recordings.open("sess-1", undefined)!;
    play(rec, [...callerFrames(1000, 2000), ...agentBurst(200, 3000), { atMs: 1600, cleared: true }]);
    expect(rec.close(4000)).toBe(true);
    await recordings.whenIdle();

    const bytes = readFileSync(join(dir, "sess-1.wav"));
    expect(bytes.length).toBe(WAV_HEADER_BYTES + 4000 * 8 * 4);
    const wav = readStereoWav(bytes);
    expect(wav.sampleRate).toBe(8000);
    expect(wav.declaredBytes).toBe(4000 * 8 * 4); // the final header is exact
    expect(wav.left.length).toBe(32_000);
    expect(toneSpans(wav.left, CALLER_HZ)).toEqual([[1000, 3000]]);
    expect(toneSpans(wav.right, AGENT_HZ)).toEqual([[200, 1600]]);
    expect(toneSpans(wav.right, CALLER_HZ)).toEqual([]);
    // The project's mono reader refuses it by name; sox (the reference tool) reads it as 4 s of stereo.
    expect(() => readWav(bytes)).toThrow(/2 channels/);
    if (SOX_PATH) {
      const info = Bun.spawnSync([SOX_PATH, "--i", join(dir, "sess-1.wav")]).stdout.toString();
      expect(info).toMatch(/Channels\s*: 2/);
      expect(info).toMatch(/Duration\s*: 00:00:04\.00 = 32000 samples/);
    }
  });

  test("RECORDING decides unless the bot says otherwise", () => {
    const off = recordingsIn({ enabled: false }).recordings;
    const on = recordingsIn({ enabled: true }).recordings;
    expect(off.open("a", undefined)).toBeUndefined();
    expect(off.open("b", true)).toBeDefined();
    expect(on.open("c", undefined)).toBeDefined();
    expect(on.open("d", false)).toBeUndefined();
  });

  test("a call that ends at its start keeps no file and says so", async () => {
    const { recordings, dir } = recordingsIn();
    const rec = recordings.open("sess-empty", undefined)!;
    expect(existsSync(join(dir, "sess-empty.wav"))).toBe(true);
    expect(rec.close(0)).toBe(false);
    await recordings.whenIdle();
    expect(existsSync(join(dir, "sess-empty.wav"))).toBe(false);
    expect(await recordings.find("sess-empty")).toBeUndefined();
  });

  test("find gives the file of a recorded call; ids that cannot be file names have none", async () => {
    const { recordings } = recordingsIn();
    const rec = recordings.open("call.7:a-b_c", undefined)!;
    rec.caller(tone(CALLER_HZ, 20), 20);
    rec.close(1000);
    await recordings.whenIdle();
    expect(await recordings.find("call.7:a-b_c")).toEqual({ path: recordings.pathOf("call.7:a-b_c")!, bytes: WAV_HEADER_BYTES + 8000 * 4 });
    expect(await recordings.find("nope")).toBeUndefined();
    expect(recordings.pathOf("..")).toBeUndefined();
    expect(recordings.pathOf("a/b")).toBeUndefined();
    expect(recordings.open("..", true)).toBeUndefined();
  });

  test("an unwritable RECORDINGS_PATH leaves the call unrecorded with an error naming the fix", () => {
    const parent = tempDir("homebook-rec-ro-");
    chmodSync(parent, 0o500);
    dirs.push(parent);
    const { recordings, lines } = recordingsIn({ dir: join(parent, "recordings") });
    if (process.getuid?.() === 0) return; // root writes anywhere: nothing to refuse
    expect(recordings.open("sess-ro", undefined)).toBeUndefined();
    const line = JSON.parse(lines.find((l) => l.includes("could not be started"))!);
    expect(line.level).toBe("error");
    expect(line.fix).toContain("RECORDINGS_PATH");
  });

  test("an existing recording is never overwritten by a reused session id", async () => {
    const { recordings, dir, lines } = recordingsIn();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "sess-dup.wav"), "first call");
    expect(recordings.open("sess-dup", undefined)).toBeUndefined();
    expect(readFileSync(join(dir, "sess-dup.wav"), "utf8")).toBe("first call");
    expect(lines.some((l) => l.includes("exists already"))).toBe(true);
  });

  test("after kill -9 mid-call the file is playable: its header is at most a second stale and the reader takes every frame present", async () => {
    const { dir } = recordingsIn();
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "crash-writer.ts"), dir, "sess-crash", "3.5"], { stdout: "pipe", stderr: "inherit" });
    const reader = child.stdout.getReader();
    let out = "";
    while (!out.includes("written")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    child.kill("SIGKILL");
    await child.exited;
    expect(child.signalCode).toBe("SIGKILL");

    const path = join(dir, "sess-crash.wav");
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(WAV_HEADER_BYTES + 3500 * 32);
    const wav = readStereoWav(bytes);
    // Patched every second of audio: stale by less than one second, never claiming more than is there.
    expect(wav.declaredBytes).toBeLessThanOrEqual(bytes.length - WAV_HEADER_BYTES);
    expect(bytes.length - WAV_HEADER_BYTES - wav.declaredBytes).toBeLessThan(32_000);
    expect(wav.declaredBytes).toBeGreaterThanOrEqual(3 * 32_000);
    expect(toneSpans(wav.left, CALLER_HZ)).toEqual([[0, 3500]]);
    expect(toneSpans(wav.right, AGENT_HZ)).toEqual([[500, 1500]]);
    // The header the endpoint serves for it declares every whole frame.
    const fixed = readStereoWav(new Uint8Array([...headerForLength(bytes.subarray(0, 44), statSync(path).size), ...bytes.subarray(44)]));
    expect(fixed.declaredBytes).toBe(3500 * 32);
    if (SOX_PATH) expect(Bun.spawnSync([SOX_PATH, path, "-n", "stat"], { stderr: "pipe" }).exitCode).toBe(0); // sox plays it as it is
  });
});
