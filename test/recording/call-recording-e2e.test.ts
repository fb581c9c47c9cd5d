/**
 * One real call through the gateway with RECORDING=on: the recording's right channel is what the
 * simulated caller actually heard (a barge-in's cleared audio absent), the left the caller's tone.
 * Runs through the temporary wiring in src/call/call-session.ts (open at start, caller/sent/cleared, close).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { readStereoWav } from "../../src/recording/stereo-wav.ts";
import { toneMs, toneMulaw } from "../../src/sim/tones.ts";
import { until } from "../helpers/wait.ts";
import { startConsoleHarness, type ConsoleHarness } from "../console/harness.ts";
import { AGENT_HZ, CALLER_HZ, toneSpans } from "./signals.ts";

let h: ConsoleHarness;
beforeAll(async () => (h = await startConsoleHarness()));
afterAll(() => h.stop());

test("a barge-in's cleared audio is absent from the right channel; the left holds the caller; the length is the call's", async () => {
  const call = await h.call("rec-e2e");
  const conv = await h.agent.nextConversation();
  await conv.init;
  void conv.speak({ durationMs: 4000, toneHz: AGENT_HZ });
  // The agent streams faster than real time: most of its 4 s is queued at Mcube when the caller talks over it.
  await until(() => toneMs(call.heard, AGENT_HZ) >= 1000, 10_000, "a second of the agent heard");
  call.say(toneMulaw(CALLER_HZ, 600));
  await conv.interrupt();
  await call.waitForTimeline("clearedAudio", 5000);
  await until(() => call.heard.length >= 8 * 3000, 10_000, "three seconds of call");
  const heardAgentMs = toneMs(call.heard, AGENT_HZ);
  call.hangup();
  await call.closed;
  await until(async () => (await h.recorder.get("rec-e2e")) !== undefined, 5000, "the call record");
  await h.recordings.whenIdle();

  const record = (await h.recorder.get("rec-e2e"))!;
  expect(record.recorded).toBe(true);
  const wav = readStereoWav(readFileSync(h.recordings.pathOf("rec-e2e")!));
  // Right: the agent only as long as the caller heard it (to the 20 ms window), then nothing of the cleared rest.
  expect(heardAgentMs).toBeLessThan(3000);
  const right = toneSpans(wav.right, AGENT_HZ);
  expect(right).toHaveLength(1);
  expect(Math.abs(right[0]![1] - right[0]![0] - heardAgentMs)).toBeLessThanOrEqual(60);
  // Left: the caller's 600 ms tone, once, while the agent was being cleared.
  const left = toneSpans(wav.left, CALLER_HZ);
  expect(left).toHaveLength(1);
  expect(left[0]![1] - left[0]![0]).toBeGreaterThanOrEqual(560);
  expect(left[0]![0]).toBeGreaterThanOrEqual(right[0]![0]);
  expect(toneSpans(wav.right, CALLER_HZ)).toEqual([]);
  // Length: from Mcube's start to the hang-up; the caller's own record of what it heard is the same span.
  const recordedMs = wav.left.length / 8;
  expect(Math.abs(recordedMs - call.heard.length / 8)).toBeLessThanOrEqual(100);
  expect(recordedMs).toBeLessThanOrEqual(record.durationMs + 1); // the record keeps whole milliseconds, the file 1/8 ms steps
});
