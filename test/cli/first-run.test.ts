/** First run: `homebook serve` with no configuration at all, then `homebook call`, both through the real entry. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { readWav } from "../../src/audio/wav.ts";
import { toneMs } from "../../src/sim/tones.ts";
import { tempDir } from "../helpers/env.ts";

const MAIN = join(import.meta.dir, "../../src/main.ts");

/** Reads a child's stdout until a line matches, returning the match. */
async function waitForLine(child: Subprocess<"ignore", "pipe", "pipe">, pattern: RegExp): Promise<RegExpMatchArray> {
  const reader = child.stdout.getReader();
  let out = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve exited before printing ${pattern}:\n${out}`);
    out += new TextDecoder().decode(value);
    const match = out.match(pattern);
    if (match) {
      reader.releaseLock();
      void child.stdout.pipeTo(new WritableStream()); // keep draining so the child never blocks
      return match;
    }
  }
}

describe("first run without a phone line, an ElevenLabs account or a database", () => {
  const cwd = tempDir("homebook-first-run-");
  let serve: Subprocess<"ignore", "pipe", "pipe">;
  let wsBase: string;

  beforeAll(async () => {
    serve = Bun.spawn([process.execPath, MAIN, "serve"], {
      cwd,
      env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [, url] = await waitForLine(serve, /"msg":"listening".*"url":"(http:\/\/[^"]+)"/);
    wsBase = url!.replace("http://", "ws://");
  });

  afterAll(async () => {
    serve.kill("SIGTERM");
    await serve.exited;
  });

  test("a call hears the greeting, hears its words echoed, and # ends it after the goodbye; the record is stored", async () => {
    const heardPath = join(cwd, "heard.wav");
    const call = Bun.spawn(
      [process.execPath, MAIN, "call", "--url", `${wsBase}/ws/first-run-1`, "--tone", "440", "--seconds", "2", "--record", heardPath, "--json"],
      { cwd, env: { PATH: process.env.PATH ?? "" }, stdout: "pipe", stderr: "pipe" },
    );
    const [code, stdout] = await Promise.all([call.exited, new Response(call.stdout).text()]);
    const report = JSON.parse(stdout) as {
      ok: boolean;
      reason: string;
      closed: { code: number };
      timeline: { atMs: number; event: string; detail?: any }[];
    };
    expect(report.reason).toBe("the gateway ended the call (terminate)");
    expect(report.ok).toBe(true);
    expect(code).toBe(0);

    const events = report.timeline.map((e) => e.event);
    // The greeting: audio reached the caller before the caller spoke.
    const firstAudio = events.indexOf("playAudio");
    const dtmf = events.indexOf("dtmf");
    expect(firstAudio).toBeGreaterThanOrEqual(0);
    expect(dtmf).toBeGreaterThan(firstAudio);
    // The goodbye after #: audio, then its checkpoint acknowledged, then terminate; nothing after terminate.
    const terminate = events.indexOf("terminate");
    expect(terminate).toBeGreaterThan(dtmf);
    const goodbyeAudio = events.slice(dtmf, terminate).filter((e) => e === "playAudio").length;
    expect(goodbyeAudio).toBeGreaterThan(0);
    const lastCheckpoint = events.lastIndexOf("checkpoint", terminate);
    const lastAck = events.lastIndexOf("playedStream", terminate);
    expect(lastCheckpoint).toBeGreaterThan(dtmf);
    expect(lastAck).toBeGreaterThan(lastCheckpoint);
    expect(events.slice(terminate + 1).includes("playAudio")).toBe(false);

    // The echo: the caller's 2 s tone came back to them (allowing for speech-detector edges).
    const heard = readWav(new Uint8Array(await Bun.file(heardPath).arrayBuffer()));
    expect(heard.encoding).toBe("mulaw");
    expect(heard.sampleRate).toBe(8000);
    expect(toneMs(heard.data, 440)).toBeGreaterThanOrEqual(1800);

    // The call record and its transcript are in the embedded store.
    const db = new Database(join(cwd, "data/homebook.db"), { readonly: true });
    try {
      type Row = { end_reason: string; frames_in: number; frames_out: number };
      const find = () => db.query("SELECT end_reason, frames_in, frames_out FROM call_records WHERE session_id = ?").get("first-run-1") as Row | null;
      let record = find();
      for (let i = 0; i < 50 && !record; i++) {
        await Bun.sleep(100);
        record = find();
      }
      expect(record?.end_reason).toBe("agent_end_call");
      expect(record!.frames_in).toBeGreaterThan(100);
      expect(record!.frames_out).toBeGreaterThan(10);
      const turns = db.query("SELECT role FROM call_transcripts WHERE session_id = ? ORDER BY seq").all("first-run-1") as { role: string }[];
      expect(turns.some((t) => t.role === "agent")).toBe(true);
      expect(turns.some((t) => t.role === "user")).toBe(true);
    } finally {
      db.close();
    }
  }, 60_000);
});
