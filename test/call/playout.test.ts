/** Playout and turns on a hand-moved clock: nothing held back, checkpoints after turns, barge-in, and the drain an ending waits for. */
import { describe, expect, test } from "bun:test";
import { Playout } from "../../src/call/playout.ts";
import { Turns } from "../../src/call/turns.ts";
import { TestClock } from "../helpers/test-clock.ts";

function rig(maxPieceMs = 100) {
  const clock = new TestClock();
  const sent: string[] = [];
  const playout = new Playout({
    clock,
    bytesPerMs: 8,
    maxPieceMs,
    sink: {
      playAudio: (bytes) => (sent.push(`audio:${bytes.length}`), true),
      checkpoint: (name) => void sent.push(`checkpoint:${name}`),
      clearAudio: () => void sent.push("clear"),
    },
  });
  const turns = new Turns({ clock, onTurnEnd: (id) => playout.checkpoint(`turn-${id}`) });
  return { clock, sent, playout, turns };
}

describe("agent audio is never held back", () => {
  test("a chunk of any length goes out at once, split only above PLAY_CHUNK_MS; a 13 ms tail is not kept for later", () => {
    const { sent, playout } = rig(100);
    playout.send(new Uint8Array(8 * 13));
    playout.send(new Uint8Array(8 * 250));
    expect(sent).toEqual(["audio:104", "audio:800", "audio:800", "audio:400"]);
  });

  test("the turn's checkpoint follows its last audio when the next turn starts, when the turn completes, or after 300 ms of quiet", async () => {
    const { clock, sent, playout, turns } = rig();
    const play = (id: number, ms: number) => turns.accept(id) && playout.send(new Uint8Array(8 * ms));
    play(1, 30);
    play(2, 30); // a new event_id ends turn 1
    play(2, 7);
    turns.complete(2); // agent_response_complete
    play(3, 10);
    await clock.advance(299);
    expect(sent.filter((s) => s.startsWith("checkpoint"))).toEqual(["checkpoint:turn-1-1", "checkpoint:turn-2-2"]);
    await clock.advance(1); // 300 ms without audio of turn 3
    expect(sent).toEqual(["audio:240", "checkpoint:turn-1-1", "audio:240", "audio:56", "checkpoint:turn-2-2", "audio:80", "checkpoint:turn-3-3"]);
  });

  test("barge-in: clearAudio at once; audio of the interrupted turn (event_id ≤ the interruption's) is dropped; the next turn plays", () => {
    const { sent, playout, turns } = rig();
    expect(turns.accept(4)).toBe(true);
    playout.send(new Uint8Array(80));
    turns.interrupt(4);
    playout.clear();
    expect(turns.accept(4)).toBe(false); // equal ids are stale too (the SDKs' `<=`)
    expect(turns.accept(5)).toBe(true);
    expect(turns.staleDropped).toBe(1);
    expect(sent).toEqual(["audio:80", "clear"]);
  });
});

describe("drain", () => {
  test("resolves when Mcube acknowledges the checkpoint after the last audio; audio arriving meanwhile moves the checkpoint after it", async () => {
    const { clock, sent, playout } = rig();
    playout.send(new Uint8Array(800));
    let result: string | undefined;
    void playout.drain(2000).then((r) => (result = r));
    playout.send(new Uint8Array(160));
    playout.played("end-1");
    await clock.settle();
    expect(result).toBeUndefined(); // the first checkpoint is not the last any more
    playout.played("end-2");
    await clock.settle();
    expect(result).toBe("played");
    expect(sent).toEqual(["audio:800", "checkpoint:end-1", "audio:160", "checkpoint:end-2"]);
  });

  test("gives up after the queued audio plus the extra time, or at the cap; a barge-in ends it as cleared", async () => {
    const { clock, playout } = rig();
    playout.send(new Uint8Array(8 * 1000)); // one second queued
    let result: string | undefined;
    void playout.drain(2000).then((r) => (result = r));
    await clock.advance(2999);
    expect(result).toBeUndefined();
    await clock.advance(1);
    expect(result).toBe("timeout");

    playout.send(new Uint8Array(8 * 1000));
    let capped: string | undefined;
    void playout.drain(0, 400).then((r) => (capped = r));
    await clock.advance(400);
    expect(capped).toBe("timeout");

    playout.send(new Uint8Array(80));
    let cleared: string | undefined;
    void playout.drain(2000).then((r) => (cleared = r));
    playout.clear();
    await clock.settle();
    expect(cleared).toBe("cleared");
  });
});
