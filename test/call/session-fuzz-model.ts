/**
 * What a fuzzed call does and what it must come to: random steps on both legs (audio, key presses,
 * acks, interruptions, junk, time passing) and the model of what the agent and the caller must get.
 */
import fc from "fast-check";
import { agentJunk } from "../helpers/agent-frame-arbitraries.ts";
import { callerMedia, dtmfFrame, mcubeJunk } from "../helpers/mcube-frame-arbitraries.ts";

/** Which event_id an agent audio frame carries: the turn playing, a new turn, an older one, or the last one interrupted (late audio). */
export type TurnChoice = "same" | "next" | "older" | "interrupted";

/** Which event_id an interruption carries: a newer one (the service's usual), the turn's own, or none (an older shape). */
export type InterruptChoice = "next" | "same" | "none";

export type Step =
  | { kind: "callerAudio"; bytes: Uint8Array; text: string }
  /** A binary frame: raw audio in the call's format. */
  | { kind: "callerBinary"; bytes: Uint8Array }
  | { kind: "dtmf"; digit: string; text: string }
  /** playedStream for the `pick`-th checkpoint received so far (any order, repeats), or an unknown name when none came yet. */
  | { kind: "ack"; pick: number }
  | { kind: "mcubeJunk"; text: string }
  | { kind: "agentAudio"; bytes: Uint8Array; turn: TurnChoice; idAsString: boolean }
  | { kind: "interrupt"; id: InterruptChoice; lateAudio: Uint8Array | undefined }
  | { kind: "agentJunk"; data: string | Uint8Array }
  | { kind: "wait"; ms: number };

/** Frames stay within MCUBE_MAX_FRAME_BYTES (65 536 by default) with room for the envelope. */
const MAX_FRAME_CHARS = 60_000;

/** Audio as it comes: mostly 20 ms frames (160 bytes of μ-law), sometimes empty, odd-sized or large. */
const audioBytes = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof({ weight: 3, arbitrary: fc.uint8Array({ minLength: 160, maxLength: 160 }) }, { weight: 2, arbitrary: fc.uint8Array({ maxLength, size: "max" }) });

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: callerMedia(audioBytes(1600)).filter(({ text }) => Buffer.byteLength(text) <= MAX_FRAME_CHARS).map(({ bytes, text }): Step => ({ kind: "callerAudio", bytes, text })) },
  { weight: 1, arbitrary: audioBytes(1600).map((bytes): Step => ({ kind: "callerBinary", bytes })) },
  { weight: 1, arbitrary: dtmfFrame.map(({ digit, text }): Step => ({ kind: "dtmf", digit, text })) },
  { weight: 2, arbitrary: fc.nat().map((pick): Step => ({ kind: "ack", pick })) },
  { weight: 4, arbitrary: mcubeJunk(MAX_FRAME_CHARS).map((text): Step => ({ kind: "mcubeJunk", text })) },
  {
    weight: 5,
    arbitrary: fc
      .record({ bytes: audioBytes(2400), turn: fc.constantFrom<TurnChoice>("same", "same", "same", "next", "older", "interrupted"), idAsString: fc.boolean() })
      .map((s): Step => ({ kind: "agentAudio", ...s })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ id: fc.constantFrom<InterruptChoice>("next", "next", "same", "none"), lateAudio: fc.option(fc.uint8Array({ minLength: 1, maxLength: 800, size: "max" }), { nil: undefined }) })
      .map((s): Step => ({ kind: "interrupt", ...s })),
  },
  { weight: 4, arbitrary: agentJunk.map((data): Step => ({ kind: "agentJunk", data })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 600 }).map((ms): Step => ({ kind: "wait", ms })) },
);

/**
 * A peer sending ever new kinds of junk (unknown events and types, other tracks, unknown tools, each
 * name once) between caller audio: what must not flood the log or grow the call.
 */
export const novelJunk: fc.Arbitrary<Step[]> = fc
  .uniqueArray(fc.stringMatching(/^[A-Za-z0-9_.-]{1,30}$/), { minLength: 60, maxLength: 200 })
  .chain((names) => fc.tuple(fc.constant(names), fc.array(fc.nat(3), { minLength: names.length, maxLength: names.length })))
  .map(([names, legs]) =>
    names.flatMap((name, i): Step[] => {
      const junk: Step =
        legs[i] === 0 ? { kind: "mcubeJunk", text: JSON.stringify({ event: name }) }
        : legs[i] === 1 ? { kind: "mcubeJunk", text: JSON.stringify({ event: "media", media: { track: `x${name}`, payload: "AAAA" } }) }
        : legs[i] === 2 ? { kind: "agentJunk", data: JSON.stringify({ type: name }) }
        : { kind: "agentJunk", data: JSON.stringify({ type: "client_tool_call", client_tool_call: { tool_name: `x${name}`, tool_call_id: name } }) };
      const bytes = new Uint8Array(160).fill(i % 256);
      return [junk, { kind: "callerBinary", bytes }];
    }),
  );

