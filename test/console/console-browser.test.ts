/**
 * The console in a real browser (Debian's chromium driven by playwright-core) against a real gateway
 * (startService with the offline echo agent): sign in, watch a simulated call live, find it in
 * History, play its recording, read a stored call's timeline, the Overview, sign out. Screenshots of
 * each page go to test-output/console/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { loadConfig } from "../../src/config/index.ts";
import { createLogger } from "../../src/log/logger.ts";
import { startService, type Service } from "../../src/service.ts";
import { startMcubeCall, type McubeCall } from "../../src/sim/mcube-call.ts";
import { toneMulaw } from "../../src/sim/tones.ts";
import { tempDir } from "../helpers/env.ts";
import { until } from "../helpers/wait.ts";
import { ADMIN_TOKEN, finishedCall } from "./harness.ts";

/** The page's document, inside callbacks that run in the browser (this project's tsc has no DOM types). */
declare const document: any;

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = join(import.meta.dir, "../../test-output/console");
/** A browser step includes page loads and a real-time call: generous, as the machine is shared. */
const STEP_TIMEOUT_MS = 30_000;

/** The browser, or why it cannot run here. */
async function launchChromium(): Promise<Browser | string> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is not installed`;
  try {
    return await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    });
  } catch (err) {
    return (err as Error).message.split("\n")[0]!;
  }
}

const launched = await launchChromium();
const browser = typeof launched === "string" ? undefined : launched;
if (!browser) console.warn(`[console-browser] chromium cannot run here (${launched}): browser tests skipped; install it with 'apt-get install -y chromium'`);

/** What the page's Navigation Timing says about its first render (printed, not asserted: the machine is shared; bench/console.ts measures). */
async function firstRender(page: Page, name: string): Promise<void> {
  const timing = await page.evaluate(() => {
    const nav = (performance as any).getEntriesByType("navigation")[0];
    return { response: nav.responseEnd - nav.requestStart, ready: nav.domContentLoadedEventEnd - nav.startTime };
  });
  renders.push(`${name}: response ${timing.response.toFixed(1)} ms, DOM ready ${timing.ready.toFixed(1)} ms`);
}
const renders: string[] = [];

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe.skipIf(!browser)("the console in chromium", () => {
  let service: Service;
  let page: Page;
  let call: McubeCall;
  const sessionId = "browser-call-1";

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const dir = tempDir("homebook-browser-");
    const config = loadConfig({
      HOST: "127.0.0.1",
      PORT: "0",
      ADMIN_TOKEN,
      RECORDING: "on",
      RECORDINGS_PATH: join(dir, "recordings"),
      HOMEBOOK_DB_PATH: join(dir, "homebook.db"),
      OUTBOX_PATH: join(dir, "outbox.jsonl"),
      LOG_FILE: join(dir, "voicebot.log"),
    });
    service = await startService({ config, logger: createLogger({ level: "warn", stdout: "none", file: config.log.file }) });
    const stored = finishedCall(3, { sessionId: "stored-with-timeline" });
    service.records.write(stored.record, stored.transcript);
    await service.records.flush();
    page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await page?.close();
    await browser?.close();
    await service?.stop();
    if (renders.length) console.log(`[console-browser] first render on loopback:\n  ${renders.join("\n  ")}`);
  });

  test("a wrong token stays on the sign-in page with a clear message; the right one, typed with the keyboard, opens Live", async () => {
    await page.goto(`${service.gateway.url}/console`);
    await firstRender(page, "sign-in");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("token"); // the field has focus
    await page.keyboard.type("wrong-token-0000000000");
    await Promise.all([page.waitForURL("**/console/sign-in"), page.keyboard.press("Enter")]);
    await expect(page.getByRole("alert").textContent()).resolves.toContain("not this gateway's ADMIN_TOKEN");
    expect(await page.getByLabel("Admin token").isVisible()).toBe(true);
    await shot(page, "1-sign-in-wrong-token");

    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await Promise.all([page.waitForURL(/\/console$/), page.keyboard.press("Enter")]);
    await firstRender(page, "live");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Live calls");
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === "homebook_console")).toMatchObject({ httpOnly: true, sameSite: "Strict" });
  }, STEP_TIMEOUT_MS);

  test("the keyboard reaches the skip link first, then Live, History, Overview and Sign out", async () => {
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    await page.reload();
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press("Tab");
      order.push((await page.evaluate(() => document.activeElement?.textContent ?? "")).trim());
    }
    expect(order).toEqual(["Skip to content", "Live", "History", "Overview", "Sign out"]);
  }, STEP_TIMEOUT_MS);

  test("a simulated call appears live within a second and its transcript grows without a reload", async () => {
    await page.goto(`${service.gateway.url}/console`);
    const navigations: string[] = [];
    page.on("framenavigated", (frame) => navigations.push(frame.url()));
    call = await startMcubeCall({
      url: `${service.gateway.url.replace("http", "ws")}/ws/${sessionId}`,
      callId: "mcube-browser-1",
      upgradeHeaders: { "X-DID": "+91 80 4000 7755", "X-CustNumber": "9876512345" },
    });
    const row = page.locator("#live-calls tbody tr", { hasText: sessionId });
    await row.waitFor({ timeout: 5000 });
    expect(await row.locator("td").nth(1).textContent()).toBe("8040007755");
    await until(async () => (await row.locator("td").nth(5).textContent())?.startsWith("Agent: Hello from Homebook"), 10_000, "the greeting's line");
    await shot(page, "2-live-call");

    // After the greeting, the caller speaks; the echo agent's lines follow on the open page.
    await until(() => call.heard.length >= 8 * 3700 && call.queuedMs === 0, 15_000, "the greeting played");
    call.say(toneMulaw(440, 1200));
    await until(async () => (await row.locator("td").nth(5).textContent())?.includes("Echo: playing back your 1.2 seconds"), 15_000, "the echo's line");
    expect(await page.locator("#live-count").textContent()).toBe("1 live call");
    await shot(page, "3-live-transcript-grew");
    expect(navigations).toEqual([]); // all of it without a reload
  }, STEP_TIMEOUT_MS);

  test("after the hang-up the call leaves Live and History finds it by the DID's last digits", async () => {
    call.hangup();
    await call.closed;
    await page.locator("#live-calls tbody", { hasText: "No live calls." }).waitFor({ timeout: 5000 });
    await service.records.flush();
    await service.recordings.whenIdle();

    await page.getByRole("link", { name: "History" }).click();
    await page.getByLabel("Search").fill("7755");
    await Promise.all([page.waitForURL(/q=7755/), page.getByLabel("Search").press("Enter")]);
    await firstRender(page, "history");
    const rows = page.locator("table tbody tr");
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator("td").nth(1).textContent()).toBe(sessionId);
    expect(await rows.first().locator("td").nth(7).textContent()).toBe("Yes");
    await shot(page, "4-history-search");
  }, STEP_TIMEOUT_MS);

  test("the call's page shows the transcript as a chat and plays its recording, which lasts as long as the call", async () => {
    await page.getByRole("link", { name: sessionId }).click();
    await firstRender(page, "call");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(`Call ${sessionId}`);
    const turns = page.locator("ol.chat li");
    expect(await turns.first().textContent()).toContain("Hello from Homebook");
    expect(await page.locator("ol.chat li.user").first().textContent()).toContain("(1.2 s of speech)");
    expect(await page.locator("dl.facts").textContent()).toContain("Caller hung up (caller_hangup)");

    const audio = page.locator("audio#recording");
    const duration = await audio.evaluate(
      (a: any) =>
        new Promise<number>((resolve, reject) => {
          if (a.readyState >= 1) return resolve(a.duration);
          a.addEventListener("loadedmetadata", () => resolve(a.duration));
          a.addEventListener("error", () => reject(new Error(`audio error ${a.error?.code}`)));
        }),
    );
    const file = (await service.recordings.find(sessionId))!;
    expect(duration).toBeCloseTo((file.bytes - 44) / 32_000, 2);
    const record = (await service.records.get(sessionId))!;
    expect(record.recorded).toBe(true);
    expect(Math.abs(duration * 1000 - record.durationMs)).toBeLessThan(500); // from Mcube's start rather than the socket's
    await audio.click(); // a user gesture, so the page may play audio
    await audio.evaluate((a: any) => a.play());
    await page.waitForFunction(() => document.querySelector("audio#recording").currentTime > 0.3, undefined, { timeout: 5000 });
    await shot(page, "5-call-detail");
  }, STEP_TIMEOUT_MS);

  test("a stored call's timeline reads in order, with its barge-in and tool call", async () => {
    await page.goto(`${service.gateway.url}/console/calls/stored-with-timeline`);
    const events = await page.locator("ol.timeline li").allTextContents();
    expect(events).toEqual([
      "+0.00 sCall started",
      "+0.64 sAgent connected",
      "+1.21 sFirst agent audio",
      "+15.40 sCaller barged in",
      "+30.10 sTool call · end_call",
      "+42.00 sCall ended · agent_end_call",
    ]);
    expect(await page.locator("text=This call was not recorded.").count()).toBe(1);
    await shot(page, "6-call-timeline");
  }, STEP_TIMEOUT_MS);

  test("Overview charts the day's calls and end reasons and the latency histograms", async () => {
    await page.getByRole("link", { name: "Overview" }).click();
    await firstRender(page, "overview");
    expect(await page.locator("#calls-per-minute-desc").textContent()).toBe("2 calls ended in the last 24 hours; the busiest minute had 1.");
    expect(await page.locator("#end-reasons-desc").textContent()).toContain("Caller hung up (caller_hangup): 1");
    expect(await page.locator("svg[aria-labelledby^='latency-uplink'] rect.bar").count()).toBeGreaterThan(0);
    expect(await page.locator("svg[aria-labelledby^='first-audio'] rect.bar").count()).toBeGreaterThan(0);
    await shot(page, "7-overview");
  }, STEP_TIMEOUT_MS);

  test("an open Overview (?refresh=1) takes in a call that ended meanwhile, without a reload", async () => {
    await page.goto(`${service.gateway.url}/console/overview?refresh=1`);
    const navigations: string[] = [];
    page.on("framenavigated", (frame) => navigations.push(frame.url()));
    const summary = page.locator("#calls-per-minute-desc");
    expect(await summary.textContent()).toBe("2 calls ended in the last 24 hours; the busiest minute had 1.");
    expect(await page.locator("#overview-updated").textContent()).toBe("Updates every 1 s while open.");
    const later = finishedCall(0, { sessionId: "ended-while-open", endReason: "transfer" });
    service.records.write(later.record, later.transcript);
    await service.records.flush();
    await until(async () => (await summary.textContent())?.startsWith("3 calls ended"), 10_000, "the open Overview to count the new call");
    expect(await page.locator("#end-reasons-desc").textContent()).toContain("Transferred (transfer): 1");
    expect(await page.locator("#overview-updated").textContent()).toMatch(/^Updated /);
    expect(navigations).toEqual([]);
  }, STEP_TIMEOUT_MS);

  test("Sign out returns to the sign-in form, and the pages and the recording are closed again", async () => {
    await Promise.all([page.waitForURL(/\/console$/), page.getByRole("link", { name: "Sign out" }).click()]);
    expect(await page.getByLabel("Admin token").isVisible()).toBe(true);
    await page.goto(`${service.gateway.url}/console/history`);
    expect(await page.getByLabel("Admin token").isVisible()).toBe(true);
    const recording = await page.request.get(`${service.gateway.url}/calls/${sessionId}/recording`);
    expect(recording.status()).toBe(401);
    await shot(page, "8-signed-out");
  }, STEP_TIMEOUT_MS);
});
