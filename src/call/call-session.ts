/**
 * One Mcube call bridged to an agent conversation: the call's state machine. Events from the two legs
 * and the call's timers come in here; every state change goes through `transition` (call-state.ts);
 * the audio itself moves through the media bridge.
 */
import type { ServerWebSocket } from "bun";
import type { AgentLeg, AgentListener } from "../agent/agent-leg.ts";
import { classifyClose } from "../agent/agent-errors.ts";
import type { AgentConnector } from "../agent/elevenlabs-client.ts";
import type { InitiationFrame } from "../agent/elevenlabs-protocol.ts";
import type { AudioFormat } from "../audio/audio-format.ts";
import type { Clock } from "../base/clock.ts";
import { HomebookError } from "../base/errors.ts";
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { contextSources, extractCallContext } from "../telephony/call-context.ts";
import { McubeLeg, type McubeEvent, type McubeListener } from "../telephony/mcube-leg.ts";
import { formatOfContentType, type StartFrame } from "../telephony/mcube-protocol.ts";
import type { SocketData, SocketHandler, UpgradeRequest } from "../telephony/mcube-socket.ts";
import { AgentLiveness, agentSilentError } from "./agent-liveness.ts";
import { AgentSetup } from "./agent-setup.ts";
import { routeAgentEvent, type AgentEventTarget } from "./agent-events.ts";
import type { ToolIntent } from "./agent-tools.ts";
import type { Bot, BotResolver } from "./bot.ts";
import { CallEnding, hangupReason, type EndingStep } from "./call-ending.ts";
import { CallFacts } from "./call-facts.ts";
import { agentReconnects, callsEnded, hot, sendStalls } from "./call-metrics.ts";
import type { CallRecordSink, EndReason, LiveCall, LiveRecord, OutboundContextLookup, SessionDebugState } from "./call-record.ts";
import { agentOf, describeState, transition, type CallState, type EndPlan } from "./call-state.ts";
import { conversationInitiation, transcriptContext } from "./conversation-start.ts";
import { reopenConversation } from "./agent-reconnect.ts";
import { transferNumber } from "./transfer-number.ts";
import { MediaBridge } from "./media-bridge.ts";
import { OwnedTimers } from "../base/owned-timers.ts";
import { CallTrouble } from "./call-trouble.ts";
import type { AgentSlots, Recordings, ReleaseSlot } from "./ports.ts";

export interface CallSessionDeps {
  config: Config;
  logger: Logger;
  clock: Clock;
  bots: BotResolver;
  slots: AgentSlots;
  connector: AgentConnector;
  records?: CallRecordSink;
  outbound?: OutboundContextLookup;
  recordings?: Recordings;
  /** INSTANCE_ID, stamped on records and live views. */
  instanceId?: string;
  /** The call's state or what it shows changed (the cluster registry keeps its view fresh). */
  onChange?(session: CallSession): void;
  /** The session ended (after its record was written): remove it from the Map. */
  onEnded(session: CallSession): void;
}

export class CallSession implements SocketHandler, McubeListener {
  readonly sessionId: string;
  log: Logger;
  private state: CallState = { name: "awaiting_start" };
  private readonly config: Config;
  private readonly clock: Clock;
  private readonly timers: OwnedTimers;
  private readonly abort = new AbortController();
  private readonly facts: CallFacts;
  private readonly setup: AgentSetup;
  private readonly liveness: AgentLiveness;
  private readonly ending: CallEnding;
  private mcube: McubeLeg | undefined;
  private media: MediaBridge | undefined;
  private init: InitiationFrame | undefined;
  private releaseSlot: ReleaseSlot | undefined;
  private maxDurationSeen = false;
  private readonly trouble = new CallTrouble(() => this.log);
  private resolveStarted!: () => void;
  private readonly started = new Promise<void>((resolve) => (this.resolveStarted = resolve));

