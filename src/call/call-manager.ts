/** The live calls (a Map by session id): admission, the agent-connection limiter, drain, and views for the admin API. */
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import type { SocketHandler, SocketHandlerFactory, UpgradeRequest } from "../http/socket.ts";
import type { BotResolver } from "./bot.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import { createElevenLabsConnector, type AgentConnector } from "../agent/elevenlabs-client.ts";
import { AgentLimiter } from "./agent-limiter.ts";
import { activeCalls, callRefusals, callsEnded } from "./call-metrics.ts";
import type { CallRecordSink, LiveCall, OutboundContextLookup } from "./call-record.ts";
import { CallSession, type SessionDebugState } from "./call-session.ts";
import type { Recordings } from "./ports.ts";

export interface CallManagerDeps {
  config: Config;
  logger: Logger;
  bots: BotResolver;
  records?: CallRecordSink;
  outbound?: OutboundContextLookup;
  /** How agent conversations are opened; default: ElevenLabs per config.elevenlabs. */
  connector?: AgentConnector;
  /** Call recording (RECORDING); absent: no call is recorded. */
  recordings?: Recordings;
}

/** WebSocket close codes Mcube gets when a call is refused. */
export const CLOSE_TRY_AGAIN_LATER = 1013;
export const CLOSE_POLICY_VIOLATION = 1008;

export class CallManager {
  private readonly calls = new Map<string, CallSession>();
  private readonly limiter: AgentLimiter;
  private readonly connector: AgentConnector;
  private readonly log: Logger;
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: CallManagerDeps) {
    const { config, logger } = deps;
    this.log = logger;
    this.limiter = new AgentLimiter(config.elevenlabs.maxConnections, config.elevenlabs.queueTimeoutMs);
    this.connector = deps.connector ?? createElevenLabsConnector({ config, logger });
  }

  /** Plug into startGateway({ sockets }). Admission happens when the socket opens. */
  socketHandler(): SocketHandlerFactory {
    return (request) => this.handlerFor(request);
  }

  get activeCount(): number {
    return this.calls.size;
  }

  live(): LiveCall[] {
    return [...this.calls.values()].map((s) => s.live());
  }

  get(sessionId: string): LiveCall | undefined {
    return this.calls.get(sessionId)?.live();
  }

  /** From now on new calls are refused with 1013; live calls continue. */
  startDrain(): void {
    if (this.draining) return;
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
    return { agentConnectionsInUse: this.limiter.inUse, waitingForAgent: this.limiter.waiting };
  }

  /** Test hook: what every live call still holds, and the limiter. After all hang-ups: no calls, no slots. */
  debugState(): { calls: Record<string, SessionDebugState>; agentConnectionsInUse: number; waitingForAgent: number } {
    const calls: Record<string, SessionDebugState> = {};
    for (const [id, session] of this.calls) calls[id] = session.debugState();
    return { calls, ...this.stats() };
  }

  private handlerFor(request: UpgradeRequest): SocketHandler {
    let session: CallSession | undefined;
    return {
      open: (ws) => {
        const refusal = this.refusal(request.sessionId);
        if (refusal) {
          callRefusals.inc({ reason: refusal.reason });
          this.log.warn("call refused", { session_id: request.sessionId, reason: refusal.reason, active_calls: this.calls.size });
          if (refusal.code === CLOSE_TRY_AGAIN_LATER) this.recordRefusal(request.sessionId);
          ws.close(refusal.code, refusal.text);
          return;
        }
        session = new CallSession({ ...this.deps, limiter: this.limiter, connector: this.connector, onEnded: (s) => this.remove(s) }, request);
        this.calls.set(request.sessionId, session);
        activeCalls.inc();
        session.open(ws);
      },
      message: (ws, data) => session?.message(ws, data),
      close: (ws, code, reason) => session?.close(ws, code, reason),
    };
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
  private recordRefusal(sessionId: string): void {
    const now = Date.now();
    callsEnded.inc({ end_reason: "capacity_rejected" });
    try {
      this.deps.records?.write(
        { sessionId, startedAt: now, endedAt: now, durationMs: 0, endReason: "capacity_rejected", framesIn: 0, framesOut: 0, interruptions: 0 },
        [],
      );
    } catch (err) {
      this.log.error("call record sink failed", { err });
    }
  }

  private remove(session: CallSession): void {
    if (this.calls.get(session.sessionId) !== session) return;
    this.calls.delete(session.sessionId);
    activeCalls.dec();
    if (this.calls.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
