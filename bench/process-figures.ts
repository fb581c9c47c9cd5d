/** What another process holds, read from /proc (Linux): RSS, CPU time, file descriptors by kind, and its TCP sockets by state. */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { readTcpTable } from "../test/helpers/tcp-table.ts";

export interface ProcessFigures {
  rssKiB: number;
  /** Peak RSS since the process started. */
  rssPeakKiB: number;
  /** User + system CPU time, in ms. */
  cpuMs: number;
  /** Open file descriptors, by kind: socket, file, pipe, anon (eventfd, epoll, timerfd …). */
  fds: Record<string, number>;
  fdTotal: number;
  /** The process's own TCP sockets, by state (listen, established, close_wait …). */
  tcp: Record<string, number>;
}

function statusKiB(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

/** Counts by key. */
function tally(keys: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of keys) out[key] = (out[key] ?? 0) + 1;
  return out;
}

/** Reads the figures of process `pid` now. */
export function processFigures(pid: number): ProcessFigures {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) are space-separated: utime is the 14th, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticksPerSecond = 100;
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  const fds: Record<string, number> = {};
  const sockets: string[] = [];
  const entries = readdirSync(`/proc/${pid}/fd`);
  for (const fd of entries) {
    let target = "";
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while listing
    }
    const kind = target.startsWith("socket:") ? "socket" : target.startsWith("pipe:") ? "pipe" : target.startsWith("anon_inode:") ? "anon" : "file";
    fds[kind] = (fds[kind] ?? 0) + 1;
    if (kind === "socket") sockets.push(target.slice(8, -1));
  }
  const own = new Set(sockets);
  const tcp = tally(readTcpTable().filter((s) => own.has(s.inode)).map((s) => s.state));
  return { rssKiB: statusKiB(status, "VmRSS"), rssPeakKiB: statusKiB(status, "VmHWM"), cpuMs, fds, fdTotal: entries.length, tcp };
}

/** Connections in /proc/net/tcp* with `port` at either end, by state (TIME_WAIT ones belong to no process). */
export function connectionsOnPort(port: number): Record<string, number> {
  return tally(readTcpTable().filter((s) => s.localPort === port || s.remotePort === port).map((s) => s.state));
}
