/**
 * One Mcube call bridged to an agent conversation: the call's state machine. Events from the two legs
 * and the call's timers come in here; every state change goes through `transition` (call-state.ts).
 */
import type { ServerWebSocket } from "bun";
import type { AgentEvent, AgentLeg, AgentListener } from "../agent/agent-leg.ts";
import { classifyClose } from "../agent/agent-errors.ts";
import type { AgentConnector } from "../agent/elevenlabs-client.ts";
import type { InitiationFrame } from "../agent/elevenlabs-protocol.ts";
import { agentAudioFormat, type AudioFormat } from "../audio/audio-format.ts";
import type { AgentAudioFormat } from "../audio/agent-format.ts";
import { createTranscoder, type Transcoder } from "../audio/transcoder.ts";
import type { Clock } from "../base/clock.ts";
import { HomebookError } from "../base/errors.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { contextSources, extractCallContext, type CallContext } from "../telephony/call-context.ts";
import { McubeLeg, type McubeEvent, type McubeListener } from "../telephony/mcube-leg.ts";
import type { StartFrame } from "../telephony/mcube-protocol.ts";
import type { SocketData, SocketHandler, UpgradeRequest } from "../telephony/mcube-socket.ts";
import { AgentLiveness, agentSilentError } from "./agent-liveness.ts";
import { AgentSetup } from "./agent-setup.ts";
import { clientToolOutcome, systemToolIntent, type ToolIntent } from "./agent-tools.ts";
import type { Bot, BotResolver } from "./bot.ts";
import { CallEnding, hangupReason } from "./call-ending.ts";
import { agentReconnects, callErrors, callsEnded, firstAgentAudio, hot, ignoredFrames, sendStalls } from "./call-metrics.ts";
import type { CallRecord, CallRecordSink, EndReason, LiveCall, LiveRecord, OutboundContextLookup } from "./call-record.ts";
import { agentOf, describeState, transition, type CallState, type EndPlan } from "./call-state.ts";
import { CallTimeline } from "./call-timeline.ts";
import { conversationInitiation, reconnectInitiation, transcriptContext } from "./conversation-start.ts";
import { OwnedTimers } from "./owned-timers.ts";
import { Playout } from "./playout.ts";
import type { AgentSlots, CallRecording, Recordings, ReleaseSlot } from "./ports.ts";
import { CallRecordingTap } from "./recording-tap.ts";
import { TranscriptLog } from "./transcript-log.ts";
import { Turns } from "./turns.ts";
import { Uplink } from "./uplink.ts";

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

/** What a test (or the admin API) can check after a call: nothing may be left. */
export interface SessionDebugState {
  state: string;
  timers: number;
  agentOpen: boolean;
  holdsAgentSlot: boolean;
  mcubeOpen: boolean;
  pendingCheckpoints: number;
  uplinkBufferedMs: number;
}

/** Smoothing of the per-call added-latency means the console shows (the last ~50 frames weigh most). */
const LATENCY_SMOOTHING = 0.04;

export class CallSession implements SocketHandler, McubeListener {
  readonly sessionId: string;
  log: Logger;
  private state: CallState = { name: "awaiting_start" };
  private readonly deps: CallSessionDeps;
  private readonly clock: Clock;
  private readonly config: Config;
  private readonly timers: OwnedTimers;
  private readonly abort = new AbortController();
  private readonly setup: AgentSetup;
  private readonly turns: Turns;
  private readonly liveness: AgentLiveness;
  private readonly transcript: TranscriptLog;
  private readonly timeline: CallTimeline;
  private readonly ending: CallEnding;
  private readonly startedAt: number;
  private mcube: McubeLeg | undefined;
  private playout: Playout | undefined;
  private uplink: Uplink | undefined;
  private downlink: Transcoder | undefined;
  private recording: CallRecordingTap | undefined;
  private context: CallContext;
  private callId: string | undefined;
  private streamId: string | undefined;
  private bot: Bot | undefined;
  private init: InitiationFrame | undefined;
  private releaseSlot: ReleaseSlot | undefined;
  private conversationIds: string[] = [];
  private reconnects = 0;
  private maxDurationSeen = false;
  private agentConnectedAt: number | undefined;
  private firstAgentAudioAt: number | undefined;
  private errorDetail: string | undefined;
  private transferTo: string | undefined;
  private readonly ignoredKinds = new Set<string>();
  private uplinkLatencyMs = 0;
  private downlinkLatencyMs = 0;

