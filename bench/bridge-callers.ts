/**
 * The bridge benchmark's load generator, a process of its own: N Mcube-style callers on one
 * gateway, each sending real-time 20 ms μ-law frames (1 s tone spurts, 1 s silence, always
 * streaming as a phone line does), answering checkpoints, and stamping every frame sent and every
 * playAudio received. Calls are spread over four 5 ms phases, as independent calls would be.
 *
 *   bun bench/bridge-callers.ts '<CallersConfig as JSON>'
 *
 * Prints READY, WINDOW_BEGIN and WINDOW_END (the measured window, after the warm-up) and DONE once
 * its report is written to `out`.
 */
import { toneMulaw } from "./bridge-sim.ts";
import { nowMs, spread, TickClock, type Spread } from "./bridge-common.ts";

export interface CallersConfig {
  /** ws://127.0.0.1:PORT (the gateway); calls go to `${url}/ws/${sessionId}`. */
  url: string;
  /** Sent as ?token= when set (MCUBE_AUTH_TOKEN). */
  token?: string;
  calls: number;
  sessionPrefix: string;
  /** Calls are opened evenly over this time. */
  rampMs: number;
  warmupMs: number;
  windowMs: number;
  /** After the last frame, the callers hang up once no audio has come for this long (at most 15 s). */
  tailMs: number;
  out: string;
}

/** What one caller saw; times are nowMs(), offsets in μ-law bytes. */
export interface CallerReport {
  sessionId: string;
  /** Send time of every frame (frame k starts at μ-law byte 160·k). */
  sentAtMs: number[];
  /** Arrival time and end offset of each playAudio. */
  playAtMs: number[];
  playEnd: number[];
  playBytes: number;
  checkpoints: number;
  /** Any other command from the gateway (clearAudio, transfer, terminate …), by event name. */
  otherEvents: Record<string, number>;
  closeCode?: number;
  error?: string;
}

export interface CallersReport {
  windowBeginMs: number;
  windowEndMs: number;
  /** Lateness of the 5 ms frame ticks inside the window. */
  timerLateMs: Spread;
  /** When ticks were 5 ms late or more (the first 100): [nowMs, ms late]. */
  lateTicks: [number, number][];
  calls: CallerReport[];
}

const FRAME_BYTES = 160;
const PHASES = 4;
const TICK_MS = 20 / PHASES;

const config = JSON.parse(process.argv[2] ?? "{}") as CallersConfig;
const tone = toneMulaw(440, 1000);
const toneFrames = Array.from({ length: 50 }, (_, k) => Buffer.from(tone.subarray(k * FRAME_BYTES, (k + 1) * FRAME_BYTES)).toString("base64"));
const silenceFrame = Buffer.alloc(FRAME_BYTES, 0xff).toString("base64");

interface Caller {
  report: CallerReport;
  ws: WebSocket;
  streamId: string;
  live: boolean;
  closed: Promise<void>;
}

const callers: Caller[] = [];
const phases: Caller[][] = Array.from({ length: PHASES }, () => []);
let sending = true;

/** Bytes in the base64 text[start, end). */
function base64Bytes(text: string, start: number, end: number): number {
  const padding = text[end - 1] === "=" ? (text[end - 2] === "=" ? 2 : 1) : 0;
  return ((end - start) * 3) / 4 - padding;
}

function played(report: CallerReport, bytes: number, atMs: number): void {
  report.playBytes += bytes;
  report.playAtMs.push(atMs);
  report.playEnd.push(report.playBytes);
}

function onCommand(caller: Caller, text: string): void {
  const atMs = nowMs();
  const { report } = caller;
  // playAudio is most of the traffic: its payload is found without parsing (this process must keep time).
  const payloadAt = text.startsWith('{"event":"playAudio"') ? text.indexOf('"payload":"') : -1;
  if (payloadAt >= 0) {
    const start = payloadAt + 11;
    played(report, base64Bytes(text, start, text.indexOf('"', start)), atMs);
    return;
  }
  const frame = JSON.parse(text);
  if (frame.event === "playAudio") {
    const b64: string = frame.media.payload;
    played(report, base64Bytes(b64, 0, b64.length), atMs);
  } else if (frame.event === "checkpoint") {
    report.checkpoints++;
    caller.ws.send(JSON.stringify({ event: "playedStream", streamId: caller.streamId, name: frame.name }));
  } else {
    report.otherEvents[frame.event] = (report.otherEvents[frame.event] ?? 0) + 1;
    if (frame.event === "clearAudio") caller.ws.send(JSON.stringify({ event: "clearedAudio", streamId: caller.streamId }));
  }
}

