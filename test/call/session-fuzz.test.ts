/**
 * Whole calls fuzzed (fast-check) over real loopback sockets: gateway, fake ElevenLabs agent and a raw
 * Mcube client on one test clock. Random and mutated frames on both legs — junk, wrong types, huge
 * values, giant strings, deep nesting, binary frames, duplicated starts, acks and event ids out of
 * order — must not end a healthy call, lose its audio either way, or let an exception escape.
 * Real sockets, not legs with fake sockets: the fuzz then covers the socket glue and the call manager
 * too, and one harness serves every case (a case is one call, about 50–150 ms).
 */
import { afterAll, beforeAll, describe, test } from "bun:test";
import { fuzz } from "../helpers/fuzz.ts";
import { runFuzzedCall, type Faults } from "./fuzzed-call.ts";
import { startHarness, type Harness } from "./harness.ts";
import { earlyPlan, novelJunk, steps } from "./session-fuzz-model.ts";

let h: Harness;
const faults: Faults = { uncaught: [] };
const onFault = (err: unknown) => faults.uncaught.push(String((err as Error)?.stack ?? err));

beforeAll(async () => {
  process.on("uncaughtException", onFault);
  process.on("unhandledRejection", onFault);
  // μ-law both ways on the agent too: audio passes through untouched, so bytes can be compared exactly.
  h = await startHarness({ testClock: true, agent: { firstMessage: null, inputFormat: "ulaw_8000", outputFormat: "ulaw_8000", userAudioTimeoutMs: 0 } });
});

afterAll(async () => {
  await h?.stop();
  process.off("uncaughtException", onFault);
  process.off("unhandledRejection", onFault);
});

describe("call sessions under fuzzing", () => {
  test("random and mutated frames on both legs: the call stays live, no audio is lost either way, nothing escapes", async () => {
    let calls = 0;
    await fuzz("call sessions", steps(40), (s) => runFuzzedCall(h, `fuzz-${++calls}`, s, faults), { numRuns: 120, budgetMs: 15_000 });
  }, 120_000);

  test("junk before start and caller frames while the agent connects: the call starts, the held audio and key presses reach the agent in order", async () => {
    let calls = 0;
    await fuzz("call sessions, early frames", earlyPlan, (plan) => runFuzzedCall(h, `early-${++calls}`, plan, faults), { numRuns: 60, budgetMs: 10_000 });
  }, 60_000);

  test("a peer sending ever new kinds of junk cannot flood the log: the call's log stays short, the call live and its audio whole", async () => {
    let calls = 0;
    await fuzz("call sessions, novel junk", novelJunk, (s) => runFuzzedCall(h, `novel-${++calls}`, s, faults), { numRuns: 15, budgetMs: 8000 });
  }, 60_000);
});
