import { describe, expect, test } from "bun:test";
import { HeardMix } from "../../src/recording/heard-mix.ts";
import { AGENT_HZ, CALLER_HZ, deinterleave, pieces, tone, toneSpans } from "./signals.ts";

/** A mix whose blocks are collected, as the file writer would get them. */
function collectingMix(options: { blockMs?: number; maxQueuedMs?: number } = {}) {
  const blocks: Int16Array[] = [];
  const mix = new HeardMix({ onBlock: (b) => blocks.push(b), ...options });
  const output = () => {
    const all = new Int16Array(blocks.reduce((n, b) => n + b.length, 0));
    let offset = 0;
    for (const b of blocks) {
      all.set(b, offset);
      offset += b.length;
    }
    return deinterleave(all);
  };
  return { mix, blocks, output };
}

/** The caller talks from `fromMs` for `ms`, one 20 ms frame arriving as each ends. */
function callerTalks(mix: HeardMix, fromMs: number, ms: number, hz = CALLER_HZ): void {
  pieces(tone(hz, ms), 20).forEach((frame, i) => mix.caller(frame, fromMs + (i + 1) * 20));
}

/** The agent's audio for `ms`, sent at `atMs` in 100 ms playAudio pieces all at once (faster than real time, as agents stream). */
function agentSends(mix: HeardMix, atMs: number, ms: number, hz = AGENT_HZ): void {
  for (const piece of pieces(tone(hz, ms), 100)) mix.sent(piece, atMs);
}

describe("HeardMix: what the caller said (left) and heard (right), from the call's start", () => {
  test("the caller's tone is on the left, the agent's on the right, each where it happened; duration is the call's", () => {
    const { mix, output } = collectingMix();
    callerTalks(mix, 0, 1000);
    agentSends(mix, 1200, 800);
    const samples = mix.end(3000);
    const { left, right } = output();
    expect(samples).toBe(24_000);
    expect(left.length).toBe(24_000);
    expect(toneSpans(left, CALLER_HZ)).toEqual([[0, 1000]]);
    expect(toneSpans(left, AGENT_HZ)).toEqual([]);
    expect(toneSpans(right, AGENT_HZ)).toEqual([[1200, 2000]]);
    expect(toneSpans(right, CALLER_HZ)).toEqual([]);
  });

  test("audio sent while earlier audio is still queued plays after it, not on top of it", () => {
    const { mix, output } = collectingMix();
    agentSends(mix, 100, 500, AGENT_HZ);
    agentSends(mix, 200, 400, 600);
    mix.end(2000);
    const { right } = output();
    expect(toneSpans(right, AGENT_HZ)).toEqual([[100, 600]]);
    expect(toneSpans(right, 600)).toEqual([[600, 1000]]);
  });

  test("a clear (barge-in) drops the unplayed agent audio from the right channel; later audio plays from when it is sent", () => {
    const { mix, output } = collectingMix();
    agentSends(mix, 500, 3000); // queued until 3500
    callerTalks(mix, 1000, 500);
    mix.cleared(1500);
    agentSends(mix, 2000, 400);
    mix.end(4000);
    const { left, right } = output();
    expect(toneSpans(right, AGENT_HZ)).toEqual([
      [500, 1500],
      [2000, 2400],
    ]);
    expect(toneSpans(left, CALLER_HZ)).toEqual([[1000, 1500]]);
  });

  test("agent audio still queued when the call ends was not heard", () => {
    const { mix, output } = collectingMix();
    agentSends(mix, 0, 5000);
    expect(mix.end(2000)).toBe(16_000);
    expect(toneSpans(output().right, AGENT_HZ)).toEqual([[0, 2000]]);
  });

  test("jittered caller frames are joined without gaps; a real pause stays a pause", () => {
    const { mix, output } = collectingMix();
    const frames = pieces(tone(CALLER_HZ, 1000), 20);
    // The first 500 ms arrive in bursts of five frames every 100 ms (jitter), the rest after a 1 s pause, on time.
    frames.slice(0, 25).forEach((f, i) => mix.caller(f, Math.ceil((i + 1) / 5) * 100));
    frames.slice(25).forEach((f, i) => mix.caller(f, 1500 + (i + 1) * 20));
    mix.end(2500);
    expect(toneSpans(output().left, CALLER_HZ)).toEqual([
      [0, 500],
      [1500, 2000],
    ]);
  });

  test("the recording does not depend on how the output is cut into blocks", () => {
    const run = (blockMs: number) => {
      const { mix, output } = collectingMix({ blockMs });
      callerTalks(mix, 0, 1500);
      agentSends(mix, 300, 2000);
      mix.cleared(1700);
      agentSends(mix, 1900, 300, 600);
      mix.end(2600);
      return output();
    };
    const a = run(250);
    const b = run(20);
    const c = run(1000);
    expect(Buffer.from(b.left.buffer).equals(Buffer.from(a.left.buffer))).toBe(true);
    expect(Buffer.from(b.right.buffer).equals(Buffer.from(a.right.buffer))).toBe(true);
    expect(Buffer.from(c.right.buffer).equals(Buffer.from(a.right.buffer))).toBe(true);
  });

  test("blocks go out while the call runs, and memory stays bounded over a ten-minute call", () => {
    const { mix, blocks } = collectingMix();
    const frame = tone(CALLER_HZ, 20);
    const reply = tone(AGENT_HZ, 100);
    let maxHeld = 0;
    let maxBehindMs = 0;
    for (let t = 20; t <= 600_000; t += 20) {
      mix.caller(frame, t);
      // Every 10 s the agent streams a 4 s reply in one burst.
      if (t % 10_000 === 0) for (let i = 0; i < 40; i++) mix.sent(reply, t);
      maxHeld = Math.max(maxHeld, mix.heldSamples);
      maxBehindMs = Math.max(maxBehindMs, t - mix.written / 8);
    }
    mix.end(600_000);
    expect(mix.written).toBe(4_800_000);
    expect(blocks.length).toBeGreaterThan(2000);
    // What is held: the commit window and the 4 s queued reply, never the call (4.8 M samples per channel).
    expect(maxHeld).toBeLessThanOrEqual(2 * 65_536);
    expect(maxBehindMs).toBeLessThanOrEqual(600);
  });

  test("agent audio queued further ahead than maxQueuedMs is not recorded and is counted", () => {
    const { mix } = collectingMix({ maxQueuedMs: 2000 });
    agentSends(mix, 0, 5000);
    expect(mix.droppedSamples).toBeGreaterThan(2 * 8000);
    expect(mix.heldSamples).toBeLessThanOrEqual(65_536);
    mix.end(6000);
    expect(mix.written).toBe(48_000);
  });

  test("a call that ends at its start has no audio; events after the end are ignored", () => {
    const { mix, blocks } = collectingMix();
    expect(mix.end(0)).toBe(0);
    mix.caller(tone(CALLER_HZ, 20), 20);
    mix.sent(tone(AGENT_HZ, 20), 20);
    expect(blocks).toEqual([]);
    expect(mix.end(100)).toBe(0);
  });
});
