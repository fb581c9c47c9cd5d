/**
 * Mcube call simulator: opens /ws/{session} like Mcube, sends `start` and 20 ms media in the call's format
 * (μ-law 8 kHz, or L16 at 8/16 kHz), plays the gateway's playAudio through an emulated playout queue
 * (checkpoints acknowledged only once their audio has played, clearAudio drops the queue), records
 * what the caller heard and every command; all timing on an injected clock.
 */
import { HomebookError } from "../base/errors.ts";
import { systemClock, type Clock, type Timer } from "../base/clock.ts";
import { CallerLine } from "./caller-line.ts";
import { EventCursor } from "./event-cursor.ts";
import {
  bytesPerMs,
  convertMedia,
  decodeMedia,
  describeFormat,
  frameBytes,
  FRAME_MS,
  mediaFormatOf,
  MULAW_8K,
  sameFormat,
  silenceByte,
  type CallerPcm,
  type McubeMediaFormat,
} from "./mcube-media.ts";
import {
  clearedAudioFrame,
  dtmfFrame,
  mediaFrame,
  playedStreamFrame,
  SEND_DTMF_DIGITS,
  startFrame,
  stopFrame,
  type McubeTrack,
} from "./mcube-wire.ts";
import { PlayoutQueue } from "./playout-queue.ts";
import { concatBytes } from "./tones.ts";
import type { McubeCall, McubeCallOptions, TimelineEntry } from "./mcube-call-types.ts";

export type * from "./mcube-call-types.ts";

/** Most ticks a late media timer catches up at once; past that the backlog is dropped (a suspended process). */
const MAX_CATCH_UP_TICKS = 50;

