/** The bridge benchmark's child processes (every one killed at the end, also on error or Ctrl-C) and what /proc says about them. */
import { readFileSync } from "node:fs";
import type { Subprocess } from "bun";

const CLOCK_TICKS_PER_SECOND = 100; // /proc/<pid>/stat utime and stime unit (getconf CLK_TCK)
/** Before a run, wait for a second in which other processes use less than this (% of one core)… */
const QUIET_PERCENT = 15;
/** …but no longer than this. */
const QUIET_WAIT_MS = 60_000;

const children = new Set<Subprocess>();

/** Starts a child with a minimal environment (plus `env`), stdout piped, stderr to the file `log`. */
export function spawn(cmd: string[], options: { cwd: string; env: Record<string, string>; log: string; stdin?: "pipe" }): Subprocess<"pipe" | "ignore", "pipe", "inherit"> {
  const child = Bun.spawn(cmd, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env },
    stdin: options.stdin ?? "ignore",
    stdout: "pipe",
    stderr: Bun.file(options.log),
  }) as unknown as Subprocess<"pipe" | "ignore", "pipe", "inherit">;
  children.add(child);
  void child.exited.then(() => children.delete(child));
  return child;
}
/** SIGKILL to every child still running. */
export function killAll(): void {
  for (const child of children) child.kill("SIGKILL");
}
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Sends SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function stop(child: Subprocess, graceMs = 5000): Promise<void> {
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** One line to a child's stdin. */
export function tell(child: Subprocess<"pipe" | "ignore", "pipe", "inherit">, line: string): void {
  const stdin = child.stdin as import("bun").FileSink;
  stdin.write(`${line}\n`);
  stdin.flush();
}

/** User and system CPU time of a process, all its threads (utime, stime of /proc/<pid>/stat). */
export function cpuTimesMs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: (Number(fields[11]) * 1000) / CLOCK_TICKS_PER_SECOND, system: (Number(fields[12]) * 1000) / CLOCK_TICKS_PER_SECOND };
}

export function cpuMsOf(pid: number): number {
  const { user, system } = cpuTimesMs(pid);
  return user + system;
}

/** CPU time every process on the machine has used (all cores), from /proc/stat. */
export function machineBusyMs(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number);
  return ((user! + nice! + system! + irq! + softirq! + steal!) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * The machine is shared: waits (at most QUIET_WAIT_MS) for a second in which other processes use
 * under QUIET_PERCENT of one core, and returns what they used in the last second measured.
 */
export async function waitForQuiet(): Promise<number> {
  const deadline = performance.now() + QUIET_WAIT_MS;
  for (;;) {
    const busyBegin = machineBusyMs() - cpuMsOf(process.pid);
    await Bun.sleep(1000);
    const percent = (machineBusyMs() - cpuMsOf(process.pid) - busyBegin) / 10;
    if (percent < QUIET_PERCENT || performance.now() > deadline) return Math.max(0, percent);
  }
}

/** VmRSS or VmHWM of a process, KiB. */
export function statusKiB(pid: number, key: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) : Number.NaN;
}

/** VmRSS once it has stopped growing (start-up loads modules lazily): 1 s without moving by 1 MiB, at most 10 s. */
export async function settledRssKiB(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 40; i++) {
    samples.push(statusKiB(pid, "VmRSS"));
    const recent = samples.slice(-5);
    if (recent.length === 5 && Math.max(...recent) - Math.min(...recent) < 1024) break;
    await Bun.sleep(250);
  }
  return samples[samples.length - 1]!;
}

/**
 * A port free right now on 127.0.0.1, for a gateway's PORT: Homebook announces the port PORT=0
 * picked only in its "listening" line, which LOG_LEVEL=warn leaves out.
 */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

