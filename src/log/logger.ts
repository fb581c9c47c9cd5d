/**
 * Structured JSON-lines logger: stdout (readable on a terminal) and a size-rotated file, with PII rules.
 *
 * Why not pino: inside `bun build --compile` pino's core works, but its transports (pino-pretty,
 * pino-roll) run in worker threads and fail to load ("unable to determine transport target"), so
 * rotation, terminal output and masking would be ours anyway and pino would only serialize.
 */
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { redactFields, type Fields } from "./redact.ts";
import type { LogLevel } from "../config/index.ts";

export type { Fields } from "./redact.ts";

export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger whose every line carries `fields` (e.g. session_id and call_id). */
  child(fields: Fields): Logger;
  isLevelEnabled(level: LogLevel): boolean;
}

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level?: LogLevel;
  /** Log file path; rotation by size when maxBytes > 0. Omit for no file. */
  file?: string;
  maxBytes?: number;
  /** Rotated files kept beside the live one (file.1 … file.N). */
  files?: number;
  /** "json" lines, "pretty" one-liners, or "none". Default: pretty on a terminal, else json. */
  stdout?: "json" | "pretty" | "none";
  /** Extra destination for each JSON line (tests). */
  sink?: (line: string) => void;
}

class RotatingFile {
  private fd: number | undefined;
  private size = 0;

  constructor(private readonly path: string, private readonly maxBytes: number, private readonly keep: number) {
    this.open();
  }

  private open(): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, "a");
      this.size = fstatSync(this.fd).size;
    } catch (err) {
      this.fd = undefined;
      process.stderr.write(
        `homebook: cannot open LOG_FILE ${this.path}: ${(err as Error).message}; logging to stdout only (set LOG_FILE to a writable path)\n`,
      );
    }
  }

  write(line: string): void {
    if (this.fd === undefined) return;
    const bytes = Buffer.byteLength(line);
    if (this.maxBytes > 0 && this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, line);
      this.size += bytes;
    } catch {
      // A full disk must not take calls down; the line still went to stdout.
    }
  }

  private rotate(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      } catch {
        // that generation does not exist yet
      }
    }
    try {
      renameSync(this.path, `${this.path}.1`);
    } catch {
      // already moved by another process
    }
    this.open();
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function pretty(level: LogLevel, time: string, msg: string, fields: Fields): string {
  // Strings with spaces, quotes, "=" or line breaks are quoted, so one entry always stays on one line.
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`);
  return `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}${parts.length ? ` ${parts.join(" ")}` : ""}\n`;
}

/** Creates the root logger. */
export function createLogger(options: LoggerOptions = {}): Logger & { close(): void } {
  const level = options.level ?? "info";
  const threshold = LEVEL_RANK[level];
  const debugEnabled = level === "debug";
  const stdoutMode = options.stdout ?? (process.stdout.isTTY ? "pretty" : "json");
  const file = options.file ? new RotatingFile(options.file, options.maxBytes ?? 0, options.files ?? 5) : undefined;

  const emit = (lineLevel: LogLevel, msg: string, bound: Fields, fields: Fields | undefined) => {
    if (LEVEL_RANK[lineLevel] < threshold) return;
    const time = new Date().toISOString();
    const clean = redactFields({ ...bound, ...fields }, lineLevel, debugEnabled);
    const json = `${JSON.stringify({ time, level: lineLevel, msg, ...clean })}\n`;
    if (stdoutMode === "json") process.stdout.write(json);
    else if (stdoutMode === "pretty") process.stdout.write(pretty(lineLevel, time, msg, clean));
    file?.write(json);
    options.sink?.(json);
  };

  const make = (bound: Fields): Logger => ({
    level,
    debug: (msg, fields) => emit("debug", msg, bound, fields),
    info: (msg, fields) => emit("info", msg, bound, fields),
    warn: (msg, fields) => emit("warn", msg, bound, fields),
    error: (msg, fields) => emit("error", msg, bound, fields),
    child: (fields) => make({ ...bound, ...fields }),
    isLevelEnabled: (l) => LEVEL_RANK[l] >= threshold,
  });

  return Object.assign(make({}), { close: () => file?.close() });
}

/** A logger that drops everything (tests and library use). */
export const silentLogger: Logger = createLogger({ level: "error", stdout: "none" });
