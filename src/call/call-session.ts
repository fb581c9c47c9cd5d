/** One Mcube call bridged to one agent conversation: lifecycle, frame routing, and the single teardown. */
import type { ServerWebSocket } from "bun";
import type { AgentConnection } from "../agent/agent-socket.ts";
import { classifyClose } from "../agent/agent-errors.ts";
import type { AgentAudioFormat } from "../audio/agent-format.ts";
import type { Config } from "../config/index.ts";
import { HomebookError } from "../base/errors.ts";
import type { Logger } from "../log/logger.ts";
import type { SocketData, SocketHandler, UpgradeRequest } from "../http/socket.ts";
import type { Bot } from "./bot.ts";
import { contextSources, extractCallContext, type CallContext } from "../telephony/call-context.ts";
import { parseMcubeFrame, type StartFrame } from "../telephony/mcube-protocol.ts";
import type { ReleaseSlot } from "./agent-limiter.ts";
import { AgentLiveness, agentSilentError } from "./agent-liveness.ts";
import { findOutboundContext, startAgent, type AgentStartDeps } from "./agent-start.ts";
import { CallControl } from "./call-control.ts";
import { callErrors, callsEnded, firstAgentAudio, ignoredFrames } from "./call-metrics.ts";
import type { CallRecord, CallRecordSink, EndReason, LiveCall, OutboundContextLookup } from "./call-record.ts";
import { conversationInitiation } from "./conversation-start.ts";
import { OwnedTimers } from "./owned-timers.ts";
import { Downlink } from "./session-downlink.ts";
import { Uplink } from "./session-uplink.ts";
import { TranscriptLog } from "./transcript-log.ts";
import { AgentEvents } from "./session-agent-events.ts";
import type { CallRecording, Recordings } from "./ports.ts";
import { mulawDecode } from "../audio/mulaw.ts";

export interface CallSessionDeps extends AgentStartDeps {
  config: Config;
  logger: Logger;
  records?: CallRecordSink;
  outbound?: OutboundContextLookup;
  recordings?: Recordings;
  /** The session ended (after its record was written): remove it from the Map. */
  onEnded(session: CallSession): void;
}

export type CallState = "awaiting_start" | "connecting" | "live" | "ending" | "ended";

/** What a test (or the admin API) can check after a call: nothing may be left. */
export interface SessionDebugState {
  state: CallState;
  timers: number;
  agentOpen: boolean;
  holdsAgentSlot: boolean;
  mcubeOpen: boolean;
  pendingCheckpoints: number;
  uplinkBufferedMs: number;
}

export class CallSession implements SocketHandler {
  readonly sessionId: string;
  private phase: "awaiting_start" | "connecting" | "live" = "awaiting_start";
  private readonly timers = new OwnedTimers();
  private readonly abort = new AbortController();
  private readonly startedAtMs = Date.now();
  private readonly transcript = new TranscriptLog(this.startedAtMs);
  private readonly uplink: Uplink;
  readonly downlink: Downlink;
  private readonly control: CallControl;
  private readonly events: AgentEvents;
  private readonly liveness: AgentLiveness;
  private ws: ServerWebSocket<SocketData> | undefined;
  private agent: AgentConnection | undefined;
  private releaseSlot: ReleaseSlot | undefined;
  private agentStarted = false;
  private startFrame: StartFrame | undefined;
  private context: CallContext;
  private callId: string | undefined;
  private streamId: string | undefined;
  private startPerfMs: number | undefined;
  private resolveStarted!: (streamId: string) => void;
  private readonly started = new Promise<string>((resolve) => (this.resolveStarted = resolve));
  private readonly ignoredKinds = new Set<string>();
  private closedByUs = false;
  private conversationId: string | undefined;
  private agentConnectedAt: number | undefined;
  private firstAgentAudioAt: number | undefined;
  private errorDetail: string | undefined;
  // Recording wiring (temporary, until the call core's rewrite): time zero is Mcube's start.
  private recording: CallRecording | undefined;
  private readonly sinceStartMs = () => performance.now() - (this.startPerfMs ?? performance.now());
  bot: Bot | undefined;
  log: Logger;
  finished = false;