  constructor(deps: CallSessionDeps, private readonly request: UpgradeRequest) {
    this.deps = deps;
    this.clock = deps.clock;
    this.config = deps.config;
    this.sessionId = request.sessionId;
    this.log = deps.logger.child({ session_id: this.sessionId });
    this.startedAt = this.clock.epochMs();
    this.timers = new OwnedTimers(this.clock);
    this.timeline = new CallTimeline(() => this.clock.now(), this.clock.now());
    this.transcript = new TranscriptLog(this.startedAt);
    this.context = extractCallContext(contextSources(request.headers, undefined));
    this.setup = new AgentSetup(
      { bots: deps.bots, slots: deps.slots, connector: deps.connector, outbound: deps.outbound, clock: this.clock, lookupTimeoutMs: this.config.database.botLookupTimeoutMs },
      this.abort.signal,
      this.log,
    );
    this.turns = new Turns({ clock: this.clock, onTurnEnd: (eventId) => this.onTurnEnd(eventId) });
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
      turns: this.turns,
      playout: () => this.playout,
      agentGone: () => agentOf(this.state) === undefined || !agentOf(this.state)!.isOpen,
      lastAudioAtMs: () => this.playout?.lastSentAtMs ?? Number.NEGATIVE_INFINITY,
      whenStarted: () => this.started,
    });
  }

  private resolveStarted!: () => void;
  private readonly started = new Promise<void>((resolve) => (this.resolveStarted = resolve));

  // ---- Mcube socket ---------------------------------------------------------------------------

  open(ws: ServerWebSocket<SocketData>): void {
    const { mcube } = this.config;
    this.mcube = new McubeLeg({
      socket: ws,
      clock: this.clock,
      shapes: mcube,
      defaultFormat: mcube.audioFormat === "audio/x-l16" ? { encoding: "pcm16le", sampleRate: mcube.sampleRate } : { encoding: "ulaw", sampleRate: 8000 },
      maxBufferedBytes: mcube.maxSendBufferBytes,
      stallTimeoutMs: mcube.sendStallTimeoutMs,
    });
    this.mcube.listen(this);
    this.log.info("call opened", { remote: this.request.remoteAddress, early_agent_start: this.context.did !== undefined });
    this.timers.after(mcube.startTimeoutMs, () => {
      if (this.state.name !== "awaiting_start") return;
      this.log.warn("no start frame in time; closing", { timeout_ms: mcube.startTimeoutMs });
      this.mcube?.close(1008, "no start frame");
      this.finish("start_timeout");
    });
    // The DID is already known: find the bot and warm its signed URL while Mcube sends start.
    if (this.context.did !== undefined) this.setup.prepare(this.context.did);
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

  /** One caller frame in the call's format. */
  audio(bytes: Uint8Array, receivedAtMs: number): void {
    hot.callerFramesIn.inc();
    hot.callerBytesIn.inc(bytes.length);
    this.recording?.caller(bytes);
    if (!this.uplink?.audio(bytes)) return;
    const addedMs = this.clock.now() - receivedAtMs;
    hot.agentFramesOut.inc();
    hot.uplinkLatency.observe(addedMs);
    this.uplinkLatencyMs += (addedMs - this.uplinkLatencyMs) * LATENCY_SMOOTHING;
  }

  event(event: McubeEvent): void {
    switch (event.kind) {
      case "start":
        return this.onStart(event.frame, event.format);
      case "dtmf":
        this.log.debug("caller pressed a key", { digit: event.digit });
        return this.uplink?.dtmf(event.digit);
      case "played":
        return this.playout?.played(event.name);
      case "cleared":
        return;
      case "stop":
        this.log.info("mcube stopped the stream", { reason: event.reason });
        return this.finish(hangupReason(this.state));
      case "ignored":
        return this.noteIgnored("mcube", event.reason);
      case "stalled":
        sendStalls.inc({ leg: "mcube" });
        this.log.warn("mcube stopped reading; ending the call", { buffered_bytes: event.bufferedBytes, stall_timeout_ms: this.config.mcube.sendStallTimeoutMs });
        this.mcube?.close(1011, "not reading");
        return this.finish("send_stall");
    }
  }

  private onStart(frame: StartFrame, format: AudioFormat | { unsupported: string }): void {
    const state = this.state;
    if (state.name !== "awaiting_start") return this.noteIgnored("mcube", `start_while_${state.name}`);
    this.callId = frame.start.callId;
    this.streamId = frame.start.streamId;
    this.log = this.deps.logger.child({ session_id: this.sessionId, call_id: this.callId });
    this.context = extractCallContext(contextSources(this.request.headers, frame));
    this.timeline.startAt(this.clock.now());
    this.timeline.add("start");
    this.log.info("call started", { stream_id: this.streamId, did: this.context.did, customer_number: this.context.customerNumber, business_id: this.context.businessId });
    this.resolveStarted();
    this.deps.records?.begin?.(this.liveFields());
    if ("unsupported" in format) {
      this.log.error("mcube sent a media format Homebook cannot serve; transferring the caller", { media_format: format.unsupported });
      const error = new HomebookError("upstream_protocol", `Mcube media format ${format.unsupported} is not served`, {
        fix: "stream audio/x-mulaw at 8000 Hz or audio/x-l16 at 8000 or 16000 Hz",
      });
      this.recordError(error);
      return this.endWith(this.fallbackPlan(error));
    }
    const mcube = this.mcube!;
    this.uplink = new Uplink({ bytesPerMs: mcube.bytesPerMs, dtmfTemplate: this.config.mcube.dtmfMessageTemplate });
    this.playout = new Playout({
      sink: mcube,
      clock: this.clock,
      bytesPerMs: mcube.bytesPerMs,
      maxPieceMs: this.config.mcube.playChunkMs,
      onSent: (bytes) => {
        hot.playFramesOut.inc();
        hot.playBytesOut.inc(bytes.length);
        this.recording?.sent(bytes);
      },
      onCleared: () => this.recording?.cleared(),
    });
    this.state = transition(state, { name: "connecting" });
    this.changed("start");
    this.setup
      .connect({
        did: this.context.did,
        callId: this.callId,
        init: (bot, outbound) => conversationInitiation({ bot, context: this.context, sessionId: this.sessionId, callId: this.callId, streamId: this.streamId, outbound }),
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

  private onBot(bot: Bot): void {
    this.bot = bot;
    const recording = this.deps.recordings?.open(this.sessionId, bot.recording);
    if (recording && this.mcube?.format && this.state.name !== "closed") this.recording = new CallRecordingTap(recording, this.mcube.format, () => this.sinceStartMs());
  }

  // ---- agent -----------------------------------------------------------------------------------

  private onAgentReady(agent: AgentLeg): void {
    const state = this.state;
    if (state.name !== "connecting" && state.name !== "reconnecting") {
      agent.close(1000, "caller left");
      return;
    }
    const { conversationId, inputFormat, outputFormat } = agent.metadata;
    this.conversationIds.push(conversationId);
    this.agentConnectedAt ??= this.clock.epochMs();
    const callFormat = this.mcube!.format!;
    this.downlink = createTranscoder(agentAudioFormat(outputFormat as AgentAudioFormat), callFormat);
    const uplink = createTranscoder(callFormat, agentAudioFormat(inputFormat as AgentAudioFormat));
    this.state = transition(state, { name: "live", agent });
    this.log.info(state.name === "reconnecting" ? "agent conversation reopened" : "agent conversation started", {
      conversation_id: conversationId,
      agent_id: agent.agentId,
      input_format: inputFormat,
      output_format: outputFormat,
      passthrough: this.downlink.passthrough && uplink.passthrough,
    });
    if (state.name === "reconnecting") {
      agentReconnects.inc({ outcome: "ok" });
      const context = transcriptContext(this.transcript.turns);
      if (context) agent.contextualUpdate(context);
    }
    this.timeline.add("agent_connected", state.name === "reconnecting" ? `conversation ${this.conversationIds.length}` : undefined);
    agent.listen(this.agentListener(agent));
    this.uplink!.attach(agent, uplink);
    this.liveness.watch(agent);
    this.changed("live");
  }

  private onAgentFailed(error: HomebookError): void {
    const state = this.state;
    if (state.name === "closed") return this.releaseAgentSlot();
    this.recordError(error);
    if (state.name === "reconnecting") agentReconnects.inc({ outcome: "failed" });
    if (state.name === "connecting" || state.name === "reconnecting") this.endWith(this.fallbackPlan(error));
  }

  private agentListener(agent: AgentLeg): AgentListener {
    // Frames of a conversation the call has let go (before a reconnect) are not the call's any more.
    const current = () => agentOf(this.state) === agent;
    return {
      audio: (bytes, eventId, receivedAtMs) => {
        if (current()) this.agentAudio(bytes, eventId, receivedAtMs);
      },
      event: (event) => {
        if (current()) this.agentEvent(agent, event);
      },
      closed: (code, reason, failure) => {
        if (current()) this.onAgentClosed(code, reason, failure);
      },
    };
  }

  private agentAudio(bytes: Uint8Array, eventId: number, receivedAtMs: number): void {
    hot.agentFramesIn.inc();
    hot.agentBytesIn.inc(bytes.length);
    if (!this.turns.accept(eventId)) return hot.staleDropped.inc();
    const playout = this.playout!;
    const before = playout.piecesOut;
    playout.send(this.downlink!.process(bytes));
    if (playout.piecesOut === before) return;
    const addedMs = this.clock.now() - receivedAtMs;
    hot.downlinkLatency.observe(addedMs);
    this.downlinkLatencyMs += (addedMs - this.downlinkLatencyMs) * LATENCY_SMOOTHING;
    if (this.firstAgentAudioAt === undefined) {
      this.firstAgentAudioAt = this.clock.epochMs();
      firstAgentAudio.observe(undefined, this.sinceStartMs());
      this.timeline.add("first_agent_audio");
    }
    this.ending.wake();
  }

  private onTurnEnd(eventId: number): void {
    this.playout?.checkpoint(`turn-${eventId}`);
    this.ending.turnEnded();
  }

  private agentEvent(agent: AgentLeg, event: AgentEvent): void {
    switch (event.kind) {
      case "interruption":
        this.log.debug("caller interrupted the agent", { event_id: event.eventId });
        this.turns.interrupt(event.eventId);
        this.downlink?.reset();
        this.playout?.clear();
        return this.timeline.add("barge_in");
      case "agent_response_complete":
        return this.turns.complete(event.eventId);
      case "user_transcript":
      case "agent_response":
        return this.addTranscript(event.kind === "user_transcript" ? "user" : "agent", event.text, event.eventId);
      case "agent_response_correction":
        return this.transcript.correct(event.original, event.corrected, event.eventId);
      case "client_tool_call": {
        const outcome = clientToolOutcome(event.toolName, event.parameters);
        agent.toolResult(event.toolCallId, outcome.result, outcome.isError);
        this.timeline.add("tool_call", `client ${event.toolName.slice(0, 40)}${outcome.isError ? " (refused)" : ""}`);
        if (!outcome.intent) return this.noteIgnored("agent", `client_tool:${event.toolName.slice(0, 40)}`);
        return this.act(outcome.intent);
      }
      case "agent_tool_response": {
        const intent = systemToolIntent(event);
        if (!intent) return;
        this.timeline.add("tool_call", `system ${event.toolName}${event.isError ? " (reported failed)" : ""}`);
        if (event.isError && intent.kind === "transfer") this.log.warn("agent reported transfer_to_number as failed; transferring from the bridge anyway");
        return this.act(intent);
      }
      case "mcp_tool_call": {
        if (event.state !== "awaiting_approval") return;
        const approve = (this.bot?.mcpApproval ?? this.config.elevenlabs.mcpToolApproval) === "approve";
        agent.mcpApproval(event.toolCallId, approve);
        this.timeline.add("tool_call", `mcp ${event.toolName.slice(0, 40)} ${approve ? "approved" : "rejected"}`);
        return this.log.info(approve ? "approved an MCP tool call" : "rejected an MCP tool call (MCP_TOOL_APPROVAL)", { tool_name: event.toolName.slice(0, 80) });
      }
      case "dtmf_request":
        if (event.digits) return this.act({ kind: "dtmf", digits: event.digits });
        return this.noteIgnored("agent", "dtmf_request_without_digits");
      case "queue_status":
        return this.log.info("agent service queue", { status: event.status });
      case "error":
        if (event.errorType === "max_duration_exceeded") this.maxDurationSeen = true;
        return this.log.warn("agent sent an error", { code: event.code, error_type: event.errorType, message: event.message, debug_message: event.debugMessage, reason: event.reason });
      case "stalled":
        sendStalls.inc({ leg: "agent" });
        this.log.warn("agent stopped reading caller audio", { buffered_bytes: event.bufferedBytes });
        agent.abandon();
        return this.agentLost(new HomebookError("upstream_unavailable", "agent stopped reading (SEND_STALL_TIMEOUT_MS)", { retryable: true }));
      case "passive":
        return;
      case "ignored":
        return this.noteIgnored("agent", event.reason);
    }
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
        // The tool's own number wins whichever of its two responses came first.
        if (state.name === "ending" && state.plan.kind === "transfer" && state.step !== "commanded" && intent.number !== undefined) {
          this.state = transition(state, { ...state, plan: { ...state.plan, number: this.pickNumber(intent.number, this.bot?.transferNumber) } });
          return;
        }
        return this.endWith({ kind: "transfer", reason: "transfer", number: this.pickNumber(intent.number, this.bot?.transferNumber), source: intent.source });
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
    this.recordError(failure);
    this.liveness.stop();
    this.turns.reset();
    this.downlink?.reset();
    const attempt = this.reconnects + 1;
    if (!failure.retryable || attempt > this.config.elevenlabs.reconnects || !this.bot || !this.init) {
      this.uplink?.detach(false);
      return this.endWith(this.fallbackPlan(failure));
    }
    this.reconnects = attempt;
    this.uplink?.detach(true);
    this.state = transition(state, { name: "reconnecting", attempt });
    this.timeline.add("agent_reconnect", `attempt ${attempt}`);
    this.log.warn("agent connection lost; opening a new conversation", { code: failure.code, attempt, detail: failure.message });
    this.changed("reconnecting");
    const bot = this.bot;
    const init = reconnectInitiation(this.init, this.config.elevenlabs.reconnectMessage);
    const timeoutMs = this.config.elevenlabs.reconnectTimeoutMs;
    const deadline = this.timers.sleep(timeoutMs).then(() => {
      throw new HomebookError("timeout", `no new agent conversation within AGENT_RECONNECT_TIMEOUT_MS (${timeoutMs} ms)`, { retryable: false });
    });
    Promise.race([this.setup.reconnect(bot, init), deadline]).then(
      (agent) => this.onAgentReady(agent),
      (err) => this.onAgentFailed(asHomebookError(err)),
    );
  }

  // ---- ending ----------------------------------------------------------------------------------

  /** Starts the gateway's end of the call (once; a later request only refines a pending transfer's number). */
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
  private onEndingStep(step: "draining" | "command" | "done"): void {
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
      this.transferTo = plan.number;
      this.timeline.add("transfer");
      this.mcube?.transfer(plan.number);
      return;
    }
    // After `transfer`, Mcube closes the stream itself; close it ourselves if it has not.
    this.mcube?.close(1000, "call transferred");
    this.finish(hangupReason(state));
  }

  private fallbackPlan(error: HomebookError): EndPlan {
    return { kind: "fallback", number: this.pickNumber(undefined, this.bot?.fallbackNumber), error };
  }

  /** The tool's number when it is a 10-digit number, else the configured one, else AGENT_PHONE_NUMBER. */
  private pickNumber(requested: string | undefined, configured: string | undefined): string {
    const fromTool = normalizePhoneNumber(requested);
    if (requested !== undefined && !fromTool) this.log.warn("transfer number from the agent is not a 10-digit number; using the configured one");
    return fromTool ?? normalizePhoneNumber(configured) ?? this.config.agentPhoneNumber;
  }

  /** Drain timeout: this caller is transferred at once (no goodbye wait). */
  transferNow(number: string): void {
    this.endWith({ kind: "transfer", reason: "drain", number, source: "drain" });
  }

  // ---- teardown --------------------------------------------------------------------------------

  private closeAgent(): void {
    agentOf(this.state)?.close(1000, "call ended");
    this.liveness.stop();
    this.uplink?.detach(false);
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
    this.timers.clearAll();
    this.turns.stop();
    this.abort.abort();
    this.playout?.close();
    this.mcube?.close(1000, "call ended");
    this.timeline.add("end", reason);
    const recorded = this.recording?.close() ?? false;
    const record = this.record(reason, errorDetail, recorded);
    callsEnded.inc({ end_reason: reason });
    this.log.info("call ended", { end_reason: reason, duration_ms: record.durationMs, frames_in: record.framesIn, frames_out: record.framesOut, transfer_to: record.transferTo });
    try {
      this.deps.records?.write(record, this.transcript.turns);
    } catch (err) {
      this.log.error("call record sink failed", { err });
    }
    this.deps.onEnded(this);
  }

  // ---- views -----------------------------------------------------------------------------------

  private record(reason: EndReason, errorDetail: string | undefined, recorded: boolean): CallRecord {
    const endedAt = this.clock.epochMs();
    return { ...this.liveFields(), endedAt, durationMs: endedAt - this.startedAt, endReason: reason, errorDetail: errorDetail ?? this.errorDetail, recorded };
  }

  private liveFields(): LiveRecord {
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
      framesIn: this.mcube?.framesIn ?? 0,
      framesOut: this.playout?.piecesOut ?? 0,
      interruptions: this.timeline.events.filter((e) => e.kind === "barge_in").length,
      transferTo: this.transferTo,
      timeline: this.timeline.events,
      instance: this.deps.instanceId,
    };
  }

  /** The admin API's and console's view of this call. */
  live(): LiveCall {
    return {
      ...this.liveFields(),
      state: describeState(this.state),
      transcript: [...this.transcript.turns],
      agentSpeaking: this.playout?.playing ?? false,
      addedLatencyMs: { uplink: round2(this.uplinkLatencyMs), downlink: round2(this.downlinkLatencyMs) },
    };
  }

  get stateName(): CallState["name"] {
    return this.state.name;
  }

  debugState(): SessionDebugState {
    return {
      state: describeState(this.state),
      timers: this.timers.size,
      agentOpen: agentOf(this.state)?.isOpen ?? false,
      holdsAgentSlot: this.releaseSlot !== undefined,
      mcubeOpen: this.mcube?.isOpen ?? false,
      pendingCheckpoints: this.playout?.pendingCheckpoints ?? 0,
      uplinkBufferedMs: this.uplink?.bufferedMs ?? 0,
    };
  }

  // ---- small helpers ---------------------------------------------------------------------------

  private addTranscript(role: "user" | "agent", text: string, eventId: number | undefined): void {
    const turn = this.transcript.add(role, text, eventId, this.clock.epochMs());
    this.deps.records?.transcript?.(this.sessionId, [turn]);
    this.deps.onChange?.(this);
  }

  private sinceStartMs(): number {
    return this.timeline.sinceStartMs();
  }

  private changed(what: string): void {
    this.log.debug("call state", { state: describeState(this.state), on: what });
    this.deps.onChange?.(this);
  }

  private recordError(error: HomebookError): void {
    callErrors.inc({ kind: error.code });
    this.errorDetail = `${error.code}: ${error.message}`;
    const fields = { code: error.code, detail: error.message, retryable: error.retryable, fix: error.fix };
    if (error.retryable) this.log.warn("agent connection failed", fields);
    else this.log.error(`agent connection failed and will not be retried; fix: ${error.fix ?? "see detail"}`, fields);
  }

  private noteIgnored(leg: "mcube" | "agent", kind: string): void {
    ignoredFrames.inc({ leg, kind: kind.split(":")[0]! });
    if (this.ignoredKinds.has(`${leg}:${kind}`)) return;
    this.ignoredKinds.add(`${leg}:${kind}`);
    this.log.warn("ignoring a frame the bridge cannot use (logged once per kind)", { leg, kind });
  }
}

function asHomebookError(err: unknown): HomebookError {
  return err instanceof HomebookError ? err : new HomebookError("internal", String((err as Error)?.message ?? err), { cause: err });
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export type { CallRecording };
