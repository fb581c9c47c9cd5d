/** The post-call webhook end to end: recorder → durable queue → a real local receiver that checks the signature; retries, restarts, outages. */
import { afterEach, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import type { Clock } from "../../src/base/clock.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { CallRecorder } from "../../src/store/call-records.ts";
import { createDeliveryQueue } from "../../src/store/webhook-deliveries.ts";
import type { SqlDatabase } from "../../src/store/sql.ts";
import { startWebhookDispatcher, type WebhookDispatcherOptions } from "../../src/webhook/webhook-dispatcher.ts";
import { postCallBody } from "../../src/webhook/webhook-payload.ts";
import { verifyWebhook } from "../../src/webhook/webhook-signature.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { mysqlBehindProxy, mysqlStore, sampleCall, sqliteStore, until, type TestStore } from "../ops/helpers.ts";

const SECRET = "whsec-test-0123456789abcdef";
const PUBLIC_BASE_URL = "https://bot.example.com";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Received {
  /** Fake time when the request arrived (the test clock does not move while real I/O runs). */
  atMs: number;
  body: string;
  signature: string;
  /** Checked independently of Homebook's own verifier: HMAC-SHA256 of "<t>.<body>". */
  validSignature: boolean;
}

/** A real HTTP receiver on loopback answering `statuses` in turn (the last one from then on). */
function startReceiver(statuses: number[], clock?: Clock) {
  const received: Received[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const body = await req.text();
      const signature = req.headers.get("homebook-signature") ?? "";
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature) ?? [];
      const expected = t ? createHmac("sha256", SECRET).update(`${t}.${body}`).digest("hex") : "";
      received.push({ atMs: clock?.now() ?? Date.now(), body, signature, validSignature: v1 === expected });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      return new Response(status < 300 ? "thanks" : "receiver down", { status });
    },
  });
  cleanups.push(() => server.stop(true));
  return { url: `http://127.0.0.1:${server.port}/hooks/homebook?token=abc`, received };
}

/** A clock that notes every delay it is asked for. */
function recordingClock(clock: Clock): Clock & { asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    now: () => clock.now(),
    epochMs: () => clock.epochMs(),
    setTimer: (fn, ms) => (asked.push(ms), clock.setTimer(fn, ms)),
    clearTimer: (t) => clock.clearTimer(t),
  };
}

/** Distinct timings, so the retry waits can be told apart from the attempts' timeouts and idle polls. */
const TIMINGS = { attemptTimeoutMs: 7000, pollMs: 60_000 };

/** The waits asked of a dispatcher's clock, without the attempts' timeouts, idle polls and "look again now" (0). */
const backoffOnly = (asked: number[]) => asked.filter((ms) => ms !== 0 && ms !== TIMINGS.attemptTimeoutMs && ms !== TIMINGS.pollMs);

/** A recorder with the webhook wired as `homebook serve` wires it, and its dispatcher. */
function startWebhookPath(store: TestStore, db: SqlDatabase, url: string, options: Partial<WebhookDispatcherOptions> & { recorderClock?: Clock; retryInitialMs?: number } = {}) {
  const { recorderClock, retryInitialMs, ...dispatch } = options;
  const dispatcher = startWebhookDispatcher({ queue: createDeliveryQueue(db), url, secret: SECRET, logger: silentLogger, ...dispatch });
  const recorder = new CallRecorder({
    db,
    outboxPath: store.config.database.outboxPath,
    logger: silentLogger,
    instanceId: "gw-a",
    clock: recorderClock,
    retryInitialMs,
    webhook: { body: (record, transcript) => postCallBody(record, transcript, PUBLIC_BASE_URL), queued: () => dispatcher.wake() },
  });
  const stop = async () => {
    await recorder.close();
    await dispatcher.stop();
  };
  cleanups.push(stop);
  return { recorder, dispatcher, stop };
}

async function withStore(open: () => Promise<TestStore>): Promise<TestStore> {
  const store = await open();
  cleanups.push(() => store.close());
  return store;
}

