/**
 * How the gateway ends a call: let the agent finish (settle), let the caller hear it (drain: checkpoint
 * → playedStream, bounded), then the Mcube command. The call's state machine drives it and reacts to
 * each step; this module only waits.
 */
import type { Clock, Timer } from "../base/clock.ts";
import type { Logger } from "../log/logger.ts";
import type { EndReason } from "./call-record.ts";
import type { CallState, EndPlan } from "./call-state.ts";
import type { OwnedTimers } from "../base/owned-timers.ts";
import type { Playout } from "./playout.ts";
import type { Turns } from "./turns.ts";

/** After a tool asked to end or transfer, the agent may still be speaking: wait this long without audio. */
export const SETTLE_QUIET_MS = 1000;
/** …but never longer than this. */
export const SETTLE_MAX_MS = 6000;
/** The drain waits for the queued audio plus this (the protocol's bound). */
export const DRAIN_EXTRA_MS = 2000;
/** Fallback: the caller hears the rest of the queued audio for at most this long, then is transferred. */
export const FALLBACK_DRAIN_MAX_MS = 1500;
/** After `transfer`, Mcube closes the stream itself; close it ourselves if it has not after this. */
export const TRANSFER_CLOSE_GRACE_MS = 2000;

export type EndingStep = "draining" | "command" | "done";

export interface CallEndingOptions {
  clock: Clock;
  timers: OwnedTimers;
  log(): Logger;
  /** The call's audio, once Mcube's start named its format. */
  media(): { turns: Turns; playout: Playout } | undefined;
  /** True once the agent conversation is closed (nothing more will be said). */
  agentGone(): boolean;
  lastAudioAtMs(): number;
  /** Resolves once Mcube's start arrived (commands need its streamId). */
  whenStarted(): Promise<void>;
}

/**
 * The end reason of a hang-up during the state `state`. A transfer counts only once its command went
 * out: a caller who leaves while the message still plays simply hung up. An agent's end counts at once.
 */
export function hangupReason(state: CallState): EndReason {
  if (state.name !== "ending") return "caller_hangup";
  const { plan } = state;
  if (plan.kind === "end") return plan.reason;
  if (state.step !== "commanded") return "caller_hangup";
  return plan.kind === "fallback" ? "fallback_transfer" : plan.reason;
}

export class CallEnding {
  private check: (() => void) | undefined;
  private onTurnEnd: (() => void) | undefined;

  constructor(private readonly options: CallEndingOptions) {}

  /** Runs the steps for `plan`, reporting each; resolves after the last. */
  async run(plan: EndPlan, step: (step: EndingStep) => void): Promise<void> {
    const { timers } = this.options;
    await this.options.whenStarted();
    // A fallback has nothing to wait for, and a drain transfer must not wait: the gateway is stopping.
    if (plan.kind !== "fallback" && !(plan.kind === "transfer" && plan.reason === "drain")) await this.settle(plan);
    step("draining");
    const fallback = plan.kind === "fallback";
    await this.drain(fallback ? 0 : DRAIN_EXTRA_MS, fallback ? FALLBACK_DRAIN_MAX_MS : Number.POSITIVE_INFINITY);
    step("command");
    if (plan.kind === "end") return;
    await timers.sleep(TRANSFER_CLOSE_GRACE_MS);
    step("done");
  }

  /** Something changed (agent audio, the agent's close): a waiting settle looks again. */
  wake(): void {
    this.check?.();
  }

  /** An agent turn ended. */
  turnEnded(): void {
    this.onTurnEnd?.();
    this.check?.();
  }

  private async drain(extraMs: number, capMs: number): Promise<void> {
    const playout = this.options.media()?.playout;
    if (!playout) return;
    const result = await playout.drain(extraMs, capMs);
    if (result === "timeout") this.options.log().warn("playout not confirmed in time; continuing", { queued_ms: Math.round(playout.queuedMs) });
  }

  /**
   * Waits until the agent has finished. Always: its socket closed, or SETTLE_MAX_MS. A system
   * `end_call` is followed by the agent's goodbye and the server's close, in either order relative to
   * the tool response: also done when a turn that began after the request has ended. Other requests:
   * SETTLE_QUIET_MS without agent audio and no turn under way.
   */
  private settle(plan: Exclude<EndPlan, { kind: "fallback" }>): Promise<void> {
    const { clock } = this.options;
    const turns = this.options.media()?.turns;
    if (!turns) return Promise.resolve();
    const requestedAtMs = clock.now();
    const turnAtRequest = turns.speaking ? turns.currentTurnId : undefined;
    const waitForGoodbye = plan.kind === "end" && plan.source === "system_tool";
    let goodbyeEnded = false;
    let quietTimer: Timer | undefined;
    return new Promise<void>((resolve) => {
      const cap = this.options.timers.after(SETTLE_MAX_MS, () => done());
      const done = () => {
        this.check = undefined;
        this.onTurnEnd = undefined;
        this.options.timers.cancel(cap);
        this.options.timers.cancel(quietTimer);
        resolve();
      };
      this.onTurnEnd = () => {
        if (turns.currentTurnId !== turnAtRequest) goodbyeEnded = true;
      };
      this.check = () => {
        if (this.options.agentGone()) return done();
        if (waitForGoodbye) {
          if (goodbyeEnded && !turns.speaking) done();
          return;
        }
        if (turns.speaking) return;
        const quietMs = clock.now() - Math.max(requestedAtMs, this.options.lastAudioAtMs());
        if (quietMs >= SETTLE_QUIET_MS) return done();
        this.options.timers.cancel(quietTimer);
        quietTimer = this.options.timers.after(SETTLE_QUIET_MS - quietMs, () => this.check?.());
      };
      this.check();
    });
  }
}
