/** The call recorder: journals live calls and stores finished ones without blocking a call, and never loses one. */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { CallRecord, CallRecordSink, LiveRecord, TranscriptTurn } from "../call/call-record.ts";
import { systemClock, type Clock, type Timer } from "../base/clock.ts";
import { withTimeout } from "../base/with-timeout.ts";
import type { Logger } from "../log/logger.ts";
import { Counter, Gauge, metrics } from "../metrics/registry.ts";
import { selectCall, selectCalls, type CallListFilter, type CallPage, type StoredCall } from "./call-records-sql.ts";
import { selectCallStats, type CallStats } from "./call-stats-sql.ts";
import type { JournalOwner } from "./call-journal-sql.ts";
import { LiveJournal } from "./live-journal.ts";
import { Outbox } from "./outbox.ts";
import { applyOp, isFinal, opSessionId, type FinalOp, type OpOutcome, type RecordOp, type WebhookBody } from "./record-ops.ts";
import { selectDeliveryStatus } from "./webhook-deliveries.ts";
import { isMissingSchemaError } from "./sql-values.ts";
import type { SqlDatabase } from "./sql.ts";

export interface CallRecorderOptions {
  /** The cluster database. */
  db: SqlDatabase;
  /** OUTBOX_PATH: where records and journal lines wait while the store is down. */
  outboxPath: string;
  logger: Logger;
  /** INSTANCE_ID: at start, the live calls journaled by earlier runs of this instance are closed as interrupted. */
  instanceId?: string;
  clock?: Clock;
  /** Longest a live call's transcript turn waits before it is written (one timer per recorder). */
  transcriptFlushMs?: number;
  /** First wait before retrying the store after a failure; doubles up to retryMaxMs. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** A write slower than this counts as failed (it goes to the outbox; a late success is harmless). */
  writeTimeoutMs?: number;
  /** The post-call webhook: each finished call's body is built once and queued with its record; `queued` hears of new deliveries. */
  webhook?: { body: WebhookBody; queued(): void };
}

