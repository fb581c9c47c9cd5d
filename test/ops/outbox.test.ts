/** Nothing is lost: records outlive a store outage and a restart in the outbox, and replays never duplicate. */
import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { createLogger, silentLogger } from "../../src/log/logger.ts";
import { CallRecorder } from "../../src/store/call-records.ts";
import { insertCallRecord } from "../../src/store/call-records-sql.ts";
import type { SqlDatabase } from "../../src/store/sql.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { mysqlBehindProxy, mysqlStore, openMysqlVia, sampleCall, sqliteStore, until, type TestStore } from "./helpers.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function outboxLines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "") : [];
}

async function count(db: SqlDatabase, table: "call_records" | "call_transcripts"): Promise<number> {
  const rows = await db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(rows[0]!.n);
}

/** A loopback port with nothing listening on it. */
function closedPort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

async function withStore(open: () => Promise<TestStore>): Promise<TestStore> {
  const store = await open();
  cleanups.push(() => store.close());
  return store;
}

describe("outbox", () => {
  test("MySQL down: records go to the outbox; a restarted recorder replays them once", async () => {
    const store = await withStore(() => mysqlStore());
    const outboxPath = store.config.database.outboxPath;
    const down = await openMysqlVia(store.config, closedPort());
    cleanups.push(() => down.close());
    const lines: string[] = [];
    const logger = createLogger({ level: "info", stdout: "none", sink: (l) => lines.push(l) });

    const before = new CallRecorder({ db: down.cluster, outboxPath, logger, retryInitialMs: 60_000 });
    for (let i = 0; i < 5; i++) before.write(sampleCall(i).record, sampleCall(i).transcript);
    await before.flush();
    expect(outboxLines(outboxPath).length).toBe(5);
    expect(lines.some((l) => l.includes("call record store unavailable"))).toBe(true);
    await before.close();

    // One of them reached the store before (a write that succeeded but looked failed): still no duplicate.
    await insertCallRecord(store.dbs.cluster, sampleCall(2).record, sampleCall(2).transcript);

    const after = new CallRecorder({ db: store.dbs.cluster, outboxPath, logger: silentLogger });
    cleanups.push(() => after.close());
    expect(await after.start()).toBe(true);
    expect(outboxLines(outboxPath)).toEqual([]);
    expect(await count(store.dbs.cluster, "call_records")).toBe(5);
    expect(await count(store.dbs.cluster, "call_transcripts")).toBe(10);
    expect((await after.get("sess-3"))!.transcript![0]!.text).toBe("Hello, caller 3");

    // Starting again finds nothing to do and writes nothing twice.
    const again = new CallRecorder({ db: store.dbs.cluster, outboxPath, logger: silentLogger });
    expect(await again.start()).toBe(true);
    expect(await count(store.dbs.cluster, "call_records")).toBe(5);
  });

  test("an outage in the middle of a run: the recorder retries with backoff and catches up by itself", async () => {
    const store = await withStore(() => mysqlStore());
    const outboxPath = store.config.database.outboxPath;
    const { proxy, viaProxy } = await mysqlBehindProxy(store.config, cleanups);
    // The retry backoff runs on a clock the test moves; the store's real I/O takes no time on it, so no
    // write may count as timed out while the clock moves ahead of a reconnect in flight.
    const clock = new TestClock();
    const recorder = new CallRecorder({ db: viaProxy.cluster, outboxPath, logger: silentLogger, clock, retryInitialMs: 50, retryMaxMs: 200, writeTimeoutMs: 3_600_000 });
    cleanups.push(() => recorder.close());

    recorder.write(sampleCall(1).record, sampleCall(1).transcript);
    await recorder.flush();
    expect(await count(store.dbs.cluster, "call_records")).toBe(1);

    proxy.cut();
    for (let i = 2; i <= 4; i++) recorder.write(sampleCall(i).record, sampleCall(i).transcript);
    await recorder.flush();
    expect(outboxLines(outboxPath).length).toBe(3);
    expect(await count(store.dbs.cluster, "call_records")).toBe(1);
    await clock.advance(400); // retries at 50, 150 and 350 ms fail while the store stays down
    expect(outboxLines(outboxPath).length).toBe(3);

    await proxy.start(); // same port: the store is back
    await clock.until(() => outboxLines(outboxPath).length === 0, 60_000, "the outbox to drain");
    expect(await count(store.dbs.cluster, "call_records")).toBe(4);
    expect(await count(store.dbs.cluster, "call_transcripts")).toBe(8);

    // New calls go straight to the store again.
    recorder.write(sampleCall(5).record, sampleCall(5).transcript);
    await recorder.flush();
    expect(outboxLines(outboxPath)).toEqual([]);
    expect(await count(store.dbs.cluster, "call_records")).toBe(5);
  });

  test("second signal: flushToOutbox saves queued and in-flight records synchronously; next start stores each once", async () => {
    const store = await withStore(() => sqliteStore());
    const outboxPath = store.config.database.outboxPath;
    const recorder = new CallRecorder({ db: store.dbs.cluster, outboxPath, logger: silentLogger });
    for (let i = 0; i < 3; i++) recorder.write(sampleCall(i).record, sampleCall(i).transcript);
    expect(recorder.flushToOutbox()).toBe(3);
    expect(outboxLines(outboxPath).length).toBe(3);
    recorder.write(sampleCall(3).record, sampleCall(3).transcript); // after the fast exit began: straight to disk
    expect(outboxLines(outboxPath).length).toBe(4);
    await recorder.flush();

    const next = new CallRecorder({ db: store.dbs.cluster, outboxPath, logger: silentLogger });
    cleanups.push(() => next.close());
    expect(await next.start()).toBe(true);
    expect(await count(store.dbs.cluster, "call_records")).toBe(4);
    expect(await count(store.dbs.cluster, "call_transcripts")).toBe(8);
  });

  test("a torn or corrupt outbox line is moved aside, never dropped, and does not block the rest", async () => {
    const store = await withStore(() => sqliteStore());
    const outboxPath = store.config.database.outboxPath;
    const good = JSON.stringify({ v: 1, ...sampleCall(7) });
    appendFileSync(outboxPath, `${good}\n{"v":1,"record":{oops\n`);
    appendFileSync(outboxPath, good.slice(0, 40)); // a crash mid-append: no newline yet
    const recorder = new CallRecorder({ db: store.dbs.cluster, outboxPath, logger: silentLogger });
    cleanups.push(() => recorder.close());
    await recorder.start();
    expect(await count(store.dbs.cluster, "call_records")).toBe(1);
    expect(readFileSync(`${outboxPath}.unreadable`, "utf8")).toBe('{"v":1,"record":{oops\n');
    expect(readFileSync(outboxPath, "utf8")).toBe(good.slice(0, 40));

    // The next append starts on a line of its own; the torn piece is moved aside on the next replay.
    recorder.write(sampleCall(8).record, sampleCall(8).transcript);
    recorder.flushToOutbox();
    const next = new CallRecorder({ db: store.dbs.cluster, outboxPath, logger: silentLogger });
    cleanups.push(() => next.close());
    expect(await next.start()).toBe(true);
    expect(await count(store.dbs.cluster, "call_records")).toBe(2);
    expect(readFileSync(`${outboxPath}.unreadable`, "utf8")).toBe(`{"v":1,"record":{oops\n${good.slice(0, 40)}\n`);
    expect(readFileSync(outboxPath, "utf8")).toBe("");
  });
});
