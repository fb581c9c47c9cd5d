/** The console over HTTP: sign-in and sessions, the pages' content, history filters, live events, the recording endpoint. */
import { HistogramChart } from "../../src/console/charts.tsx";
import { OverviewPage, overviewRefreshMs } from "../../src/console/overview-page.tsx";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { WRONG_TOKEN_MESSAGE } from "../../src/console/sign-in-page.tsx";
import { SESSION_TTL_MS } from "../../src/console/console-session.ts";
import { stereoWavHeader } from "../../src/recording/stereo-wav.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { until } from "../helpers/wait.ts";
import { agentBurst, callerFrames, play } from "../recording/signals.ts";
import { ADMIN_TOKEN, finishedCall, signIn, startConsoleHarness, type ConsoleHarness } from "./harness.ts";

const get = (h: ConsoleHarness, path: string, headers: Record<string, string> = {}) => fetch(`${h.url}${path}`, { headers, redirect: "manual" });

describe("console off", () => {
  let h: ConsoleHarness;
  beforeAll(async () => (h = await startConsoleHarness({ adminToken: null })));
  afterAll(() => h.stop());

  test("without ADMIN_TOKEN /console says how to turn it on (404) and the recording endpoint answers 503", async () => {
    for (const path of ["/console", "/console/history", "/console/calls/x"]) {
      const res = await get(h, path);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("Set <code>ADMIN_TOKEN</code>");
    }
    expect((await get(h, "/calls/x/recording")).status).toBe(503);
  });
});

describe("console sign-in and sessions", () => {
  const clock = new TestClock(Date.now());
  let h: ConsoleHarness;
  beforeAll(async () => (h = await startConsoleHarness({ clock })));
  afterAll(() => h.stop());

  test("/console without a session is the sign-in form; a wrong token stays there with the message", async () => {
    const form = await get(h, "/console");
    expect(form.status).toBe(200);
    const page = await form.text();
    expect(page).toContain('<label for="token">Admin token</label>');
    expect(page).toContain('name="token" type="password"');
    expect(page).not.toContain("Sign out"); // no navigation before signing in

    const wrong = await fetch(`${h.url}/console/sign-in`, { method: "POST", body: new URLSearchParams({ token: "not-the-admin-token-000" }), redirect: "manual" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const again = await wrong.text();
    expect(again).toContain(WRONG_TOKEN_MESSAGE.replaceAll("'", "&#39;"));
    expect(again).toContain('role="alert"');
    expect(again).not.toContain("not-the-admin-token-000");
    expect(h.logLines.some((l) => l.includes("console sign-in refused"))).toBe(true);
    expect(h.logLines.join("\n")).not.toContain("not-the-admin-token-000");
  });

  test("the right token sets an HttpOnly, SameSite=Strict session cookie and goes where the operator was heading (never off-site)", async () => {
    const heading = await get(h, "/console/history?q=1234");
    expect(heading.status).toBe(303);
    expect(heading.headers.get("location")).toBe("/console?next=%2Fconsole%2Fhistory%3Fq%3D1234");
    const signed = await fetch(`${h.url}/console/sign-in`, { method: "POST", body: new URLSearchParams({ token: ADMIN_TOKEN, next: "/console/history?q=1234" }), redirect: "manual" });
    expect(signed.status).toBe(303);
    expect(signed.headers.get("location")).toBe("/console/history?q=1234");
    const cookie = signed.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^homebook_console=[^;]+;/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).not.toContain("Secure");
    expect(cookie).not.toContain(ADMIN_TOKEN);

    for (const next of ["//evil.example/x", "https://evil.example", "/consolex", "/calls/x/recording"]) {
      const res = await fetch(`${h.url}/console/sign-in`, { method: "POST", body: new URLSearchParams({ token: ADMIN_TOKEN, next }), redirect: "manual" });
      expect(res.headers.get("location")).toBe("/console");
    }
    const behindTls = await fetch(`${h.url}/console/sign-in`, { method: "POST", headers: { "x-forwarded-proto": "https" }, body: new URLSearchParams({ token: ADMIN_TOKEN }), redirect: "manual" });
    expect(behindTls.headers.get("set-cookie")).toContain("Secure");
  });

  test("a session stops working when tampered with, after it expires, and after Sign out", async () => {
    const cookie = await signIn(h.url);
    expect((await get(h, "/console/overview", { cookie })).status).toBe(200);
    const tampered = cookie.replace(/.$/, (ch) => (ch === "A" ? "B" : "A"));
    expect((await get(h, "/console/overview", { cookie: tampered })).status).toBe(303);
    const forged = cookie.replace(/=(\d+)\./, (_m, ms) => `=${Number(ms) + 1}.`);
    expect((await get(h, "/console/overview", { cookie: forged })).status).toBe(303);

    const out = await get(h, "/console/sign-out", { cookie });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/homebook_console=;.*Max-Age=0/);
    expect((await get(h, "/console/overview", { cookie })).status).toBe(303); // the old value is refused too

    const later = await signIn(h.url);
    await clock.advance(SESSION_TTL_MS - 1000);
    expect((await get(h, "/console/overview", { cookie: later })).status).toBe(200);
    await clock.advance(1000);
    expect((await get(h, "/console/overview", { cookie: later })).status).toBe(303);
  });

  test("pages are not cached, not framed, and load scripts only from the gateway", async () => {
    const res = await get(h, "/console", { cookie: await signIn(h.url) });
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("server-timing")).toMatch(/^render;dur=\d/);
  });
});

