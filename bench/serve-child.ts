/** Starts `homebook serve` as a child process on a free loopback port and waits for its first /health 200. */

/** A running gateway child and how long it took to answer /health. */
export interface ServeChild {
  readonly pid: number;
  readonly port: number;
  /** Spawn to first /health 200. */
  readonly healthyAfterMs: number;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

export interface ServeChildOptions {
  /** The command, e.g. `["dist/homebook", "serve"]`. */
  cmd: string[];
  /** Working directory (its data/ and logs/ are the gateway's). */
  cwd: string;
  /** Settings on top of PORT, HOST and LOG_LEVEL. */
  env?: Record<string, string>;
  /** Longest wait for /health. */
  healthTimeoutMs?: number;
}

/** A loopback port free a moment ago (the kernel's pick), so runs do not collide with other servers on the machine. */
function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** Spawns the gateway and polls /health every millisecond until it answers 200 (or fails after `healthTimeoutMs`). */
export async function startServeChild({ cmd, cwd, env = {}, healthTimeoutMs = 10_000 }: ServeChildOptions): Promise<ServeChild> {
  const port = freePort();
  const started = performance.now();
  const child = Bun.spawn(cmd, {
    cwd,
    env: { PATH: process.env.PATH ?? "", PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
    stdout: "ignore",
    stderr: "ignore",
  });
  const stop = async () => {
    child.kill("SIGTERM");
    await child.exited;
  };
  while (performance.now() - started < healthTimeoutMs) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false);
    if (ok) return { pid: child.pid, port, healthyAfterMs: performance.now() - started, stop };
    if (child.exitCode !== null) break;
    await Bun.sleep(1);
  }
  await stop();
  throw new Error(`${cmd.join(" ")} never answered /health 200 (exit ${child.exitCode})`);
}

/** A process's resident set (VmRSS) in MiB, from /proc. */
export async function residentMiB(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}

/** min / median / p90 / max of a sample, for one printed line. */
export function summarize(samples: number[]): { min: number; median: number; p90: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { min: sorted[0]!, median: pick(0.5), p90: pick(0.9), max: sorted.at(-1)! };
}
