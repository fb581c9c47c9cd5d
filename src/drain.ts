/** Graceful drain on SIGTERM/SIGINT: refuse new calls, let live ones finish (or transfer them), flush records, exit. */
import type { Config } from "./config/index.ts";
import type { Logger } from "./log/logger.ts";
import type { GatewayStatus } from "./http/app.ts";
import type { CallRecord, CallRecordSink, LiveCall } from "./call/call-record.ts";
import { withTimeout } from "./base/with-timeout.ts";
import { systemClock, type Clock, type Timer } from "./base/clock.ts";

/** What the drain needs from the call manager. */
export interface DrainableCalls {
  readonly activeCount: number;
  live(): LiveCall[];
  /** New calls are refused with close 1013 from now on. */
  startDrain(): void;
  whenIdle(): Promise<void>;
  transferAll(number: string, reason: "drain"): void;
}

/** What the drain needs from the call recorder. */
export interface RecordFlusher extends CallRecordSink {
  flush(): Promise<void>;
  /** Synchronous: everything not yet stored goes to the outbox file. Returns how many records. */
  flushToOutbox(): number;
}

/** The running gateway as the drain sees it; `calls` and `records` are absent when not wired. */
export interface DrainableGateway {
  readonly status: GatewayStatus;
  readonly calls?: DrainableCalls;
  readonly records?: RecordFlusher;
  /** Further parts to tell when the drain starts (the cluster stops counting this gateway as taking calls). */
  startDrain?(): void;
  stop(): Promise<void>;
}

export interface ShutdownOptions {
  config: Config;
  logger: Logger;
  gateway: DrainableGateway;
  /** After transferring the remaining callers, how long to wait for Mcube to take them. */
  transferGraceMs?: number;
  /** How often a long drain logs how many calls are left. */
  progressEveryMs?: number;
  /** Exits the process at once (second signal). Default: process.exit. */
  exit?: (code: number) => void;
  /** The drain's timers and the end time of calls cut off by a fast exit; the calls' own clock. Default the system's. */
  clock?: Clock;
}

export interface Shutdown {
  /** Call from a signal handler: the first starts the drain, the second exits at once. */
  onSignal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code when the drain has finished. */
  readonly done: Promise<number>;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** Resolves after `ms` or when `promise` settles, whichever is first; true when the promise won. */
function within(promise: Promise<unknown>, ms: number, clock: Clock): Promise<boolean> {
  return withTimeout(promise.then(() => true), ms, false, clock);
}

/**
 * Runs the drain: /health answers 503 "draining", new calls get close 1013, live calls go on until they
 * end or DRAIN_TIMEOUT_MS passes; then every remaining caller is transferred to AGENT_PHONE_NUMBER.
 * Records are flushed and the listener stopped. Resolves when it is safe to exit 0.
 */
export async function drainGateway({ config, logger, gateway, transferGraceMs = 10_000, progressEveryMs = 30_000, clock = systemClock }: ShutdownOptions): Promise<void> {
  const { calls, records } = gateway;
  gateway.status.draining = true;
  calls?.startDrain();
  gateway.startDrain?.();
  logger.info("draining: new calls are refused, live calls continue", {
    active_calls: calls?.activeCount ?? 0,
    drain_timeout_ms: config.calls.drainTimeoutMs,
  });
  if (calls && calls.activeCount > 0) {
    let progress: Timer | undefined;
    const logProgress = () => {
      logger.info("draining", { active_calls: calls.activeCount });
      progress = clock.setTimer(logProgress, progressEveryMs);
    };
    progress = clock.setTimer(logProgress, progressEveryMs);
    try {
      const idle = await within(calls.whenIdle(), config.calls.drainTimeoutMs, clock);
      if (!idle) {
        logger.warn("drain timeout: transferring the remaining callers", {
          active_calls: calls.activeCount,
          agent_phone_number: config.agentPhoneNumber,
        });
        calls.transferAll(config.agentPhoneNumber, "drain");
        if (!(await within(calls.whenIdle(), transferGraceMs, clock))) {
          logger.warn("calls still open after their transfer: closing them", { active_calls: calls.activeCount });
        }
      }
    } finally {
      clock.clearTimer(progress);
    }
  }
  await records?.flush();
  await gateway.stop();
  logger.info("drained: exiting");
}

/** Calls still live at a fast exit end with the process: each gets a "drain" record with what it had so far. */
function recordAbandonedCalls({ calls, records }: DrainableGateway, clock: Clock): number {
  if (!calls || !records) return 0;
  const endedAt = clock.epochMs();
  const live = calls.live();
  for (const { state: _state, transcript, ...fields } of live) {
    const record: CallRecord = {
      ...fields,
      endedAt,
      durationMs: endedAt - fields.startedAt,
      endReason: "drain",
      errorDetail: "gateway stopped at once (second signal) while the call was live",
    };
    records.write(record, transcript);
  }
  return live.length;
}

/**
 * Signal handling for `homebook serve`. The first SIGTERM/SIGINT drains (done resolves 0); a second one
 * writes unsaved call records to the outbox and exits at once with 128 + the signal number.
 */
export function createShutdown(options: ShutdownOptions): Shutdown {
  const { logger, gateway, exit = (code: number) => process.exit(code), clock = systemClock } = options;
  let draining = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });
  return {
    done,
    onSignal(signal) {
      if (!draining) {
        draining = true;
        logger.info("stopping", { signal });
        drainGateway(options).then(
          () => resolveDone(0),
          (err) => {
            logger.error("drain failed", { err });
            gateway.records?.flushToOutbox();
            resolveDone(1);
          },
        );
        return;
      }
      const abandoned = recordAbandonedCalls(gateway, clock);
      const saved = gateway.records?.flushToOutbox() ?? 0;
      logger.warn("second signal: exiting now", { signal, records_to_outbox: saved, calls_cut_off: abandoned });
      exit(128 + (SIGNAL_NUMBERS[signal] ?? 0));
    },
  };
}
