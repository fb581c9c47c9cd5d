/** Graceful drain with live calls: health 503, new calls 1013, live calls finish or are transferred, records flushed. */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { createShutdown, type Shutdown } from "../../src/drain.ts";
import { sampleCall, sqliteStore } from "./helpers.ts";
import { call, recorded, startHarness, stopHarness, type Harness } from "./harness.ts";

let current: Harness | undefined;
afterEach(async () => {
  if (current) await stopHarness(current);
  current = undefined;
});

function shutdownOf(h: Harness, exits: number[] = []): Shutdown {
  return createShutdown({
    config: h.config,
    logger: h.logger,
    gateway: { status: h.gateway.status, calls: h.manager, records: h.recorder, stop: () => h.gateway.stop() },
    transferGraceMs: 5000,
    exit: (code) => exits.push(code),
    clock: h.clock,
  });
}

/** The exit code once `done` resolved, undefined before. */
function watch(done: Promise<number>): { readonly code: number | undefined } {
  const state: { code: number | undefined } = { code: undefined };
  void done.then((code) => (state.code = code));
  return state;
}

describe("drain", () => {
  test("SIGTERM: health says draining, new calls get 1013, the live call goes on; when it ends the process may exit 0", async () => {
    const h = (current = await startHarness(() => sqliteStore(), { MAX_CONCURRENT_CALLS: "5", DRAIN_TIMEOUT_MS: "60000" }));
    const live = await call(h, "live-1");
    const conv = await h.run(h.agent.nextConversation());
    await h.run(conv.init);

    const shutdown = shutdownOf(h);
    shutdown.onSignal("SIGTERM");
    const exit = watch(shutdown.done);

    const health = await fetch(`${h.gateway.url}/health`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { status: string }).status).toBe("draining");

    const late = await call(h, "late-1");
    expect((await h.run(late.closed)).code).toBe(1013);

    await h.run(conv.speak({ text: "Your table is booked", durationMs: 300 }));
    expect((await h.run(live.waitFor("playAudio"))).event).toBe("playAudio"); // the live call still hears the agent
    await h.clock.advance(5000); // call time passes; the drain waits for the live call
    expect(exit.code).toBeUndefined();
    expect(h.manager.activeCount).toBe(1);

    live.hangup();
    expect(await h.run(shutdown.done)).toBe(0);
    // Records were flushed before done resolved: no waiting needed.
    expect((await h.recorder.get("live-1"))!.endReason).toBe("caller_hangup");
    expect(await fetch(`${h.gateway.url}/health`).then(() => "up", () => "stopped")).toBe("stopped");
  });

  test("DRAIN_TIMEOUT_MS passes: the remaining caller is transferred to AGENT_PHONE_NUMBER and recorded as drain", async () => {
    const drainTimeoutMs = 300;
    const h = (current = await startHarness(() => sqliteStore(), { DRAIN_TIMEOUT_MS: String(drainTimeoutMs), AGENT_PHONE_NUMBER: "+91 91234 56789" }));
    const callStartedAtMs = h.clock.now();
    const live = await call(h, "stay-1");
    await h.run((await h.run(h.agent.nextConversation())).init);

    const shutdown = shutdownOf(h);
    const signalAtMs = h.clock.now() - callStartedAtMs; // on the call's timeline
    shutdown.onSignal("SIGINT");
    const transfer = await h.run(live.waitFor("transfer"));
    expect(transfer.number).toBe("9123456789");
    // The caller was transferred once DRAIN_TIMEOUT_MS of call time had passed, not before, and promptly after.
    const transferAtMs = live.timeline.find((e) => e.event === "transfer")!.atMs;
    expect(transferAtMs - signalAtMs).toBeGreaterThanOrEqual(drainTimeoutMs);
    expect(transferAtMs - signalAtMs).toBeLessThanOrEqual(drainTimeoutMs + 2000);
    expect(await h.run(shutdown.done)).toBe(0);
    const record = await recorded(h, "stay-1");
    expect(record.endReason).toBe("drain");
    expect(record.transferTo).toBe("9123456789");
  });

  test("a second signal saves unsent records to the outbox and exits at once", async () => {
    const h = (current = await startHarness(() => sqliteStore(), { DRAIN_TIMEOUT_MS: "60000" }));
    const live = await call(h, "held-1");
    await h.run((await h.run(h.agent.nextConversation())).init);
    const exits: number[] = [];
    const shutdown = shutdownOf(h, exits);
    shutdown.onSignal("SIGTERM");
    const { record, transcript } = sampleCall(1);
    h.recorder.write(record, transcript); // still queued when the second signal comes
    shutdown.onSignal("SIGTERM");
    expect(exits).toEqual([143]);
    const outbox = h.config.database.outboxPath;
    expect(existsSync(outbox)).toBe(true);
    const saved = readFileSync(outbox, "utf8").trim().split("\n").map((l) => JSON.parse(l).record);
    expect(saved.map((r) => r.sessionId).sort()).toEqual(["held-1", "sess-1"]);
    // The call cut off by the fast exit is not forgotten: it is recorded as drain with what it had.
    const cut = saved.find((r) => r.sessionId === "held-1");
    expect(cut).toEqual(expect.objectContaining({ endReason: "drain", callId: "call-held-1", customerNumber: "9876543210" }));
    live.hangup();
  });
});
