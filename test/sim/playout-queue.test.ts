import { describe, expect, test } from "bun:test";
import { FRAME_BYTES, PlayoutQueue } from "../../src/sim/playout-queue.ts";

const bytes = (n: number, value = 0x10) => new Uint8Array(n).fill(value);

describe("PlayoutQueue (Mcube's playout, by tick order)", () => {
  test("a checkpoint is acknowledged only on the tick after the last of its audio played", () => {
    const q = new PlayoutQueue();
    q.enqueueAudio(bytes(400));
    q.enqueueCheckpoint("turn-1");
    expect(q.queuedMs).toBe(50);
    const ticks = [q.tick(), q.tick(), q.tick(), q.tick()];
    expect(ticks.map((t) => t.playedBytes)).toEqual([160, 160, 80, 0]);
    expect(ticks.map((t) => t.acked)).toEqual([[], [], [], ["turn-1"]]);
    expect(ticks[2]!.frame.subarray(80).every((b) => b === 0xff)).toBe(true); // padded with μ-law silence
  });

  test("a checkpoint with nothing queued before it is acknowledged on the next tick", () => {
    const q = new PlayoutQueue();
    q.enqueueCheckpoint("empty");
    expect(q.tick().acked).toEqual(["empty"]);
  });

  test("audio after a checkpoint keeps playing without a gap; acks keep their order", () => {
    const q = new PlayoutQueue();
    q.enqueueAudio(bytes(240, 0x11));
    q.enqueueCheckpoint("a");
    q.enqueueAudio(bytes(240, 0x22));
    q.enqueueCheckpoint("b");
    const t1 = q.tick();
    const t2 = q.tick();
    const t3 = q.tick();
    const t4 = q.tick();
    expect([t1.playedBytes, t2.playedBytes, t3.playedBytes]).toEqual([160, 160, 160]);
    expect([...t2.frame.subarray(0, 80)].every((b) => b === 0x11)).toBe(true);
    expect([...t2.frame.subarray(80)].every((b) => b === 0x22)).toBe(true);
    expect([t1.acked, t2.acked, t3.acked, t4.acked]).toEqual([[], [], ["a"], ["b"]]);
  });

  test("clear drops queued audio and every pending checkpoint, which are never acknowledged", () => {
    const q = new PlayoutQueue();
    q.enqueueAudio(bytes(FRAME_BYTES * 10));
    q.enqueueCheckpoint("dropped");
    q.tick();
    const cleared = q.clear();
    expect(cleared.droppedBytes).toBe(FRAME_BYTES * 9);
    expect(cleared.droppedCheckpoints).toEqual(["dropped"]);
    expect(q.queuedBytes).toBe(0);
    for (let i = 0; i < 5; i++) expect(q.tick()).toMatchObject({ playedBytes: 0, acked: [] });
  });

  test("a checkpoint whose audio finished in the last tick is still pending, so clear drops it", () => {
    const q = new PlayoutQueue();
    q.enqueueAudio(bytes(100));
    q.enqueueCheckpoint("almost");
    q.tick(); // plays the 100 bytes and passes the checkpoint
    expect(q.pendingCheckpoints).toBe(1);
    expect(q.clear().droppedCheckpoints).toEqual(["almost"]);
    expect(q.tick().acked).toEqual([]);
  });
});
