/** The live-call journal on SQLite and MariaDB: calls journaled off the caller's path, turns batched ≤ 1 s, a restart closes what a crash left. */
import { afterEach, describe, expect, test } from "bun:test";
import type { CallRecord, LiveRecord, TranscriptTurn } from "../../src/call/call-record.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { CallRecorder } from "../../src/store/call-records.ts";
import type { SqlDatabase } from "../../src/store/sql.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { mysqlBehindProxy, mysqlStore, sampleCall, sqliteStore, type TestStore } from "./helpers.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The cluster database, counting the statements that reach it. */
function counting(db: SqlDatabase): SqlDatabase & { statements: number } {
  const counted = {
    statements: 0,
    dialect: db.dialect,
    query: <T>(sql: string, params?: unknown[]) => (counted.statements++, db.query<T>(sql, params)),
    execute: (sql: string, params?: unknown[]) => (counted.statements++, db.execute(sql, params)),
    close: () => db.close(),
  };
  return counted;
}

/** Call n as live at its start (what the call core passes to begin). */
function liveCall(n: number, clock: TestClock): LiveRecord {
  const { endedAt: _e, durationMs: _d, endReason: _r, ...live } = sampleCall(n).record;
  return { ...live, startedAt: clock.epochMs() };
}

const turn = (role: TranscriptTurn["role"], text: string, offsetMs: number): TranscriptTurn => ({ role, text, offsetMs });

async function rows<T>(db: SqlDatabase, sql: string, ...params: unknown[]): Promise<T[]> {
  return db.query<T>(sql, params);
}

const transcriptOf = (db: SqlDatabase, sessionId: string) =>
  rows<{ seq: unknown; text: string }>(db, "SELECT seq, text FROM call_transcripts WHERE session_id = ? ORDER BY seq", sessionId).then((r) =>
    r.map((t) => [Number(t.seq), t.text]),
  );

const journaled = (db: SqlDatabase) => rows<{ session_id: string }>(db, "SELECT session_id FROM call_journal ORDER BY session_id").then((r) => r.map((x) => x.session_id));

const stores: [string, () => Promise<TestStore>][] = [
  ["sqlite", () => sqliteStore()],
  ["mysql", () => mysqlStore()],
];

