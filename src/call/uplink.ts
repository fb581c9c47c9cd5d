/**
 * Caller → agent: each frame converted to the agent's input format and sent at once; while no agent
 * is attached (connecting, reconnecting) the caller's first seconds are held and delivered in order.
 */
import type { AgentLeg } from "../agent/agent-leg.ts";
import type { Transcoder } from "../audio/transcoder.ts";

/** Caller audio kept while the agent connects: the first words are never dropped. */
export const UPLINK_HOLD_MS = 5000;

type Held = Uint8Array | { text: string };

export interface UplinkOptions {
  /** Bytes per millisecond of the caller's audio (the call's media format). */
  bytesPerMs: number;
  /** DTMF_MESSAGE_TEMPLATE: how a key press is told to the agent ("{digit}" is replaced). */
  dtmfTemplate: string;
  holdMs?: number;
}

export class Uplink {
  private agent: AgentLeg | undefined;
  private transcoder: Transcoder | undefined;
  private held: Held[] = [];
  private heldBytes = 0;
  private holding = true;
  private readonly holdLimitBytes: number;
  /** Caller bytes dropped: over the hold limit, or sent while no agent could take them. */
  droppedBytes = 0;

  constructor(private readonly options: UplinkOptions) {
    this.holdLimitBytes = (options.holdMs ?? UPLINK_HOLD_MS) * options.bytesPerMs;
  }

  /** One frame of caller audio (the call's media format). True when it went to the agent now. */
  audio(bytes: Uint8Array): boolean {
    const agent = this.agent;
    if (agent) {
      agent.sendAudio(this.transcoder!.process(bytes));
      return true;
    }
    this.hold(bytes);
    return false;
  }

  /** A keypad digit, as a user_message built from DTMF_MESSAGE_TEMPLATE. */
  dtmf(digit: string): void {
    const text = this.options.dtmfTemplate.replaceAll("{digit}", digit);
    if (this.agent) this.agent.userMessage(text);
    else if (this.holding) this.held.push({ text });
  }

  /** An agent is ready: everything held goes out in arrival order, then frames flow straight through. */
  attach(agent: AgentLeg, transcoder: Transcoder): void {
    this.agent = agent;
    this.transcoder = transcoder;
    this.holding = true;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const item of held) {
      if (item instanceof Uint8Array) agent.sendAudio(transcoder.process(item));
      else agent.userMessage(item.text);
    }
  }

  /**
   * The agent is gone. `hold`: a new one is coming (reconnect), so the caller's audio is kept again,
   * bounded; otherwise later audio is dropped.
   */
  detach(hold: boolean): void {
    this.agent = undefined;
    this.transcoder = undefined;
    this.holding = hold;
    if (!hold) {
      this.held = [];
      this.heldBytes = 0;
    }
  }

  get bufferedMs(): number {
    return this.heldBytes / this.options.bytesPerMs;
  }

  /**
   * Keeps the first UPLINK_HOLD_MS of audio: the caller's first words matter most (a greeting, the
   * reason for the call), so once the buffer is full later frames are dropped and counted instead.
   */
  private hold(bytes: Uint8Array): void {
    if (!this.holding || this.heldBytes + bytes.length > this.holdLimitBytes) {
      this.droppedBytes += bytes.length;
      return;
    }
    this.held.push(bytes.slice());
    this.heldBytes += bytes.length;
  }
}
