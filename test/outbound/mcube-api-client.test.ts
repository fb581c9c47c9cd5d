import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeMcubeApi, type FakeMcubeApi } from "../../src/sim/fake-mcube-api.ts";
import { McubeApiError } from "../../src/outbound/mcube-api-client.ts";
import { backoffDelayMs, sleepMs } from "../../src/outbound/retry.ts";
import { parseRate } from "../../src/outbound/token-bucket.ts";
import { clientFor } from "./helpers.ts";

let mcube: FakeMcubeApi;
beforeAll(async () => {
  mcube = await startFakeMcubeApi({ token: "mcube-secret-token-1234", businessErrors: { "9000000001": "Number is in DND" } });
});
afterAll(() => mcube.stop());

async function failure(p: Promise<unknown>): Promise<McubeApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof McubeApiError) return err;
    throw err;
  }
  throw new Error("expected the request to fail");
}

describe("Mcube REST client against the fake", () => {
  test("a placed call returns Mcube's callid; the request carries the token, numbers, refurl and refid", async () => {
    const client = clientFor(mcube, { refUrl: "https://gw.example/mcube/refurl" });
    const { callid } = await client.dial({ did: "8000000000", number: "9876543210", refid: "hb-test-1" });
    const request = mcube.requests.at(-1)!;
    expect(callid).toBe(request.callid!);
    expect(request.tokenMatched).toBe(true);
    expect(request.body).toEqual({ exenumber: "8000000000", custnumber: "9876543210", refurl: "https://gw.example/mcube/refurl", refid: "hb-test-1" });
  });

  test("a business error surfaces Mcube's msg and is not retryable", async () => {
    const err = await failure(clientFor(mcube).dial({ did: "8000000000", number: "9000000001", refid: "hb-test-2" }));
    expect(err.kind).toBe("business");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("Number is in DND");
  });

  test("a wrong token is an auth error with the fix, and the message never holds a token", async () => {
    const err = await failure(clientFor(mcube, { token: "wrong-token-abcdef" }).dial({ did: "8000000000", number: "9876543210", refid: "hb-test-3" }));
    expect(err.kind).toBe("auth");
    expect(err.retryable).toBe(false);
    expect(err.fix).toContain("MCUBE_API_TOKEN");
    expect(err.message).not.toContain("wrong-token-abcdef");
  });

  test("5xx and dropped connections are retryable; so is a timeout", async () => {
    mcube.failNext(1, 503);
    const server = await failure(clientFor(mcube).dial({ did: "8000000000", number: "9876543210", refid: "hb-test-4" }));
    expect([server.kind, server.httpStatus, server.retryable]).toEqual(["server", 503, true]);

    mcube.failNext(1, "drop");
    const dropped = await failure(clientFor(mcube).dial({ did: "8000000000", number: "9876543210", refid: "hb-test-5" }));
    expect([dropped.kind, dropped.retryable]).toEqual(["network", true]);

    mcube.setDelay(300);
    try {
      const slow = await failure(clientFor(mcube, { timeoutMs: 50 }).dial({ did: "8000000000", number: "9876543210", refid: "hb-test-6" }));
      expect([slow.kind, slow.retryable]).toEqual(["timeout", true]);
    } finally {
      mcube.setDelay(0);
    }
  });

  test("an unreachable Mcube is a network error", async () => {
    const closed = await startFakeMcubeApi();
    const client = clientFor(closed);
    await closed.stop();
    const err = await failure(client.dial({ did: "8000000000", number: "9876543210", refid: "hb-test-7" }));
    expect([err.kind, err.retryable]).toEqual(["network", true]);
  });
});

describe("backoff and rates", () => {
  test("backoff doubles from the base, is capped, and jitters down to half", () => {
    const policy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 3000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, policy, () => 1))).toEqual([500, 1000, 2000, 3000, 3000]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(1000);
  });

  test("an aborted sleep ends at once and says so", async () => {
    const controller = new AbortController();
    const pending = sleepMs(60_000, controller.signal);
    controller.abort();
    expect(await pending).toBe(false);
  });

  test("rates parse per second, minute and hour; nonsense is a usage error", () => {
    expect(parseRate("2/s").perSecond).toBe(2);
    expect(parseRate("120/m").perSecond).toBe(2);
    expect(parseRate("3600/h").perSecond).toBe(1);
    expect(parseRate("0.5").perSecond).toBe(0.5);
    for (const bad of ["fast", "0/s", "2/fortnight", "-1/s"]) expect(() => parseRate(bad)).toThrow(/--rate/);
  });
});