describe.each(stores)("call journal on %s", (_name, open) => {
  async function withStore(): Promise<TestStore> {
    const store = await open();
    cleanups.push(() => store.close());
    return store;
  }

  function recorder(store: TestStore, clock: TestClock, instanceId: string, db: SqlDatabase = store.dbs.cluster): CallRecorder {
    const r = new CallRecorder({ db, outboxPath: store.config.database.outboxPath, logger: silentLogger, instanceId, clock });
    cleanups.push(() => r.close());
    return r;
  }

  test("begin and transcript only enqueue; turns of every live call leave together under one timer, 1 s after the first", async () => {
    const store = await withStore();
    const clock = new TestClock();
    const db = counting(store.dbs.cluster);
    const rec = recorder(store, clock, "gw-a", db);

    for (const n of [1, 2, 3]) rec.begin(liveCall(n, clock));
    expect(db.statements).toBe(0); // nothing ran on the caller's turn
    await rec.flush();
    expect(await journaled(store.dbs.cluster)).toEqual(["sess-1", "sess-2", "sess-3"]);

    const before = db.statements;
    rec.transcript("sess-1", [turn("agent", "Hello", 100)]);
    rec.transcript("sess-2", [turn("user", "Hi there", 150)]);
    expect(clock.pending).toBe(1);
    await clock.advance(500);
    rec.transcript("sess-1", [turn("user", "Book a table", 600)]);
    expect(clock.pending).toBe(1); // one timer for the recorder, not one per call or per turn
    await clock.advance(499);
    await rec.flush();
    expect(db.statements).toBe(before);
    expect(await transcriptOf(store.dbs.cluster, "sess-1")).toEqual([]);

    await clock.advance(1); // 1 s after the first turn
    await rec.flush();
    expect(await transcriptOf(store.dbs.cluster, "sess-1")).toEqual([[0, "Hello"], [1, "Book a table"]]);
    expect(await transcriptOf(store.dbs.cluster, "sess-2")).toEqual([[0, "Hi there"]]);
    expect(db.statements - before).toBe(2); // one batch: the turns of both calls, then their last-seen times
    expect(clock.pending).toBe(0);

    // The final record rewrites the journaled turns (a correction lands) and ends the live row.
    const final = sampleCall(1).record;
    rec.write(final, [turn("agent", "Hello!", 100), turn("user", "Book a table", 600), turn("agent", "For how many?", 900)]);
    await rec.flush();
    expect(await transcriptOf(store.dbs.cluster, "sess-1")).toEqual([[0, "Hello!"], [1, "Book a table"], [2, "For how many?"]]);
    expect(await journaled(store.dbs.cluster)).toEqual(["sess-2", "sess-3"]);
    expect(await rec.get("sess-1")).toMatchObject({ endReason: final.endReason });
  });

  test("a restart closes the live calls its earlier run left as interrupted; another gateway's and its own new calls stay live", async () => {
    const store = await withStore();
    const clock = new TestClock();
    const crashed = recorder(store, clock, "gw-a");
    crashed.begin(liveCall(1, clock));
    await clock.advance(2000);
    crashed.begin(liveCall(2, clock));
    crashed.transcript("sess-1", [turn("agent", "Hello, caller 1", 600), turn("user", "I need a cab", 1500)]);
    await clock.advance(1000);
    await crashed.flush();
    const lastSeen = clock.epochMs();
    const other = recorder(store, clock, "gw-b");
    other.begin(liveCall(9, clock));
    await other.flush();
    // gw-a is killed here: nothing more of it runs.

    await clock.advance(5000);
    const restarted = recorder(store, clock, "gw-a");
    restarted.begin(liveCall(5, clock)); // a call of the new run, before start() ran
    expect(await restarted.start()).toBe(true);

    const page = await restarted.list({ endReason: "interrupted" });
    expect(page.calls.map((c) => c.sessionId).sort()).toEqual(["sess-1", "sess-2"]);
    const one = (await restarted.get("sess-1"))!;
    expect(one).toMatchObject({ endReason: "interrupted", startedAt: clock.epochZeroMs, endedAt: lastSeen, durationMs: 3000, callId: "call-1", did: "8040001234" });
    expect(one.transcript!.map((t) => [t.role, t.text])).toEqual([["agent", "Hello, caller 1"], ["user", "I need a cab"]]);
    expect((await restarted.get("sess-2"))!).toMatchObject({ endReason: "interrupted", startedAt: clock.epochZeroMs + 2000, transcript: [] });
    expect(await journaled(store.dbs.cluster)).toEqual(["sess-5", "sess-9"]);

    // The next restart closes the call of the run before it (sess-5), none twice; a real record arriving late replaces an interrupted one.
    const again = recorder(store, clock, "gw-a");
    expect(await again.start()).toBe(true);
    expect((await again.list({ endReason: "interrupted" })).calls.map((c) => c.sessionId).sort()).toEqual(["sess-1", "sess-2", "sess-5"]);
    const late: CallRecord = { ...sampleCall(2).record, endReason: "caller_hangup" };
    again.write(late, sampleCall(2).transcript);
    await again.flush();
    expect(await again.get("sess-2")).toMatchObject({ endReason: "caller_hangup", transcript: sampleCall(2).transcript });
    expect((await again.list({ endReason: "interrupted" })).calls.map((c) => c.sessionId).sort()).toEqual(["sess-1", "sess-5"]);
    expect(await journaled(store.dbs.cluster)).toEqual(["sess-9"]);
  });
});

describe("call journal while MariaDB is down", () => {
  test("begin and turns wait in the outbox; the next start replays them and closes the call as interrupted", async () => {
    const store = await mysqlStore();
    cleanups.push(() => store.close());
    const { proxy, viaProxy } = await mysqlBehindProxy(store.config, cleanups);
    const clock = new TestClock();
    const outboxPath = store.config.database.outboxPath;

    proxy.cut();
    const crashed = new CallRecorder({ db: viaProxy.cluster, outboxPath, logger: silentLogger, instanceId: "gw-a", clock, retryInitialMs: 600_000 });
    crashed.begin(liveCall(4, clock));
    crashed.transcript("sess-4", [turn("user", "Is anyone there?", 300)]);
    await crashed.flush();
    await clock.advance(1000);
    await crashed.flush();
    const lines = (await Bun.file(outboxPath).text()).trim().split("\n").map((l) => JSON.parse(l).kind);
    expect(lines).toEqual(["begin", "turns"]);
    // gw-a is killed here.

    const restarted = new CallRecorder({ db: store.dbs.cluster, outboxPath, logger: silentLogger, instanceId: "gw-a", clock });
    cleanups.push(() => restarted.close());
    expect(await restarted.start()).toBe(true);
    expect(await restarted.get("sess-4")).toMatchObject({ endReason: "interrupted", transcript: [{ role: "user", text: "Is anyone there?" }] });
    expect(await journaled(store.dbs.cluster)).toEqual([]);
    expect(await Bun.file(outboxPath).text()).toBe("");
  });
});