  constructor(
    private readonly deps: CallSessionDeps,
    private readonly request: UpgradeRequest,
  ) {
    this.config = deps.config;
    this.clock = deps.clock;
    this.sessionId = request.sessionId;
    this.log = deps.logger.child({ session_id: this.sessionId });
    this.timers = new OwnedTimers(this.clock);
    this.facts = new CallFacts(this.sessionId, this.clock, deps.instanceId);
    this.facts.context = extractCallContext(contextSources(request.headers, undefined));
    const { bots, slots, connector, outbound } = deps;
    this.setup = new AgentSetup({ bots, slots, connector, outbound, clock: this.clock, lookupTimeoutMs: this.config.database.botLookupTimeoutMs }, this.abort.signal, this.log);
    this.liveness = new AgentLiveness({
      timers: this.timers,
      clock: this.clock,
      idleTimeoutMs: this.config.elevenlabs.idleTimeoutMs,
      onSilent: (silentMs) => this.onAgentSilent(silentMs),
      stillWatching: () => this.state.name === "live",
    });
    this.ending = new CallEnding({
      clock: this.clock,
      timers: this.timers,
      log: () => this.log,
      media: () => this.media,
      agentGone: () => !agentOf(this.state)?.isOpen,
      lastAudioAtMs: () => this.media?.playout.lastSentAtMs ?? Number.NEGATIVE_INFINITY,
      whenStarted: () => this.started,
    });
  }

  // ---- Mcube -----------------------------------------------------------------------------------

  open(ws: ServerWebSocket<SocketData>): void {
    const { mcube } = this.config;
    this.mcube = new McubeLeg({
      socket: ws,
      clock: this.clock,
      shapes: mcube,
      defaultFormat: formatOfContentType(mcube.audioFormat, mcube.sampleRate),
      maxBufferedBytes: mcube.maxSendBufferBytes,
      stallTimeoutMs: mcube.sendStallTimeoutMs,
      dropCounter: hot.mcubeSendDropped,
    });
    this.mcube.listen(this);
    this.log.info("call opened", { remote: this.request.remoteAddress, early_agent_start: this.facts.context.did !== undefined });
    this.timers.after(mcube.startTimeoutMs, () => {
      if (this.state.name !== "awaiting_start") return;
      this.log.warn("no start frame in time; closing", { timeout_ms: mcube.startTimeoutMs });
      this.mcube?.close(1008, "no start frame");
      this.finish("start_timeout");
    });
    // The DID is already known: find the bot and warm its signed URL while Mcube sends start.
    if (this.facts.context.did !== undefined) this.setup.prepare(this.facts.context.did);
  }

  message(_ws: ServerWebSocket<SocketData>, data: string | Buffer): void {
    if (this.state.name !== "closed") this.mcube?.receive(data, this.clock.now());
  }

  close(_ws: ServerWebSocket<SocketData>, code: number, _reason?: string): void {
    this.mcube?.closed();
    // Whoever closed it from this side finishes the call with the right reason.
    if (this.state.name === "closed" || this.mcube?.closedByGateway) return;
    this.log.info("caller hung up", { code });
    this.finish(hangupReason(this.state));
  }

  drain(): void {
    this.mcube?.drained();
  }

  /** One caller frame in the call's format (McubeListener). */
  audio(bytes: Uint8Array, receivedAtMs: number): void {
    hot.callerFramesIn.inc();
    hot.callerBytesIn.inc(bytes.length);
    this.media?.callerAudio(bytes, receivedAtMs);
  }

  event(event: McubeEvent): void {
    switch (event.kind) {
      case "start":
        return this.onStart(event.frame, event.format);
      case "dtmf":
        this.log.debug("caller pressed a key", { digit: event.digit });
        return this.media?.dtmf(event.digit);
      case "played":
        return this.media?.playout.played(event.name);
      case "cleared":
        return;
      case "stop":
        this.log.info("mcube stopped the stream", { reason: event.reason });
        return this.finish(hangupReason(this.state));
      case "ignored":
        return this.trouble.ignored("mcube", event.reason);
      case "stalled":
        sendStalls.inc({ leg: "mcube" });
        this.log.warn("mcube stopped reading; ending the call", { buffered_bytes: event.bufferedBytes, stall_timeout_ms: this.config.mcube.sendStallTimeoutMs });
        this.mcube?.abort();
        return this.finish("send_stall");
    }
  }

