import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { silentLogger } from "../../src/log/logger.ts";
import { startFakeMcubeApi, type FakeMcubeApi } from "../../src/sim/fake-mcube-api.ts";
import { CampaignState } from "../../src/outbound/campaign-state.ts";
import { LOST_ANSWER_ERROR, runCampaign, type CampaignOptions } from "../../src/outbound/campaign.ts";
import type { Contact } from "../../src/outbound/contacts.ts";
import { placeCall } from "../../src/outbound/place-call.ts";
import { tempDir } from "../helpers/env.ts";
import { clientFor, FAST_RETRY, maxInWindow, openTestStore, requestsPerNumber, type TestStore } from "./helpers.ts";

let mcube: FakeMcubeApi;
let t: TestStore;
beforeEach(async () => {
  mcube = await startFakeMcubeApi();
  t = await openTestStore("sqlite");
});
afterEach(async () => {
  await mcube.stop();
  await t.close();
});

function contacts(n: number): Contact[] {
  return Array.from({ length: n }, (_, i) => ({ line: i + 2, number: String(9_100_000_000 + i), name: `Caller ${i}`, variables: { idx: String(i) } }));
}

function newState(): CampaignState {
  const dir = tempDir("homebook-campaign-");
  return CampaignState.create(join(dir, "results.csv.state.jsonl"), { campaign: "cmp-test", did: "8000000000", csv: join(dir, "c.csv"), out: join(dir, "results.csv"), createdAt: new Date().toISOString() });
}

function options(state: CampaignState, list: Contact[], extra: Partial<CampaignOptions> = {}): CampaignOptions {
  return { contacts: list, did: "8000000000", state, store: t.store, client: clientFor(mcube), ratePerSecond: 50, concurrency: 5, retry: FAST_RETRY, logger: silentLogger, ...extra };
}


describe("placing one call", () => {
  test("5xx then success: retried with the same refid, the call placed once", async () => {
    await t.store.create({ refid: "hb-r1", did: "8000000000", number: "9876543210", variables: {} });
    mcube.failNext(1, 500);
    mcube.failNext(1, "drop");
    const result = await placeCall({ refid: "hb-r1", did: "8000000000", number: "9876543210" }, { client: clientFor(mcube), store: t.store, retry: FAST_RETRY, logger: silentLogger });
    expect(result).toMatchObject({ status: "placed", attempts: 3 });
    expect(mcube.requests.map((r) => r.refid)).toEqual(["hb-r1", "hb-r1", "hb-r1"]);
    expect(mcube.calls).toHaveLength(1);
    expect(await t.store.findByRefid("hb-r1")).toMatchObject({ status: "placed", callid: mcube.calls[0]!.callid, attempts: 3 });
  });

  test("a business error is not retried and its msg is kept", async () => {
    mcube.setBusinessError("9876543210", "Customer number is in DND");
    await t.store.create({ refid: "hb-r2", did: "8000000000", number: "9876543210", variables: {} });
    const result = await placeCall({ refid: "hb-r2", did: "8000000000", number: "9876543210" }, { client: clientFor(mcube), store: t.store, retry: FAST_RETRY, logger: silentLogger });
    expect(result).toMatchObject({ status: "rejected", attempts: 1 });
    expect(result.error).toContain("Customer number is in DND");
    expect(mcube.requests).toHaveLength(1);
    expect((await t.store.findByRefid("hb-r2"))?.error).toContain("DND");
  });

  test("retries stop at the policy's limit and the attempt is failed", async () => {
    mcube.failNext(5, 502);
    await t.store.create({ refid: "hb-r3", did: "8000000000", number: "9876543210", variables: {} });
    const result = await placeCall({ refid: "hb-r3", did: "8000000000", number: "9876543210" }, { client: clientFor(mcube), store: t.store, retry: FAST_RETRY, logger: silentLogger });
    expect(result).toMatchObject({ status: "failed", attempts: FAST_RETRY.maxAttempts });
    expect(mcube.requests).toHaveLength(FAST_RETRY.maxAttempts);
  });
});

