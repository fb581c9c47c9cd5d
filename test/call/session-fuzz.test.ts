/**
 * Whole calls fuzzed (fast-check) over real loopback sockets: gateway, fake ElevenLabs agent and a raw
 * Mcube client on one test clock. Random and mutated frames on both legs — junk, wrong types, huge
 * values, giant strings, deep nesting, binary frames, duplicated starts, acks and event ids out of
 * order — must not end a healthy call, lose its audio either way, or let an exception escape.
 * Real sockets, not legs with fake sockets: the fuzz then covers the socket glue and the call manager
 * too, and one harness serves every case (a case is one call, 10–30 ms on the test clock).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { fuzz } from "../helpers/fuzz.ts";
import { openRawWebSocket } from "../helpers/raw-websocket.ts";
import { conversationOf, runFuzzedCall, type Faults } from "./fuzzed-call.ts";
import { DID, startHarness, type Harness } from "./harness.ts";
import { earlyPlan, novelJunk, steps } from "./session-fuzz-model.ts";

let h: Harness;
const faults: Faults = { uncaught: [] };
const onFault = (err: unknown) => faults.uncaught.push(String((err as Error)?.stack ?? err));

beforeAll(async () => {
  process.on("uncaughtException", onFault);
  process.on("unhandledRejection", onFault);
  // μ-law both ways on the agent too: audio passes through untouched, so bytes can be compared exactly.
  h = await startHarness({ agent: { firstMessage: null, inputFormat: "ulaw_8000", outputFormat: "ulaw_8000", userAudioTimeoutMs: 0 } });
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

  test("a text frame that is not UTF-8 fails the connection (1007) as RFC 6455 requires: the call is recorded, the audio before it reached the agent, nothing is left", async () => {
    const notUtf8 = fc.uint8Array({ minLength: 1, maxLength: 300 }).filter((bytes) => {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes);
        return false;
      } catch {
        return true;
      }
    });
    const cases = fc.record({ frames: fc.array(fc.uint8Array({ minLength: 160, maxLength: 160 }), { maxLength: 10 }), bad: notUtf8, inJson: fc.boolean() });
    let calls = 0;
    await fuzz("call sessions, text frames not UTF-8", cases, async ({ frames, bad, inJson }) => {
      const sessionId = `utf8-${++calls}`;
      const firstFault = faults.uncaught.length;
      const firstLogLine = h.logLines.length;
      const from = h.agent.conversations.length;
      const raw = await openRawWebSocket(h.gateway.port, `/ws/${sessionId}`, { "X-DID": DID });
      raw.sendText(JSON.stringify({ event: "start", start: { callId: `call-${sessionId}`, streamId: `stream-${sessionId}` } }));
      const conv = await conversationOf(h, sessionId, from);
      await h.until(() => h.manager.debugState().calls[sessionId]?.state === "live", 3000, "the call to go live");
      for (const bytes of frames) raw.sendText(JSON.stringify({ event: "media", media: { payload: bytes.toBase64() } }));
      const prefix = new TextEncoder().encode('{"event":"media","media":{"payload":"');
      raw.sendFrame(1, inJson ? new Uint8Array([...prefix, ...bad, 0x22, 0x7d, 0x7d]) : bad);
      await h.run(raw.closed, 3000, "the gateway to fail the connection");
      const { record } = await h.recordOf(sessionId, 3000);
      await h.run(conv.closed, 3000, "the agent conversation to close");
      expect({ closeCode: raw.closeCode, endReason: record.endReason, framesIn: record.framesIn }).toEqual({ closeCode: 1007, endReason: "caller_hangup", framesIn: frames.length });
      expect(Buffer.compare(conv.userAudio, Buffer.concat(frames))).toBe(0);
      expect(h.manager.debugState()).toEqual({ calls: {}, agentConnectionsInUse: 0, waitingForAgent: 0 });
      expect(h.logLines.slice(firstLogLine).filter((line) => line.includes('"level":"error"'))).toEqual([]);
      expect(faults.uncaught.slice(firstFault)).toEqual([]);
    }, { numRuns: 20, budgetMs: 5000 });
  }, 60_000);
});