  private onStart(frame: StartFrame, format: AudioFormat | { unsupported: string }): void {
    const state = this.state;
    if (state.name !== "awaiting_start") return this.trouble.ignored("mcube", `start_while_${state.name}`);
    const facts = this.facts;
    facts.callId = frame.start.callId;
    facts.streamId = frame.start.streamId;
    facts.context = extractCallContext(contextSources(this.request.headers, frame));
    facts.timeline.startAt(this.clock.now());
    facts.timeline.add("start");
    this.log = this.deps.logger.child({ session_id: this.sessionId, call_id: facts.callId });
    this.log.info("call started", { stream_id: facts.streamId, did: facts.context.did, customer_number: facts.context.customerNumber, business_id: facts.context.businessId });
    this.resolveStarted();
    this.deps.records?.begin?.(this.liveRecord());
    if ("unsupported" in format) return this.refuseFormat(format.unsupported);
    this.media = new MediaBridge({
      mcube: this.mcube!,
      format,
      clock: this.clock,
      facts,
      playChunkMs: this.config.mcube.playChunkMs,
      dtmfTemplate: this.config.mcube.dtmfMessageTemplate,
      onTurnEnd: () => this.ending.turnEnded(),
      onAgentAudio: () => this.ending.wake(),
    });
    this.state = transition(state, { name: "connecting" });
    this.changed("start");
    this.setup
      .connect({
        did: facts.context.did,
        callId: facts.callId,
        init: (bot, outbound) => conversationInitiation({ bot, context: facts.context, sessionId: this.sessionId, callId: facts.callId, streamId: facts.streamId, outbound }),
        onBot: (bot) => this.onBot(bot),
        onSlot: (release) => (this.state.name === "closed" ? release() : (this.releaseSlot = release)),
      })
      .then(
        ({ agent, init }) => {
          this.init = init;
          this.onAgentReady(agent);
        },
        (err) => this.onAgentFailed(asHomebookError(err)),
      );
  }

  /** Mcube streams audio Homebook cannot serve: one log line naming it, then the bot's fallback number (the bot is looked up first, bounded). */
  private refuseFormat(sent: string): void {
    this.log.error("mcube sent a media format Homebook cannot serve; transferring the caller", { media_format: sent });
    const error = new HomebookError("upstream_protocol", `Mcube media format ${sent} is not served`, {
      fix: "stream audio/x-mulaw at 8000 Hz or audio/x-l16 at 8000 or 16000 Hz",
    });
    this.trouble.note(error);
    this.setup.bot(this.facts.context.did).then(
      (bot) => {
        this.facts.bot ??= bot;
        this.endWith(this.fallbackPlan(error));
      },
      () => this.endWith(this.fallbackPlan(error)),
    );
  }

  private onBot(bot: Bot): void {
    this.facts.bot = bot;
    if (this.state.name === "closed") return;
    const recording = this.deps.recordings?.open(this.sessionId, bot.recording);
    if (recording) this.media?.record(recording);
  }

  // ---- agent -----------------------------------------------------------------------------------