/** One call's worth of steps. */
export const steps = (maxLength: number): fc.Arbitrary<Step[]> => fc.array(step, { minLength: 1, maxLength, size: "max" });

const MCUBE_STEPS = new Set<Step["kind"]>(["callerAudio", "callerBinary", "dtmf", "ack", "mcubeJunk"]);
/** Caller audio the gateway holds while the agent connects (UPLINK_HOLD_MS of μ-law), with room to spare. */
const HELD_BYTES = 32_000;

/**
 * A call whose caller sends junk before `start` (it must still start), then caller steps while the
 * agent connects (their audio held and delivered in order), then steps on both legs.
 */
export const earlyPlan = fc.record({
  // A `start` before the call's own would be the call's start, not junk.
  beforeStart: fc.array(mcubeJunk(MAX_FRAME_CHARS).filter((text) => !/"event":"start"/.test(text)), { maxLength: 8 }),
  whileConnecting: fc
    .array(step.filter((s) => MCUBE_STEPS.has(s.kind)), { maxLength: 25, size: "max" })
    .filter((early) => early.reduce((n, s) => n + ("bytes" in s ? s.bytes.length : 0), 0) <= HELD_BYTES),
  steps: steps(15),
});

/** Agent audio as the caller must hear it: bytes, with "clear" where a barge-in emptied Mcube's queue. */
export type Heard = Uint8Array | "clear";

/**
 * The agent's event ids as a fuzzed conversation uses them, and what the caller must hear: audio whose
 * event_id is above every interruption's (README: a barge-in drops later audio with event_id ≤ the
 * interruption's; one without an id interrupts the turn playing), and a clearAudio per interruption.
 */
export class DownlinkModel {
  readonly heard: Heard[] = [];
  private latestId = 0;
  private interruptedId = Number.NEGATIVE_INFINITY;
  private playingId: number | undefined;

  /** The event_id for an audio frame of `turn`, noting what the caller must hear of `bytes`. */
  audio(turn: TurnChoice, bytes: Uint8Array): number {
    const id =
      turn === "next" || this.latestId === 0 ? ++this.latestId
      : turn === "older" ? Math.max(1, this.latestId - 1)
      : turn === "interrupted" && Number.isFinite(this.interruptedId) ? this.interruptedId
      : this.latestId;
    if (id > this.interruptedId) {
      this.heard.push(bytes);
      this.playingId = id;
    }
    return id;
  }

  /** The event_id an interruption carries (undefined: none), noting the clearAudio it must cause. */
  interrupt(choice: InterruptChoice): number | undefined {
    const id = choice === "next" ? ++this.latestId : choice === "same" ? (this.latestId ||= 1) : undefined;
    this.interruptedId = Math.max(this.interruptedId, id ?? this.playingId ?? this.interruptedId);
    this.heard.push("clear");
    return id;
  }

  /** The id of the audio the last interruption made stale, if any (for late audio after it). */
  get lastInterruptedId(): number | undefined {
    return Number.isFinite(this.interruptedId) ? this.interruptedId : undefined;
  }
}

/** Adjacent byte runs merged (chunking is the gateway's business, not the caller's), empty runs dropped. */
export function normalizeHeard(items: Heard[]): Heard[] {
  const out: Heard[] = [];
  let run: Uint8Array[] = [];
  const flush = () => {
    const length = run.reduce((n, part) => n + part.length, 0);
    if (length > 0) out.push(Buffer.concat(run, length));
    run = [];
  };
  for (const item of items) {
    if (item === "clear") {
      flush();
      out.push("clear");
    } else run.push(item);
  }
  flush();
  return out;
}

/** Where two heard sequences first differ, readably (undefined when equal). */
export function firstDifference(actual: Heard[], expected: Heard[]): string | undefined {
  const describe = (item: Heard | undefined) => (item === undefined ? "nothing" : item === "clear" ? "clearAudio" : `${item.length} bytes of audio`);
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    const a = actual[i];
    const e = expected[i];
    const same = a === e || (a instanceof Uint8Array && e instanceof Uint8Array && Buffer.compare(a, e) === 0);
    if (!same) return `item ${i}: the caller got ${describe(a)}, expected ${describe(e)} (got ${actual.length} items, expected ${expected.length})`;
  }
  return undefined;
}
