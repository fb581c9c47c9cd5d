/**
 * The Mcube leg of one call: parses and decodes each inbound frame once, at the edge, and offers the
 * call typed commands (playAudio, checkpoint, clearAudio, transfer, terminate, sendDTMF). It bounds
 * what a peer that stops reading can make the gateway buffer.
 */
import { bytesPerMsOf, describeFormat, type AudioFormat } from "../audio/audio-format.ts";
import { Base64Decoder } from "../audio/scratch.ts";
import type { Clock, Timer } from "../base/clock.ts";
import {
  checkpoint,
  clearAudio,
  isCallerTrack,
  mediaFormatOf,
  parseMcubeFrame,
  PLAY_AUDIO_SUFFIX,
  playAudioPrefix,
  sendDtmf,
  terminate,
  transfer,
  type McubeCommandShapes,
  type StartFrame,
} from "./mcube-protocol.ts";

/** What the leg needs of Bun's ServerWebSocket. */
export interface McubeSocket {
  /** Bun: bytes sent, -1 when queued under backpressure, 0 when dropped. */
  send(text: string): number;
  close(code?: number, reason?: string): void;
  /** Drops the connection at once, without a close handshake. */
  terminate(): void;
  getBufferedAmount(): number;
}

export type McubeEvent =
  /** `format` is what the call's audio is, or why Homebook cannot serve it. */
  | { kind: "start"; frame: StartFrame; format: AudioFormat | { unsupported: string } }
  | { kind: "dtmf"; digit: string }
  | { kind: "played"; name: string }
  | { kind: "cleared" }
  | { kind: "stop"; reason: string | undefined }
  /** Not usable (logged once per kind by the call). */
  | { kind: "ignored"; reason: string }
  /** Mcube has not read what was sent for SEND_STALL_TIMEOUT_MS. */
  | { kind: "stalled"; bufferedBytes: number };

export interface McubeListener {
  /** One frame of caller audio in the call's format; `bytes` is valid only during the call. */
  audio(bytes: Uint8Array, receivedAtMs: number): void;
  event(event: McubeEvent): void;
}

export interface McubeLegOptions {
  socket: McubeSocket;
  clock: Clock;
  shapes: McubeCommandShapes;
  /** MCUBE_AUDIO_FORMAT / MCUBE_SAMPLE_RATE: the format when `start` does not say. */
  defaultFormat: AudioFormat;
  /** Past this much unsent data, audio for Mcube is dropped (and counted) until it drains. */
  maxBufferedBytes: number;
  /** SEND_STALL_TIMEOUT_MS: a socket over its bound this long ends the call. */
  stallTimeoutMs: number;
  /** Counts the audio bytes dropped (homebook_send_dropped_bytes_total). */
  dropCounter?: { inc(bytes: number): void };
}

export class McubeLeg {
  private socket: McubeSocket | undefined;
  private listener: McubeListener | undefined;
  private streamId: string | undefined;
  private mediaFormat: AudioFormat | undefined;
  private prefix = "";
  /** Inbound audio decoded here; grows with the frames seen and keeps at most 16 KiB. */
  private readonly decoder = new Base64Decoder(1024);
  private stallTimer: Timer | undefined;
  /** Caller frames received (inbound track) and audio bytes sent and dropped. */
  framesIn = 0;
  framesOut = 0;
  droppedOutBytes = 0;

  constructor(private readonly options: McubeLegOptions) {
    this.socket = options.socket;
  }

  /** Where events go; set once by the call. */
  listen(listener: McubeListener): void {
    this.listener = listener;
  }

  /** The call's media format once `start` named one Homebook serves. */
  get format(): AudioFormat | undefined {
    return this.mediaFormat;
  }

  get isOpen(): boolean {
    return this.socket !== undefined;
  }

  /** Bytes sent but not yet taken by the socket (0 once closed). */
  get bufferedBytes(): number {
    return this.socket?.getBufferedAmount() ?? 0;
  }

  get started(): boolean {
    return this.streamId !== undefined;
  }

  /** One WebSocket message from Mcube. */
  receive(data: string | Uint8Array, receivedAtMs: number): void {
    const listener = this.listener;
    if (!listener) return;
    const frame = parseMcubeFrame(data);
    switch (frame.kind) {
      case "media":
        // Only the caller's audio reaches the agent: a forked outbound track would make it hear itself.
        if (!isCallerTrack(frame.track)) return listener.event({ kind: "ignored", reason: `track:${frame.track!.slice(0, 20)}` });
        return this.audioIn(frame.payloadBase64, receivedAtMs);
      case "binary":
        this.framesIn++;
        return listener.audio(frame.bytes, receivedAtMs);
      case "start":
        return this.onStart(frame.frame);
      case "ignored":
      case "dtmf":
      case "played":
      case "cleared":
      case "stop":
        return listener.event(frame);
    }
  }

