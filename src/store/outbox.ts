/** Append-only JSON-lines outbox: each append is fsynced, so what it accepted survives a crash. */
import { closeSync, existsSync, fstatSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, write, writeSync } from "node:fs";
import { dirname } from "node:path";

/** What a read of the outbox found: parsed entries, lines that are not JSON, and where the read stopped. */
export interface OutboxSnapshot<T> {
  entries: { value: T; line: string }[];
  /** Lines that did not parse (a torn write after a crash); they are kept aside, never dropped. */
  unreadable: string[];
  /** Byte offset just past the last complete line read. */
  endOffset: number;
}

export class Outbox<T> {
  private fd: number | undefined;
  /** Queued file work (appendAsync, replaceHeadAsync) runs one piece at a time, in order. */
  private chain: Promise<void> = Promise.resolve();

  /** `path` is created on first append; `rejectedPath` receives unreadable lines. */
  constructor(readonly path: string, readonly rejectedPath = `${path}.unreadable`) {}

  /** Appends entries as JSON lines in one write, then fsyncs. Throws when the disk refuses. */
  append(values: readonly T[]): void {
    if (values.length === 0) return;
    const text = values.map((v) => `${JSON.stringify(v)}\n`).join("");
    appendDurably(this.descriptor(), text);
  }

  /**
   * Like append(), without blocking the event loop: written and fsynced on the I/O thread pool, in
   * order with every other queued append and head replacement. Rejects when the disk refuses.
   */
  appendAsync(values: readonly T[]): Promise<void> {
    if (values.length === 0) return Promise.resolve();
    const bytes = Buffer.from(values.map((v) => `${JSON.stringify(v)}\n`).join(""));
    return this.queued(() => appendDurablyAsync(this.descriptor(), bytes));
  }

  /** replaceHead(), queued behind appends in flight so none of them is lost by the rename. */
  replaceHeadAsync(endOffset: number, keptLines: readonly string[], unreadable: readonly string[] = []): Promise<void> {
    return this.queued(async () => this.replaceHead(endOffset, keptLines, unreadable));
  }

  private queued(work: () => Promise<void>): Promise<void> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Reads every complete line (a trailing partial line is left for the next read). */
  read(): OutboxSnapshot<T> {
    const snapshot: OutboxSnapshot<T> = { entries: [], unreadable: [], endOffset: 0 };
    if (!existsSync(this.path)) return snapshot;
    const bytes = readFileSync(this.path);
    const end = bytes.lastIndexOf(0x0a) + 1;
    snapshot.endOffset = end;
    for (const line of bytes.subarray(0, end).toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      try {
        snapshot.entries.push({ value: JSON.parse(line) as T, line });
      } catch {
        snapshot.unreadable.push(line);
      }
    }
    return snapshot;
  }

  /** True when the outbox holds at least one line. */
  get pending(): boolean {
    return this.read().endOffset > 0;
  }

  /**
   * Replaces the first `endOffset` bytes (a snapshot already handled) with `keptLines`, keeping whatever
   * was appended since. Atomic: written to a temp file, fsynced, renamed over the outbox.
   */
  replaceHead(endOffset: number, keptLines: readonly string[], unreadable: readonly string[] = []): void {
    if (unreadable.length > 0) {
      const fd = openSync(this.rejectedPath, "a");
      try {
        appendDurably(fd, unreadable.map((l) => `${l}\n`).join(""));
      } finally {
        closeSync(fd);
      }
    }
    const current = existsSync(this.path) ? readFileSync(this.path) : Buffer.alloc(0);
    const tail = current.subarray(endOffset);
    const head = keptLines.map((l) => `${l}\n`).join("");
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      appendDurably(fd, Buffer.concat([Buffer.from(head), tail]));
    } finally {
      closeSync(fd);
    }
    this.close();
    renameSync(tmp, this.path);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private descriptor(): number {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, "a+");
      // A crash mid-append can leave a torn last line: end it, so the next entry starts on its own line.
      const size = fstatSync(this.fd).size;
      const last = Buffer.alloc(1);
      if (size > 0 && readSync(this.fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) appendDurably(this.fd, "\n");
    }
    return this.fd;
  }
}

async function appendDurablyAsync(fd: number, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await new Promise<number>((resolve, reject) => write(fd, bytes, written, bytes.length - written, null, (err, n) => (err ? reject(err) : resolve(n))));
  }
  await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

function appendDurably(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
  fsyncSync(fd);
}