  constructor(
    private readonly deps: CallSessionDeps,
    private readonly request: UpgradeRequest,
  ) {
    this.sessionId = request.sessionId;
    this.log = deps.logger.child({ session_id: this.sessionId });
    this.context = extractCallContext(contextSources(request.headers, undefined));
    this.uplink = new Uplink(deps.config.mcube.dtmfMessageTemplate);
    this.downlink = new Downlink({
      send: (frame) => this.sendMcube(frame),
      timers: this.timers,
      playChunkMs: deps.config.mcube.playChunkMs,
      onFirstAudio: () => this.onFirstAudio(),
    });
    const session = this;
    this.control = new CallControl({
      config: deps.config,
      get log() {
        return session.log;
      },
      timers: this.timers,
      downlink: this.downlink,
      get bot() {
        return session.bot;
      },
      get finished() {
        return session.finished;
      },
      whenStarted: () => this.started,
      sendMcube: (frame) => this.sendMcube(frame),
      closeMcube: (code, reason) => this.closeMcube(code, reason),
      closeAgent: () => this.closeAgent(),
      finish: (reason, detail) => this.finish(reason, detail),
    });
    this.events = new AgentEvents({
      downlink: this.downlink,
      transcript: this.transcript,
      control: this.control,
      send: (frame) => this.agent?.send(frame),
      get log() {
        return session.log;
      },
      noteIgnored: (kind) => this.noteIgnored("agent", kind),
    });
    this.liveness = new AgentLiveness({
      timers: this.timers,
      idleTimeoutMs: deps.config.elevenlabs.idleTimeoutMs,
      onSilent: (silentMs) => this.onAgentSilent(silentMs),
      stillWatching: () => !this.finished && !this.control.busy,
    });
  }

  get state(): CallState {
    if (this.finished) return "ended";
    return this.control.busy ? "ending" : this.phase;
  }

  // ---- Mcube socket ---------------------------------------------------------------------------

  open(ws: ServerWebSocket<SocketData>): void {
    this.ws = ws;
    this.log.info("call opened", { remote: this.request.remoteAddress, early_agent_start: this.context.did !== undefined });
    this.timers.after(this.deps.config.mcube.startTimeoutMs, () => {
      if (this.startFrame) return;
      this.log.warn("no start frame in time; closing", { timeout_ms: this.deps.config.mcube.startTimeoutMs });
      this.closeMcube(1008, "no start frame");
      this.finish("start_timeout");
    });
    // The DID is already known: open the agent conversation while Mcube sends start.
    if (this.context.did !== undefined) this.beginAgent();
  }

  message(_ws: ServerWebSocket<SocketData>, data: string | Buffer): void {
    const receivedAtMs = performance.now();
    if (this.finished) return;
    const frame = parseMcubeFrame(data);
    switch (frame.kind) {
      case "media":
        if (this.startFrame) this.recording?.caller(mulawDecode(frame.payload), receivedAtMs - this.startPerfMs!);
        return this.uplink.audio(frame.payload, receivedAtMs);
      case "start":
        return this.onStart(frame.frame);
      case "dtmf":
        this.log.debug("caller pressed a key", { digit: frame.digit });
        return this.uplink.dtmf(frame.digit);
      case "played":
        return this.downlink.played(frame.name);
      case "cleared":
        return;
      case "stop":
        this.log.info("mcube stopped the stream", { reason: frame.reason });
        return this.finish(this.control.reason ?? "caller_hangup");
      case "ignored":
        return this.noteIgnored("mcube", frame.reason);
    }
  }

  close(_ws: ServerWebSocket<SocketData>, code: number, _reason?: string): void {
    this.ws = undefined;
    if (this.closedByUs) return; // whoever closed it finishes the call with the right reason
    if (!this.finished) this.log.info("caller hung up", { code });
    this.finish(this.control.reason ?? "caller_hangup");
  }

  private onStart(frame: StartFrame): void {
    if (this.startFrame) return this.noteIgnored("mcube", "duplicate_start");
    this.startFrame = frame;
    this.startPerfMs = performance.now();
    this.recording = this.deps.recordings?.open(this.sessionId, this.bot?.recording);
    this.callId = frame.start.callId;
    this.streamId = frame.start.streamId;
    this.log = this.deps.logger.child({ session_id: this.sessionId, call_id: this.callId });
    this.context = extractCallContext(contextSources(this.request.headers, frame));
    const encoding = frame.start.mediaFormat?.encoding;
    if (encoding && !/mulaw|pcmu|ulaw/i.test(encoding)) this.log.warn("mcube announced a media format other than μ-law; treating it as μ-law", { encoding });
    this.log.info("call started", { stream_id: this.streamId, did: this.context.did, customer_number: this.context.customerNumber, business_id: this.context.businessId });
    if (this.phase === "awaiting_start") this.phase = "connecting";
    this.downlink.start(this.streamId);
    this.resolveStarted(this.streamId);
    if (!this.agentStarted) this.beginAgent();
  }

