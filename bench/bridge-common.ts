/** Helpers shared by the bridge benchmark's processes: one clock for all of them, percentiles, tick lateness, line reading. */

/**
 * Epoch milliseconds with sub-millisecond resolution. Every benchmark process stamps with this
 * clock, so a time taken in the load generator compares with one taken in the agent (they agree
 * within about 20 µs on one machine; `performance.now()` alone starts at each process's birth).
 */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export interface Spread {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** p50/p99/max of `samples` (sorted in place); NaN for an empty set. */
export function spread(samples: number[] | Float64Array): Spread {
  const s = samples instanceof Float64Array ? samples.sort() : Float64Array.from(samples).sort();
  const at = (p: number) => (s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!);
  return { n: s.length, p50: at(50), p99: at(99), max: s.length === 0 ? Number.NaN : s[s.length - 1]! };
}

/** Agent-format bytes per μ-law byte: 1 for ulaw_8000, 4 for pcm_16000 (16-bit samples at twice the rate). */
export function bytesPerMulawByte(format: string): number {
  const match = /^(pcm|ulaw)_(\d+)$/.exec(format);
  if (!match) throw new Error(`unknown agent audio format "${format}": use ulaw_8000 or pcm_<rate>`);
  return match[1] === "ulaw" ? Number(match[2]) / 8000 : (2 * Number(match[2])) / 8000;
}

/**
 * Records how late a periodic tick fires against its schedule (not against the previous tick, so
 * lateness never hides in drift). `every(periodMs, fn)` runs `fn(tick)` until `stop()`.
 */
export class TickClock {
  readonly lateMs: number[] = [];
  /** The first 100 recorded ticks that were 5 ms late or more: [when (nowMs), how late (ms)]. */
  readonly lateTicks: [number, number][] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** Only ticks while this is true are recorded (the measured window). */
  recording = false;

  every(periodMs: number, fn: (tick: number) => void): void {
    const startMs = nowMs();
    let tick = 0;
    const run = () => {
      if (this.stopped) return;
      const dueMs = startMs + tick * periodMs;
      if (this.recording) {
        const lateMs = Math.max(0, nowMs() - dueMs);
        this.lateMs.push(lateMs);
        if (lateMs >= 5 && this.lateTicks.length < 100) this.lateTicks.push([dueMs, lateMs]);
      }
      fn(tick);
      tick++;
      this.timer = setTimeout(run, Math.max(0, startMs + tick * periodMs - nowMs()));
    };
    this.timer = setTimeout(run, periodMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

/** Lines of a child's stdout, as they come. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
    }
  }
}

/** Resolves with the first line of `lines` that starts with `prefix` (the rest of it), or rejects after `timeoutMs`. */
export async function lineStartingWith(lines: AsyncGenerator<string>, prefix: string, timeoutMs: number, who: string): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${who}: no "${prefix}" line within ${timeoutMs} ms`)), timeoutMs);
  });
  const found = (async () => {
    for (let line = await lines.next(); !line.done; line = await lines.next()) {
      if (line.value.startsWith(prefix)) return line.value.slice(prefix.length).trim();
    }
    throw new Error(`${who}: exited before printing "${prefix}"`);
  })();
  try {
    return await Promise.race([found, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