  private onAgentReady(agent: AgentLeg): void {
    const state = this.state;
    if (state.name !== "connecting" && state.name !== "reconnecting") return agent.close(1000, "caller left");
    const { conversationId, inputFormat, outputFormat } = agent.metadata;
    this.facts.conversationIds.push(conversationId);
    this.facts.agentConnectedAt ??= this.clock.epochMs();
    this.state = transition(state, { name: "live", agent });
    const reopened = state.name === "reconnecting";
    agent.listen(this.agentListener(agent));
    if (reopened) {
      agentReconnects.inc({ outcome: "ok" });
      // The conversation so far first: the caller's words held meanwhile follow it (attach).
      const context = transcriptContext(this.facts.transcript.turns);
      if (context) agent.contextualUpdate(context);
    }
    const passthrough = this.media!.attach(agent, inputFormat, outputFormat);
    this.log.info(reopened ? "agent conversation reopened" : "agent conversation started", {
      conversation_id: conversationId,
      agent_id: agent.agentId,
      input_format: inputFormat,
      output_format: outputFormat,
      passthrough,
    });
    this.facts.timeline.add("agent_connected", reopened ? `conversation ${this.facts.conversationIds.length}` : undefined);
    this.liveness.watch(agent);
    // The journal learns the bot and the conversation: a crash from here on leaves them in the history.
    this.deps.records?.begin?.(this.liveRecord());
    this.changed("live");
  }

  private onAgentFailed(error: HomebookError): void {
    const state = this.state;
    if (state.name === "closed") return this.releaseAgentSlot();
    this.trouble.agentFailed(error);
    if (state.name === "reconnecting") agentReconnects.inc({ outcome: "failed" });
    if (state.name === "connecting" || state.name === "reconnecting") this.endWith(this.fallbackPlan(error));
  }

  private agentListener(agent: AgentLeg): AgentListener {
    // Frames of a conversation the call has let go (before a reconnect) are not the call's any more.
    const current = () => agentOf(this.state) === agent;
    // Agents attach after Mcube's start: the call's logger and media are final by then.
    const target: AgentEventTarget = {
      log: this.log,
      facts: this.facts,
      media: this.media!,
      mcpToolApproval: this.config.elevenlabs.mcpToolApproval,
      act: (intent) => this.act(intent),
      agentLost: (failure) => this.agentLost(failure),
      transcribed: (turn) => {
        this.deps.records?.transcript?.(this.sessionId, [turn]);
        this.deps.onChange?.(this);
      },
      maxDurationReached: () => (this.maxDurationSeen = true),
      noteIgnored: (kind) => this.trouble.ignored("agent", kind),
    };
    return {
      audio: (bytes, eventId, receivedAtMs) => {
        if (!current()) return;
        hot.agentFramesIn.inc();
        hot.agentBytesIn.inc(bytes.length);
        this.media!.agentAudio(bytes, eventId, receivedAtMs);
      },
      event: (event) => {
        if (current()) routeAgentEvent(target, agent, event);
      },
      closed: (code, reason, failure) => {
        if (current()) this.onAgentClosed(code, reason, failure);
      },
    };
  }

  /** Carries out what a tool asked for. */
  private act(intent: ToolIntent): void {
    switch (intent.kind) {
      case "dtmf":
        this.log.info("agent pressed keys", { count: intent.digits.length });
        this.log.debug("keys pressed", { digits: intent.digits });
        return this.mcube?.sendDtmf(intent.digits);
      case "end":
        return this.endWith({ kind: "end", reason: "agent_end_call", source: intent.source });
      case "transfer": {
        const state = this.state;
        const number = this.numberFor(intent.number, this.facts.bot?.transferNumber);
        // The tool's own number wins whichever of its two responses (plain, full payload) came first.
        if (state.name === "ending" && state.plan.kind === "transfer" && state.step !== "commanded" && intent.number !== undefined) {
          this.state = transition(state, { ...state, plan: { ...state.plan, number } });
          return;
        }
        return this.endWith({ kind: "transfer", reason: "transfer", number, source: intent.source });
      }
    }
  }

  private onAgentClosed(code: number, reason: string, failure: HomebookError | undefined): void {
    const state = this.state;
    this.liveness.stop();
    if (state.name === "ending") return this.ending.wake();
    if (state.name !== "live") return;
    if (code === 1000) return this.endWith({ kind: "end", reason: this.maxDurationSeen ? "max_duration" : "agent_end_call", source: "agent_close" });
    this.agentLost(failure ?? classifyClose(code, reason, true));
  }

