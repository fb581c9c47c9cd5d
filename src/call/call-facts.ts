/**
 * What one call knows about itself (ids, bot, conversations, timings, transcript, timeline) and the
 * views built from it: the live view the admin API and console show, and the final record.
 */
import type { Clock } from "../base/clock.ts";
import type { CallContext } from "../telephony/call-context.ts";
import type { Bot } from "./bot.ts";
import type { CallRecord, EndReason, LiveRecord, TranscriptTurn } from "./call-record.ts";
import { CallTimeline } from "./call-timeline.ts";
import { TranscriptLog } from "./transcript-log.ts";

/** Smoothing of the per-call added-latency means (the last ~50 frames weigh most). */
const LATENCY_SMOOTHING = 0.04;

export class CallFacts {
  readonly startedAt: number;
  readonly transcript: TranscriptLog;
  readonly timeline: CallTimeline;
  context: CallContext = {};
  callId: string | undefined;
  streamId: string | undefined;
  bot: Bot | undefined;
  readonly conversationIds: string[] = [];
  reconnects = 0;
  agentConnectedAt: number | undefined;
  firstAgentAudioAt: number | undefined;
  transferTo: string | undefined;
  /** Means of the time this gateway added to the call's audio, per direction (ms). */
  uplinkLatencyMs = 0;
  downlinkLatencyMs = 0;

  constructor(
    readonly sessionId: string,
    private readonly clock: Clock,
    private readonly instanceId: string | undefined,
  ) {
    this.startedAt = clock.epochMs();
    this.transcript = new TranscriptLog(this.startedAt);
    this.timeline = new CallTimeline(() => clock.now(), clock.now());
  }

  /** A transcript line, stamped with the call's clock. */
  addTranscript(role: TranscriptTurn["role"], text: string, eventId: number | undefined): TranscriptTurn {
    return this.transcript.add(role, text, eventId, this.clock.epochMs());
  }

  noteUplinkLatency(addedMs: number): void {
    this.uplinkLatencyMs += (addedMs - this.uplinkLatencyMs) * LATENCY_SMOOTHING;
  }

  noteDownlinkLatency(addedMs: number): void {
    this.downlinkLatencyMs += (addedMs - this.downlinkLatencyMs) * LATENCY_SMOOTHING;
  }

  /** What is known while the call is live. */
  live(framesIn: number, framesOut: number): LiveRecord {
    return {
      sessionId: this.sessionId,
      callId: this.callId,
      streamId: this.streamId,
      did: this.context.did,
      botId: this.bot?.botId,
      businessId: this.context.businessId ?? this.bot?.businessId,
      agentId: this.bot?.agentId,
      conversationId: this.conversationIds.at(-1),
      conversationIds: [...this.conversationIds],
      reconnects: this.reconnects,
      customerNumber: this.context.customerNumber,
      startedAt: this.startedAt,
      agentConnectedAt: this.agentConnectedAt,
      firstAgentAudioAt: this.firstAgentAudioAt,
      framesIn,
      framesOut,
      interruptions: this.timeline.count("barge_in"),
      transferTo: this.transferTo,
      timeline: this.timeline.events,
      instance: this.instanceId,
    };
  }

  /** The final record. */
  record(reason: EndReason, live: LiveRecord, extra: { errorDetail: string | undefined; recorded: boolean }): CallRecord {
    const endedAt = this.clock.epochMs();
    return { ...live, endedAt, durationMs: endedAt - this.startedAt, endReason: reason, errorDetail: extra.errorDetail, recorded: extra.recorded };
  }

  /** The per-call added latency as the live view shows it (two decimals). */
  latencyView(): { uplink: number; downlink: number } {
    return { uplink: Math.round(this.uplinkLatencyMs * 100) / 100, downlink: Math.round(this.downlinkLatencyMs * 100) / 100 };
  }
}