const recordsTotal = new Counter({
  name: "homebook_call_records_total",
  help: "Call records by outcome: stored (written at once), outboxed (store down, kept in the outbox file), replayed (written from the outbox), failed (neither; kept in memory), interrupted (a live call an earlier stop cut off, closed at start).",
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

const WRITE_TIMED_OUT = Symbol("write timed out");

class WriteTimeout extends Error {
  constructor(ms: number) {
    super(`call record write took longer than ${ms} ms`);
    this.name = "WriteTimeout";
  }
}

const countFinals = (ops: readonly RecordOp[]) => ops.filter(isFinal).length;

export class CallRecorder implements CallRecordSink {
  private readonly db: SqlDatabase;
  private readonly outbox: Outbox<RecordOp>;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly owner: JournalOwner;
  private readonly journal: LiveJournal;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly writeTimeoutMs: number;
  private readonly webhook: CallRecorderOptions["webhook"];

  private readonly queue: RecordOp[] = [];
  /** The op being written right now (also saved by flushToOutbox: a repeat is harmless). */
  private inFlight: RecordOp | undefined;
  /** Ops neither the store nor the outbox took (disk full): retried from memory. */
  private held: RecordOp[] = [];
  private pumping: Promise<void> | undefined;
  private replaying: Promise<boolean> | undefined;
  private storeDown = false;
  private retryTimer: Timer | undefined;
  private retryDelayMs: number;
  private closed = false;

  constructor({
    db,
    outboxPath,
    logger,
    instanceId = hostname(),
    clock = systemClock,
    transcriptFlushMs = 1000,
    retryInitialMs = 1000,
    retryMaxMs = 60_000,
    writeTimeoutMs = 10_000,
    webhook,
  }: CallRecorderOptions) {
    this.db = db;
    this.outbox = new Outbox<RecordOp>(outboxPath);
    this.logger = logger;
    this.clock = clock;
    this.owner = { instance: instanceId, run: randomUUID() };
    this.journal = new LiveJournal({ owner: this.owner, clock, flushMs: transcriptFlushMs, emit: (op) => this.enqueue(op) });
    this.retryInitialMs = retryInitialMs;
    this.retryMaxMs = retryMaxMs;
    this.writeTimeoutMs = writeTimeoutMs;
    this.webhook = webhook;
    this.retryDelayMs = retryInitialMs;
    outboxEntries.collect(() => countFinals(this.outbox.read().entries.map((e) => e.value)) + countFinals(this.held));
  }

  /**
   * Replays what an earlier run left in the outbox, then closes the live calls earlier runs of this
   * instance left in the journal (records ending "interrupted"). Resolves true when the outbox is empty afterwards.
   */
  async start(): Promise<boolean> {
    let replayed = true;
    if (this.outbox.pending) {
      this.logger.info("call records left in the outbox: replaying", { outbox: this.outbox.path });
      replayed = await this.retryNow();
    }
    this.enqueue({ v: 1, kind: "close_interrupted", ...this.owner, at: this.clock.epochMs() });
    await this.flush();
    return replayed && this.held.length === 0 && !this.outbox.pending;
  }

  /** The call started: its live row is queued for the journal. Returns at once; never throws. */
  begin(call: LiveRecord): void {
    if (!this.closed) this.journal.begin(call);
  }

  /** Transcript turns added since the last call: batched, written at most transcriptFlushMs later. Returns at once. */
  transcript(sessionId: string, turns: readonly TranscriptTurn[]): void {
    if (!this.closed) this.journal.transcript(sessionId, turns);
  }

  /** Queues a finished call and returns at once; never throws. */
  write(record: CallRecord, transcript: readonly TranscriptTurn[]): void {
    const op: FinalOp = { v: 1, record: { ...record }, transcript: transcript.map((t) => ({ ...t })) };
    this.journal.end(record.sessionId);
    if (this.closed) {
      this.toOutboxNow([this.prepare(op)]);
      return;
    }
    this.enqueue(op);
  }

  /** Resolves when every queued op is in the store or the outbox (graceful shutdown). Waiting transcript turns stay batched. */
  async flush(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /**
   * Fast exit (a second signal): writes everything not yet stored to the outbox synchronously and stops.
   * Returns how many finished calls were saved; they are replayed on the next start.
   */
  flushToOutbox(): number {
    this.journal.flush();
    this.closed = true;
    this.stopTimers();
    const ops = [...(this.inFlight ? [this.inFlight] : []), ...this.queue.splice(0), ...this.held.splice(0)];
    for (const op of ops) this.prepare(op);
    this.toOutboxNow(ops);
    return countFinals(ops);
  }

  /** Writes waiting turns, flushes, then stops. Records written after close() go straight to the outbox. */
  async close(): Promise<void> {
    this.journal.flush();
    await this.flush();
    await this.replaying;
    this.closed = true;
    this.stopTimers();
    this.outbox.close();
  }

  /** A finished call with its transcript: one still queued, else from the store. */
  async get(sessionId: string): Promise<StoredCall | undefined> {
    const queued = [this.inFlight, ...this.queue, ...this.held].find((op): op is FinalOp => op !== undefined && isFinal(op) && op.record.sessionId === sessionId);
    if (queued) return { ...queued.record, transcript: [...queued.transcript] };
    const stored = await selectCall(this.db, sessionId);
    const webhook = stored && this.webhook ? await selectDeliveryStatus(this.db, sessionId) : undefined;
    return stored && webhook ? { ...stored, webhook } : stored;
  }

  /** Finished calls in the store, newest first, paginated. */
  list(filter: CallListFilter = {}): Promise<CallPage> {
    return selectCalls(this.db, filter);
  }

  private enqueue(op: RecordOp): void {
    if (this.closed) return;
    this.queue.push(op);
    this.kick();
  }

  /** Starts the pump after the caller's turn: begin/transcript/write only ever enqueue. */
  private kick(): void {
    this.pumping ??= Promise.resolve()
      .then(() => this.pump())
      .finally(() => {
        this.pumping = undefined;
        if (this.queue.length > 0 && !this.closed) this.kick();
      });
  }

  /** Calls that ended in [sinceMs, untilMs), per minute and per end reason (the console's overview). */
  stats(sinceMs: number, untilMs: number): Promise<CallStats> {
    return selectCallStats(this.db, sinceMs, untilMs);
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.storeDown) {
        const ops = this.queue.splice(0);
        if (ops.length === 0) return;
        await this.toOutbox(ops.map((op) => this.prepare(op)));
        continue;
      }
      const op = this.queue.shift();
      if (!op) return;
      this.prepare(op);
      this.inFlight = op;
      try {
        this.applied(op, await this.persist(op), "stored");
      } catch (err) {
        if (!isRecordError(err)) this.markStoreDown(err);
        else this.logger.error("call record refused by the store: kept in the outbox", { session_id: opSessionId(op), err });
        await this.toOutbox([op]);
      } finally {
        this.inFlight = undefined;
      }
    }
  }

  /** Builds a finished call's webhook body once, off the caller's turn; the same bytes go to the store or the outbox. */
  private prepare(op: RecordOp): RecordOp {
    if (this.webhook && isFinal(op) && op.webhook === undefined) op.webhook = this.webhook.body(op.record, op.transcript);
    return op;
  }

  private async persist(op: RecordOp): Promise<OpOutcome> {
    const context = { nowMs: this.clock.epochMs(), webhookBody: this.webhook?.body };
    const outcome = await withTimeout(applyOp(this.db, op, context), this.writeTimeoutMs, WRITE_TIMED_OUT, this.clock);
    if (outcome === WRITE_TIMED_OUT) throw new WriteTimeout(this.writeTimeoutMs);
    return outcome;
  }

  /** Counts and logs what an op did once it reached the store. */
  private applied(op: RecordOp, outcome: OpOutcome, how: "stored" | "replayed"): void {
    if (isFinal(op)) {
      recordsTotal.inc({ outcome: how });
      this.logger.debug("call record stored", { session_id: op.record.sessionId, call_id: op.record.callId });
    }
    const interrupted = outcome.interrupted ?? [];
    if (interrupted.length > 0) {
      recordsTotal.inc({ outcome: "interrupted" }, interrupted.length);
      this.logger.warn("calls cut off by an earlier stop are recorded as interrupted", { count: interrupted.length, instance: this.owner.instance });
    }
    if (outcome.unreadable) this.logger.error("unreadable rows in the call journal: left in place", { count: outcome.unreadable });
    if (outcome.webhooks) this.webhook?.queued();
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

  /** Saves ops durably in the outbox off the event loop; if even that fails, keeps them in memory and says so. */
  private async toOutbox(ops: RecordOp[]): Promise<void> {
    try {
      await this.outbox.appendAsync(ops);
      recordsTotal.inc({ outcome: "outboxed" }, countFinals(ops));
    } catch (err) {
      this.holdInMemory(ops, err);
    }
    this.scheduleRetry();
  }

  /** The synchronous outbox write of a fast exit. */
  private toOutboxNow(ops: RecordOp[]): void {
    if (ops.length === 0) return;
    try {
      this.outbox.append(ops);
      recordsTotal.inc({ outcome: "outboxed" }, countFinals(ops));
    } catch (err) {
      this.holdInMemory(ops, err);
    }
  }

  private holdInMemory(ops: RecordOp[], err: unknown): void {
    recordsTotal.inc({ outcome: "failed" }, countFinals(ops));
    this.held.push(...ops);
    this.logger.error("call records could not be written to the outbox: kept in memory", { outbox: this.outbox.path, count: ops.length, err });
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = this.clock.setTimer(() => {
      this.retryTimer = undefined;
      void this.retryNow();
    }, this.retryDelayMs);
    (this.retryTimer as { unref?: () => void }).unref?.();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.retryMaxMs);
  }

  private stopTimers(): void {
    this.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    this.journal.stop();
  }

  /** Replays held ops and the outbox until both are empty or the store fails again. */
  private retryNow(): Promise<boolean> {
    this.replaying ??= (async () => {
      let ok = true;
      // Bounded: ops appended while a pass runs are taken by the next pass.
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

  /** Writes one op on replay: done, kept (the store refused this op's data), or the outage that stopped it. */
  private async replayOne(op: RecordOp): Promise<"done" | "kept" | { outage: unknown }> {
    try {
      this.applied(op, await this.persist(op), "replayed");
      return "done";
    } catch (err) {
      if (!isRecordError(err)) return { outage: err };
      this.logger.error("call record refused by the store: kept in the outbox", { session_id: opSessionId(op), err });
      return "kept";
    }
  }

  private async replayOnce(): Promise<boolean> {
    let outage: unknown;
    for (const op of this.held.splice(0)) {
      const result = outage === undefined ? await this.replayOne(op) : "kept";
      if (result === "done") continue;
      if (result !== "kept") outage = result.outage;
      this.held.push(op);
    }
    const snapshot = this.outbox.read();
    const kept: string[] = [];
    let replayed = 0;
    for (const { value, line } of snapshot.entries) {
      const result = outage === undefined ? await this.replayOne(value) : "kept";
      if (result === "done") {
        replayed++;
        continue;
      }
      if (result !== "kept") outage = result.outage;
      kept.push(line);
    }
    if (snapshot.unreadable.length > 0) {
      this.logger.error("unreadable lines in the call record outbox: moved aside", { outbox: this.outbox.rejectedPath, count: snapshot.unreadable.length });
    }
    if (replayed > 0 || snapshot.unreadable.length > 0) await this.outbox.replaceHeadAsync(snapshot.endOffset, kept, snapshot.unreadable);
    if (outage !== undefined) {
      this.logger.warn("call record store still unavailable: outbox kept", { count: kept.length + this.held.length, err: outage });
      this.storeDown = true;
      return false;
    }
    return kept.length === 0 && this.held.length === 0;
  }
}
