/** Process metrics for /metrics: CPU, memory, file descriptors, start time (`homebook_process_*`) and event-loop delay (`homebook_nodejs_*`). */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { Counter, Gauge, metrics, type Registry } from "./registry.ts";
import { eventLoop, type EventLoopMonitor, type LoopDelay } from "./event-loop-monitor.ts";

const PREFIX = "homebook_";
/** Epoch seconds at which this process started. */
const START_TIME_S = (Date.now() - performance.now()) / 1000;

/** VmRSS, VmSize and VmData from /proc/self/status, in bytes (undefined off Linux). */
function procMemory(): { rss: number; virtual: number; heap: number } | undefined {
  let status: string;
  try {
    status = readFileSync("/proc/self/status", "utf8");
  } catch {
    return undefined;
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib("VmRSS"), virtual: kib("VmSize"), heap: kib("VmData") };
}

/** The soft limit on open files, from /proc/self/limits (undefined when unknown or unlimited). */
function maxOpenFiles(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

const collected = new WeakSet<Registry>();

/**
 * Declares the process metrics in `registry` (once per registry), read at each scrape. The event-loop
 * figures cover the time since the previous scrape, from the process's one event-loop monitor.
 */
export function collectProcessMetrics({ registry = metrics, monitor = eventLoop }: { registry?: Registry; monitor?: EventLoopMonitor } = {}): void {
  if (collected.has(registry)) return;
  collected.add(registry);
  const counter = (name: string, help: string, read: () => number) => new Counter({ name: PREFIX + name, help, registry }).collect(read);
  const gauge = (name: string, help: string, read: () => number) => new Gauge({ name: PREFIX + name, help, registry }).collect(read);

  let cpu = process.cpuUsage();
  let memory = procMemory();
  let heap = process.memoryUsage();
  const window = monitor.openWindow();
  let loop: LoopDelay = window.read();
  registry.onCollect(() => {
    cpu = process.cpuUsage();
    memory = procMemory();
    heap = process.memoryUsage();
    loop = window.read();
  });

  counter("process_cpu_user_seconds_total", "Total user CPU time spent in seconds.", () => cpu.user / 1e6);
  counter("process_cpu_system_seconds_total", "Total system CPU time spent in seconds.", () => cpu.system / 1e6);
  counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", () => (cpu.user + cpu.system) / 1e6);
  gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", () => Math.round(START_TIME_S));
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", () => memory?.rss ?? heap.rss);
  if (memory) {
    gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", () => memory?.virtual ?? 0);
    gauge("process_heap_bytes", "Process heap size in bytes.", () => memory?.heap ?? 0);
  }
  if (existsSync("/proc/self/fd")) {
    // The listing opens the directory itself: one descriptor fewer is open outside the count.
    gauge("process_open_fds", "Number of open file descriptors.", () => readdirSync("/proc/self/fd").length - 1);
    const maxFds = maxOpenFiles();
    if (maxFds !== undefined) gauge("process_max_fds", "Maximum number of open file descriptors.", () => maxFds);
  }
  gauge("nodejs_eventloop_lag_seconds", "Lag of event loop in seconds (the latest measurement).", () => monitor.lastDelayMs / 1000);
  gauge("nodejs_eventloop_lag_min_seconds", "The minimum recorded event loop delay.", () => loop.minMs / 1000);
  gauge("nodejs_eventloop_lag_max_seconds", "The maximum recorded event loop delay.", () => loop.maxMs / 1000);
  gauge("nodejs_eventloop_lag_mean_seconds", "The mean of the recorded event loop delays.", () => loop.meanMs / 1000);
  gauge("nodejs_eventloop_lag_stddev_seconds", "The standard deviation of the recorded event loop delays.", () => loop.stddevMs / 1000);
  gauge("nodejs_eventloop_lag_p50_seconds", "The 50th percentile of the recorded event loop delays.", () => loop.p50Ms / 1000);
  gauge("nodejs_eventloop_lag_p90_seconds", "The 90th percentile of the recorded event loop delays.", () => loop.p90Ms / 1000);
  gauge("nodejs_eventloop_lag_p99_seconds", "The 99th percentile of the recorded event loop delays.", () => loop.p99Ms / 1000);
  gauge("nodejs_heap_size_total_bytes", "Process heap size from Node.js in bytes.", () => heap.heapTotal);
  gauge("nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes.", () => heap.heapUsed);
  gauge("nodejs_external_memory_bytes", "Node.js external memory size in bytes.", () => heap.external);
}
