/**
 * The agent leg of one call: one ElevenLabs conversation WebSocket. The init frame is the first frame,
 * sent the moment the socket opens (as the official SDKs do); pings are answered at once; each server
 * frame is parsed once and agent audio decoded at this edge. Offers typed commands to the call.
 */
import type { Clock, Timer } from "../base/clock.ts";
import { Base64Decoder } from "../audio/scratch.ts";
import { HomebookError } from "../base/errors.ts";
import { classifyAgentError, classifyClose, classifyHandshake, handshakeStatus } from "./agent-errors.ts";
import {
  clientToolResult,
  contextualUpdate,
  mcpToolApprovalResult,
  parseAgentFrame,
  pong,
  userAudioChunk,
  userMessage,
  type AgentInbound,
  type InitiationFrame,
} from "./elevenlabs-protocol.ts";

export interface AgentMetadata {
  conversationId: string;
  inputFormat: string;
  outputFormat: string;
}

/** Everything but audio (delivered apart, decoded), pings (answered here) and metadata (read here). */
export type AgentEvent = Exclude<AgentInbound, { kind: "audio" | "ping" | "metadata" }> | { kind: "stalled"; bufferedBytes: number };

export interface AgentListener {
  /** Agent audio in its output format; `bytes` is valid only during the call. */
  audio(bytes: Uint8Array, eventId: number, receivedAtMs: number): void;
  event(event: AgentEvent): void;
  /** `failure` is set for every close but a clean 1000; it carries the last error frame's classification. */
  closed(code: number, reason: string, failure: HomebookError | undefined): void;
}

export interface AgentLegOptions {
  url: string;
  agentId: string;
  /** A signed URL (a refusal is worth one fresh URL). */
  signed: boolean;
  init: InitiationFrame;
  clock: Clock;
  /** Past this much unsent data, caller audio for the agent is dropped (and counted) until it drains. */
  maxBufferedBytes?: number;
  /** SEND_STALL_TIMEOUT_MS: a socket over its bound this long is reported `stalled`. */
  stallTimeoutMs?: number;
  /** Counts the caller audio bytes dropped (homebook_send_dropped_bytes_total). */
  dropCounter?: { inc(bytes: number): void };
}

interface Waiter {
  resolve(): void;
  reject(err: HomebookError): void;
}

type Queued = { audio: Uint8Array; eventId: number; at: number } | { event: AgentEvent };

export class AgentLeg {
  private readonly ws: WebSocket;
  private readonly clock: Clock;
  private listener: AgentListener | undefined;
  /** Frames that came before the call listens (after metadata, before `listen`). */
  private queue: Queued[] = [];
  private lastError: HomebookError | undefined;
  private closeInfo: { code: number; reason: string } | undefined;
  private handshakeError: string | undefined;
  private meta: AgentMetadata | undefined;
  private openWaiter: Waiter | undefined;
  private metaWaiter: Waiter | undefined;
  private heardAtMs: number;
  /** Agent audio decoded here; grows with the chunks the call sees and keeps at most 16 KiB. */
  private readonly decoder = new Base64Decoder(2048);
  private stallTimer: Timer | undefined;
  private markClosed!: () => void;
  private readonly closedPromise = new Promise<void>((resolve) => (this.markClosed = resolve));
  /** Caller audio bytes dropped because the agent was not reading. */
  droppedBytes = 0;

  constructor(private readonly options: AgentLegOptions) {
    this.clock = options.clock;
    this.heardAtMs = this.clock.now();
    this.ws = new WebSocket(options.url);
    this.ws.onopen = () => {
      // The first frame on the socket, always: the conversation starts with our settings.
      this.ws.send(JSON.stringify(options.init));
      this.openWaiter?.resolve();
    };
    this.ws.onerror = (event) => {
      this.handshakeError ??= (event as { message?: string }).message;
    };
    this.ws.onmessage = (event) => this.onMessage(event.data);
    this.ws.addEventListener("pong", () => (this.heardAtMs = this.clock.now()));
    this.ws.onclose = (event) => this.onClose(event.code, event.reason);
  }

  get agentId(): string {
    return this.options.agentId;
  }