function open(i: number): Caller {
  const sessionId = `${config.sessionPrefix}-${i}`;
  const streamId = `stream-${sessionId}`;
  const query = config.token ? `?token=${encodeURIComponent(config.token)}` : "";
  const headers = { "X-DID": "8040001234", "X-CustNumber": `98${String(76540000 + i)}`, "X-CustName": `Caller ${i}`, "X-BID": "bench" };
  const ws = new WebSocket(`${config.url}/ws/${sessionId}${query}`, { headers } as unknown as string[]);
  const report: CallerReport = { sessionId, sentAtMs: [], playAtMs: [], playEnd: [], playBytes: 0, checkpoints: 0, otherEvents: {} };
  let resolveClosed!: () => void;
  const caller: Caller = { report, ws, streamId, live: false, closed: new Promise((r) => (resolveClosed = r)) };
  ws.onopen = () => {
    ws.send(JSON.stringify({
      event: "start",
      sequenceNumber: 0,
      start: { callId: `call-${sessionId}`, streamId, tracks: ["inbound"], mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000 } },
    }));
    caller.live = true;
    phases[i % PHASES]!.push(caller);
  };
  ws.onmessage = (event) => onCommand(caller, String(event.data));
  ws.onerror = () => (report.error ??= "websocket error");
  ws.onclose = (event) => {
    caller.live = false;
    report.closeCode = event.code;
    resolveClosed();
  };
  return caller;
}

function sendFrame(caller: Caller): void {
  const k = caller.report.sentAtMs.length;
  const payload = Math.floor(k / 50) % 2 === 0 ? toneFrames[k % 50]! : silenceFrame;
  caller.report.sentAtMs.push(nowMs());
  caller.ws.send(
    `{"event":"media","sequenceNumber":${k + 1},"streamId":"${caller.streamId}","media":{"track":"inbound","chunk":${k + 1},"timestamp":"${k * 20}","payload":"${payload}"}}`,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

console.log("READY");
const clock = new TickClock();
clock.every(TICK_MS, (tick) => {
  if (!sending) return;
  for (const caller of phases[tick % PHASES]!) if (caller.live) sendFrame(caller);
});

for (let i = 0; i < config.calls; i++) {
  callers.push(open(i));
  await sleep(config.rampMs / config.calls);
}
// Every call open or failed, within a bound.
for (let waited = 0; waited < 10_000 && callers.some((c) => !c.live && c.report.closeCode === undefined); waited += 50) await sleep(50);
await sleep(config.warmupMs);
const windowBeginMs = nowMs();
clock.recording = true;
console.log("WINDOW_BEGIN");
await sleep(config.windowMs);
const windowEndMs = nowMs();
clock.recording = false;
console.log("WINDOW_END");
sending = false;
// Audio still in flight arrives late, not never: wait until none has come for tailMs (at most 15 s).
let lastPlayAtMs = nowMs();
const heard = () => Math.max(...callers.map((c) => c.report.playAtMs[c.report.playAtMs.length - 1] ?? 0));
for (const giveUpMs = nowMs() + 15_000; nowMs() < giveUpMs && nowMs() - lastPlayAtMs < config.tailMs; ) {
  await sleep(100);
  lastPlayAtMs = Math.max(windowEndMs, heard());
}
clock.stop();
for (const caller of callers) {
  if (caller.ws.readyState !== WebSocket.OPEN) continue;
  caller.ws.send(JSON.stringify({ event: "stop", streamId: caller.streamId, reason: "hangup" }));
  caller.ws.close(1000, "hangup");
}
await Promise.race([Promise.all(callers.map((c) => c.closed)), sleep(3000)]);
const report: CallersReport = { windowBeginMs, windowEndMs, timerLateMs: spread(clock.lateMs), lateTicks: clock.lateTicks, calls: callers.map((c) => c.report) };
await Bun.write(config.out, JSON.stringify(report));
console.log("DONE");
process.exit(0);
