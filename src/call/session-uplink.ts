/** Caller → agent: μ-law frames transcoded to the agent's input format; buffered (≤ 5 s) until the agent is ready; DTMF as text. */
import { MULAW_BYTES_PER_MS } from "../audio/mulaw.ts";
import { createUplinkTranscoder, type Transcoder } from "../audio/transcoder.ts";
import type { AgentAudioFormat } from "../audio/agent-format.ts";
import type { AgentConnection } from "../agent/agent-socket.ts";
import { userMessage } from "../agent/elevenlabs-protocol.ts";
import { addedLatency, audioBytes, audioFrames, droppedFrames } from "./call-metrics.ts";

/** Caller audio kept while the agent connects: the first words are never dropped. */
export const UPLINK_BUFFER_MS = 5000;

type Pending = { audio: Uint8Array } | { text: string };

export class Uplink {
  private agent: AgentConnection | undefined;
  private transcoder: Transcoder | undefined;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private closed = false;
  framesIn = 0;
  bytesIn = 0;
  droppedBytes = 0;

  constructor(private readonly dtmfTemplate: string) {}

  /** One frame of caller audio (μ-law 8 kHz) received at `receivedAtMs` (performance.now()). */
  audio(mulaw: Uint8Array, receivedAtMs: number): void {
    this.framesIn++;
    this.bytesIn += mulaw.length;
    audioFrames.inc({ leg: "mcube", direction: "in" });
    audioBytes.inc({ leg: "mcube", direction: "in" }, mulaw.length);
    if (this.closed) return;
    if (!this.agent) {
      this.hold(mulaw);
      return;
    }
    this.forward(mulaw);
    addedLatency.observe({ direction: "uplink" }, performance.now() - receivedAtMs);
  }

  /** A keypad digit, as a user_message built from DTMF_MESSAGE_TEMPLATE. */
  dtmf(digit: string): void {
    if (this.closed) return;
    const text = this.dtmfTemplate.replaceAll("{digit}", digit);
    if (this.agent) this.agent.send(userMessage(text));
    else this.pending.push({ text });
  }

  /** The agent is ready: everything held goes out in arrival order, then frames flow straight through. */
  ready(agent: AgentConnection, inputFormat: AgentAudioFormat): void {
    if (this.closed) return;
    this.transcoder = createUplinkTranscoder(inputFormat);
    this.agent = agent;
    const held = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const item of held) {
      if ("audio" in item) this.forward(item.audio);
      else agent.send(userMessage(item.text));
    }
  }

  /** The agent is gone: later caller audio is dropped, not held. */
  close(): void {
    this.closed = true;
    this.agent = undefined;
    this.pending = [];
    this.pendingBytes = 0;
  }

  get bufferedMs(): number {
    return this.pendingBytes / MULAW_BYTES_PER_MS;
  }

  private forward(mulaw: Uint8Array): void {
    const bytes = this.transcoder!.process(mulaw);
    if (bytes.length === 0) return;
    if (this.agent!.sendAudio(bytes)) {
      audioFrames.inc({ leg: "agent", direction: "out" });
      audioBytes.inc({ leg: "agent", direction: "out" }, bytes.length);
    }
  }

  /**
   * Keeps the first UPLINK_BUFFER_MS of audio: the caller's first words matter most (a greeting, the
   * reason for the call), so once the buffer is full later frames are dropped and counted instead.
   */
  private hold(mulaw: Uint8Array): void {
    if (this.pendingBytes + mulaw.length > UPLINK_BUFFER_MS * MULAW_BYTES_PER_MS) {
      this.droppedBytes += mulaw.length;
      droppedFrames.inc({ reason: "uplink_overflow" });
      return;
    }
    this.pending.push({ audio: mulaw });
    this.pendingBytes += mulaw.length;
  }
}
