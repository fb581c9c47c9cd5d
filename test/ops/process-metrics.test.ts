/** Process metrics and the event-loop monitor: what an operator reads in /metrics and /health/performance. */
import { describe, expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import type { Clock } from "../../src/base/clock.ts";
import { EventLoopMonitor } from "../../src/metrics/event-loop-monitor.ts";
import { collectProcessMetrics } from "../../src/metrics/process-metrics.ts";
import { Registry } from "../../src/metrics/registry.ts";
import { TestClock } from "../helpers/test-clock.ts";

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * A TestClock whose reading can run ahead of its timers: `holdUpMs(30)` makes the next timer find the
 * time 30 ms past its due instant, as when the event loop was busy for that long.
 */
function busyLoopClock() {
  const clock = new TestClock();
  let extraMs = 0;
  const view: Clock = {
    now: () => clock.now() + extraMs,
    epochMs: () => clock.epochMs() + extraMs,
    setTimer: (fn, ms) => clock.setTimer(fn, ms),
    clearTimer: (timer) => clock.clearTimer(timer),
  };
  return { clock, view, holdUpMs: (ms: number) => (extraMs += ms) };
}

describe("event-loop monitor", () => {
  test("a timer held up 30 ms shows in max and p99; each window reads its own span and starts over", async () => {
    const { clock, view, holdUpMs } = busyLoopClock();
    const monitor = new EventLoopMonitor({ clock: view, resolutionMs: 20 });
    const metricsWindow = monitor.openWindow();
    const healthWindow = monitor.openWindow();

    await clock.advance(20 * 98); // 98 on time
    holdUpMs(30);
    await clock.advance(20); // one 30 ms late
    holdUpMs(30);
    await clock.advance(20); // and another

    const first = metricsWindow.read();
    expect(first.count).toBe(100);
    expect(first.minMs).toBe(0);
    expect(first.maxMs).toBe(30);
    expect(first.p50Ms).toBe(0);
    expect(first.p99Ms).toBeGreaterThan(27);
    expect(first.p99Ms).toBeLessThanOrEqual(30);
    expect(first.meanMs).toBeCloseTo(0.6, 6);
    expect(monitor.lastDelayMs).toBe(30);

    await clock.advance(20 * 10);
    const second = metricsWindow.read();
    expect(second.count).toBe(10);
    expect(second.maxMs).toBe(0);
    expect(healthWindow.read().count).toBe(110); // the other reader's span was not cut by the first

    metricsWindow.close();
    expect(clock.pending).toBe(1);
    healthWindow.close();
    expect(clock.pending).toBe(0); // no window, no timer
  });

  test("a window that measured nothing reads zeros", () => {
    const monitor = new EventLoopMonitor({ clock: new TestClock() });
    const window = monitor.openWindow();
    expect(window.read()).toEqual({ count: 0, minMs: 0, maxMs: 0, meanMs: 0, stddevMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0 });
    window.close();
  });
});

describe("process metrics", () => {
  test("CPU, memory, descriptors and start time are read at each scrape", () => {
    const registry = new Registry();
    const monitor = new EventLoopMonitor({ clock: new TestClock() });
    collectProcessMetrics({ registry, monitor });
    collectProcessMetrics({ registry, monitor }); // once per registry: no duplicate-name error

    const before = registry.render();
    for (const type of ["counter process_cpu_user_seconds_total", "counter process_cpu_system_seconds_total", "gauge process_max_fds", "gauge process_heap_bytes"]) {
      const [kind, name] = type.split(" ");
      expect(before).toContain(`# TYPE homebook_${name} ${kind}\n`);
    }
    const rssBytes = sample(before, "homebook_process_resident_memory_bytes")!;
    expect(rssBytes).toBeGreaterThan(16 * 1024 * 1024);
    expect(Math.abs(rssBytes - process.memoryUsage().rss)).toBeLessThan(64 * 1024 * 1024);
    const startS = sample(before, "homebook_process_start_time_seconds")!;
    expect(startS).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    expect(startS).toBeGreaterThan(Date.now() / 1000 - process.uptime() - 2);

    const file = openSync(join(tmpdir(), `homebook-fd-${process.pid}`), "w");
    let spin = 0;
    for (let i = 0; i < 3_000_000; i++) spin += Math.sqrt(i); // some CPU between the two scrapes
    const opened = registry.render();
    closeSync(file);
    const closed = registry.render();
    expect(spin).toBeGreaterThan(0);
    expect(sample(opened, "homebook_process_open_fds")).toBe(sample(before, "homebook_process_open_fds")! + 1);
    expect(sample(closed, "homebook_process_open_fds")).toBe(sample(before, "homebook_process_open_fds")!);
    expect(sample(opened, "homebook_process_cpu_seconds_total")!).toBeGreaterThan(sample(before, "homebook_process_cpu_seconds_total")!);
  });

  test("event-loop delay covers the time since the previous scrape", async () => {
    const { clock, view, holdUpMs } = busyLoopClock();
    const registry = new Registry();
    collectProcessMetrics({ registry, monitor: new EventLoopMonitor({ clock: view, resolutionMs: 20 }) });
    await clock.advance(200);
    holdUpMs(45);
    await clock.advance(20);
    const busy = registry.render();
    expect(sample(busy, "homebook_nodejs_eventloop_lag_max_seconds")).toBe(0.045);
    expect(sample(busy, "homebook_nodejs_eventloop_lag_min_seconds")).toBe(0);
    expect(sample(busy, "homebook_nodejs_eventloop_lag_seconds")).toBe(0.045);
    await clock.advance(200);
    const calm = registry.render();
    expect(sample(calm, "homebook_nodejs_eventloop_lag_max_seconds")).toBe(0);
    expect(sample(calm, "homebook_nodejs_eventloop_lag_p99_seconds")).toBe(0);
  });
});
