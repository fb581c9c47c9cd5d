/**
 * Console first render on loopback: each page loaded RUNS times in Debian's chromium against a
 * gateway holding CALLS stored calls (SQLite) and one live call. Prints the server's render time
 * (Server-Timing), the time to the last byte, DOMContentLoaded and first contentful paint.
 */
import { join } from "node:path";
import { chromium } from "playwright-core";
import { loadConfig } from "../src/config/index.ts";
import { createLogger } from "../src/log/logger.ts";
import { startService } from "../src/service.ts";
import { startMcubeCall } from "../src/sim/mcube-call.ts";
import { tempDir } from "../test/helpers/env.ts";
import { finishedCall } from "../test/console/harness.ts";

const RUNS = Number(process.env.RUNS ?? 15);
const CALLS = Number(process.env.CALLS ?? 5000);
const TOKEN = "bench-console-token-0123456789";

const dir = tempDir("homebook-bench-console-");
const config = loadConfig({
  HOST: "127.0.0.1",
  PORT: "0",
  ADMIN_TOKEN: TOKEN,
  HOMEBOOK_DB_PATH: join(dir, "homebook.db"),
  OUTBOX_PATH: join(dir, "outbox.jsonl"),
  LOG_FILE: join(dir, "voicebot.log"),
  RECORDINGS_PATH: join(dir, "recordings"),
});
const service = await startService({ config, logger: createLogger({ level: "error", stdout: "none" }) });
for (let n = 0; n < CALLS; n++) {
  const { record, transcript } = finishedCall(n % 1400, { sessionId: `bench-${n}`, did: `80400${String(n % 100_000).padStart(5, "0")}`, endedAt: Date.now() - (n % 1400) * 60_000 - n });
  service.records.write(record, transcript);
}
await service.records.flush();
const call = await startMcubeCall({ url: `${service.gateway.url.replace("http", "ws")}/ws/bench-live`, upgradeHeaders: { "X-DID": "8040001234" } });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
});
const page = await browser.newPage();
await page.goto(`${service.gateway.url}/console`);
await page.getByLabel("Admin token").fill(TOKEN);
await page.keyboard.press("Enter");
await page.waitForSelector("#live-calls");

const PAGES: [string, string][] = [
  ["baseline", "/health"], // a page with no console code: what the browser itself costs
  ["live", "/console"],
  ["history", "/console/history"],
  ["history search", "/console/history?q=1234"],
  ["call", "/console/calls/bench-7"],
  ["overview", "/console/overview"],
];

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  return `median ${at(0.5).padStart(6)}  p90 ${at(0.9).padStart(6)}`;
}

console.log(`console pages, ${RUNS} loads each, ${CALLS} stored calls, 1 live call (ms from navigation start)`);
for (const [name, path] of PAGES) {
  const server: number[] = [];
  const lastByte: number[] = [];
  const ready: number[] = [];
  const paint: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const response = await page.goto(`${service.gateway.url}${path}`);
    server.push(Number(/dur=([\d.]+)/.exec(response?.headers()["server-timing"] ?? "")?.[1] ?? Number.NaN));
    const t = await page.evaluate(
      () =>
        new Promise<{ lastByte: number; ready: number; paint: number }>((resolve) => {
          const nav = (performance as any).getEntriesByType("navigation")[0];
          const done = (fcp: number) => resolve({ lastByte: nav.responseEnd, ready: nav.domContentLoadedEventEnd, paint: fcp });
          const seen = (performance as any).getEntriesByName("first-contentful-paint")[0];
          if (seen) return done(seen.startTime);
          new (globalThis as any).PerformanceObserver((list: any) => done(list.getEntries()[0].startTime)).observe({ type: "paint", buffered: true });
          setTimeout(() => done(Number.NaN), 1000);
        }),
    );
    lastByte.push(t.lastByte);
    ready.push(t.ready);
    paint.push(t.paint);
  }
  console.log(`${name.padEnd(15)} server render ${stats(server)} | last byte ${stats(lastByte)} | DOM ready ${stats(ready)} | first paint ${stats(paint)}`);
}

call.hangup();
await call.closed;
await browser.close();
await service.stop();
