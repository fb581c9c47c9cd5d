/**
 * Mcube call simulator: opens /ws/{session} like Mcube, sends `start` and real-time 20 ms μ-law
 * media, plays the gateway's playAudio through an emulated playout queue (checkpoints acknowledged
 * only once their audio has played, clearAudio drops the queue), and records what the caller heard.
 */
import { MULAW_SILENCE } from "../audio/mulaw.ts";
import { HomebookError } from "../base/errors.ts";
import { clearedAudioFrame, dtmfFrame, mediaFrame, playedStreamFrame, startFrame, stopFrame } from "./mcube-wire.ts";
import { FRAME_BYTES, FRAME_MS, PlayoutQueue } from "./playout-queue.ts";
import { concatBytes } from "./tones.ts";

export interface McubeCallOptions {
  /** ws://host:port/ws/<session_id> (add ?token=… when the gateway wants one). */
  url: string;
  callId?: string;
  streamId?: string;
  /** Headers of the upgrade request (X-DID, X-CustNumber … or Authorization). */
  upgradeHeaders?: Record<string, string>;
  customParameters?: Record<string, string>;
  /** Top-level extra_headers of `start`: an object, a JSON string or a `k=v;k=v` string. */
  extraHeaders?: string | Record<string, string>;
  /** μ-law 8 kHz caller audio, sent as real-time 20 ms frames after `start`; silence follows. */
  audio?: Uint8Array;
  /** When set, the caller hangs up (stop + close 1000) after this much silence following the audio. */
  trailingSilenceMs?: number;
  /** Digits pressed at ms after `start`. */
  dtmf?: { digit: string; atMs: number }[];
  /** false: never send `start` (tests of the start timeout). */
  sendStart?: boolean;
  startDelayMs?: number;
  /** After terminate/transfer the simulator closes the stream itself if the gateway has not within this. Default 1000 ms. */
  endGraceMs?: number;
  /** Called with each timeline entry as it happens (`homebook call` prints them). */
  onEvent?: (entry: TimelineEntry) => void;
}

export interface TimelineEntry {
  /** ms since startMcubeCall was called. */
  atMs: number;
  event: string;
  detail?: unknown;
}

export interface McubeCall {
  readonly callId: string;
  readonly streamId: string;
  readonly timeline: TimelineEntry[];
  /** μ-law the caller heard, 160 bytes per 20 ms from `start` on (silence where nothing played). */
  readonly heard: Uint8Array;
  /** Every frame from the gateway, parsed (unparsable ones are in the timeline as "invalid"). */
  readonly received: any[];
  readonly framesSent: number;
  /** Queued gateway audio not yet played, in ms. */
  readonly queuedMs: number;
  /** Sends caller audio now (after any still being sent), replacing silence. */
  say(audio: Uint8Array): void;
  sendDtmf(digit: string): void;
  sendRaw(frame: string): void;
  /** The caller hangs up: `stop` (unless stop=false), then close 1000. */
  hangup(stop?: boolean): void;
  /** The next frame from the gateway with that event name not yet returned by waitFor (may have arrived already). */
  waitFor(event: string, timeoutMs?: number): Promise<any>;
  /** Same for timeline entries ("playedStream", "clearedAudio", "playback-start" …). */
  waitForTimeline(event: string, timeoutMs?: number): Promise<TimelineEntry>;
  readonly closed: Promise<{ code: number; reason: string }>;
}

interface Waiter<T> {
  event: string;
  resolve: (value: T) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Cursor-based waiting over a growing list: each waiter gets the next unseen item of its event. */
class EventCursor<T> {
  private readonly seen = new Map<string, number>();
  private readonly waiters = new Set<Waiter<T>>();

  constructor(private readonly items: T[], private readonly nameOf: (item: T) => string | undefined, private readonly what: string) {}

  private take(event: string): T | undefined {
    const from = this.seen.get(event) ?? 0;
    for (let i = from; i < this.items.length; i++) {
      if (this.nameOf(this.items[i]!) === event) {
        this.seen.set(event, i + 1);
        return this.items[i];
      }
    }
    return undefined;
  }

