/** The live calls (a Map by session id): admission, the agent-connection limiter, drain, and views for the admin API. */
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import type { ServerWebSocket } from "bun";
import type { SocketData, SocketHandler, SocketHandlerFactory, UpgradeRequest } from "../http/socket.ts";
import type { BotResolver } from "./bot.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import { createElevenLabsConnector, type AgentConnector } from "../agent/elevenlabs-client.ts";
import { AgentLimiter } from "./agent-limiter.ts";
import { activeCalls, callRefusals, callsEnded } from "./call-metrics.ts";
import type { CallRecordSink, LiveCall, OutboundContextLookup } from "./call-record.ts";
import { CallSession, type SessionDebugState } from "./call-session.ts";
import type { AgentSlots, CallRegistry } from "./ports.ts";

export interface CallManagerDeps {
  config: Config;
  logger: Logger;
  bots: BotResolver;
  records?: CallRecordSink;
  outbound?: OutboundContextLookup;
  /** How agent conversations are opened; default: ElevenLabs per config.elevenlabs. */
  connector?: AgentConnector;
  /** Agent-connection slots shared by a cluster; default: this process's own limiter. */
  slots?: AgentSlots;
  /** Live calls across gateways: session ids claimed at admission, views on state changes. */
  registry?: CallRegistry;
  /** INSTANCE_ID, shown on live views. */
  instanceId?: string;
}

/** WebSocket close codes Mcube gets when a call is refused. */
export const CLOSE_TRY_AGAIN_LATER = 1013;
export const CLOSE_POLICY_VIOLATION = 1008;
const DUPLICATE = { code: CLOSE_POLICY_VIOLATION, reason: "duplicate_session", text: "session id already live" };

export class CallManager {
  private readonly calls = new Map<string, CallSession>();
  private readonly limiter: AgentSlots;
  private readonly connector: AgentConnector;
  private readonly log: Logger;
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: CallManagerDeps) {
    const { config, logger } = deps;
    this.log = logger;
    this.limiter = deps.slots ?? new AgentLimiter(config.elevenlabs.maxConnections, config.elevenlabs.queueTimeoutMs);
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
    return [...this.calls.values()].map((s) => this.view(s));
  }

  get(sessionId: string): LiveCall | undefined {
    const session = this.calls.get(sessionId);
    return session && this.view(session);
  }

  private view(session: CallSession): LiveCall {
    return this.deps.instanceId ? { ...session.live(), instance: this.deps.instanceId } : session.live();
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
    const { sessionId } = request;
    const registry = this.deps.registry;
    let session: CallSession | undefined;
    let state: string | undefined;
    /** Frames that arrive while the cluster claim is in flight, replayed in order once admitted. */
    let held: { frames: (string | Buffer)[]; closed: boolean } | undefined;
    const refuse = (ws: ServerWebSocket<SocketData>, refusal: { code: number; reason: string; text: string }) => {
      callRefusals.inc({ reason: refusal.reason });
      this.log.warn("call refused", { session_id: sessionId, reason: refusal.reason, active_calls: this.calls.size });
      if (refusal.code === CLOSE_TRY_AGAIN_LATER) this.recordRefusal(sessionId);
      ws.close(refusal.code, refusal.text);
    };
    const changed = () => {
      if (!registry || !session || session.finished || session.state === state) return;
      state = session.state;
      registry.update(this.view(session));
    };
    const admit = (ws: ServerWebSocket<SocketData>) => {
      session = new CallSession({ ...this.deps, limiter: this.limiter, connector: this.connector, onEnded: (s) => this.remove(s) }, request);
      this.calls.set(sessionId, session);
      activeCalls.inc();
      session.open(ws);
      changed();
    };
    return {
      open: (ws) => {
        const refusal = this.refusal(sessionId);
        if (refusal) return refuse(ws, refusal);
        if (!registry) return admit(ws);
        const pending = (held = { frames: [], closed: false });
        void registry.claim(sessionId).then((claimed) => {
          held = undefined;
          if (pending.closed) return claimed ? registry.release(sessionId) : undefined;
          if (!claimed) return refuse(ws, DUPLICATE);
          admit(ws);
          for (const frame of pending.frames) session!.message(ws, frame);
          changed();
        });
      },
      message: (ws, data) => {
        if (held) held.frames.push(typeof data === "string" ? data : Buffer.from(data));
        else session?.message(ws, data);
        changed();
      },
      close: (ws, code, reason) => {
        if (held) held.closed = true;
        else session?.close(ws, code, reason);
      },
    };
  }

  private refusal(sessionId: string): { code: number; reason: string; text: string } | undefined {
    if (this.draining) return { code: CLOSE_TRY_AGAIN_LATER, reason: "draining", text: "gateway draining; try again later" };
    if (this.calls.has(sessionId)) return DUPLICATE;
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
    this.deps.registry?.release(session.sessionId);
    activeCalls.dec();
    if (this.calls.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
