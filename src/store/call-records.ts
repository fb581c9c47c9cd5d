/** The call recorder: takes each finished call without blocking, persists it, and never loses one. */
import type { CallRecord, CallRecordSink, TranscriptTurn } from "../call/call-record.ts";
import type { Logger } from "../log/logger.ts";
import { Counter, Gauge, metrics } from "../metrics/registry.ts";
import { insertCallRecord, selectCall, selectCalls, type CallListFilter, type CallPage, type StoredCall } from "./call-records-sql.ts";
import { selectCallStats, type CallStats } from "./call-stats-sql.ts";
import { Outbox } from "./outbox.ts";
import { isMissingSchemaError } from "./sql-values.ts";
import type { SqlDatabase } from "./sql.ts";

/** One finished call as queued and as written to the outbox (one JSON line). */
export interface OutboxEntry {
  v: 1;
  record: CallRecord;
  transcript: TranscriptTurn[];
}

export interface CallRecorderOptions {
  /** The cluster database. */
  db: SqlDatabase;
  /** OUTBOX_PATH: where records wait while the store is down. */
  outboxPath: string;
  logger: Logger;
  /** First wait before retrying the store after a failure; doubles up to retryMaxMs. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** A write slower than this counts as failed (it goes to the outbox; a late success is harmless). */
  writeTimeoutMs?: number;
}

const recordsTotal = new Counter({
  name: "homebook_call_records_total",
  help: "Call records by outcome: stored (written at once), outboxed (store down, kept in the outbox file), replayed (written from the outbox), failed (neither; kept in memory).",
  labelNames: ["outcome"],
  registry: metrics,
});

const outboxEntries = new Gauge({
  name: "homebook_call_record_outbox_entries",
  help: "Call records waiting in the outbox file for the store to come back.",
  registry: metrics,
});

/** SQL errors that concern one record's data, not the store's health: other records may still go through. */
const RECORD_ERROR_CODES = new Set([
  "ER_DATA_TOO_LONG",
  "ER_TRUNCATED_WRONG_VALUE",
  "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
  "ER_BAD_NULL_ERROR",
  "ER_WARN_DATA_OUT_OF_RANGE",
  "SQLITE_CONSTRAINT_NOTNULL",
  "SQLITE_MISMATCH",
  "SQLITE_TOOBIG",
]);

function isRecordError(err: unknown): boolean {
  return RECORD_ERROR_CODES.has(String((err as { code?: unknown })?.code ?? ""));
}

class WriteTimeout extends Error {
  constructor(ms: number) {
    super(`call record write took longer than ${ms} ms`);
    this.name = "WriteTimeout";
  }
}

export class CallRecorder implements CallRecordSink {
  private readonly db: SqlDatabase;
  private readonly outbox: Outbox<OutboxEntry>;
  private readonly logger: Logger;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly writeTimeoutMs: number;

  private readonly queue: OutboxEntry[] = [];
  /** The entry being written right now (also saved by flushToOutbox: a repeat is harmless). */
  private inFlight: OutboxEntry | undefined;
  /** Entries neither the store nor the outbox took (disk full): retried from memory. */
  private held: OutboxEntry[] = [];
  private pumping: Promise<void> | undefined;
  private replaying: Promise<boolean> | undefined;
  private storeDown = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryDelayMs: number;
  private closed = false;

  constructor({ db, outboxPath, logger, retryInitialMs = 1000, retryMaxMs = 60_000, writeTimeoutMs = 10_000 }: CallRecorderOptions) {
    this.db = db;
    this.outbox = new Outbox<OutboxEntry>(outboxPath);
    this.logger = logger;
    this.retryInitialMs = retryInitialMs;
    this.retryMaxMs = retryMaxMs;
    this.writeTimeoutMs = writeTimeoutMs;
    this.retryDelayMs = retryInitialMs;
    outboxEntries.collect(() => this.outbox.read().entries.length + this.held.length);
  }

  /** Replays what an earlier run left in the outbox. Resolves true when the outbox is empty afterwards. */
  start(): Promise<boolean> {
    if (!this.outbox.pending) return Promise.resolve(true);
    this.logger.info("call records left in the outbox: replaying", { outbox: this.outbox.path });
    return this.retryNow();
  }

