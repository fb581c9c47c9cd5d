/** Event-loop delay: one timer per process measures how late it runs; each reader (metrics, /health/performance) keeps its own window. */
import { systemClock, type Clock, type Timer } from "../base/clock.ts";

/** Delays are counted in logarithmic buckets from 10 µs, each 8 % wider than the last (percentiles within 8 %); bucket 0 holds exact zeros. */
const SMALLEST_US = 10;
const GROWTH = 1.08;
const BUCKETS = 200; // up to ~4,800 s: wider than any delay worth telling apart
const LOG_GROWTH = Math.log(GROWTH);

function bucketOf(delayMs: number): number {
  const us = delayMs * 1000;
  if (us <= 0) return 0;
  if (us <= SMALLEST_US) return 1;
  return Math.min(BUCKETS - 1, 1 + Math.ceil(Math.log(us / SMALLEST_US) / LOG_GROWTH));
}

function bucketUpperMs(index: number): number {
  return index === 0 ? 0 : (SMALLEST_US * GROWTH ** (index - 1)) / 1000;
}

/** Delay figures of one window, in milliseconds (all 0 when nothing was measured). */
export interface LoopDelay {
  count: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
  stddevMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

/** One reader's window: what the monitor measured since this reader last read. */
export class LoopDelayWindow {
  private readonly counts = new Float64Array(BUCKETS);
  private count = 0;
  private sumMs = 0;
  private sumSquaresMs = 0;
  private minMs = Number.POSITIVE_INFINITY;
  private maxMs = 0;

  constructor(private readonly release: (window: LoopDelayWindow) => void) {}

  /** Adds one measured delay (called by the monitor). */
  add(delayMs: number): void {
    this.counts[bucketOf(delayMs)]! += 1;
    this.count += 1;
    this.sumMs += delayMs;
    this.sumSquaresMs += delayMs * delayMs;
    if (delayMs < this.minMs) this.minMs = delayMs;
    if (delayMs > this.maxMs) this.maxMs = delayMs;
  }

  /** The bucket bound below which `q` (0..1) of the delays fall, kept within the measured min and max. */
  private percentileMs(q: number): number {
    const wanted = q * this.count;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= wanted) return Math.min(this.maxMs, Math.max(this.minMs, bucketUpperMs(i)));
    }
    return this.maxMs;
  }

  /** The figures since the last read, then starts a new window. */
  read(): LoopDelay {
    const n = this.count;
    const meanMs = n ? this.sumMs / n : 0;
    const figures: LoopDelay = n
      ? {
          count: n,
          minMs: this.minMs,
          maxMs: this.maxMs,
          meanMs,
          stddevMs: Math.sqrt(Math.max(0, this.sumSquaresMs / n - meanMs * meanMs)),
          p50Ms: this.percentileMs(0.5),
          p90Ms: this.percentileMs(0.9),
          p99Ms: this.percentileMs(0.99),
        }
      : { count: 0, minMs: 0, maxMs: 0, meanMs: 0, stddevMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0 };
    this.counts.fill(0);
    this.count = 0;
    this.sumMs = 0;
    this.sumSquaresMs = 0;
    this.minMs = Number.POSITIVE_INFINITY;
    this.maxMs = 0;
    return figures;
  }

  /** Stops feeding this window; the monitor's timer stops with its last window. */
  close(): void {
    this.release(this);
  }
}

export interface EventLoopMonitorOptions {
  clock?: Clock;
  /** How often the loop is sampled: one timer of this period while any window is open. */
  resolutionMs?: number;
}

/**
 * Arms a timer every `resolutionMs` and records how much later than due it ran: the time the loop was busy.
 * The timer runs only while a window is open, and never keeps the process alive.
 */
export class EventLoopMonitor {
  private readonly clock: Clock;
  private readonly resolutionMs: number;
  private readonly windows = new Set<LoopDelayWindow>();
  private timer: Timer | undefined;
  private dueAt = 0;
  /** The most recent delay measured (0 before the first). */
  lastDelayMs = 0;

  constructor({ clock = systemClock, resolutionMs = 20 }: EventLoopMonitorOptions = {}) {
    this.clock = clock;
    this.resolutionMs = resolutionMs;
  }

  /** A new window of delays, fed from now on. */
  openWindow(): LoopDelayWindow {
    const window = new LoopDelayWindow((w) => this.closeWindow(w));
    this.windows.add(window);
    if (this.timer === undefined) this.arm();
    return window;
  }

  private closeWindow(window: LoopDelayWindow): void {
    this.windows.delete(window);
    if (this.windows.size > 0) return;
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.dueAt = this.clock.now() + this.resolutionMs;
    this.timer = this.clock.setTimer(() => this.tick(), this.resolutionMs);
    // A real timer (Bun's Timeout) must not hold a finished process open: the monitor only watches.
    (this.timer as unknown as { unref?: () => void }).unref?.();
  }

  private tick(): void {
    const delayMs = Math.max(0, this.clock.now() - this.dueAt);
    this.lastDelayMs = delayMs;
    for (const window of this.windows) window.add(delayMs);
    this.arm();
  }
}

/** The process's one monitor, shared by /metrics and /health/performance. */
export const eventLoop = new EventLoopMonitor();
