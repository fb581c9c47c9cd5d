/** One conversation WebSocket: opens, answers pings at once, queues frames until the call listens, reports closes and when it last heard anything. */
import { HomebookError } from "../base/errors.ts";
import { classifyAgentError, classifyClose, classifyHandshake, handshakeStatus } from "./agent-errors.ts";
import { parseAgentMessage, pong, userAudioChunk, type AgentMessage } from "./elevenlabs-protocol.ts";

export interface AgentMetadata {
  conversationId: string;
  inputFormat: string;
  outputFormat: string;
}

export interface AgentListener {
  /** `receivedAtMs` is performance.now() when the frame arrived (for added-latency metrics). */
  message(message: AgentMessage, receivedAtMs: number): void;
  /** `error` is set for every close but a clean 1000; it carries the last error frame's classification. */
  close(code: number, reason: string, error: HomebookError | undefined): void;
}

/** The open conversation a call talks to. */
export interface AgentConnection {
  readonly metadata: AgentMetadata;
  readonly isOpen: boolean;
  /** performance.now() when anything last arrived: a frame of any kind, or a WebSocket pong. */
  readonly lastHeardAtMs: number;
  send(frame: object): boolean;
  sendAudio(bytes: Uint8Array): boolean;
  /** Delivers queued frames, then every later one. */
  listen(listener: AgentListener): void;
  close(code?: number, reason?: string): void;
  /** A WebSocket-level ping (the peer's stack answers it with a pong, even while the agent is quiet). */
  ping(): void;
  /** Drops a dead connection at once, without a close handshake it would never answer; no close is reported. */
  abandon(): void;
}

interface Pending {
  resolve(): void;
  reject(err: HomebookError): void;
}

export class AgentSocket implements AgentConnection {
  private readonly ws: WebSocket;
  private listener: AgentListener | undefined;
  private queue: { message: AgentMessage; at: number }[] = [];
  private lastError: HomebookError | undefined;
  private closeInfo: { code: number; reason: string } | undefined;
  private handshakeError: string | undefined;
  private meta: AgentMetadata | undefined;
  private openWaiter: Pending | undefined;
  private metaWaiter: Pending | undefined;
  private initSent = false;
  private heldPongs: number[] = [];
  private heardAtMs = performance.now();
  private markClosed!: () => void;
  private readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  constructor(url: string, private readonly agentId: string, private readonly signed: boolean) {
    this.ws = new WebSocket(url);
    this.ws.onopen = () => this.openWaiter?.resolve();
    this.ws.onerror = (event) => {
      this.handshakeError ??= (event as { message?: string }).message;
    };
    this.ws.onmessage = (event) => {
      this.heardAtMs = performance.now();
      this.onMessage(event.data, this.heardAtMs);
    };
    this.ws.addEventListener("pong", () => (this.heardAtMs = performance.now()));
    this.ws.onclose = (event) => this.onClose(event.code, event.reason);
  }

  get metadata(): AgentMetadata {
    if (!this.meta) throw new HomebookError("internal", "agent metadata read before it arrived");
    return this.meta;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  get lastHeardAtMs(): number {
    return this.heardAtMs;
  }

  /** Resolves when the upgrade succeeded; rejects with the classified refusal (or after `timeoutMs`, when given). */
  opened(timeoutMs?: number): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return this.wait((p) => (this.openWaiter = p), timeoutMs, "open");
  }

  /** Resolves once conversation_initiation_metadata arrived; rejects if the socket closes first (or after `timeoutMs`, when given). */
  initiated(timeoutMs?: number): Promise<void> {
    if (this.meta) return Promise.resolve();
    return this.wait((p) => (this.metaWaiter = p), timeoutMs, "metadata");
  }

  /** Rejects with the failure when the socket closes (for racing against other waits). */
  closedEarly(): Promise<never> {
    return this.closed.then(() => Promise.reject(this.failure()));
  }

  private wait(set: (p: Pending) => void, timeoutMs: number | undefined, what: string): Promise<void> {
    if (this.closeInfo) return Promise.reject(this.failure());
    return new Promise<void>((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        reject(new HomebookError("timeout", `agent ${this.agentId}: no ${what} within ${timeoutMs} ms`));
        this.close(1000, "timeout");
      }, timeoutMs);
      set({
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (err) => (clearTimeout(timer), reject(err)),
      });
    });
  }

  send(frame: object): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** The first frame; pings that came before it are answered right after it. */
  sendInit(frame: object): boolean {
    const sent = this.send(frame);
    this.initSent = true;
    for (const eventId of this.heldPongs.splice(0)) this.send(pong(eventId));
    return sent;
  }

  sendAudio(bytes: Uint8Array): boolean {
    return this.send(userAudioChunk(bytes));
  }

  listen(listener: AgentListener): void {
    this.listener = listener;
    const queued = this.queue;
    this.queue = [];
    for (const { message, at } of queued) listener.message(message, at);
    if (this.closeInfo) listener.close(this.closeInfo.code, this.closeInfo.reason, this.closeError());
  }

  close(code = 1000, reason = "call ended"): void {
    if (this.ws.readyState === WebSocket.CLOSING || this.ws.readyState === WebSocket.CLOSED) return;
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate?.();
    }
  }

  ping(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  abandon(): void {
    this.listener = undefined;
    this.queue = [];
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }

  private onMessage(data: unknown, at: number): void {
    if (typeof data !== "string") return; // the service sends text frames only
    const message = parseAgentMessage(data);
    if (message.kind === "ping") {
      // At once — except before the init frame, which must be the first client frame.
      if (this.initSent) this.send(pong(message.eventId));
      else this.heldPongs.push(message.eventId);
      return;
    }
    if (message.kind === "metadata") {
      this.meta = { conversationId: message.conversationId, inputFormat: message.inputFormat, outputFormat: message.outputFormat };
      this.metaWaiter?.resolve();
      return;
    }
    if (message.kind === "error") this.lastError = classifyAgentError(message.errorType, message.message, message.code);
    if (this.listener) this.listener.message(message, at);
    else this.queue.push({ message, at });
  }

  private onClose(code: number, reason: string): void {
    this.closeInfo = { code, reason };
    this.markClosed();
    const failure = this.failure();
    this.openWaiter?.reject(failure);
    this.metaWaiter?.reject(failure);
    this.listener?.close(code, reason, this.closeError());
  }

  private closeError(): HomebookError | undefined {
    if (!this.closeInfo || this.closeInfo.code === 1000) return undefined;
    return this.failure();
  }

  /** Why the socket is unusable: handshake status, else the last error frame, else the close itself. */
  failure(): HomebookError {
    const status = handshakeStatus(this.handshakeError);
    if (status !== undefined) return classifyHandshake(status, this.agentId, this.signed);
    if (this.lastError) return this.lastError;
    const { code, reason } = this.closeInfo ?? { code: 1006, reason: "" };
    return classifyClose(code, reason, this.meta !== undefined);
  }
}
