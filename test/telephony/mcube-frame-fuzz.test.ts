/** Property-based tests of the Mcube frame parser: whatever arrives, it never throws and what it returns is what the call relies on. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MULAW_8K } from "../../src/audio/audio-format.ts";
import { contextSources, extractCallContext } from "../../src/telephony/call-context.ts";
import { mediaFormatOf, parseMcubeFrame, type McubeInbound } from "../../src/telephony/mcube-protocol.ts";
import { fuzz } from "../helpers/fuzz.ts";
import { mutated, notAnObject } from "../helpers/json-mutations.ts";
import { callerMedia, dtmfFrame, mcubeJunk, startFrame, stringOrNumber, unusableMedia } from "../helpers/mcube-frame-arbitraries.ts";

const KINDS = new Set(["start", "media", "binary", "dtmf", "played", "cleared", "stop", "ignored"]);
const optionalString = (v: unknown) => v === undefined || typeof v === "string";
const plainObject = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);

/** The parsed frame has the types McubeInbound promises (the leg and the call use them unchecked). */
function expectUsable(result: McubeInbound): void {
  expect(KINDS.has(result.kind)).toBe(true);
  switch (result.kind) {
    case "start": {
      const { start, extra_headers } = result.frame;
      expect([typeof start.callId, typeof start.streamId]).toEqual(["string", "string"]);
      expect(optionalString(start.accountId)).toBe(true);
      expect(start.tracks === undefined || (Array.isArray(start.tracks) && start.tracks.every((t) => typeof t === "string"))).toBe(true);
      if (start.mediaFormat !== undefined) {
        expect(optionalString(start.mediaFormat.encoding)).toBe(true);
        expect(start.mediaFormat.sampleRate === undefined || Number.isFinite(start.mediaFormat.sampleRate)).toBe(true);
      }
      expect(start.customParameters === undefined || plainObject(start.customParameters)).toBe(true);
      expect(start.headers === undefined || plainObject(start.headers)).toBe(true);
      expect(extra_headers === undefined || typeof extra_headers === "string" || plainObject(extra_headers)).toBe(true);
      // What the call does with a start on its path: the format it announces and the context it carries.
      const format = mediaFormatOf(result.frame, MULAW_8K);
      expect("unsupported" in format ? typeof format.unsupported : `${format.encoding}@${format.sampleRate}`).toMatch(/^(string|ulaw@8000|pcm16le@(8000|16000))$/);
      for (const value of Object.values(extractCallContext(contextSources(new Headers(), result.frame)))) expect(typeof value).toBe("string");
      return;
    }
    case "media":
      expect(typeof result.payloadBase64).toBe("string");
      expect(optionalString(result.track)).toBe(true);
      return;
    case "binary":
      expect(result.bytes).toBeInstanceOf(Uint8Array);
      return;
    case "dtmf":
      expect(typeof result.digit).toBe("string");
      return;
    case "played":
      expect(typeof result.name).toBe("string");
      return;
    case "stop":
      expect(optionalString(result.reason)).toBe(true);
      return;
    case "ignored":
      // Reasons become log keys and, before the colon, metric labels: short, printable, the label from a bounded set.
      expect(result.reason).toMatch(/^(malformed_json|not_an_object|invalid_(media|played|playedStream|dtmf|start)|unknown_event:[A-Za-z0-9_.-]{1,40})$/);
      return;
    case "cleared":
      return;
  }
}

const validFrames: fc.Arbitrary<object> = fc.oneof(
  startFrame,
  callerMedia(400).map((m) => JSON.parse(m.text)),
  dtmfFrame.map((d) => JSON.parse(d.text)),
  fc.record({ event: fc.constantFrom("playedStream", "played"), name: stringOrNumber }),
  fc.record({ event: fc.constant("stop"), reason: fc.option(stringOrNumber, { nil: undefined }) }),
  fc.constant({ event: "clearedAudio" }),
);

describe("parseMcubeFrame under fuzzing", () => {
  test("whatever text or bytes arrive, it returns a frame of the promised shape and never throws", async () => {
    const anything = fc.oneof(
      notAnObject,
      fc.json({ maxDepth: 4 }),
      validFrames.chain((frame) => mutated(frame)).map((frame) => JSON.stringify(frame)),
      mcubeJunk(65_536),
      unusableMedia,
    );
    await fuzz("parseMcubeFrame: any text", anything, (text) => expectUsable(parseMcubeFrame(text)), { numRuns: 3000, budgetMs: 8000 });
    await fuzz("parseMcubeFrame: any binary frame", fc.uint8Array({ maxLength: 2000 }), (bytes) => expect(parseMcubeFrame(bytes)).toEqual({ kind: "binary", bytes }), {
      numRuns: 300,
      budgetMs: 2000,
    });
  }, 30_000);

  test("valid frames mean what they say, in every representation Mcube uses", async () => {
    const cases = fc.oneof(
      callerMedia(400).map((m) => ({ text: m.text, check: (r: McubeInbound) => r.kind === "media" && r.payloadBase64 === m.bytes.toBase64() })),
      dtmfFrame.map((d) => ({ text: d.text, check: (r: McubeInbound) => r.kind === "dtmf" && r.digit === d.digit })),
      fc.tuple(fc.constantFrom("playedStream", "played"), stringOrNumber).map(([event, name]) => ({
        text: JSON.stringify({ event, streamId: 5, name }),
        check: (r: McubeInbound) => r.kind === "played" && r.name === String(name),
      })),
      startFrame.map((frame) => ({
        text: JSON.stringify(frame),
        check: (r: McubeInbound) => {
          const start = (frame as { start: { callId: unknown; streamId: unknown } }).start;
          return r.kind === "start" && r.frame.start.callId === String(start.callId) && r.frame.start.streamId === String(start.streamId);
        },
      })),
    );
    await fuzz("parseMcubeFrame: valid frames", cases, ({ text, check }) => expect({ text, ok: check(parseMcubeFrame(text)) }).toEqual({ text, ok: true }), {
      numRuns: 1500,
      budgetMs: 5000,
    });
  }, 30_000);
});