class McubeCallSession implements McubeCall {
  readonly callId: string;
  readonly streamId: string;
  readonly mediaFormat: McubeMediaFormat;
  readonly timeline: TimelineEntry[] = [];
  readonly received: any[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  framesSent = 0;

  private readonly clock: Clock;
  private readonly t0: number;
  private readonly tracks: McubeTrack[];
  private readonly queue: PlayoutQueue;
  private readonly caller: CallerLine;
  private readonly heardParts: Uint8Array[] = [];
  private heardCache: { mulaw: Uint8Array; pcm: Int16Array } | undefined;
  private readonly frames: EventCursor<any>;
  private readonly entries: EventCursor<TimelineEntry>;
  private sequence = 0;
  private readonly chunks: Record<McubeTrack, number> = { inbound: 0, outbound: 0 };
  private startedAt: number | undefined;
  private readonly dtmfPlan: { digit: string; atMs: number }[];
  private tickTimer: Timer | undefined;
  private startTimer: Timer | undefined;
  private graceTimer: Timer | undefined;
  private nextTickAt = 0;
  private playing = false;
  private sendingMedia = true;
  private isClosed = false;
  private resolveClosed!: (v: { code: number; reason: string }) => void;

  constructor(private readonly ws: WebSocket, private readonly options: McubeCallOptions, t0: number) {
    this.clock = options.clock ?? systemClock;
    this.t0 = t0;
    this.callId = options.callId ?? crypto.randomUUID();
    this.streamId = options.streamId ?? crypto.randomUUID();
    this.mediaFormat = options.mediaFormat ?? MULAW_8K;
    this.tracks = options.tracks ?? ["inbound"];
    this.queue = new PlayoutQueue({ frameBytes: frameBytes(this.mediaFormat), silence: silenceByte(this.mediaFormat) });
    this.caller = new CallerLine(this.mediaFormat);
    if (options.audio) this.caller.say(options.audio);
    this.dtmfPlan = [...(options.dtmf ?? [])].sort((a, b) => a.atMs - b.atMs);
    this.frames = new EventCursor<any>(this.received, (f) => f?.event, "frame", this.clock, "mcube call");
    this.entries = new EventCursor<TimelineEntry>(this.timeline, (e) => e.event, "timeline event", this.clock, "mcube call");
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    ws.onmessage = (event) => this.onMessage(event.data);
    ws.onclose = (event) => this.onClose(event.code, event.reason);
  }

  private heardAudio(): { mulaw: Uint8Array; pcm: Int16Array } {
    if (!this.heardCache) {
      const wire = concatBytes(this.heardParts);
      this.heardCache = { mulaw: convertMedia(wire, this.mediaFormat, MULAW_8K), pcm: decodeMedia(wire, this.mediaFormat) };
    }
    return this.heardCache;
  }

  get heard(): Uint8Array {
    return this.heardAudio().mulaw;
  }

  get heardPcm(): Int16Array {
    return this.heardAudio().pcm;
  }

  get queuedMs(): number {
    return this.queue.queuedMs;
  }

  private now(): number {
    return Math.round(this.clock.now() - this.t0);
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

  /** The socket is open: start (after the configured delay), then the 20 ms media clock. */
  begin(): void {
    this.record("connected");
    if (this.options.sendStart === false) return;
    const start = () => {
      if (this.isClosed) return;
      const { customParameters = {}, extraHeaders } = this.options;
      const fields = { sequenceNumber: ++this.sequence, callId: this.callId, streamId: this.streamId, accountId: "homebook-sim" };
      const mediaFormat = this.options.announceFormat === false ? undefined : this.mediaFormat;
      this.send(startFrame({ ...fields, tracks: this.tracks, mediaFormat, customParameters, extraHeaders }));
      this.startedAt = this.clock.now();
      this.record("start", { callId: this.callId, streamId: this.streamId, mediaFormat: this.mediaFormat });
      this.nextTickAt = this.clock.now() + FRAME_MS;
      this.schedule();
    };
    if (this.options.startDelayMs) this.startTimer = this.clock.setTimer(start, this.options.startDelayMs);
    else start();
  }

  private schedule(): void {
    if (this.isClosed) return;
    this.tickTimer = this.clock.setTimer(() => this.onTimer(), this.nextTickAt - this.clock.now());
  }

  /** Runs every tick that is due (a late timer catches up, as a real clock would), then re-arms. */
  private onTimer(): void {
    for (let due = 0; !this.isClosed && this.clock.now() >= this.nextTickAt && due < MAX_CATCH_UP_TICKS; due++) {
      this.tick();
      this.nextTickAt += FRAME_MS;
    }
    if (this.clock.now() >= this.nextTickAt) this.nextTickAt = this.clock.now() + FRAME_MS;
    this.schedule();
  }

  private tick(): void {
    const played = this.queue.tick();
    this.heardParts.push(played.frame);
    this.heardCache = undefined;
    const heardMs = (this.heardParts.length - 1) * FRAME_MS;
    if (played.playedBytes > 0 && !this.playing) {
      this.playing = true;
      this.record("playback-start", { heardMs });
    } else if (played.playedBytes === 0 && this.playing) {
      this.playing = false;
      this.record("playback-end", { heardMs });
    }
    // A checkpoint is acknowledged once the audio before it has played: after the end of playback it follows.
    for (const name of played.acked) {
      this.send(playedStreamFrame(this.streamId, name));
      this.record("playedStream", { name });
    }
    if (this.sendingMedia) this.sendMedia(played.frame);
    this.sendDueDtmf();
  }

  private sendTrack(track: McubeTrack, bytes: Uint8Array): void {
    const elapsedMs = this.chunks[track] * FRAME_MS;
    this.send(mediaFrame(this.streamId, ++this.sequence, ++this.chunks[track], elapsedMs, bytes, track));
  }

  /** The caller's frame on the inbound track; with the outbound track forked, also what they hear. */
  private sendMedia(heardFrame: Uint8Array): void {
    const { frame, finished } = this.caller.nextFrame();
    if (finished) this.record("caller-audio-sent");
    if (this.tracks.includes("inbound")) {
      this.sendTrack("inbound", frame);
      this.framesSent += 1;
    }
    if (this.tracks.includes("outbound")) this.sendTrack("outbound", heardFrame);
    const { trailingSilenceMs } = this.options;
    if (trailingSilenceMs !== undefined && this.caller.silentFrames * FRAME_MS >= trailingSilenceMs) {
      this.record("caller-done");
      this.hangup();
    }
  }

  private sendDueDtmf(): void {
    if (this.startedAt === undefined) return;
    const sinceStart = this.clock.now() - this.startedAt;
    while (this.dtmfPlan.length > 0 && this.dtmfPlan[0]!.atMs <= sinceStart) this.sendDtmf(this.dtmfPlan.shift()!.digit);
  }

  say(audio: Uint8Array | CallerPcm): void {
    const ms = this.caller.say(audio);
    if (ms > 0) this.record("caller-audio", { ms });
  }

  sendDtmf(digit: string): void {
    const sinceStart = this.startedAt === undefined ? 0 : this.clock.now() - this.startedAt;
    this.send(dtmfFrame(this.streamId, ++this.sequence, digit, sinceStart));
    this.record("dtmf", { digit });
  }

  sendRaw(frame: string): void {
    if (this.isClosed || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(frame);
  }

  stopReading(): void {
    if (this.isClosed || !this.ws.pause()) return;
    this.record("reading-stopped");
  }

  resumeReading(): void {
    if (this.isClosed || !this.ws.resume()) return;
    this.record("reading-resumed");
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
        this.record("clearAudio", { droppedMs: dropped.droppedBytes / bytesPerMs(this.mediaFormat), droppedCheckpoints: dropped.droppedCheckpoints });
        this.send(clearedAudioFrame(this.streamId));
        return this.record("clearedAudio");
      }
      case "sendDTMF":
        return this.onSendDtmf(frame);
      default:
        if (typeof frame?.event === "string" && frame.event !== "") return this.onCallControl(frame);
        return this.record("invalid", { reason: "frame without an event name" });
    }
  }

  /** Plays by the playAudio's own contentType/sampleRate; a format other than the call's is flagged (Mcube degrades on switches). */
  private onPlayAudio(frame: any): void {
    const media = frame.media ?? {};
    const { contentType, sampleRate } = media;
    if (typeof media.payload !== "string") return this.record("invalid", { reason: "playAudio without a payload" });
    const declared = mediaFormatOf(contentType, sampleRate);
    if (!declared) return this.record("invalid", { reason: "playAudio in a format Mcube cannot play (dropped)", contentType, sampleRate });
    let bytes: Uint8Array = new Uint8Array(Buffer.from(media.payload, "base64"));
    if (declared.encoding === "audio/x-l16" && bytes.length % 2 !== 0) {
      this.record("invalid", { reason: "audio/x-l16 playAudio with an odd number of bytes", bytes: bytes.length });
    }
    if (!sameFormat(declared, this.mediaFormat)) {
      this.record("invalid", { reason: `playAudio is ${describeFormat(declared)} but the call is ${describeFormat(this.mediaFormat)}`, contentType, sampleRate });
      bytes = convertMedia(bytes, declared, this.mediaFormat);
    }
    this.queue.enqueueAudio(bytes);
    this.record("playAudio", { bytes: bytes.length, ms: bytes.length / bytesPerMs(this.mediaFormat), queuedMs: this.queue.queuedMs });
  }

  /** Plivo's sendDTMF: {"event":"sendDTMF","dtmf":"1234#"} plays the digits into the call. */
  private onSendDtmf(frame: any): void {
    const digits = frame.dtmf;
    if (typeof digits !== "string" || !SEND_DTMF_DIGITS.test(digits)) {
      return this.record("invalid", { reason: "sendDTMF without digits (0-9 * # A-D w W) in dtmf", dtmf: digits });
    }
    this.record("sendDTMF", { digits });
  }

  /** transfer / terminate (names are configurable in Homebook, so any other event is recorded as is). */
  private onCallControl(frame: any): void {
    const { event, streamId, ...rest } = frame;
    // queuedMs > 0 at terminate/transfer means the caller did not hear the end of what was sent.
    this.record(event, { ...rest, queuedMs: this.queue.queuedMs });
    if (event !== "transfer" && event !== "terminate") return;
    // Mcube ends this media stream: no more caller audio; close if the gateway does not.
    this.sendingMedia = false;
    this.clock.clearTimer(this.graceTimer);
    this.graceTimer = this.clock.setTimer(() => {
      if (this.isClosed) return;
      this.record("caller-closes-after-" + event);
      this.ws.close(1000, `${event} done`);
    }, this.options.endGraceMs ?? 1000);
  }

  private onClose(code: number, reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.clock.clearTimer(this.tickTimer);
    this.clock.clearTimer(this.startTimer);
    this.clock.clearTimer(this.graceTimer);
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
 * const call = await startMcubeCall({ url: `ws://127.0.0.1:${port}/ws/test-1`, upgradeHeaders: { "X-DID": "8000000001" }, clock });
 * await clock.run(call.waitForTimeline("playedStream"), 5000);
 * expect(toneMs(call.heard, 440)).toBeGreaterThanOrEqual(1460);
 */
export function startMcubeCall(options: McubeCallOptions): Promise<McubeCall> {
  const t0 = (options.clock ?? systemClock).now();
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
      const call = new McubeCallSession(ws, options, t0);
      call.begin();
      resolve(call);
    };
  });
}
