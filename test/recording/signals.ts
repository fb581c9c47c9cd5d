/** Signal helpers for recording tests: 20 ms tone frames, and where in a channel a tone is heard. */
import { mulawEncode } from "../../src/audio/mulaw.ts";
import { tonePcm16, tonePresence } from "../../src/sim/tones.ts";

export const CALLER_HZ = 440;
export const AGENT_HZ = 1000;

/** `ms` of a tone at 8 kHz as PCM16. */
export function tone(hz: number, ms: number): Int16Array {
  return tonePcm16(hz, ms, 8000);
}

/** Splits samples into pieces of `ms` (the last may be shorter). */
export function pieces(samples: Int16Array, ms: number): Int16Array[] {
  const size = ms * 8;
  const out: Int16Array[] = [];
  for (let i = 0; i < samples.length; i += size) out.push(samples.subarray(i, i + size));
  return out;
}

/**
 * The spans (in ms, 20 ms windows) where `hz` is present in one channel: [[fromMs, toMs], …].
 * A test reads them as "the agent's tone is heard from 500 to 1500 ms".
 */
export function toneSpans(channel: Int16Array, hz: number): [number, number][] {
  const present = tonePresence(mulawEncode(channel), hz);
  const spans: [number, number][] = [];
  present.forEach((on, i) => {
    if (!on) return;
    const last = spans[spans.length - 1];
    if (last && last[1] === i * 20) last[1] = (i + 1) * 20;
    else spans.push([i * 20, (i + 1) * 20]);
  });
  return spans;
}

/** Left and right channels of interleaved stereo. */
export function deinterleave(interleaved: Int16Array): { left: Int16Array; right: Int16Array } {
  const frames = interleaved.length / 2;
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = interleaved[2 * i]!;
    right[i] = interleaved[2 * i + 1]!;
  }
  return { left, right };
}

/** One step of a scripted call, applied to a recording in time order. */
export type RecordingEvent =
  | { atMs: number; caller: Int16Array }
  | { atMs: number; sent: Int16Array }
  | { atMs: number; cleared: true };

/** The caller talks from `fromMs` for `ms`: one 20 ms frame arriving as each ends. */
export function callerFrames(fromMs: number, ms: number, hz = CALLER_HZ): RecordingEvent[] {
  return pieces(tone(hz, ms), 20).map((frame, i) => ({ atMs: fromMs + (i + 1) * 20, caller: frame }));
}

/** The agent's audio for `ms`, sent at `atMs` in 100 ms playAudio pieces all at once (faster than real time, as agents stream). */
export function agentBurst(atMs: number, ms: number, hz = AGENT_HZ): RecordingEvent[] {
  return pieces(tone(hz, ms), 100).map((piece) => ({ atMs, sent: piece }));
}

/** Applies events in time order (a stable sort: same-instant events keep their order). */
export function play(recording: { caller(s: Int16Array, at: number): void; sent(s: Int16Array, at: number): void; cleared(at: number): void }, events: RecordingEvent[]): void {
  for (const e of [...events].sort((a, b) => a.atMs - b.atMs)) {
    if ("caller" in e) recording.caller(e.caller, e.atMs);
    else if ("sent" in e) recording.sent(e.sent, e.atMs);
    else recording.cleared(e.atMs);
  }
}