  // ---- agent ---------------------------------------------------------------------------------

  private beginAgent(): void {
    this.agentStarted = true;
    startAgent(this.deps, {
      did: this.context.did,
      signal: this.abort.signal,
      log: this.log,
      init: (bot) => this.initiation(bot),
      onBot: (bot) => (this.bot = bot),
      onSlot: (release) => (this.finished ? release() : (this.releaseSlot = release)),
    }).then(
      (agent) => this.onAgentReady(agent),
      (err) => this.onAgentFailed(err instanceof HomebookError ? err : new HomebookError("internal", String(err), { cause: err })),
    );
  }

  /** The first frame waits for start so call_id, stream_id and the outbound variables are exact. */
  private async initiation(bot: Bot) {
    await this.started;
    const outbound = await findOutboundContext(this.deps.outbound, this.callId, this.log);
    const frame = conversationInitiation({ bot, context: this.context, sessionId: this.sessionId, callId: this.callId, streamId: this.streamId, outbound });
    this.log.debug("conversation initiation", { dynamic_variables: frame.dynamic_variables, overrides: Object.keys(frame.conversation_config_override ?? {}) });
    return frame;
  }

  private onAgentReady(agent: AgentConnection): void {
    if (this.finished) return agent.close(1000, "caller left");
    this.agent = agent;
    this.agentConnectedAt = Date.now();
    this.conversationId = agent.metadata.conversationId;
    this.phase = "live";
    this.log.info("agent conversation started", {
      conversation_id: this.conversationId,
      agent_id: this.bot?.agentId,
      input_format: agent.metadata.inputFormat,
      output_format: agent.metadata.outputFormat,
    });
    this.downlink.setFormat(agent.metadata.outputFormat as AgentAudioFormat);
    this.uplink.ready(agent, agent.metadata.inputFormat as AgentAudioFormat);
    agent.listen({
      message: (message, receivedAtMs) => {
        if (!this.finished) this.events.handle(message, receivedAtMs);
      },
      close: (code, reason, error) => this.onAgentClosed(code, reason, error),
    });
    this.liveness.watch(agent);
  }

  private onAgentFailed(error: HomebookError): void {
    this.releaseAgentSlot();
    if (this.finished) return;
    this.recordError(error);
    this.control.fallback(error);
  }

  private onAgentClosed(code: number, reason: string, error: HomebookError | undefined): void {
    this.detachAgent();
    this.control.agentClosed();
    if (this.finished || this.control.busy) return;
    if (code === 1000) return this.control.requestEnd("agent_close");
    const failure = error ?? classifyClose(code, reason, true);
    this.log.warn("agent conversation closed unexpectedly", { code, error_code: failure.code });
    this.recordError(failure);
    this.control.fallback(failure);
  }

  /** Nothing (no frame, no pong) came from a live agent for AGENT_IDLE_TIMEOUT_MS: the connection is dead without a close. */
  private onAgentSilent(silentMs: number): void {
    const agent = this.agent;
    if (!agent || this.finished || this.control.busy) return;
    this.detachAgent();
    agent.abandon(); // a dead peer would never answer a close handshake
    this.control.agentClosed();
    const failure = agentSilentError(silentMs, this.deps.config.elevenlabs.idleTimeoutMs);
    this.log.warn("agent went silent; treating its connection as dead", { silent_ms: silentMs });
    this.recordError(failure);
    this.control.fallback(failure);
  }

  private recordError(error: HomebookError): void {
    callErrors.inc({ kind: error.code });
    this.errorDetail = `${error.code}: ${error.message}`;
    const fields = { code: error.code, detail: error.message, retryable: error.retryable, fix: error.fix };
    if (error.retryable) this.log.warn("agent connection failed", fields);
    else this.log.error(`agent connection failed and will not be retried; fix: ${error.fix ?? "see detail"}`, fields);
  }

  // ---- output and teardown --------------------------------------------------------------------

  private sendMcube(frame: object): void {
    this.ws?.send(JSON.stringify(frame));
    const sent = frame as { event?: string; media?: { payload?: string } };
    if (sent.event === "playAudio" && sent.media?.payload) this.recording?.sent(mulawDecode(Buffer.from(sent.media.payload, "base64")), this.sinceStartMs());
    else if (sent.event === "clearAudio") this.recording?.cleared(this.sinceStartMs());
  }

