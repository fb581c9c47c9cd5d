/**
 * Call control: end (terminate), transfer and fallback. Each waits until the caller has heard what
 * the agent said (checkpoint → playedStream, bounded), then sends the Mcube command, then closes.
 */
import type { Config } from "../config/index.ts";
import type { HomebookError } from "../base/errors.ts";
import type { Logger } from "../log/logger.ts";
import type { Bot } from "./bot.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import { terminate, transfer } from "../telephony/mcube-protocol.ts";
import type { EndReason } from "./call-record.ts";
import type { OwnedTimers } from "./owned-timers.ts";
import type { Downlink } from "./session-downlink.ts";

/** After an end/transfer request the agent may still be saying goodbye: wait this long without audio. */
export const SETTLE_QUIET_MS = 1000;
/** …but never longer than this. */
export const SETTLE_MAX_MS = 6000;
/** The drain waits for the queued audio plus this (the protocol's bound). */
export const DRAIN_EXTRA_MS = 2000;
/** Fallback: the caller hears the rest of the queued audio for at most this long, then is transferred. */
export const FALLBACK_DRAIN_MAX_MS = 1500;
/** After `transfer`, Mcube closes the stream itself; close it ourselves if it has not after this. */
export const TRANSFER_CLOSE_GRACE_MS = 2000;

export interface ControlHost {
  readonly config: Config;
  readonly log: Logger;
  readonly timers: OwnedTimers;
  readonly downlink: Downlink;
  readonly bot: Bot | undefined;
  readonly finished: boolean;
  /** Resolves with the streamId once Mcube's start arrived. */
  whenStarted(): Promise<string>;
  sendMcube(frame: object): void;
  closeMcube(code: number, reason: string): void;
  closeAgent(): void;
  finish(reason: EndReason, detail?: { transferTo?: string; errorDetail?: string }): void;
}

type Action = { kind: "end" } | { kind: "transfer"; reason: EndReason; number: string };

export class CallControl {
  private action: Action | undefined;
  private agentGone = false;
  private wakeSettle: (() => void) | undefined;
  private requestedAtMs = 0;
  transferTo: string | undefined;

  constructor(private readonly host: ControlHost) {}

  /**
   * The end reason a hang-up during an ongoing action is recorded with. A transfer counts only once
   * its command went out: a caller who leaves while the message still plays simply hung up.
   */
  get reason(): EndReason | undefined {
    if (!this.action) return undefined;
    if (this.action.kind === "end") return "agent_end_call";
    return this.transferTo !== undefined ? this.action.reason : undefined;
  }

  get busy(): boolean {
    return this.action !== undefined;
  }

  /** The agent conversation closed: nothing more will be said. */
  agentClosed(): void {
    this.agentGone = true;
    this.wakeSettle?.();
  }

  /** The agent ended the conversation (end_call tool, or close 1000). */
  requestEnd(source: string): void {
    if (this.action) return;
    this.action = { kind: "end" };
    this.host.log.info("agent ended the call", { source });
    void this.run(async () => {
      await this.settle();
      const streamId = await this.host.whenStarted();
      await this.drain(DRAIN_EXTRA_MS);
      this.host.closeAgent();
      this.host.sendMcube(terminate(this.host.config.mcube, streamId));
      this.host.closeMcube(1000, "call ended by agent");
      this.host.finish("agent_end_call");
    });
  }

  /**
   * Transfers the caller. `requested` is the tool's number (any format); else the bot's transfer
   * number, else AGENT_PHONE_NUMBER. `reason` "drain" skips the goodbye wait (the gateway is stopping).
   */
  requestTransfer(requested: unknown, source: string, reason: "transfer" | "drain" = "transfer"): void {
    if (this.action) return;
    const number = this.pickNumber(requested, this.host.bot?.transferNumber, source);
    this.action = { kind: "transfer", reason, number };
    this.host.log.info("transferring the call", { source, transfer_to: number });
    void this.run(async () => {
      if (reason !== "drain") await this.settle();
      await this.transferAfterDrain(number, DRAIN_EXTRA_MS, Number.POSITIVE_INFINITY);
    });
  }

  /** The agent failed (or never came): transfer to the bot's fallback number, else AGENT_PHONE_NUMBER, quickly. */
  fallback(error: HomebookError): void {
    if (this.action) return;
    const number = this.pickNumber(undefined, this.host.bot?.fallbackNumber, "fallback");
    this.action = { kind: "transfer", reason: "fallback_transfer", number };
    this.host.log.warn("agent unavailable; transferring the caller to the fallback number", {
      code: error.code,
      retryable: error.retryable,
      transfer_to: number,
    });
    void this.run(() => this.transferAfterDrain(number, 0, FALLBACK_DRAIN_MAX_MS, `${error.code}: ${error.message}`));
  }

  private async transferAfterDrain(number: string, extraMs: number, capMs: number, errorDetail?: string): Promise<void> {
    const streamId = await this.host.whenStarted();
    await this.drain(extraMs, capMs);
    this.host.closeAgent();
    this.transferTo = number;
    this.host.sendMcube(transfer(this.host.config.mcube, streamId, number));
    await this.host.timers.sleep(TRANSFER_CLOSE_GRACE_MS);
    this.host.closeMcube(1000, "call transferred");
    this.host.finish(this.reason ?? "transfer", { transferTo: number, errorDetail });
  }

  private async drain(extraMs: number, capMs = Number.POSITIVE_INFINITY): Promise<void> {
    if (this.host.finished) return;
    const result = await this.host.downlink.drain(extraMs, capMs);
    if (result === "timeout") this.host.log.warn("playout not confirmed in time; continuing", { queued_ms: Math.round(this.host.downlink.queuedMs) });
  }

  /** Waits until the agent has been quiet for SETTLE_QUIET_MS (or closed), at most SETTLE_MAX_MS. */
  private async settle(): Promise<void> {
    this.requestedAtMs = performance.now();
    const deadline = this.requestedAtMs + SETTLE_MAX_MS;
    while (!this.agentGone && !this.host.finished) {
      const now = performance.now();
      const quietMs = now - Math.max(this.requestedAtMs, this.host.downlink.lastAudioAtMs);
      if (quietMs >= SETTLE_QUIET_MS || now >= deadline) return;
      const wake = new Promise<void>((resolve) => (this.wakeSettle = resolve));
      await Promise.race([this.host.timers.sleep(Math.min(SETTLE_QUIET_MS - quietMs, deadline - now)), wake]);
    }
  }

  private pickNumber(requested: unknown, configured: string | undefined, source: string): string {
    const given = typeof requested === "string" || typeof requested === "number" ? String(requested) : undefined;
    const fromTool = normalizePhoneNumber(given);
    if (given && !fromTool) this.host.log.warn("transfer number from the agent is not a 10-digit number; using the configured one", { source });
    return fromTool ?? normalizePhoneNumber(configured) ?? this.host.config.agentPhoneNumber;
  }

  private async run(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.host.log.error("call control failed", { err });
      this.host.closeMcube(1011, "internal error");
      this.host.finish("internal_error", { errorDetail: String((err as Error)?.message ?? err) });
    }
  }
}