  wait(event: string, timeoutMs: number): Promise<T> {
    const found = this.take(event);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<T> = {
        event,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`mcube call: no ${this.what} "${event}" within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Call after an item was appended. */
  notify(): void {
    for (const waiter of [...this.waiters]) {
      const found = this.take(waiter.event);
      if (found === undefined) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve(found);
    }
  }

  failAll(reason: string): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(`mcube call: ${reason} before ${this.what} "${waiter.event}"`));
    }
    this.waiters.clear();
  }
}

class McubeCallSession implements McubeCall {
  readonly callId: string;
  readonly streamId: string;
  readonly timeline: TimelineEntry[] = [];
  readonly received: any[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  framesSent = 0;

  private readonly t0 = performance.now();
  private readonly queue = new PlayoutQueue();
  private readonly heardParts: Uint8Array[] = [];
  private heardCache: Uint8Array | undefined;
  private readonly frames = new EventCursor<any>(this.received, (f) => f?.event, "frame");
  private readonly entries = new EventCursor<TimelineEntry>(this.timeline, (e) => e.event, "timeline event");
  private readonly callerAudio: Uint8Array[] = [];
  private callerOffset = 0;
  private silentFramesAfterAudio = 0;
  private sequence = 0;
  private chunk = 0;
  private startedAt: number | undefined;
  private dtmfPlan: { digit: string; atMs: number }[];
  private tickTimer: ReturnType<typeof setTimeout> | undefined;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private nextTickAt = 0;
  private playing = false;
  private sendingMedia = true;
  private isClosed = false;
  private resolveClosed!: (v: { code: number; reason: string }) => void;

  constructor(private readonly ws: WebSocket, private readonly options: McubeCallOptions) {
    this.callId = options.callId ?? crypto.randomUUID();
    this.streamId = options.streamId ?? crypto.randomUUID();
    this.dtmfPlan = [...(options.dtmf ?? [])].sort((a, b) => a.atMs - b.atMs);
    if (options.audio) this.callerAudio.push(options.audio);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    ws.onmessage = (event) => this.onMessage(event.data);
    ws.onclose = (event) => this.onClose(event.code, event.reason);
  }

  get heard(): Uint8Array {
    this.heardCache ??= concatBytes(this.heardParts);
    return this.heardCache;
  }

  get queuedMs(): number {
    return this.queue.queuedMs;
  }

  private now(): number {
    return Math.round(performance.now() - this.t0);
  }

  private record(event: string, detail?: unknown): void {
    const entry = detail === undefined ? { atMs: this.now(), event } : { atMs: this.now(), event, detail };
    this.timeline.push(entry);
    this.options.onEvent?.(entry);
    this.entries.notify();
  }

  private send(frame: object): void {
    if (this.isClosed || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify(frame));
  }

  /** The socket is open: start (after the configured delay), then the 20 ms clock. */
  begin(): void {
    this.record("connected");
    if (this.options.sendStart === false) return;
    const start = () => {
      if (this.isClosed) return;
      const { customParameters = {}, extraHeaders } = this.options;
      this.send(
        startFrame({
          sequenceNumber: ++this.sequence,
          callId: this.callId,
          streamId: this.streamId,
          accountId: "homebook-sim",
          customParameters,
          extraHeaders,
        }),
      );
      this.startedAt = performance.now();
      this.record("start", { callId: this.callId, streamId: this.streamId });
      this.nextTickAt = performance.now() + FRAME_MS;
      this.schedule();
    };
    if (this.options.startDelayMs) this.graceTimer = setTimeout(start, this.options.startDelayMs);
    else start();
  }

  private schedule(): void {
    if (this.isClosed) return;
    this.tickTimer = setTimeout(() => this.onTimer(), Math.max(0, this.nextTickAt - performance.now()));
  }

  /** Runs every tick that is due (a late timer catches up, as a real clock would), then re-arms. */
  private onTimer(): void {
    let due = 0;
    while (!this.isClosed && performance.now() >= this.nextTickAt && due < 50) {
      this.tick();
      this.nextTickAt += FRAME_MS;
      due += 1;
    }
    // After a long stall (suspended process), drop the backlog instead of bursting.
    if (performance.now() >= this.nextTickAt) this.nextTickAt = performance.now() + FRAME_MS;
    this.schedule();
  }

  private tick(): void {
    const played = this.queue.tick();
    for (const name of played.acked) {
      this.send(playedStreamFrame(this.streamId, name));
      this.record("playedStream", { name });
    }
    this.heardParts.push(played.frame);
    this.heardCache = undefined;
    if (played.playedBytes > 0 && !this.playing) {
      this.playing = true;
      this.record("playback-start", { heardMs: (this.heardParts.length - 1) * FRAME_MS });
    } else if (played.playedBytes === 0 && this.playing) {
      this.playing = false;
      this.record("playback-end", { heardMs: (this.heardParts.length - 1) * FRAME_MS });
    }
    if (this.sendingMedia) this.sendMedia();
    this.sendDueDtmf();
  }

  private sendMedia(): void {
    const frame = this.nextCallerFrame();
    const elapsedMs = this.chunk * FRAME_MS;
    this.send(mediaFrame(this.streamId, ++this.sequence, ++this.chunk, elapsedMs, frame));
    this.framesSent += 1;
    const { trailingSilenceMs } = this.options;
    if (trailingSilenceMs !== undefined && this.silentFramesAfterAudio * FRAME_MS >= trailingSilenceMs) {
      this.record("caller-done");
      this.hangup();
    }
  }

  private nextCallerFrame(): Uint8Array {
    const frame = new Uint8Array(FRAME_BYTES).fill(MULAW_SILENCE);
    let filled = 0;
    while (filled < FRAME_BYTES && this.callerAudio.length > 0) {
      const head = this.callerAudio[0]!;
      const take = Math.min(FRAME_BYTES - filled, head.length - this.callerOffset);
      frame.set(head.subarray(this.callerOffset, this.callerOffset + take), filled);
      filled += take;
      this.callerOffset += take;
      if (this.callerOffset === head.length) {
        this.callerAudio.shift();
        this.callerOffset = 0;
        if (this.callerAudio.length === 0) this.record("caller-audio-sent");
      }
    }
    this.silentFramesAfterAudio = filled > 0 || this.callerAudio.length > 0 ? 0 : this.silentFramesAfterAudio + 1;
    return frame;
  }

  private sendDueDtmf(): void {
    if (this.startedAt === undefined) return;
    const sinceStart = performance.now() - this.startedAt;
    while (this.dtmfPlan.length > 0 && this.dtmfPlan[0]!.atMs <= sinceStart) this.sendDtmf(this.dtmfPlan.shift()!.digit);
  }

  say(audio: Uint8Array): void {
    if (audio.length === 0) return;
    this.callerAudio.push(audio);
    this.silentFramesAfterAudio = 0;
    this.record("caller-audio", { ms: audio.length / 8 });
  }

  sendDtmf(digit: string): void {
    const sinceStart = this.startedAt === undefined ? 0 : performance.now() - this.startedAt;
    this.send(dtmfFrame(this.streamId, ++this.sequence, digit, sinceStart));
    this.record("dtmf", { digit });
  }

  sendRaw(frame: string): void {
    if (this.isClosed || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(frame);
  }

  hangup(stop = true): void {
    if (this.isClosed) return;
    this.sendingMedia = false;
    if (stop) this.send(stopFrame(this.streamId, "hangup"));
    this.record("hangup", { stop });
    this.ws.close(1000, "caller hung up");
  }

  waitFor(event: string, timeoutMs = 5000): Promise<any> {
    return this.frames.wait(event, timeoutMs);
  }

  waitForTimeline(event: string, timeoutMs = 5000): Promise<TimelineEntry> {
    return this.entries.wait(event, timeoutMs);
  }

  private onMessage(data: unknown): void {
    if (typeof data !== "string") {
      this.record("invalid", { reason: "binary frame from the gateway" });
      return;
    }
    let frame: any;
    try {
      frame = JSON.parse(data);
    } catch {
      this.record("invalid", { reason: "malformed JSON from the gateway" });
      return;
    }
    this.received.push(frame);
    this.handle(frame);
    this.frames.notify();
  }

  private handle(frame: any): void {
    switch (frame?.event) {
      case "playAudio":
        return this.onPlayAudio(frame);
      case "checkpoint":
        this.queue.enqueueCheckpoint(String(frame.name));
        return this.record("checkpoint", { name: String(frame.name), queuedMs: this.queue.queuedMs });
      case "clearAudio": {
        const dropped = this.queue.clear();
        this.record("clearAudio", { droppedMs: dropped.droppedBytes / 8, droppedCheckpoints: dropped.droppedCheckpoints });
        this.send(clearedAudioFrame(this.streamId));
        return this.record("clearedAudio");
      }
      default:
        if (typeof frame?.event === "string" && frame.event !== "") return this.onCallControl(frame);
        return this.record("invalid", { reason: "frame without an event name" });
    }
  }

  private onPlayAudio(frame: any): void {
    const media = frame.media ?? {};
    if (media.contentType !== "audio/x-mulaw" || Number(media.sampleRate) !== 8000) {
      this.record("invalid", { reason: "playAudio not audio/x-mulaw at 8000 Hz", contentType: media.contentType, sampleRate: media.sampleRate });
    }
    if (typeof media.payload !== "string") return this.record("invalid", { reason: "playAudio without a payload" });
    const bytes = new Uint8Array(Buffer.from(media.payload, "base64"));
    this.queue.enqueueAudio(bytes);
    this.record("playAudio", { bytes: bytes.length, ms: bytes.length / 8, queuedMs: this.queue.queuedMs });
  }

  /** transfer / terminate (names are configurable in Homebook, so any other event is recorded as is). */
  private onCallControl(frame: any): void {
    const { event, streamId, ...rest } = frame;
    // queuedMs > 0 at terminate/transfer means the caller did not hear the end of what was sent.
    this.record(event, { ...rest, queuedMs: this.queue.queuedMs });
    if (event !== "transfer" && event !== "terminate") return;
    // Mcube ends this media stream: no more caller audio; close if the gateway does not.
    this.sendingMedia = false;
    this.graceTimer = setTimeout(() => {
      if (this.isClosed) return;
      this.record("caller-closes-after-" + event);
      this.ws.close(1000, `${event} done`);
    }, this.options.endGraceMs ?? 1000);
  }

  private onClose(code: number, reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.tickTimer);
    clearTimeout(this.graceTimer);
    this.record("closed", { code, reason });
    this.frames.failAll(`closed (${code})`);
    this.entries.failAll(`closed (${code})`);
    this.resolveClosed({ code, reason });
  }
}

/**
 * Places one simulated Mcube call. Resolves once the socket is open (and `start` sent);
 * rejects when the handshake fails (the message carries the HTTP status, e.g. 401).
 * @example
 * const call = await startMcubeCall({ url: `ws://127.0.0.1:${port}/ws/test-1`, upgradeHeaders: { "X-DID": "8000000001" } });
 * await call.waitFor("checkpoint");
 * await call.waitForTimeline("playedStream");
 * expect(toneMs(call.heard, 440)).toBeGreaterThanOrEqual(1460);
 */
export function startMcubeCall(options: McubeCallOptions): Promise<McubeCall> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(options.url, { headers: options.upgradeHeaders ?? {} } as unknown as string[]);
    let failure = "";
    ws.onerror = (event) => {
      failure = (event as ErrorEvent).message ?? "WebSocket error";
    };
    ws.onclose = (event) => {
      reject(
        new HomebookError("upstream_unavailable", failure || `the gateway closed the connection during the handshake (${event.code})`, {
          retryable: true,
        }),
      );
    };
    ws.onopen = () => {
      ws.onerror = null;
      const call = new McubeCallSession(ws, options);
      call.begin();
      resolve(call);
    };
  });
}