describe("post-call webhook", () => {
  test("after a call the receiver gets one signed POST with the call's fields; the record shows it delivered", async () => {
    const store = await withStore(() => sqliteStore());
    const receiver = startReceiver([200]);
    const { recorder } = startWebhookPath(store, store.dbs.cluster, receiver.url);
    const { record, transcript } = sampleCall(1, "transfer");
    recorder.write({ ...record, recorded: true }, transcript);

    await until(() => receiver.received.length === 1, 5000, "the webhook");
    const [hit] = receiver.received;
    expect(hit!.validSignature).toBe(true);
    expect(verifyWebhook(SECRET, hit!.signature, hit!.body, Date.now() / 1000)).toBe(true);
    expect(verifyWebhook(SECRET, hit!.signature, `${hit!.body} `, Date.now() / 1000)).toBe(false);
    expect(JSON.parse(hit!.body)).toEqual({
      type: "call.ended",
      session_id: "sess-1",
      call_id: "call-1",
      did: "8040001234",
      end_reason: "transfer",
      started_at: record.startedAt,
      ended_at: record.endedAt,
      duration_ms: 30_000,
      transcript: [
        { role: "agent", text: "Hello, caller 1" },
        { role: "user", text: "I would like to book a table" },
      ],
      recording_url: "https://bot.example.com/calls/sess-1/recording",
      bot_id: "bot-7",
      agent_id: "agent_abc",
      conversation_id: "conv-1",
      customer_number: "9876543210",
      transfer_to: "7780787875",
    });
    const stored = await until(async () => {
      const call = await recorder.get("sess-1");
      return call?.webhook?.status === "delivered" ? call : undefined;
    }, 5000, "the delivered status");
    expect(stored!.webhook).toMatchObject({ status: "delivered", attempts: 1, lastStatus: 200 });
  });

  test("a receiver answering 500 twice gets the third try after 1 s and 2 s; a restart in between loses nothing", async () => {
    const store = await withStore(() => sqliteStore());
    const clock = new TestClock();
    const receiver = startReceiver([500, 500, 200], clock);
    const options = { ...TIMINGS, recorderClock: clock };

    const firstClock = recordingClock(clock);
    const first = startWebhookPath(store, store.dbs.cluster, receiver.url, { ...options, clock: firstClock });
    first.recorder.write(sampleCall(2).record, sampleCall(2).transcript);
    await until(() => receiver.received.length === 1, 5000, "the first attempt");
    await until(() => backoffOnly(firstClock.asked).length === 1, 5000, "the first retry to be scheduled");
    expect(await first.recorder.get("sess-2")).toMatchObject({ webhook: { status: "pending", attempts: 1, lastStatus: 500, nextAttemptAt: clock.epochZeroMs + 1000 } });

    await clock.advance(1000);
    await until(() => receiver.received.length === 2, 5000, "the second attempt");
    await until(() => backoffOnly(firstClock.asked).length === 2, 5000, "the second retry to be scheduled");
    expect(backoffOnly(firstClock.asked)).toEqual([1000, 2000]);

    // The gateway restarts: a new recorder and dispatcher on the same store continue the queue.
    await first.stop();
    await clock.advance(500);
    const secondClock = recordingClock(clock);
    const second = startWebhookPath(store, store.dbs.cluster, receiver.url, { ...options, clock: secondClock });
    await second.recorder.start();
    await until(() => backoffOnly(secondClock.asked).length === 1, 5000, "the restarted dispatcher to schedule the retry");
    expect(backoffOnly(secondClock.asked)).toEqual([1500]); // what was left of the 2 s
    await clock.advance(1500);
    await until(() => receiver.received.length === 3, 5000, "the third attempt");

    expect(receiver.received.map((r) => r.atMs)).toEqual([0, 1000, 3000]);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1); // the same bytes every time
    expect(receiver.received.every((r) => r.validSignature)).toBe(true);
    expect(receiver.received.map((r) => r.signature.split(",")[0])).toEqual([0, 1, 3].map((s) => `t=${clock.epochZeroMs / 1000 + s}`));
    const delivered = await until(async () => {
      const call = await second.recorder.get("sess-2");
      return call?.webhook?.status === "delivered" ? call : undefined;
    }, 5000, "the delivered status");
    expect(delivered!.webhook).toMatchObject({ attempts: 3, lastStatus: 200, deliveredAt: clock.epochZeroMs + 3000 });
  });

  test("a 4xx answer is not retried; retries stop once the give-up time would pass", async () => {
    const store = await withStore(() => sqliteStore());
    const clock = new TestClock();
    const refused = startReceiver([401], clock);
    const a = startWebhookPath(store, store.dbs.cluster, refused.url, { clock, recorderClock: clock });
    a.recorder.write(sampleCall(3).record, sampleCall(3).transcript);
    const failed = await until(async () => ((await a.recorder.get("sess-3"))?.webhook?.status === "failed" ? a.recorder.get("sess-3") : undefined), 5000, "the failure");
    expect(failed!.webhook).toMatchObject({ attempts: 1, lastStatus: 401 });
    await clock.advance(60_000);
    expect(refused.received.length).toBe(1);
    await a.stop();

    const down = startReceiver([503], clock);
    const bClock = recordingClock(clock);
    const b = startWebhookPath(store, store.dbs.cluster, down.url, { ...TIMINGS, clock: bClock, recorderClock: clock, giveUpAfterMs: 10_000 });
    b.recorder.write(sampleCall(4).record, sampleCall(4).transcript);
    for (const n of [1, 2, 3]) {
      await until(() => down.received.length === n && backoffOnly(bClock.asked).length === n, 5000, `attempt ${n} and its retry`);
      await clock.advance(backoffOnly(bClock.asked)[n - 1]!);
    }
    await until(() => down.received.length === 4, 5000, "attempt 4");
    const gaveUp = await until(async () => ((await b.recorder.get("sess-4"))?.webhook?.status === "failed" ? b.recorder.get("sess-4") : undefined), 5000, "giving up");
    expect(down.received.map((r) => r.atMs - down.received[0]!.atMs)).toEqual([0, 1000, 3000, 7000]); // the next would be at 15 s > 10 s
    expect(backoffOnly(bClock.asked)).toEqual([1000, 2000, 4000]);
    expect(gaveUp!.webhook).toMatchObject({ attempts: 4, lastStatus: 503 });
    expect(gaveUp!.webhook!.lastError).toContain("gave up");
  });

  test("MariaDB down when the call ends: the delivery waits in the outbox with its record and goes out once the store is back", async () => {
    const store = await withStore(() => mysqlStore());
    const { proxy, viaProxy } = await mysqlBehindProxy(store.config, cleanups);
    const receiver = startReceiver([200]);
    proxy.cut();
    const { recorder } = startWebhookPath(store, viaProxy.cluster, receiver.url, { retryInitialMs: 100 });
    recorder.write(sampleCall(5).record, sampleCall(5).transcript);
    await recorder.flush();
    const outboxed = JSON.parse((await Bun.file(store.config.database.outboxPath).text()).trim());
    expect(outboxed.webhook).toBe(postCallBody(sampleCall(5).record, sampleCall(5).transcript, PUBLIC_BASE_URL));
    expect(receiver.received.length).toBe(0);

    await proxy.start(); // same port: the store is back
    await until(() => receiver.received.length === 1, 10_000, "the delivery after the outage");
    expect(receiver.received[0]!.body).toBe(outboxed.webhook);
    expect(await until(async () => (await recorder.get("sess-5"))?.webhook?.status, 5000, "the status")).toBe("delivered");
  });

  test("a call a crash cut off gets its webhook too, ending interrupted", async () => {
    const store = await withStore(() => sqliteStore());
    const receiver = startReceiver([200]);
    const crashed = new CallRecorder({ db: store.dbs.cluster, outboxPath: store.config.database.outboxPath, logger: silentLogger, instanceId: "gw-a" });
    const { endedAt: _e, durationMs: _d, endReason: _r, ...live } = sampleCall(6).record;
    crashed.begin(live);
    await crashed.flush();

    const { recorder } = startWebhookPath(store, store.dbs.cluster, receiver.url);
    await recorder.start();
    await until(() => receiver.received.length === 1, 5000, "the webhook of the cut call");
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ session_id: "sess-6", end_reason: "interrupted", transcript: [] });
  });
});