  /** Nothing (no frame, no pong) came from a live agent for AGENT_IDLE_TIMEOUT_MS: the connection is dead without a close. */
  private onAgentSilent(silentMs: number): void {
    const agent = agentOf(this.state);
    if (this.state.name !== "live" || !agent) return;
    agent.abandon(); // a dead peer would never answer a close handshake
    this.log.warn("agent went silent; treating its connection as dead", { silent_ms: silentMs });
    this.agentLost(agentSilentError(silentMs, this.config.elevenlabs.idleTimeoutMs));
  }

  /** A live agent connection is gone: a new conversation for the same bot, or the fallback transfer. */
  private agentLost(failure: HomebookError): void {
    const state = this.state;
    if (state.name !== "live") return;
    this.trouble.agentFailed(failure);
    this.liveness.stop();
    const attempt = this.facts.reconnects + 1;
    const bot = this.facts.bot;
    if (!failure.retryable || attempt > this.config.elevenlabs.reconnects || !bot || !this.init) {
      this.media!.detach(false);
      return this.endWith(this.fallbackPlan(failure));
    }
    this.media!.detach(true);
    this.facts.reconnects = attempt;
    this.state = transition(state, { name: "reconnecting", attempt });
    this.facts.timeline.add("agent_reconnect", `attempt ${attempt}`);
    this.log.warn("agent connection lost; opening a new conversation", { code: failure.code, attempt, detail: failure.message });
    this.changed("reconnecting");
    const { reconnectTimeoutMs, reconnectMessage } = this.config.elevenlabs;
    const heardAgent = this.facts.firstAgentAudioAt !== undefined;
    reopenConversation({ setup: this.setup, timers: this.timers, bot, init: this.init, failure, heardAgent, reconnectTimeoutMs, reconnectMessage }).then(
      (agent) => this.onAgentReady(agent),
      (err) => this.onAgentFailed(asHomebookError(err)),
    );
  }

  // ---- ending ----------------------------------------------------------------------------------

  /** Starts the gateway's end of the call, once. */
  private endWith(plan: EndPlan): void {
    const state = this.state;
    if (state.name === "ending" || state.name === "closed") return;
    this.state = transition(state, { name: "ending", plan, step: "settling", agent: agentOf(state) });
    if (plan.kind === "fallback") this.log.warn("agent unavailable; transferring the caller to the fallback number", { code: plan.error.code, retryable: plan.error.retryable, transfer_to: plan.number });
    else if (plan.kind === "transfer") this.log.info("transferring the call", { source: plan.source, transfer_to: plan.number });
    else this.log.info(plan.reason === "max_duration" ? "the agent's maximum conversation duration passed" : "agent ended the call", { source: plan.source });
    this.changed("ending");
    this.ending.run(plan, (step) => this.onEndingStep(step)).catch((err) => {
      this.log.error("call control failed", { err });
      this.mcube?.close(1011, "internal error");
      this.finish("internal_error", String((err as Error)?.message ?? err));
    });
  }

  /** The ending moved on: the agent is closed before the command, then Mcube is told and the call finishes. */
  private onEndingStep(step: EndingStep): void {
    const state = this.state;
    if (state.name !== "ending") return;
    if (step === "draining") {
      this.state = transition(state, { ...state, step: "draining" });
      return;
    }
    if (step === "command") {
      this.closeAgent();
      this.state = transition(state, { ...state, step: "commanded", agent: undefined });
      const plan = state.plan;
      if (plan.kind === "end") {
        this.mcube?.terminate();
        this.mcube?.close(1000, "call ended by agent");
        return this.finish(plan.reason);
      }
      this.facts.transferTo = plan.number;
      this.facts.timeline.add("transfer");
      this.mcube?.transfer(plan.number);
      return;
    }
    // After `transfer`, Mcube closes the stream itself; close it ourselves if it has not.
    this.mcube?.close(1000, "call transferred");
    this.finish(hangupReason(state));
  }

