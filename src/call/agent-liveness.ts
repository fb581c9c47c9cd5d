/**
 * AGENT_IDLE_TIMEOUT_MS: notices an agent connection that died without a close (half-open TCP, a
 * stalled server). It pings at the WebSocket level every few seconds; any frame or pong counts as
 * life, so an agent that is quiet but healthy is never mistaken for a dead one.
 */
import type { AgentLeg } from "../agent/agent-leg.ts";
import type { Clock, Timer } from "../base/clock.ts";
import { HomebookError } from "../base/errors.ts";
import type { OwnedTimers } from "../base/owned-timers.ts";

/** The longest gap between our pings; shorter when the idle timeout is small (tests). */
export const AGENT_PING_INTERVAL_MS = 5000;

export interface LivenessOptions {
  timers: OwnedTimers;
  clock: Clock;
  /** 0 disables the watch. */
  idleTimeoutMs: number;
  /** Nothing arrived for `silentMs` (≥ idleTimeoutMs). Called at most once. */
  onSilent(silentMs: number): void;
  /** Checked at each tick: false stops the watch (e.g. the call is already ending). */
  stillWatching(): boolean;
}

/** Ping interval for an idle timeout: several pings fit in it, so one lost pong is no verdict. */
export function pingIntervalMs(idleTimeoutMs: number): number {
  return Math.max(20, Math.min(AGENT_PING_INTERVAL_MS, Math.floor(idleTimeoutMs / 4)));
}

/** The failure a silent connection is recorded with (a dead link, not a settings problem). */
export function agentSilentError(silentMs: number, idleTimeoutMs: number): HomebookError {
  return new HomebookError("upstream_unavailable", `agent went silent: nothing received (no frame, no pong) for ${silentMs} ms (AGENT_IDLE_TIMEOUT_MS=${idleTimeoutMs})`, {
    retryable: true,
  });
}

/** Watches one connection until it is silent for idleTimeoutMs, or the watch stops. Timers belong to the call. */
export class AgentLiveness {
  private timer: Timer | undefined;
  private agent: AgentLeg | undefined;

  constructor(private readonly options: LivenessOptions) {}

  watch(agent: AgentLeg): void {
    if (this.options.idleTimeoutMs <= 0) return;
    this.agent = agent;
    this.schedule(pingIntervalMs(this.options.idleTimeoutMs));
  }

  stop(): void {
    this.agent = undefined;
    this.options.timers.cancel(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    this.timer = this.options.timers.after(delayMs, () => this.tick());
  }

  private tick(): void {
    const agent = this.agent;
    this.timer = undefined;
    if (!agent || !this.options.stillWatching()) return this.stop();
    const { idleTimeoutMs } = this.options;
    const silentMs = this.options.clock.now() - agent.lastHeardAtMs;
    if (silentMs >= idleTimeoutMs) {
      this.stop();
      return this.options.onSilent(Math.round(silentMs));
    }
    agent.ping();
    // Wake at the next ping, or exactly when the silence would reach the timeout if that is sooner.
    this.schedule(Math.min(pingIntervalMs(idleTimeoutMs), idleTimeoutMs - silentMs));
  }
}
