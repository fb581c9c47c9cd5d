/** The live calls (a Map by session id): admission, the agent-connection slots, drain, and views for the admin API. */
import { systemClock, type Clock } from "../base/clock.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import type { SocketHandler, SocketHandlerFactory, UpgradeRequest } from "../telephony/mcube-socket.ts";
import { createElevenLabsConnector, type AgentConnector } from "../agent/elevenlabs-client.ts";
import { AgentLimiter } from "./agent-limiter.ts";
import type { BotResolver } from "./bot.ts";
import { activeCalls, callRefusals, callsEnded, hot } from "./call-metrics.ts";
import type { CallRecordSink, LiveCall, OutboundContextLookup } from "./call-record.ts";
import { CallSession } from "./call-session.ts";
import type { SessionDebugState } from "./call-record.ts";
import type { AgentSlots, CallRegistry, Recordings } from "./ports.ts";

export interface CallManagerDeps {
  config: Config;
  logger: Logger;
  bots: BotResolver;
  records?: CallRecordSink;
  outbound?: OutboundContextLookup;
  /** How agent conversations are opened; default: ElevenLabs per config.elevenlabs. */
  connector?: AgentConnector;
  /** ELEVENLABS_MAX_CONNECTIONS across gateways; default: this gateway's own limiter. */
  slots?: AgentSlots;
  /** Live calls of every gateway; absent on a single gateway. */
  registry?: CallRegistry;
  recordings?: Recordings;
  instanceId?: string;
  /** The calls' clock; default the system's. */
  clock?: Clock;
}

/** WebSocket close codes Mcube gets when a call is refused. */
export const CLOSE_TRY_AGAIN_LATER = 1013;
export const CLOSE_POLICY_VIOLATION = 1008;