describe("console pages", () => {
  const clock = new TestClock(Date.now());
  let h: ConsoleHarness;
  let cookie: string;
  beforeAll(async () => {
    h = await startConsoleHarness({ clock });
    cookie = await signIn(h.url);
    const many = Array.from({ length: 52 }, (_, i) => finishedCall(i + 10, { customerNumber: "9555500000", botId: "support", endReason: "caller_hangup" }));
    await h.seed([finishedCall(1), finishedCall(2, { did: "8040009999", endReason: "transfer", transferTo: "7780787875" }), ...many]);
  });
  afterAll(() => h.stop());
  const page = async (path: string) => {
    const res = await get(h, path, { cookie });
    return { status: res.status, text: await res.text() };
  };

  test("call detail: facts, the timeline in order, the transcript as a chat, the end reason; caller words are escaped", async () => {
    const { status, text } = await page("/console/calls/hist-1");
    expect(status).toBe(200);
    expect(text).toContain("<h1>Call hist-1</h1>");
    expect(text).toContain("Agent ended the call (agent_end_call)");
    expect(text).toContain("8040001234");
    const labels = [...text.matchAll(/<li><span class="at">([^<]+)<\/span><span>([^<]+)/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(labels).toEqual([
      "+0.00 s Call started",
      "+0.64 s Agent connected",
      "+1.21 s First agent audio",
      "+15.40 s Caller barged in",
      "+30.10 s Tool call",
      "+42.00 s Call ended",
    ]);
    expect(text).toMatch(/<li class="agent"><span class="who">Agent<\/span><span class="at">0:01<\/span><p>Namaste, Sunrise Motors/);
    expect(text).toContain('<li class="user"><span class="who">Caller</span><span class="at">0:06</span><p>I want to book a test drive &lt;b&gt;tomorrow&lt;/b&gt;</p>');
    expect(text).toContain("This call was not recorded.");
    expect((await page("/console/calls/no-such-call")).status).toBe(404);
  });

  test("History: Search by a number's last digits or whole, by session id; filters for bot, end reason and date; paging keeps them", async () => {
    const sessions = (text: string) => [...text.matchAll(/<a href="\/console\/calls\/([^"]+)">/g)].map((m) => m[1]);
    expect(sessions((await page("/console/history?q=9999")).text)).toEqual(["hist-2"]);
    expect(sessions((await page("/console/history?q=%2B91+80+4000+9999")).text)).toEqual(["hist-2"]);
    expect(sessions((await page("/console/history?q=hist-1")).text)).toEqual(["hist-1"]);
    expect(sessions((await page("/console/history?reason=transfer")).text)).toEqual(["hist-2"]);
    expect(sessions((await page("/console/history?bot=sales")).text)).toEqual(["hist-1", "hist-2"]);
    const today = new Date(clock.epochMs()).toISOString().slice(0, 10);
    expect(sessions((await page(`/console/history?bot=sales&date=${today}&tz=0`)).text).length).toBeGreaterThan(0);
    expect(sessions((await page("/console/history?bot=sales&date=2020-01-01")).text)).toEqual([]);

    const first = await page("/console/history?bot=support");
    expect(sessions(first.text)).toHaveLength(50);
    const older = /<a href="(\/console\/history\?bot=support&amp;cursor=[^"]+)">Older calls<\/a>/.exec(first.text);
    expect(older).not.toBeNull();
    const second = await page(older![1]!.replaceAll("&amp;", "&"));
    expect(sessions(second.text)).toHaveLength(2);
    expect(second.text).toContain(">Newest calls</a>");
    expect(second.text).not.toContain("Older calls");
  });

  test("the admin API takes the same search and bot filter", async () => {
    const res = await get(h, "/calls?search=9999&bot_id=sales", { authorization: `Bearer ${ADMIN_TOKEN}` });
    const body = (await res.json()) as { calls: { session_id: string }[] };
    expect(body.calls.map((c) => c.session_id)).toEqual(["hist-2"]);
    const bad = await get(h, "/calls?search=12", { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(bad.status).toBe(400);
  });

  test("History refuses what it cannot search with a message saying what to type (400)", async () => {
    const short = await page("/console/history?q=12");
    expect(short.status).toBe(400);
    expect(short.text).toContain("give at least 3 digits of a number");
    expect(short.text).toContain('value="12"'); // the operator's input stays in the field
    const date = await page("/console/history?date=31-01-2026");
    expect(date.status).toBe(400);
    expect(date.text).toContain("Date must be a day like 2026-01-31.");
  });

  test("Overview draws calls per minute, end reasons and the metric histograms as SVG charts", async () => {
    const { status, text } = await page("/console/overview");
    expect(status).toBe(200);
    expect(text).toContain("54 calls ended in the last 24 hours");
    expect(text).toMatch(/<svg class="chart"[^>]*aria-labelledby="calls-per-minute-title calls-per-minute-desc"/);
    expect(text).toMatch(/Caller hung up \(caller_hangup\)<\/text><rect class="bar"/);
    expect(text).toContain("Transferred (transfer): 1");
    expect(text).toContain('id="latency-uplink-title"');
    expect(text).toContain('id="first-audio-title"');
    expect(text).toContain('data-refresh-ms="30000"');
    expect((await page("/console/overview?refresh=5")).text).toContain('data-refresh-ms="5000"');
    for (const bad of ["0", "601", "1.5", "soon"]) expect(overviewRefreshMs(bad)).toBe(30_000);
    // Bucket bounds read as declared, and a second and more in seconds (long labels ran into each other).
    const bounds = [...text.matchAll(/<text[^>]*>([≤>][^<]*)<\/text>/g)].map((m) => m[1]);
    expect(bounds).toEqual(expect.arrayContaining(["≤750", "≤1s", "≤1.5s", "≤10s"]));
    expect(bounds.some((b) => /\d{4}/.test(b!))).toBe(false);
    const latency = String(await HistogramChart({ id: "t", title: "t", summary: "s", unit: "ms", buckets: [{ le: 0.25, count: 3 }, { le: 2500, count: 1 }, { le: Infinity, count: 0 }] }));
    const one = { labels: {}, buckets: [{ le: 50, count: 1 }], count: 1, sum: 12 };
    const single = String(await OverviewPage({ stats: { sinceMs: 0, untilMs: 60_000, perMinute: [{ minuteMs: 0, calls: 1 }], endReasons: [{ endReason: "caller_hangup", calls: 1 }], total: 1 }, addedLatency: [], firstAudio: [one], refreshMs: 30_000 }));
    expect(single).toContain("1 call ended in the last 24 hours");
    expect(single).toContain("1 call; half ≤ 50 ms");
    expect(single).toContain("No caller frames measured since the gateway started.");
    expect([...latency.matchAll(/>(≤[^<]*|&gt;[^<]*)<\/text>/g)].map((m) => m[1])).toEqual(["≤0.25", "≤2.5s", "&gt;2.5s"]);
  });
});

describe("live events and the recording endpoint", () => {
  const clock = new TestClock(Date.now());
  let h: ConsoleHarness;
  beforeAll(async () => (h = await startConsoleHarness({ clock, liveIntervalMs: 500 })));
  afterAll(() => h.stop());

  /** Reads server-sent events from a console stream, one at a time. */
  function eventReader(body: ReadableStream<Uint8Array>) {
    const reader = body.getReader();
    let buffer = "";
    return async (): Promise<{ event: string; data: any }> => {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
          const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
          return { event, data: JSON.parse(data) };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("the event stream ended");
        buffer += new TextDecoder().decode(value);
      }
    };
  }

  test("a call appears within one update, its latest line follows, it goes when the caller hangs up; Sign out ends the stream", async () => {
    expect((await get(h, "/console/live/events")).status).toBe(401);
    const cookie = await signIn(h.url);
    const res = await get(h, "/console/live/events", { cookie });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const next = eventReader(res.body!);
    expect((await next()).data).toMatchObject({ rows: [], summary: "No live calls" });

    const call = await h.call("live-1");
    const conv = await h.agent.nextConversation();
    await conv.init;
    await conv.speak({ text: "Namaste, how can I help?", durationMs: 400 });
    await until(() => h.manager.get("live-1")?.transcript.length === 1, 5000, "the agent's line in the live call");
    await clock.advance(500);
    const live = (await next()).data;
    expect(live.summary).toBe("1 live call");
    expect(live.columns).toEqual(["Session", "DID", "Bot", "State", "Duration", "Latest line", "Agent", "Added latency"]);
    expect(live.rows[0]).toMatchObject({ sessionId: "live-1", href: "/console/calls/live-1" });
    expect(live.rows[0].cells.slice(0, 4)).toEqual(["live-1", "8040007755", "default", "live"]);
    expect(live.rows[0].cells[5]).toBe("Agent: Namaste, how can I help?");

    call.hangup();
    await call.closed;
    await until(() => h.manager.activeCount === 0, 5000, "the call to end");
    await clock.advance(500);
    expect((await next()).data.summary).toBe("No live calls");

    await get(h, "/console/sign-out", { cookie });
    await clock.advance(500);
    expect((await next()).event).toBe("signed-out");
  });

  test("GET /calls/{id}/recording: 401 without a token or session, the WAV with either, Range seeks (206), 416 past the end, 404 without one", async () => {
    const recording = h.recordings.open("rec-1", undefined)!;
    play(recording, [...callerFrames(0, 1000), ...agentBurst(200, 500)]);
    recording.close(1000);
    await h.recordings.whenIdle();
    const size = 44 + 1000 * 32;

    const anonymous = await get(h, "/calls/rec-1/recording");
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: expect.stringContaining("Authorization: Bearer") });
    expect((await get(h, "/calls/rec-1/recording", { authorization: "Bearer wrong-token-0000000000" })).status).toBe(401);

    const whole = await get(h, "/calls/rec-1/recording", { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("audio/wav");
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.headers.get("cache-control")).toBe("private, no-store");
    const bytes = new Uint8Array(await whole.arrayBuffer());
    expect(bytes.length).toBe(size);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe("RIFF");

    const cookie = await signIn(h.url);
    const seek = await get(h, "/calls/rec-1/recording", { cookie, range: "bytes=16044-" });
    expect(seek.status).toBe(206);
    expect(seek.headers.get("content-range")).toBe(`bytes 16044-${size - 1}/${size}`);
    expect(new Uint8Array(await seek.arrayBuffer())).toEqual(bytes.subarray(16044));
    const head = await get(h, "/calls/rec-1/recording", { cookie, range: "bytes=0-99" });
    expect(head.status).toBe(206);
    expect(new Uint8Array(await head.arrayBuffer())).toEqual(bytes.subarray(0, 100));
    const tail = await get(h, "/calls/rec-1/recording", { cookie, range: "bytes=-4" });
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(bytes.subarray(size - 4));
    const past = await get(h, "/calls/rec-1/recording", { cookie, range: `bytes=${size}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe(`bytes */${size}`);
    expect((await get(h, "/calls/no-such/recording", { cookie })).status).toBe(404);
  });

  test("a recording cut short by a crash is served with a header that declares every frame in it", async () => {
    const stale = new Uint8Array(44 + 3000 * 32);
    stale.set(stereoWavHeader(1000 * 32, 8000)); // last patched at one second, three seconds on disk
    writeFileSync(join(h.recordingsDir, "crashed-1.wav"), stale);
    const res = await get(h, "/calls/crashed-1/recording", { authorization: `Bearer ${ADMIN_TOKEN}` });
    const view = new DataView(await res.arrayBuffer());
    expect(view.getUint32(40, true)).toBe(3000 * 32);
    expect(view.getUint32(4, true)).toBe(36 + 3000 * 32);
  });
});