  private closeMcube(code: number, reason: string): void {
    const ws = this.ws;
    this.ws = undefined;
    if (!ws) return;
    this.closedByUs = true;
    ws.close(code, reason);
  }

  private closeAgent(): void {
    this.agent?.close(1000, "call ended");
    this.detachAgent();
  }

  /** The call stops using its agent connection: no more uplink, liveness watch or limiter slot. */
  private detachAgent(): void {
    this.agent = undefined;
    this.liveness.stop();
    this.uplink.close();
    this.releaseAgentSlot();
  }

  private releaseAgentSlot(): void {
    const release = this.releaseSlot;
    this.releaseSlot = undefined;
    release?.();
  }

  private onFirstAudio(): void {
    this.firstAgentAudioAt = Date.now();
    if (this.startPerfMs !== undefined) firstAgentAudio.observe(undefined, performance.now() - this.startPerfMs);
  }

  private noteIgnored(leg: "mcube" | "agent", kind: string): void {
    ignoredFrames.inc({ leg, kind: kind.split(":")[0]! });
    if (this.ignoredKinds.has(`${leg}:${kind}`)) return;
    this.ignoredKinds.add(`${leg}:${kind}`);
    this.log.warn("ignoring a frame the bridge cannot use (logged once per kind)", { leg, kind });
  }

  /** Ends the call once: every timer, socket and slot is released, the record written, the Map entry removed. */
  finish(reason: EndReason, detail: { transferTo?: string; errorDetail?: string } = {}): void {
    if (this.finished) return;
    this.finished = true;
    this.timers.clearAll();
    this.abort.abort();
    this.downlink.close();
    this.closeAgent();
    this.closeMcube(1000, "call ended");
    const recorded = this.recording?.close(this.sinceStartMs());
    const record = { ...this.record(reason, detail), ...(recorded === undefined ? {} : { recorded }) };
    callsEnded.inc({ end_reason: reason });
    this.log.info("call ended", { end_reason: reason, duration_ms: record.durationMs, frames_in: record.framesIn, frames_out: record.framesOut, transfer_to: record.transferTo });
    try {
      this.deps.records?.write(record, this.transcript.turns);
    } catch (err) {
      this.log.error("call record sink failed", { err });
    }
    this.deps.onEnded(this);
  }

  private record(reason: EndReason, detail: { transferTo?: string; errorDetail?: string }): CallRecord {
    const endedAt = Date.now();
    return {
      ...this.liveFields(),
      endedAt,
      durationMs: endedAt - this.startedAtMs,
      endReason: reason,
      transferTo: detail.transferTo ?? this.control.transferTo,
      errorDetail: detail.errorDetail ?? this.errorDetail,
    };
  }

  private liveFields(): Omit<CallRecord, "endedAt" | "durationMs" | "endReason"> {
    return {
      sessionId: this.sessionId,
      callId: this.callId,
      streamId: this.streamId,
      did: this.context.did,
      botId: this.bot?.botId,
      businessId: this.context.businessId ?? this.bot?.businessId,
      agentId: this.bot?.agentId,
      conversationId: this.conversationId,
      customerNumber: this.context.customerNumber,
      startedAt: this.startedAtMs,
      agentConnectedAt: this.agentConnectedAt,
      firstAgentAudioAt: this.firstAgentAudioAt,
      framesIn: this.uplink.framesIn,
      framesOut: this.downlink.framesOut,
      interruptions: this.downlink.interruptions,
    };
  }

  /** The admin API's view of this call. */
  live(): LiveCall {
    return { ...this.liveFields(), state: this.state, transcript: [...this.transcript.turns] };
  }

  /** Drain: transfer this caller now (no goodbye wait). */
  transferNow(number: string): void {
    this.control.requestTransfer(number, "drain", "drain");
  }

  debugState(): SessionDebugState {
    return {
      state: this.state,
      timers: this.timers.size,
      agentOpen: this.agent?.isOpen ?? false,
      holdsAgentSlot: this.releaseSlot !== undefined,
      mcubeOpen: this.ws !== undefined,
      pendingCheckpoints: this.downlink.pendingCheckpoints,
      uplinkBufferedMs: this.uplink.bufferedMs,
    };
  }
}