export class CallManager {
  private readonly calls = new Map<string, CallSession>();
  private readonly slots: AgentSlots;
  private readonly connector: AgentConnector;
  private readonly clock: Clock;
  private readonly log: Logger;
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: CallManagerDeps) {
    const { config, logger } = deps;
    this.log = logger;
    this.clock = deps.clock ?? systemClock;
    this.slots = deps.slots ?? new AgentLimiter(config.elevenlabs.maxConnections, config.elevenlabs.queueTimeoutMs, this.clock);
    this.connector =
      deps.connector ??
      createElevenLabsConnector({
        config,
        logger,
        clock: this.clock,
        maxBufferedBytes: config.mcube.maxSendBufferBytes,
        stallTimeoutMs: config.mcube.sendStallTimeoutMs,
        dropCounter: hot.agentSendDropped,
      });
  }

  /** Plug into startGateway({ sockets }). Admission happens when the socket opens. */
  socketHandler(): SocketHandlerFactory {
    return (request) => this.handlerFor(request);
  }

  get activeCount(): number {
    return this.calls.size;
  }

  /** Live calls of this gateway. */
  live(): LiveCall[] {
    return [...this.calls.values()].map((s) => s.live());
  }

  get(sessionId: string): LiveCall | undefined {
    return this.calls.get(sessionId)?.live();
  }

  /** From now on new calls are refused with 1013; live calls continue. */
  startDrain(): void {
    this.draining = true; // the drain itself logs this once, with the timeout
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Drain timeout: every live caller is transferred to `number` at once. */
  transferAll(number: string, reason: "drain"): void {
    const target = normalizePhoneNumber(number) ?? this.deps.config.agentPhoneNumber;
    this.log.warn("transferring every live call", { reason, calls: this.calls.size, transfer_to: target });
    for (const session of this.calls.values()) session.transferNow(target);
  }

  /** Resolves when no call is live. */
  whenIdle(): Promise<void> {
    if (this.calls.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stats(): { agentConnectionsInUse: number; waitingForAgent: number } {
    return { agentConnectionsInUse: this.slots.inUse, waitingForAgent: this.slots.waiting };
  }

  /** Test hook: what every live call still holds, and the slots. After all hang-ups: no calls, no slots. */
  debugState(): { calls: Record<string, SessionDebugState>; agentConnectionsInUse: number; waitingForAgent: number } {
    const calls: Record<string, SessionDebugState> = {};
    for (const [id, session] of this.calls) calls[id] = session.debugState();
    return { calls, ...this.stats() };
  }

  private handlerFor(request: UpgradeRequest): SocketHandler {
    let session: CallSession | undefined;
    /** Frames that came while another gateway was asked about this session id. */
    let early: (string | Buffer)[] | undefined;
    let gone = false;
    const start = (ws: Parameters<SocketHandler["open"]>[0]) => {
      const refusal = this.refusal(request.sessionId);
      if (refusal) {
        this.refuse(request.sessionId, refusal);
        ws.close(refusal.code, refusal.text);
        return;
      }
      session = this.admit(request);
      session.open(ws);
      this.deps.registry?.update(session.live());
      for (const data of early ?? []) session.message(ws, data);
      early = undefined;
    };
    return {
      open: (ws) => {
        const registry = this.deps.registry;
        if (!registry || this.refusal(request.sessionId)) return start(ws);
        // A session id live on another gateway is refused here too; Redis trouble never costs the call.
        early = [];
        registry.claim(request.sessionId).then(
          (ok) => {
            if (gone) return ok ? registry.release(request.sessionId) : undefined;
            if (ok) return start(ws);
            this.refuse(request.sessionId, { code: CLOSE_POLICY_VIOLATION, reason: "duplicate_session" });
            ws.close(CLOSE_POLICY_VIOLATION, "session id already live");
          },
          (err) => {
            this.log.warn("cluster claim failed; taking the call", { session_id: request.sessionId, err });
            if (!gone) start(ws);
          },
        );
      },
      message: (ws, data) => {
        if (session) session.message(ws, data);
        else early?.push(data);
      },
      close: (ws, code, reason) => {
        gone = true;
        session?.close(ws, code);
      },
      drain: () => session?.drain(),
    };
  }

  private admit(request: UpgradeRequest): CallSession {
    const { registry } = this.deps;
    const session: CallSession = new CallSession(
      {
        ...this.deps,
        clock: this.clock,
        slots: this.slots,
        connector: this.connector,
        onChange: registry ? (s) => registry.update(s.live()) : undefined,
        onEnded: (s) => this.remove(s),
      },
      request,
    );
    this.calls.set(request.sessionId, session);
    activeCalls.inc();
    return session;
  }

  private refusal(sessionId: string): { code: number; reason: string; text: string } | undefined {
    if (this.draining) return { code: CLOSE_TRY_AGAIN_LATER, reason: "draining", text: "gateway draining; try again later" };
    if (this.calls.has(sessionId)) return { code: CLOSE_POLICY_VIOLATION, reason: "duplicate_session", text: "session id already live" };
    if (this.calls.size >= this.deps.config.calls.maxConcurrent) {
      return { code: CLOSE_TRY_AGAIN_LATER, reason: "capacity", text: "too many calls; try again later" };
    }
    return undefined;
  }

  /** A refused call still leaves a record (a duplicate session id does not: the live call owns that id). */
  private refuse(sessionId: string, refusal: { code: number; reason: string }): void {
    callRefusals.inc({ reason: refusal.reason });
    this.log.warn("call refused", { session_id: sessionId, reason: refusal.reason, active_calls: this.calls.size });
    if (refusal.code !== CLOSE_TRY_AGAIN_LATER) return;
    const now = this.clock.epochMs();
    callsEnded.inc({ end_reason: "capacity_rejected" });
    try {
      this.deps.records?.write({ sessionId, startedAt: now, endedAt: now, durationMs: 0, endReason: "capacity_rejected", framesIn: 0, framesOut: 0, interruptions: 0 }, []);
    } catch (err) {
      this.log.error("call record sink failed", { err });
    }
  }

  private remove(session: CallSession): void {
    if (this.calls.get(session.sessionId) !== session) return;
    this.calls.delete(session.sessionId);
    activeCalls.dec();
    this.deps.registry?.release(session.sessionId);
    if (this.calls.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
