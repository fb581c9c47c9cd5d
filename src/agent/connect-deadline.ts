/** AGENT_CONNECT_TIMEOUT_MS: one time budget for a call's agent setup, paused while it waits for Mcube's start. */
import { HomebookError } from "../base/errors.ts";

/**
 * The budget spent by the stages that count (signed URL, open, metadata, the retry). Waits that have
 * their own bounds (Mcube's start frame, the outbound lookup) run through `excluding` and do not count.
 * @example
 * const deadline = new ConnectDeadline(config.elevenlabs.connectTimeoutMs, signal);
 * const url = await deadline.within(fetchSignedUrl(), "signed URL");
 * const init = await deadline.excluding(request.init);
 */
export class ConnectDeadline {
  private spentMs = 0;
  private runningSinceMs: number | undefined;

  constructor(
    readonly budgetMs: number,
    private readonly signal: AbortSignal,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.runningSinceMs = now();
  }

  /** What is left of the budget, never below 0. */
  remainingMs(): number {
    const running = this.runningSinceMs === undefined ? 0 : this.now() - this.runningSinceMs;
    return Math.max(0, this.budgetMs - this.spentMs - running);
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
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          onAbort = () => reject(new HomebookError("internal", "agent connection abandoned: the caller left"));
          if (this.signal.aborted) return onAbort();
          this.signal.addEventListener("abort", onAbort, { once: true });
          timer = setTimeout(
            () => reject(capped ? new HomebookError("timeout", `agent setup: no ${stage} within ${stageCapMs} ms`) : this.error(stage)),
            capped ? stageCapMs : remainingMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) this.signal.removeEventListener("abort", onAbort);
    }
  }

  /** Waits for `work` without spending the budget (it has its own bound). */
  async excluding<T>(work: Promise<T>): Promise<T> {
    const since = this.runningSinceMs;
    if (since !== undefined) this.spentMs += this.now() - since;
    this.runningSinceMs = undefined;
    try {
      return await work;
    } finally {
      this.runningSinceMs = this.now();
    }
  }
}