  private numberFor(requested: string | undefined, configured: string | undefined): string {
    return transferNumber(requested, configured, this.config.agentPhoneNumber, this.log);
  }

  private fallbackPlan(error: HomebookError): EndPlan {
    return { kind: "fallback", number: this.numberFor(undefined, this.facts.bot?.fallbackNumber), error };
  }

  /** Drain timeout: this caller is transferred at once (no goodbye wait). */
  transferNow(number: string): void {
    this.endWith({ kind: "transfer", reason: "drain", number, source: "drain" });
  }

  // ---- teardown --------------------------------------------------------------------------------

  private closeAgent(): void {
    agentOf(this.state)?.close(1000, "call ended");
    this.liveness.stop();
    this.releaseAgentSlot();
  }

  private releaseAgentSlot(): void {
    const release = this.releaseSlot;
    this.releaseSlot = undefined;
    release?.();
  }

  /** Ends the call once: every timer, socket and slot is released, the record written, the Map entry removed. */
  finish(reason: EndReason, errorDetail?: string): void {
    const state = this.state;
    if (state.name === "closed") return;
    this.closeAgent();
    this.state = transition(state, { name: "closed", reason });
    this.timers.stop();
    this.abort.abort();
    this.mcube?.close(1000, "call ended");
    this.facts.timeline.add("end", reason);
    const recorded = this.media?.close() ?? false;
    const record = this.facts.record(reason, this.liveRecord(), { errorDetail: errorDetail ?? this.trouble.errorDetail, recorded });
    callsEnded.inc({ end_reason: reason });
    this.log.info("call ended", { end_reason: reason, duration_ms: record.durationMs, frames_in: record.framesIn, frames_out: record.framesOut, transfer_to: record.transferTo });
    try {
      this.deps.records?.write(record, this.facts.transcript.turns);
    } catch (err) {
      this.log.error("call record sink failed", { err });
    }
    this.deps.onEnded(this);
  }

  // ---- views -----------------------------------------------------------------------------------

  private liveRecord(): LiveRecord {
    return this.facts.live(this.mcube?.framesIn ?? 0, this.media?.playout.piecesOut ?? 0);
  }

  /** The admin API's and console's view of this call. */
  live(): LiveCall {
    return {
      ...this.liveRecord(),
      state: describeState(this.state),
      transcript: [...this.facts.transcript.turns],
      agentSpeaking: this.media?.playout.playing ?? false,
      addedLatencyMs: this.facts.latencyView(),
    };
  }

  get stateName(): CallState["name"] {
    return this.state.name;
  }

  debugState(): SessionDebugState {
    const agent = agentOf(this.state);
    return {
      state: describeState(this.state),
      timers: this.timers.size,
      agentOpen: agent?.isOpen ?? false,
      holdsAgentSlot: this.releaseSlot !== undefined,
      mcubeOpen: this.mcube?.isOpen ?? false,
      pendingCheckpoints: this.media?.playout.pendingCheckpoints ?? 0,
      uplinkBufferedMs: this.media?.uplinkBufferedMs ?? 0,
      mcubeBufferedBytes: this.mcube?.bufferedBytes ?? 0,
      mcubeDroppedBytes: this.mcube?.droppedOutBytes ?? 0,
      agentBufferedBytes: agent?.bufferedBytes ?? 0,
      agentDroppedBytes: agent?.droppedBytes ?? 0,
    };
  }

  private changed(what: string): void {
    this.log.debug("call state", { state: describeState(this.state), on: what });
    this.deps.onChange?.(this);
  }

}

function asHomebookError(err: unknown): HomebookError {
  return err instanceof HomebookError ? err : new HomebookError("internal", String((err as Error)?.message ?? err), { cause: err });
}
