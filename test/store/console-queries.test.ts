/** What the console asks of the call records, on both stores: search by number or id, filter by bot, the overview's aggregates, and the recorded flag and timeline. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { CallRecord } from "../../src/call/call-record.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { CallRecorder } from "../../src/store/call-records.ts";
import { migrate } from "../../src/store/migrations/index.ts";
import { mysqlStore, sqliteStore, type TestStore } from "../ops/helpers.ts";

const dialects: [string, () => Promise<TestStore>][] = [
  ["sqlite", () => sqliteStore()],
  ["mysql", () => mysqlStore()],
];

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);

function call(n: number, fields: Partial<CallRecord>): CallRecord {
  const endedAt = fields.endedAt ?? T0 + n * 1000;
  return {
    sessionId: `cq-${n}`,
    callId: `mcube-${n}`,
    startedAt: endedAt - 20_000,
    endedAt,
    durationMs: 20_000,
    endReason: "caller_hangup",
    framesIn: 1000,
    framesOut: 900,
    interruptions: 0,
    ...fields,
  };
}

describe.each(dialects)("console queries on %s", (_name, open) => {
  let store: TestStore;
  let recorder: CallRecorder;
  const ids = (page: { calls: CallRecord[] }) => page.calls.map((c) => c.sessionId);

  beforeAll(async () => {
    store = await open();
    recorder = new CallRecorder({ db: store.dbs.cluster, outboxPath: store.config.database.outboxPath, logger: silentLogger });
    await recorder.start();
    recorder.write(call(1, { did: "8040001234", customerNumber: "9876543210", botId: "sales", recorded: true,
      timeline: [{ atMs: 0, kind: "start" }, { atMs: 850, kind: "agent_connected" }, { atMs: 1400, kind: "first_agent_audio" }, { atMs: 9000, kind: "barge_in" }, { atMs: 20_000, kind: "end", detail: "caller_hangup" }] }), []);
    recorder.write(call(2, { did: "8040005555", customerNumber: "9123401234", botId: "support", endReason: "transfer", recorded: false }), []);
    recorder.write(call(3, { did: "8040001234", customerNumber: "9000012345", botId: "support", endReason: "agent_end_call", endedAt: T0 + 61_000 }), []);
    recorder.write(call(4, { did: "8050006666", botId: "sales", endReason: "transfer", endedAt: T0 + 125_000 }), []);
    await recorder.flush();
  });
  afterAll(async () => {
    await recorder.close();
    await store.close();
  });

  test("migration 006 is recorded once; a repeated run applies nothing", async () => {
    expect(await migrate(store.dbs, silentLogger)).toEqual([]);
    const applied = await store.dbs.cluster.query<{ id: string }>("SELECT id FROM schema_migrations WHERE id = ?", ["006-bot-recording"]);
    expect(applied.length).toBe(1);
    if (store.dbs.cluster.dialect !== "mysql") return; // SQLite applies a migration in one transaction: never half
    // MySQL commits each ALTER: a run cut short after some of them must be repeatable.
    await store.dbs.cluster.execute("DELETE FROM schema_migrations WHERE id = ?", ["006-bot-recording"]);
    expect(await migrate(store.dbs, silentLogger)).toEqual(["006-bot-recording"]);
  });

  test("Search finds a DID or a customer number whole, in any spelling, or by its last digits", async () => {
    expect(ids(await recorder.list({ search: "+91 80 4000 1234" }))).toEqual(["cq-3", "cq-1"]);
    expect(ids(await recorder.list({ search: "09876543210" }))).toEqual(["cq-1"]);
    expect(ids(await recorder.list({ search: "1234" }))).toEqual(["cq-3", "cq-2", "cq-1"]); // DID …1234 twice, customer …1234 once
    expect(ids(await recorder.list({ search: "6666" }))).toEqual(["cq-4"]);
    expect(ids(await recorder.list({ search: "2345" }))).toEqual(["cq-3"]);
    expect(ids(await recorder.list({ search: "77777" }))).toEqual([]);
  });

  test("Search also takes a session id or Mcube's call id; two digits are refused with what to type", async () => {
    expect(ids(await recorder.list({ search: "cq-2" }))).toEqual(["cq-2"]);
    expect(ids(await recorder.list({ search: " mcube-4 " }))).toEqual(["cq-4"]);
    expect(ids(await recorder.list({ search: "12%" }))).toEqual([]); // not a LIKE pattern: an id that does not exist
    await expect(recorder.list({ search: "34" })).rejects.toThrow(/at least 3 digits/);
  });

  test("filters combine: bot, end reason, time, search, with paging", async () => {
    expect(ids(await recorder.list({ botId: "support" }))).toEqual(["cq-3", "cq-2"]);
    expect(ids(await recorder.list({ botId: "sales", endReason: "transfer" }))).toEqual(["cq-4"]);
    expect(ids(await recorder.list({ search: "1234", botId: "support", since: T0 + 2000 }))).toEqual(["cq-3", "cq-2"]);
    const first = await recorder.list({ search: "1234", limit: 2 });
    expect(ids(first)).toEqual(["cq-3", "cq-2"]);
    expect(ids(await recorder.list({ search: "1234", limit: 2, cursor: first.nextCursor }))).toEqual(["cq-1"]);
  });

  test("the recorded flag and the timeline come back as written; older calls have neither", async () => {
    const one = await recorder.get("cq-1");
    expect(one!.recorded).toBe(true);
    expect(one!.timeline).toEqual([
      { atMs: 0, kind: "start" },
      { atMs: 850, kind: "agent_connected" },
      { atMs: 1400, kind: "first_agent_audio" },
      { atMs: 9000, kind: "barge_in" },
      { atMs: 20_000, kind: "end", detail: "caller_hangup" },
    ]);
    expect((await recorder.get("cq-2"))!.recorded).toBe(false);
    const four = await recorder.get("cq-4");
    expect(four!.recorded).toBeUndefined();
    expect(four!.timeline).toBeUndefined();
  });

  test("the overview's aggregates: calls per minute and per end reason in a window", async () => {
    const stats = await recorder.stats(T0, T0 + 180_000);
    expect(stats.perMinute).toEqual([
      { minuteMs: T0, calls: 2 },
      { minuteMs: T0 + 60_000, calls: 1 },
      { minuteMs: T0 + 120_000, calls: 1 },
    ]);
    expect(stats.endReasons).toEqual([
      { endReason: "transfer", calls: 2 },
      { endReason: "agent_end_call", calls: 1 },
      { endReason: "caller_hangup", calls: 1 },
    ]);
    expect(stats.total).toBe(4);
    expect((await recorder.stats(T0 + 60_000, T0 + 120_000)).total).toBe(1);
  });
});
