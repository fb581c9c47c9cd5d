/** AGENT_CONNECT_TIMEOUT_MS: one time budget for a call's agent setup (signed URL, open, metadata, retries). */
import { systemClock, type Clock, type Timer } from "../base/clock.ts";
import { HomebookError } from "../base/errors.ts";

/**
 * The budget every stage of one call's agent setup spends from (signed URL, open, metadata, retries).
 * @example
 * const deadline = new ConnectDeadline(config.elevenlabs.connectTimeoutMs, signal, clock);
 * const url = await deadline.within(fetchSignedUrl(), "signed URL");
 */
export class ConnectDeadline {
  private readonly startedAtMs: number;

  constructor(
    readonly budgetMs: number,
    private readonly signal: AbortSignal,
    private readonly clock: Clock = systemClock,
  ) {
    this.startedAtMs = clock.now();
  }

  /** What is left of the budget, never below 0. */
  remainingMs(): number {
    return Math.max(0, this.budgetMs - (this.clock.now() - this.startedAtMs));
  }

  get expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /** The error every stage reports once the budget is gone: never retried. */
  error(stage: string): HomebookError {
    return new HomebookError("timeout", `agent setup did not finish within AGENT_CONNECT_TIMEOUT_MS (${this.budgetMs} ms); stalled at ${stage}`, {
      retryable: false,
      fix: "check that ElevenLabs is reachable from this host; raise AGENT_CONNECT_TIMEOUT_MS only if setup is slow but healthy",
    });
  }

  /**
   * `work`, or a timeout when the budget (or the stage's own cap, when smaller) runs out first, or a
   * rejection when the caller leaves. The timer and listener are gone however it ends.
   */
  async within<T>(work: Promise<T>, stage: string, stageCapMs = Number.POSITIVE_INFINITY): Promise<T> {
    const remainingMs = this.remainingMs();
    if (remainingMs <= 0) throw this.error(stage);
    const capped = stageCapMs < remainingMs;
    let timer: Timer | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          onAbort = () => reject(new HomebookError("internal", "agent connection abandoned: the caller left"));
          if (this.signal.aborted) return onAbort();
          this.signal.addEventListener("abort", onAbort, { once: true });
          timer = this.clock.setTimer(
            () => reject(capped ? new HomebookError("timeout", `agent setup: no ${stage} within ${stageCapMs} ms`) : this.error(stage)),
            capped ? stageCapMs : remainingMs,
          );
        }),
      ]);
    } finally {
      this.clock.clearTimer(timer);
      if (onAbort) this.signal.removeEventListener("abort", onAbort);
    }
  }

}