  private audioIn(base64: string, receivedAtMs: number): void {
    const bytes = this.decoder.decode(base64);
    if (!bytes) return this.listener!.event({ kind: "ignored", reason: "invalid_base64" });
    this.framesIn++;
    this.listener!.audio(bytes, receivedAtMs);
  }

  private onStart(frame: StartFrame): void {
    if (this.streamId !== undefined) return this.listener!.event({ kind: "ignored", reason: "duplicate_start" });
    this.streamId = frame.start.streamId;
    const format = mediaFormatOf(frame, this.options.defaultFormat);
    if (!("unsupported" in format)) {
      this.mediaFormat = format;
      this.prefix = playAudioPrefix(this.streamId, format);
    }
    this.listener!.event({ kind: "start", frame, format });
  }

  // ---- commands --------------------------------------------------------------------------------

  /** Audio for the caller, in the call's format. Dropped (and counted) while Mcube is not reading. */
  playAudio(bytes: Uint8Array): boolean {
    if (!this.socket || !this.mediaFormat || bytes.length === 0) return false;
    if (this.socket.getBufferedAmount() > this.options.maxBufferedBytes) {
      this.droppedOutBytes += bytes.length;
      this.options.dropCounter?.inc(bytes.length);
      this.noteStall();
      return false;
    }
    this.framesOut++;
    this.write(this.prefix + bytes.toBase64() + PLAY_AUDIO_SUFFIX);
    return true;
  }

  checkpoint(name: string): void {
    if (this.streamId !== undefined) this.write(checkpoint(this.streamId, name));
  }

  clearAudio(): void {
    if (this.streamId !== undefined) this.write(clearAudio(this.streamId));
  }

  transfer(number: string): void {
    if (this.streamId !== undefined) this.write(transfer(this.options.shapes, this.streamId, number));
  }

  terminate(): void {
    if (this.streamId !== undefined) this.write(terminate(this.options.shapes, this.streamId));
  }

  /** Key presses into the call (an agent navigating an IVR). */
  sendDtmf(digits: string): void {
    if (this.streamId !== undefined) this.write(sendDtmf(digits));
  }

  /** True once the gateway closed the socket (its close event is then not a hang-up). */
  closedByGateway = false;

  /** Closes the socket (once); later commands do nothing. */
  close(code: number, reason: string): void {
    this.detach()?.close(code, reason);
  }

  /** The gateway lets go of the socket (once): later commands do nothing. */
  private detach(): McubeSocket | undefined {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) this.closedByGateway = true;
    this.options.clock.clearTimer(this.stallTimer);
    this.stallTimer = undefined;
    return socket;
  }

  /**
   * Drops the socket at once (Mcube stopped reading): a close frame would wait behind what Mcube never
   * read, and the connection with its queued data would outlive the call.
   */
  abort(): void {
    const socket = this.detach();
    socket?.terminate();
  }

  /** Mcube closed the socket. */
  closed(): void {
    this.socket = undefined;
    this.options.clock.clearTimer(this.stallTimer);
    this.stallTimer = undefined;
  }

  /** Bun's drain callback: the socket took what was queued. */
  drained(): void {
    if (this.socket && this.socket.getBufferedAmount() <= this.options.maxBufferedBytes) {
      this.options.clock.clearTimer(this.stallTimer);
      this.stallTimer = undefined;
    }
  }

  /** Milliseconds of audio one byte of this call's format is worth (for playout estimates). */
  get bytesPerMs(): number {
    return bytesPerMsOf(this.mediaFormat ?? this.options.defaultFormat);
  }

  describe(): string {
    return describeFormat(this.mediaFormat ?? this.options.defaultFormat);
  }

  private write(text: string): void {
    if (!this.socket) return;
    this.socket.send(text);
    if (this.socket.getBufferedAmount() > this.options.maxBufferedBytes) this.noteStall();
  }

  private noteStall(): void {
    if (this.stallTimer !== undefined) return;
    this.stallTimer = this.options.clock.setTimer(() => {
      this.stallTimer = undefined;
      const buffered = this.socket?.getBufferedAmount() ?? 0;
      if (buffered > this.options.maxBufferedBytes) this.listener?.event({ kind: "stalled", bufferedBytes: buffered });
    }, this.options.stallTimeoutMs);
  }
}
