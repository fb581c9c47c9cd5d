/** Public shapes of the Mcube call simulator: its options, the call it returns, its timeline. */
import type { Clock } from "../base/clock.ts";
import type { CallerPcm, McubeMediaFormat } from "./mcube-media.ts";
import type { McubeTrack } from "./mcube-wire.ts";

export type { CallerPcm, McubeMediaFormat } from "./mcube-media.ts";
export type { McubeTrack } from "./mcube-wire.ts";

export interface McubeCallOptions {
  /** ws://host:port/ws/<session_id> (add ?token=… when the gateway wants one). */
  url: string;
  /** Time source for the media clock, timeline, delays and waits. Default systemClock. */
  clock?: Clock;
  callId?: string;
  streamId?: string;
  /** Headers of the upgrade request (X-DID, X-CustNumber … or Authorization). */
  upgradeHeaders?: Record<string, string>;
  customParameters?: Record<string, string>;
  /** Top-level extra_headers of `start`: an object, a JSON string or a `k=v;k=v` string. */
  extraHeaders?: string | Record<string, string>;
  /** Announced in `start.mediaFormat` and used for every media frame; playAudio should match it. Default μ-law 8 kHz. */
  mediaFormat?: McubeMediaFormat;
  /** false: `start` names no mediaFormat (the gateway's MCUBE_AUDIO_FORMAT / MCUBE_SAMPLE_RATE apply); the call still uses mediaFormat. */
  announceFormat?: boolean;
  /** Tracks forked to the gateway. "outbound" adds media frames of what the caller hears. Default ["inbound"]. */
  tracks?: McubeTrack[];
  /** Caller audio (8 kHz μ-law bytes, or PCM at a rate), sent as real-time 20 ms frames after `start`; silence follows. */
  audio?: Uint8Array | CallerPcm;
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
  /** ms since startMcubeCall was called, on the call's clock. */
  atMs: number;
  event: string;
  detail?: unknown;
}

export interface McubeCall {
  readonly callId: string;
  readonly streamId: string;
  readonly mediaFormat: McubeMediaFormat;
  readonly timeline: TimelineEntry[];
  /** What the caller heard as 8 kHz μ-law, 160 bytes per 20 ms from `start` on (silence where nothing played). */
  readonly heard: Uint8Array;
  /** What the caller heard as PCM16 at the call's sample rate (no conversion for L16 calls). */
  readonly heardPcm: Int16Array;
  /** Every frame from the gateway, parsed (unparsable ones are in the timeline as "invalid"). */
  readonly received: any[];
  /** Inbound media frames sent. */
  readonly framesSent: number;
  /** Queued gateway audio not yet played, in ms. */
  readonly queuedMs: number;
  /** Sends caller audio now (after any still being sent), replacing silence. */
  say(audio: Uint8Array | CallerPcm): void;
  sendDtmf(digit: string): void;
  sendRaw(frame: string): void;
  /** Mcube stops reading the socket (a hung or overloaded peer): the gateway's frames back up in TCP; caller media keeps flowing. */
  stopReading(): void;
  /** Mcube reads again: what backed up arrives. */
  resumeReading(): void;
  /** The caller hangs up: `stop` (unless stop=false), then close 1000. */
  hangup(stop?: boolean): void;
  /** The next frame from the gateway with that event name not yet returned by waitFor (may have arrived already). Timeout on the call's clock. */
  waitFor(event: string, timeoutMs?: number): Promise<any>;
  /** Same for timeline entries ("playedStream", "clearedAudio", "playback-start", "sendDTMF" …). */
  waitForTimeline(event: string, timeoutMs?: number): Promise<TimelineEntry>;
  readonly closed: Promise<{ code: number; reason: string }>;
}
