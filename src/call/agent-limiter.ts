/** ELEVENLABS_MAX_CONNECTIONS: a cap on open agent conversations with a FIFO wait queue bounded in time. */
import { systemClock, type Clock } from "../base/clock.ts";
import { HomebookError } from "../base/errors.ts";
import { agentConnectionsInUse, agentConnectionsWaiting } from "./call-metrics.ts";
import type { AgentSlots, ReleaseSlot } from "./ports.ts";

interface Waiter {
  grant(release: ReleaseSlot): void;
}

/** The single-gateway AgentSlots. */
export class AgentLimiter implements AgentSlots {
  private used = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    private readonly maxConnections: number,
    private readonly queueTimeoutMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * A slot, at once when one is free, else after the callers queued before this one.
   * Rejects with code "capacity" after `queueTimeoutMs`, or when `signal` aborts (the caller left).
   */
  acquire(signal: AbortSignal): Promise<ReleaseSlot> {
    if (signal.aborted) return Promise.reject(new HomebookError("capacity", "caller left before an agent slot was free"));
    if (this.used < this.maxConnections && this.queue.length === 0) return Promise.resolve(this.take());
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const leave = (err: HomebookError) => {
        const index = this.queue.indexOf(waiter);
        if (index === -1) return;
        this.queue.splice(index, 1);
        agentConnectionsWaiting.dec();
        cleanup();
        reject(err);
      };
      const timer = this.clock.setTimer(
        () => leave(new HomebookError("capacity", `no agent connection free within ${this.queueTimeoutMs} ms (ELEVENLABS_MAX_CONNECTIONS=${this.maxConnections})`, {
          fix: "raise ELEVENLABS_MAX_CONNECTIONS if the ElevenLabs plan allows more concurrent conversations",
        })),
        this.queueTimeoutMs,
      );
      const onAbort = () => leave(new HomebookError("capacity", "caller left while waiting for an agent slot"));
      const cleanup = () => {
        this.clock.clearTimer(timer);
        signal.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = { grant: (release) => (cleanup(), resolve(release)) };
      signal.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
      agentConnectionsWaiting.inc();
    });
  }

  private take(): ReleaseSlot {
    this.used++;
    agentConnectionsInUse.inc();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used--;
      agentConnectionsInUse.dec();
      this.grantNext();
    };
  }

  private grantNext(): void {
    while (this.used < this.maxConnections && this.queue.length > 0) {
      const next = this.queue.shift()!;
      agentConnectionsWaiting.dec();
      next.grant(this.take());
    }
  }
}
