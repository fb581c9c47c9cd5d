/** Signed URLs: reused, shared between concurrent calls, and a settings refusal not asked again for a few seconds. */
import { describe, expect, test } from "bun:test";
import { HomebookError } from "../../src/base/errors.ts";
import { FATAL_REFUSAL_MEMORY_MS, SignedUrlCache } from "../../src/agent/signed-url-cache.ts";

function rig(answer: (n: number) => Promise<string>) {
  let nowMs = 0;
  let requests = 0;
  const cache = new SignedUrlCache(() => answer(++requests), 60_000, () => nowMs);
  return { cache, requests: () => requests, advance: (ms: number) => (nowMs += ms) };
}

describe("signed URL cache", () => {
  test("concurrent misses share one request; the URL is reused until SIGNED_URL_REUSE_MS", async () => {
    const r = rig(async (n) => `wss://x/${n}`);
    const [a, b] = await Promise.all([r.cache.get("agent"), r.cache.get("agent")]);
    expect([a.url, b.url, r.requests()]).toEqual(["wss://x/1", "wss://x/1", 1]);
    expect((await r.cache.get("agent")).cached).toBe(true);
    r.advance(60_000);
    expect((await r.cache.get("agent")).url).toBe("wss://x/2");
  });

  test("a refusal no retry can fix (a wrong key) answers for itself for a few seconds, then the service is asked again", async () => {
    const r = rig(async () => {
      throw new HomebookError("upstream_auth", "the API key was refused");
    });
    await expect(r.cache.get("agent")).rejects.toThrow("the API key was refused");
    r.advance(FATAL_REFUSAL_MEMORY_MS - 1);
    await expect(r.cache.get("agent")).rejects.toThrow("the API key was refused");
    expect(r.requests()).toBe(1);
    r.advance(1);
    await expect(r.cache.get("agent")).rejects.toThrow();
    expect(r.requests()).toBe(2);
  });

  test("a passing failure (the service unreachable) is asked again at once", async () => {
    const r = rig(async (n) => {
      if (n === 1) throw new HomebookError("upstream_unavailable", "connection refused", { retryable: true });
      return "wss://x/ok";
    });
    await expect(r.cache.get("agent")).rejects.toThrow("connection refused");
    expect((await r.cache.get("agent")).url).toBe("wss://x/ok");
    expect(r.requests()).toBe(2);
  });
});
