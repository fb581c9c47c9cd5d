/** Process and host readings for /health/performance: CPU, memory, disk, event-loop delay. */
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { statfsSync } from "node:fs";
import { eventLoop, type EventLoopMonitor, type LoopDelayWindow } from "../metrics/event-loop-monitor.ts";

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

export interface PerformanceMonitor {
  snapshot(): Record<string, unknown>;
  stop(): void;
}

/** Opens a window on the process's event-loop monitor; `snapshot()` reports CPU and loop delay since the previous snapshot. */
export function startPerformanceMonitor(diskPath = ".", monitor: EventLoopMonitor = eventLoop): PerformanceMonitor {
  let loop: LoopDelayWindow | undefined = monitor.openWindow();
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();

  return {
    snapshot() {
      const now = performance.now();
      const cpu = process.cpuUsage(lastCpu);
      const elapsedMicros = Math.max(1, (now - lastAt) * 1000);
      lastCpu = process.cpuUsage();
      lastAt = now;
      const mem = process.memoryUsage();
      let disk: Record<string, unknown>;
      try {
        const fs = statfsSync(diskPath);
        const total = fs.blocks * fs.bsize;
        const free = fs.bavail * fs.bsize;
        disk = { path: diskPath, total_mb: mb(total), free_mb: mb(free), used_percent: round(((total - free) / total) * 100, 1) };
      } catch (err) {
        disk = { path: diskPath, error: (err as Error).message };
      }
      const delay = loop?.read();
      const eventLoopDelay = delay ? { mean_ms: round(delay.meanMs, 3), p99_ms: round(delay.p99Ms, 3), max_ms: round(delay.maxMs, 3) } : {};
      return {
        cpu: {
          process_percent: round(((cpu.user + cpu.system) / elapsedMicros) * 100, 1),
          cores: cpus().length,
          load_average: loadavg().map((v) => round(v)),
        },
        memory: {
          rss_mb: mb(mem.rss),
          heap_used_mb: mb(mem.heapUsed),
          heap_total_mb: mb(mem.heapTotal),
          system_total_mb: mb(totalmem()),
          system_free_mb: mb(freemem()),
        },
        disk,
        event_loop_delay: eventLoopDelay,
      };
    },
    stop() {
      loop?.close();
      loop = undefined;
    },
  };
}