  get metadata(): AgentMetadata {
    if (!this.meta) throw new HomebookError("internal", "agent metadata read before it arrived");
    return this.meta;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Bytes sent but not yet taken by the socket. */
  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  /** clock.now() when anything last arrived: a frame of any kind, or a WebSocket pong. */
  get lastHeardAtMs(): number {
    return this.heardAtMs;
  }

  /** Resolves when the upgrade succeeded (the init frame is then on its way); rejects with the classified refusal. */
  opened(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return this.wait((w) => (this.openWaiter = w));
  }

  /** Resolves once conversation_initiation_metadata arrived; rejects if the socket closes first. */
  initiated(): Promise<void> {
    if (this.meta) return Promise.resolve();
    return this.wait((w) => (this.metaWaiter = w));
  }

  private wait(set: (w: Waiter) => void): Promise<void> {
    if (this.closeInfo) return Promise.reject(this.failure());
    return new Promise<void>((resolve, reject) => set({ resolve, reject }));
  }

  /** Delivers queued frames, then every later one. */
  listen(listener: AgentListener): void {
    this.listener = listener;
    const queued = this.queue;
    this.queue = [];
    for (const item of queued) {
      if ("audio" in item) listener.audio(item.audio, item.eventId, item.at);
      else listener.event(item.event);
    }
    if (this.closeInfo) listener.closed(this.closeInfo.code, this.closeInfo.reason, this.closeError());
  }

  // ---- commands --------------------------------------------------------------------------------

  /** Caller audio in the agent's input format. Dropped (and counted) while the agent is not reading. */
  sendAudio(bytes: Uint8Array): boolean {
    if (this.ws.readyState !== WebSocket.OPEN || bytes.length === 0) return false;
    const max = this.options.maxBufferedBytes;
    if (max !== undefined && this.ws.bufferedAmount > max) {
      this.droppedBytes += bytes.length;
      this.options.dropCounter?.inc(bytes.length);
      this.noteStall();
      return false;
    }
    this.ws.send(userAudioChunk(bytes.toBase64()));
    return true;
  }

  userMessage(text: string): void {
    this.send(userMessage(text));
  }

  contextualUpdate(text: string): void {
    this.send(contextualUpdate(text));
  }

  toolResult(toolCallId: string, result: string, isError = false): void {
    this.send(clientToolResult(toolCallId, result, isError));
  }

  mcpApproval(toolCallId: string, approved: boolean): void {
    this.send(mcpToolApprovalResult(toolCallId, approved));
  }

  close(code = 1000, reason = "call ended"): void {
    this.clock.clearTimer(this.stallTimer);
    if (this.ws.readyState === WebSocket.CLOSING || this.ws.readyState === WebSocket.CLOSED) return;
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate?.();
    }
  }

  /** A WebSocket-level ping (the peer's stack answers it with a pong, even while the agent is quiet). */
  ping(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  /** Drops a dead connection at once, without a close handshake it would never answer; no close is reported. */
  abandon(): void {
    this.listener = undefined;
    this.queue = [];
    this.clock.clearTimer(this.stallTimer);
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }

  /** Rejects with the failure when the socket closes (for racing against other waits). */
  closedEarly(): Promise<never> {
    return this.closedPromise.then(() => Promise.reject(this.failure()));
  }

  /** Why the socket is unusable: handshake status, else the last error frame, else the close itself. */
  failure(): HomebookError {
    const status = handshakeStatus(this.handshakeError);
    if (status !== undefined) return classifyHandshake(status, this.options.agentId, this.options.signed);
    if (this.lastError) return this.lastError;
    const { code, reason } = this.closeInfo ?? { code: 1006, reason: "" };
    return classifyClose(code, reason, this.meta !== undefined);
  }

  // ---- inbound ---------------------------------------------------------------------------------

  private send(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  private onMessage(data: unknown): void {
    const at = this.clock.now();
    this.heardAtMs = at;
    if (typeof data !== "string") return; // the service sends text frames only
    const frame = parseAgentFrame(data);
    switch (frame.kind) {
      case "audio":
        return this.onAudio(frame.audioBase64, frame.eventId, at);
      case "ping":
        return this.send(pong(frame.eventId));
      case "metadata":
        this.meta = { conversationId: frame.conversationId, inputFormat: frame.inputFormat, outputFormat: frame.outputFormat };
        return this.metaWaiter?.resolve();
      case "error":
        this.lastError = classifyAgentError(frame.errorType, frame.message, frame.code);
        return this.deliver({ event: frame });
      default:
        return this.deliver({ event: frame });
    }
  }

  private onAudio(base64: string, eventId: number, at: number): void {
    const bytes = this.decoder.decode(base64);
    if (!bytes) return this.deliver({ event: { kind: "ignored", reason: "invalid_base64" } });
    if (this.listener) this.listener.audio(bytes, eventId, at);
    else this.queue.push({ audio: bytes.slice(), eventId, at });
  }

  private deliver(item: { event: AgentEvent }): void {
    if (this.listener) this.listener.event(item.event);
    else this.queue.push(item);
  }

  private onClose(code: number, reason: string): void {
    this.closeInfo = { code, reason };
    this.clock.clearTimer(this.stallTimer);
    this.markClosed();
    const failure = this.failure();
    this.openWaiter?.reject(failure);
    this.metaWaiter?.reject(failure);
    this.listener?.closed(code, reason, this.closeError());
  }

  private closeError(): HomebookError | undefined {
    if (!this.closeInfo || this.closeInfo.code === 1000) return undefined;
    return this.failure();
  }

  private noteStall(): void {
    if (this.stallTimer !== undefined || this.options.stallTimeoutMs === undefined) return;
    this.stallTimer = this.clock.setTimer(() => {
      this.stallTimer = undefined;
      const max = this.options.maxBufferedBytes ?? Number.POSITIVE_INFINITY;
      if (this.ws.bufferedAmount > max) this.deliver({ event: { kind: "stalled", bufferedBytes: this.ws.bufferedAmount } });
    }, this.options.stallTimeoutMs);
  }
}