describe("campaigns", () => {
  test("the rate limit and the concurrency cap hold, counted on the fake", async () => {
    mcube.setDelay(60);
    const list = contacts(24);
    const outcome = await runCampaign(options(newState(), list, { ratePerSecond: 40, concurrency: 3 }));
    expect(outcome.interrupted).toBe(false);
    expect(outcome.progress).toMatchObject({ total: 24, done: 24, placed: 24 });
    expect(mcube.calls).toHaveLength(24);
    expect(mcube.maxInFlight).toBeLessThanOrEqual(3);
    expect(mcube.maxInFlight).toBe(3); // the cap is reached, not just respected by being slow
    // Token bucket with burst 1 at 40/s: any 250 ms window holds at most 1 + 10 requests (+1 for loopback jitter).
    expect(maxInWindow(mcube.requests.map((r) => r.receivedAtMs), 250)).toBeLessThanOrEqual(12);
  });

  test("the rate limit spaces requests out even with spare concurrency", async () => {
    const outcome = await runCampaign(options(newState(), contacts(8), { ratePerSecond: 20, concurrency: 8 }));
    expect(outcome.progress.placed).toBe(8);
    expect(mcube.requests).toHaveLength(8);
    // At 20/s with burst 1, a 100 ms window holds at most 1 + 2 requests (+1 for loopback jitter);
    // without the limit all 8 would arrive at once.
    expect(maxInWindow(mcube.requests.map((r) => r.receivedAtMs), 100)).toBeLessThanOrEqual(4);
  });

  test("interrupted, then resumed: everybody dialed exactly once, refids kept", async () => {
    mcube.setDelay(20);
    const list = contacts(20);
    const state = newState();
    const controller = new AbortController();
    const first = runCampaign(options(state, list, { ratePerSecond: 30, concurrency: 2, signal: controller.signal, onProgress: (p) => p.done >= 6 && controller.abort() }));
    const stopped = await first;
    expect(stopped.interrupted).toBe(true);
    const dialedFirst = mcube.calls.length;
    expect(dialedFirst).toBeGreaterThanOrEqual(6);
    expect(dialedFirst).toBeLessThan(20);
    // Nothing was left mid-request: Ctrl-C lets requests in flight finish.
    expect(state.all().some((e) => e.status === "sending")).toBe(false);

    const resumedState = CampaignState.open(state.path);
    const resumed = await runCampaign(options(resumedState, list, { ratePerSecond: 30, concurrency: 2 }));
    expect(resumed.interrupted).toBe(false);
    expect(resumed.progress).toMatchObject({ total: 20, done: 20, placed: 20 });
    const perNumber = requestsPerNumber(mcube);
    expect(perNumber.size).toBe(20);
    expect([...perNumber.values()].every((n) => n === 1)).toBe(true);
    const rows = await t.store.listCampaign("cmp-test");
    expect(rows).toHaveLength(20);
    expect(new Set(rows.map((r) => r.refid)).size).toBe(20);
    expect(rows.every((r) => r.status === "placed" && r.callid)).toBe(true);
  });

  test("a request whose answer was lost in a crash is marked unknown and never sent again", async () => {
    const list = contacts(3);
    const state = newState();
    // What a killed process leaves: the refid recorded and the request announced as in flight.
    await t.store.create({ refid: "hb-crash", campaign: "cmp-test", did: "8000000000", number: list[1]!.number, variables: {} });
    state.record({ number: list[1]!.number, refid: "hb-crash", status: "sending", attempts: 1 });
    const outcome = await runCampaign(options(CampaignState.open(state.path), list));
    expect(outcome.progress).toMatchObject({ done: 3, placed: 2, unknown: 1 });
    expect(requestsPerNumber(mcube).get(list[1]!.number)).toBeUndefined();
    expect(await t.store.findByRefid("hb-crash")).toMatchObject({ status: "unknown", error: LOST_ANSWER_ERROR });
  });

  test("an attempt interrupted while waiting to retry is resumed with its refid", async () => {
    const list = contacts(1);
    const state = newState();
    mcube.failNext(1, 503);
    const controller = new AbortController();
    const running = runCampaign(options(state, list, { retry: { maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 }, signal: controller.signal }));
    for (let i = 0; i < 200 && state.get(list[0]!.number)?.status !== "retrying"; i++) await Bun.sleep(10);
    controller.abort(); // Ctrl-C during the minute-long backoff
    const outcome = await running;
    expect(outcome.interrupted).toBe(true);
    const refid = state.get(list[0]!.number)!.refid;
    expect(state.get(list[0]!.number)!.status).toBe("retrying");
    await runCampaign(options(CampaignState.open(state.path), list));
    expect(mcube.requests.map((r) => r.refid)).toEqual([refid, refid]);
    expect(mcube.calls).toHaveLength(1);
  });

  test("a refused token stops the campaign at once instead of failing every contact", async () => {
    const state = newState();
    const outcome = await runCampaign(options(state, contacts(10), { client: clientFor(mcube, { token: "not-the-token-at-all" }), concurrency: 1 }));
    expect(outcome.stoppedBecause).toContain("refused the token");
    expect(outcome.interrupted).toBe(true);
    expect(mcube.requests.length).toBe(1);
  });

  test("business errors are recorded per contact and the campaign carries on", async () => {
    const list = contacts(4);
    mcube.setBusinessError(list[2]!.number, "Invalid customer number");
    const state = newState();
    const outcome = await runCampaign(options(state, list));
    expect(outcome.progress).toMatchObject({ done: 4, placed: 3, rejected: 1 });
    expect(state.get(list[2]!.number)).toMatchObject({ status: "rejected", attempts: 1 });
    expect(state.get(list[2]!.number)!.error).toContain("Invalid customer number");
  });
});