  /** Queues a finished call and returns at once; never throws. */
  write(record: CallRecord, transcript: readonly TranscriptTurn[]): void {
    const entry: OutboxEntry = { v: 1, record: { ...record }, transcript: transcript.map((t) => ({ ...t })) };
    if (this.closed) {
      this.toOutbox([entry]);
      return;
    }
    this.queue.push(entry);
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  /** Resolves when every queued record is in the store or the outbox (graceful shutdown). */
  async flush(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /**
   * Fast exit (a second signal): writes everything not yet stored to the outbox synchronously and stops.
   * Returns how many records were saved; they are replayed on the next start.
   */
  flushToOutbox(): number {
    this.closed = true;
    this.stopRetry();
    const entries = [...(this.inFlight ? [this.inFlight] : []), ...this.queue.splice(0), ...this.held.splice(0)];
    this.toOutbox(entries);
    return entries.length;
  }

  /** Flushes, then stops retrying. Records written after close() go straight to the outbox. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.stopRetry();
    this.outbox.close();
  }

  /** A finished call with its transcript: one still queued, else from the store. */
  async get(sessionId: string): Promise<StoredCall | undefined> {
    const queued = [this.inFlight, ...this.queue, ...this.held].find((e) => e?.record.sessionId === sessionId);
    if (queued) return { ...queued.record, transcript: [...queued.transcript] };
    return selectCall(this.db, sessionId);
  }

  /** Finished calls in the store, newest first, paginated. */
  list(filter: CallListFilter = {}): Promise<CallPage> {
    return selectCalls(this.db, filter);
  }

  /** Calls that ended in [sinceMs, untilMs), per minute and per end reason (the console's overview). */
  stats(sinceMs: number, untilMs: number): Promise<CallStats> {
    return selectCallStats(this.db, sinceMs, untilMs);
  }

  private async pump(): Promise<void> {
    for (let entry = this.queue.shift(); entry; entry = this.queue.shift()) {
      if (this.storeDown) {
        this.toOutbox([entry]);
        continue;
      }
      this.inFlight = entry;
      try {
        await this.persist(entry);
        recordsTotal.inc({ outcome: "stored" });
        this.logger.debug("call record stored", { session_id: entry.record.sessionId, call_id: entry.record.callId });
      } catch (err) {
        if (!isRecordError(err)) this.markStoreDown(err);
        else this.logger.error("call record refused by the store: kept in the outbox", { session_id: entry.record.sessionId, err });
        this.toOutbox([entry]);
      } finally {
        this.inFlight = undefined;
      }
    }
  }

  private async persist(entry: OutboxEntry): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WriteTimeout(this.writeTimeoutMs)), this.writeTimeoutMs);
    });
    try {
      await Promise.race([insertCallRecord(this.db, entry.record, entry.transcript), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private markStoreDown(err: unknown): void {
    if (!this.storeDown) {
      this.logger.warn("call record store unavailable: records go to the outbox until it is back", {
        err,
        ...(isMissingSchemaError(err) ? { fix: "run 'homebook db migrate' to create the call_records tables" } : {}),
      });
    }
    this.storeDown = true;
    this.scheduleRetry();
  }

  /** Saves entries durably in the outbox; if even that fails, keeps them in memory and says so. */
  private toOutbox(entries: OutboxEntry[]): void {
    if (entries.length === 0) return;
    try {
      this.outbox.append(entries);
      recordsTotal.inc({ outcome: "outboxed" }, entries.length);
    } catch (err) {
      recordsTotal.inc({ outcome: "failed" }, entries.length);
      this.held.push(...entries);
      this.logger.error("call records could not be written to the outbox: kept in memory", { outbox: this.outbox.path, count: entries.length, err });
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.retryNow();
    }, this.retryDelayMs);
    this.retryTimer.unref?.();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.retryMaxMs);
  }

  private stopRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Replays held entries and the outbox until both are empty or the store fails again. */
  private retryNow(): Promise<boolean> {
    this.replaying ??= (async () => {
      let ok = true;
      // Bounded: entries appended while a pass runs are taken by the next pass.
      for (let pass = 0; pass < 10 && ok && (this.held.length > 0 || this.outbox.pending); pass++) ok = await this.replayOnce();
      if (ok && this.storeDown) this.logger.info("call record store is back: outbox replayed");
      if (ok) {
        this.storeDown = false;
        this.retryDelayMs = this.retryInitialMs;
      } else {
        this.scheduleRetry();
      }
      return ok && !this.outbox.pending && this.held.length === 0;
    })().finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  private async replayOnce(): Promise<boolean> {
    let outage: unknown;
    const held = this.held.splice(0);
    for (const entry of held) {
      if (outage === undefined) {
        try {
          await this.persist(entry);
          recordsTotal.inc({ outcome: "replayed" });
          continue;
        } catch (err) {
          if (!isRecordError(err)) outage = err;
        }
      }
      this.held.push(entry);
    }
    const snapshot = this.outbox.read();
    const kept: string[] = [];
    let replayed = 0;
    for (const { value, line } of snapshot.entries) {
      if (outage !== undefined) {
        kept.push(line);
        continue;
      }
      try {
        await this.persist(value);
        replayed++;
      } catch (err) {
        kept.push(line);
        if (isRecordError(err)) this.logger.error("call record refused by the store: kept in the outbox", { session_id: value.record?.sessionId, err });
        else outage = err;
      }
    }
    recordsTotal.inc({ outcome: "replayed" }, replayed);
    if (snapshot.unreadable.length > 0) {
      this.logger.error("unreadable lines in the call record outbox: moved aside", { outbox: this.outbox.rejectedPath, count: snapshot.unreadable.length });
    }
    if (replayed > 0 || snapshot.unreadable.length > 0) this.outbox.replaceHead(snapshot.endOffset, kept, snapshot.unreadable);
    if (outage !== undefined) {
      this.logger.warn("call record store still unavailable: outbox kept", { count: kept.length + this.held.length, err: outage });
      this.storeDown = true;
      return false;
    }
    return kept.length === 0 && this.held.length === 0;
  }
}
