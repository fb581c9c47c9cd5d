/**
 * The audio of one call, both ways, once Mcube's start named its format: caller frames to the agent
 * (held while no agent is attached), agent audio to the caller as it arrives, turns and barge-in, and
 * the recording tap. The call's state machine attaches and detaches agents; this moves the audio.
 */
import type { AgentLeg } from "../agent/agent-leg.ts";
import type { AgentAudioFormat } from "../audio/agent-format.ts";
import { agentAudioFormat, type AudioFormat } from "../audio/audio-format.ts";
import { createTranscoder, type Transcoder } from "../audio/transcoder.ts";
import type { Clock } from "../base/clock.ts";
import type { McubeLeg } from "../telephony/mcube-leg.ts";
import type { CallFacts } from "./call-facts.ts";
import { firstAgentAudio, hot } from "./call-metrics.ts";
import { Playout } from "./playout.ts";
import type { CallRecording } from "./ports.ts";
import { CallRecordingTap } from "./recording-tap.ts";
import { Turns } from "./turns.ts";
import { Uplink } from "./uplink.ts";

export interface MediaBridgeOptions {
  mcube: McubeLeg;
  format: AudioFormat;
  clock: Clock;
  facts: CallFacts;
  /** PLAY_CHUNK_MS and DTMF_MESSAGE_TEMPLATE. */
  playChunkMs: number;
  dtmfTemplate: string;
  /** An agent turn ended (its checkpoint went out). */
  onTurnEnd(): void;
  /** Agent audio went to the caller. */
  onAgentAudio(): void;
}

export class MediaBridge {
  readonly turns: Turns;
  readonly playout: Playout;
  private readonly uplink: Uplink;
  private downlink: Transcoder | undefined;
  private recording: CallRecordingTap | undefined;
  private readonly clock: Clock;
  private readonly facts: CallFacts;

  constructor(private readonly options: MediaBridgeOptions) {
    const { mcube, clock } = options;
    this.clock = clock;
    this.facts = options.facts;
    this.uplink = new Uplink({ bytesPerMs: mcube.bytesPerMs, dtmfTemplate: options.dtmfTemplate });
    this.playout = new Playout({
      sink: mcube,
      clock,
      bytesPerMs: mcube.bytesPerMs,
      maxPieceMs: options.playChunkMs,
      onSent: (bytes) => {
        hot.playFramesOut.inc();
        hot.playBytesOut.inc(bytes.length);
        this.recording?.sent(bytes);
      },
      onCleared: () => this.recording?.cleared(),
    });
    this.turns = new Turns({
      clock,
      onTurnEnd: (eventId) => {
        this.playout.checkpoint(`turn-${eventId}`);
        options.onTurnEnd();
      },
    });
  }

  /** Records the call from now on (time zero is the call's start). */
  record(recording: CallRecording): void {
    this.recording = new CallRecordingTap(recording, this.options.format, () => this.facts.timeline.sinceStartMs());
  }

  /** One caller frame in the call's format. */
  callerAudio(bytes: Uint8Array, receivedAtMs: number): void {
    this.recording?.caller(bytes);
    if (!this.uplink.audio(bytes)) return;
    const addedMs = this.clock.now() - receivedAtMs;
    hot.agentFramesOut.inc();
    hot.uplinkLatency.observe(addedMs);
    this.facts.noteUplinkLatency(addedMs);
  }

  dtmf(digit: string): void {
    this.uplink.dtmf(digit);
  }

  /** Agent audio in its output format: stale audio of an interrupted turn is dropped, the rest goes out now. */
  agentAudio(bytes: Uint8Array, eventId: number, receivedAtMs: number): void {
    if (!this.turns.accept(eventId)) return hot.staleDropped.inc();
    const before = this.playout.piecesOut;
    this.playout.send(this.downlink!.process(bytes));
    if (this.playout.piecesOut === before) return;
    const addedMs = this.clock.now() - receivedAtMs;
    hot.downlinkLatency.observe(addedMs);
    this.facts.noteDownlinkLatency(addedMs);
    if (this.facts.firstAgentAudioAt === undefined) {
      this.facts.firstAgentAudioAt = this.clock.epochMs();
      firstAgentAudio.observe(undefined, this.facts.timeline.sinceStartMs());
      this.facts.timeline.add("first_agent_audio");
    }
    this.options.onAgentAudio();
  }

  /** Barge-in: Mcube drops what it queued, later audio of the interrupted turn is stale, the resampler starts fresh. */
  interrupt(eventId: number | undefined): void {
    this.turns.interrupt(eventId);
    this.downlink?.reset();
    this.playout.clear();
    this.facts.timeline.add("barge_in");
  }

  /**
   * An agent conversation is ready: audio converts between the call's format and the agent's (or passes
   * through untouched), and the caller audio held meanwhile goes to it in order. True when both ways pass through.
   */
  attach(agent: AgentLeg, inputFormat: string, outputFormat: string): boolean {
    const format = this.options.format;
    this.downlink = createTranscoder(agentAudioFormat(outputFormat as AgentAudioFormat), format);
    const uplink = createTranscoder(format, agentAudioFormat(inputFormat as AgentAudioFormat));
    this.uplink.attach(agent, uplink);
    return this.downlink.passthrough && uplink.passthrough;
  }

  /**
   * The agent is gone. `hold`: another conversation is coming (reconnect), so the caller's audio is kept,
   * bounded, and the downlink starts over (its event ids and filter state belong to the old one).
   */
  detach(hold: boolean): void {
    this.uplink.detach(hold);
    this.turns.reset();
    this.downlink?.reset();
  }

  get uplinkBufferedMs(): number {
    return this.uplink.bufferedMs;
  }

  /** The call ended: nothing more moves; true when a recording was kept. */
  close(): boolean {
    this.turns.stop();
    this.playout.close();
    this.uplink.detach(false);
    return this.recording?.close() ?? false;
  }
}
