/** Reads a simulated call's timeline for people: one line per event (playAudio grouped in bursts) and a verdict. */
import type { TimelineEntry } from "./mcube-call.ts";
import { describeFormat, MULAW_8K, sameFormat, type McubeMediaFormat } from "./mcube-media.ts";

export interface CallVerdict {
  ok: boolean;
  reason: string;
}

/** playAudio frames closer together than this, with no call-control event between, form one burst. */
const BURST_GAP_MS = 1000;
/** Events that close a playAudio burst (the others are printed while it goes on). */
const BURST_ENDERS = new Set(["checkpoint", "clearAudio", "terminate", "transfer", "closed", "hangup", "dtmf", "sendDTMF"]);

function describe(entry: TimelineEntry): string {
  const d = (entry.detail ?? {}) as Record<string, any>;
  switch (entry.event) {
    case "connected":
      return "connected";
    case "start": {
      const format = d.mediaFormat as McubeMediaFormat | undefined;
      const media = format && !sameFormat(format, MULAW_8K) ? `, ${describeFormat(format)}` : "";
      return `start sent (callId ${d.callId}, streamId ${d.streamId}${media})`;
    }
    case "playback-start":
      return `caller hears audio (${d.heardMs} ms after start)`;
    case "playback-end":
      return `caller hears silence (${d.heardMs} ms after start)`;
    case "checkpoint":
      return `checkpoint "${d.name}" (${Math.round(d.queuedMs)} ms of audio queued before it)`;
    case "playedStream":
      return `playedStream "${d.name}" sent: its audio has played`;
    case "clearAudio":
      return `clearAudio: dropped ${Math.round(d.droppedMs)} ms${d.droppedCheckpoints?.length ? ` and checkpoint(s) ${d.droppedCheckpoints.join(", ")}` : ""}`;
    case "clearedAudio":
      return "clearedAudio sent";
    case "caller-audio":
      return `caller speaks for ${d.ms} ms`;
    case "caller-audio-sent":
      return "caller stops speaking";
    case "dtmf":
      return `caller presses ${d.digit}`;
    case "sendDTMF":
      return `the gateway presses ${d.digits} (sendDTMF)`;
    case "hangup":
      return d.stop ? "caller hangs up (stop sent)" : "caller hangs up";
    case "closed":
      return `closed ${d.code}${d.reason ? ` "${d.reason}"` : ""}`;
    case "invalid":
      return `INVALID from the gateway: ${d.reason}`;
    default: {
      if (entry.event.startsWith("caller-closes-after-")) return `caller side closes the stream (Mcube ends it after ${entry.event.slice(20)})`;
      const { queuedMs, ...rest } = d;
      const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
      if (queuedMs) fields.push(`(${Math.round(queuedMs)} ms of audio still queued)`);
      return `${entry.event}${fields.length ? ` ${fields.join(" ")}` : ""}`;
    }
  }
}

function stamp(atMs: number): string {
  return `${(atMs / 1000).toFixed(3).padStart(8)}s`;
}

/** Returns an onEvent callback that prints lines as the call goes, and a flush() for the end. */
export function timelinePrinter(write: (line: string) => void): { onEvent(entry: TimelineEntry): void; flush(): void } {
  let burst: { startMs: number; lastMs: number; frames: number; ms: number } | undefined;
  let bursts = 0;
  /** Each kind of invalid frame is printed once (a gateway sending the wrong format does so all call long). */
  const invalidSeen = new Set<string>();
  const flush = (atMs?: number) => {
    if (!burst) return;
    bursts += 1;
    const ms = Math.round(burst.ms);
    write(`${stamp(atMs ?? burst.lastMs)}  playAudio burst ${bursts}: ${burst.frames} frame(s), ${ms} ms of audio since ${stamp(burst.startMs).trim()}`);
    burst = undefined;
  };
  return {
    onEvent(entry) {
      if (entry.event === "playAudio") {
        const ms = Number((entry.detail as { ms?: number })?.ms ?? 0);
        if (burst && entry.atMs - burst.lastMs <= BURST_GAP_MS) {
          burst.frames += 1;
          burst.ms += ms;
          burst.lastMs = entry.atMs;
        } else {
          flush();
          burst = { startMs: entry.atMs, lastMs: entry.atMs, frames: 1, ms };
        }
        return;
      }
      if (entry.event === "invalid") {
        const reason = String((entry.detail as { reason?: unknown })?.reason);
        if (invalidSeen.has(reason)) return;
        invalidSeen.add(reason);
      }
      if (BURST_ENDERS.has(entry.event)) flush(entry.atMs);
      write(`${stamp(entry.atMs)}  ${describe(entry)}`);
    },
    flush: () => flush(),
  };
}

/**
 * A clean call: the caller heard audio, the gateway ended it with terminate or transfer after the
 * queued audio had played, sent nothing Mcube would refuse or degrade on, and the socket closed normally.
 */
export function judgeCall(timeline: readonly TimelineEntry[], closed: { code: number; reason: string }, timedOut: boolean): CallVerdict {
  if (timedOut) return { ok: false, reason: "the call did not end in time; the caller hung up" };
  const heardSomething = timeline.some((e) => e.event === "playback-start");
  const end = timeline.find((e) => e.event === "terminate" || e.event === "transfer");
  if (!end) {
    const how = `${closed.code}${closed.reason ? ` "${closed.reason}"` : ""}`;
    return { ok: false, reason: `the gateway closed the call (${how}) without terminate or transfer${heardSomething ? "" : "; the caller heard nothing"}` };
  }
  const queuedMs = Number((end.detail as { queuedMs?: number })?.queuedMs ?? 0);
  if (queuedMs > 0) return { ok: false, reason: `${end.event} came with ${queuedMs} ms of audio not yet played: the caller missed the end` };
  if (!heardSomething) return { ok: false, reason: `the caller heard nothing before ${end.event}` };
  if (![1000, 1001, 1005].includes(closed.code)) return { ok: false, reason: `${end.event}, then the socket closed with ${closed.code}` };
  const invalid = timeline.filter((e) => e.event === "invalid");
  if (invalid.length > 0) {
    const first = String((invalid[0]!.detail as { reason?: unknown })?.reason);
    return { ok: false, reason: `the gateway sent ${invalid.length} invalid frame(s), the first: ${first}` };
  }
  return { ok: true, reason: end.event === "terminate" ? "the gateway ended the call (terminate)" : "the gateway transferred the call" };
}
