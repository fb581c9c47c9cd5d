/** Call records and transcripts in both stores: every end_reason, idempotent writes, filters and pagination. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { END_REASONS } from "../../src/call/call-record.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { CallRecorder } from "../../src/store/call-records.ts";
import { mysqlStore, sampleCall, sqliteStore, type TestStore } from "./helpers.ts";

const dialects: [string, () => Promise<TestStore>][] = [
  ["sqlite", () => sqliteStore()],
  ["mysql", () => mysqlStore()],
];

describe.each(dialects)("call records on %s", (_name, open) => {
  let store: TestStore;
  let recorder: CallRecorder;

  beforeAll(async () => {
    store = await open();
    recorder = new CallRecorder({ db: store.dbs.cluster, outboxPath: store.config.database.outboxPath, logger: silentLogger });
    expect(await recorder.start()).toBe(true);
  });
  afterAll(async () => {
    await recorder.close();
    await store.close();
  });

  test("every end_reason leaves one record with its transcript", async () => {
    END_REASONS.forEach((reason, i) => {
      const { record, transcript } = sampleCall(i, reason);
      recorder.write(record, transcript);
    });
    await recorder.flush();
    for (const [i, reason] of END_REASONS.entries()) {
      const call = await recorder.get(`sess-${i}`);
      expect(call).toBeDefined();
      expect(call!.endReason).toBe(reason);
      expect(call!.callId).toBe(`call-${i}`);
      expect(call!.did).toBe("8040001234");
      expect(call!.customerNumber).toBe("9876543210");
      expect(call!.startedAt).toBe(call!.endedAt - 30_000);
      expect(call!.firstAgentAudioAt).toBe(call!.endedAt - 29_000);
      expect(call!.framesIn).toBe(1500);
      expect(call!.interruptions).toBe(i % 3);
      expect(call!.transcript).toEqual([
        { role: "agent", text: `Hello, caller ${i}`, offsetMs: 600, eventId: 1 },
        { role: "user", text: "I would like to book a table", offsetMs: 4200 },
      ]);
    }
    expect((await recorder.get("sess-5"))!.transferTo).toBeUndefined();
    expect((await recorder.get(`sess-${END_REASONS.indexOf("transfer")}`))!.transferTo).toBe("7780787875");
    expect((await recorder.get(`sess-${END_REASONS.indexOf("upstream_error")}`))!.errorDetail).toBe("agent closed with 1011");
    expect(await recorder.get("no-such-session")).toBeUndefined();
  });

  test("writing the same call again changes nothing (idempotent)", async () => {
    const { record, transcript } = sampleCall(100, "caller_hangup");
    recorder.write(record, transcript);
    recorder.write({ ...record, framesIn: 1 }, [...transcript, { role: "user" as const, text: "extra", offsetMs: 9000 }].slice(0, 2));
    await recorder.flush();
    const rows = await store.dbs.cluster.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM call_records WHERE session_id = ?", ["sess-100"]);
    expect(Number(rows[0]!.n)).toBe(1);
    const turns = await store.dbs.cluster.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM call_transcripts WHERE session_id = ?", ["sess-100"]);
    expect(Number(turns[0]!.n)).toBe(2);
    expect((await recorder.get("sess-100"))!.framesIn).toBe(1500);
  });

  test("a long transcript is stored whole and in order", async () => {
    const { record } = sampleCall(200, "agent_end_call");
    const transcript = Array.from({ length: 450 }, (_, i) => ({ role: i % 2 ? ("user" as const) : ("agent" as const), text: `turn ${i} ✓ नमस्ते`, offsetMs: i * 100 }));
    recorder.write(record, transcript);
    await recorder.flush();
    const call = await recorder.get("sess-200");
    expect(call!.transcript!.length).toBe(450);
    expect(call!.transcript![449]!.text).toBe("turn 449 ✓ नमस्ते");
  });

  test("list filters by end_reason, did and time, newest first", async () => {
    const byReason = await recorder.list({ endReason: "transfer" });
    expect(byReason.calls.map((c) => c.sessionId)).toEqual([`sess-${END_REASONS.indexOf("transfer")}`]);
    const byDid = await recorder.list({ did: "080-4000-1234", limit: 500 });
    expect(byDid.calls.length).toBe(END_REASONS.length + 2);
    expect(await recorder.list({ did: "9999999999" })).toEqual({ calls: [] });
    const base = 1_750_000_000_000;
    const window = await recorder.list({ since: base + 2000, until: base + 5000 });
    expect(window.calls.map((c) => c.sessionId)).toEqual(["sess-4", "sess-3", "sess-2"]);
    await expect(recorder.list({ did: "12" })).rejects.toThrow(/did must be/);
  });

  test("pagination walks every call once, stable while new calls arrive", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const result = await recorder.list({ limit: 2, cursor });
      seen.push(...result.calls.map((c) => c.sessionId));
      if (page === 0) {
        // A call that ends after the walk started appears on no later page and shifts nothing.
        const { record, transcript } = sampleCall(300, "caller_hangup", Date.now());
        recorder.write(record, transcript);
        await recorder.flush();
      }
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(END_REASONS.length + 2);
    const all = await recorder.list({ limit: 500 });
    expect(all.calls.length).toBe(END_REASONS.length + 3);
    const endedAts = all.calls.map((c) => c.endedAt);
    expect([...endedAts].sort((a, b) => b - a)).toEqual(endedAts);
  });

  test("bad list input gets a clear error", async () => {
    await expect(recorder.list({ limit: 501 })).rejects.toThrow(/limit must be a whole number from 1 to 500/);
    await expect(recorder.list({ cursor: "not-a-cursor" })).rejects.toThrow(/cursor is not one this server returned/);
  });
});
