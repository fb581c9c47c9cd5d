/** `homebook call`: places one simulated Mcube call against a Homebook (or Mcube-compatible) endpoint and prints its timeline. */
import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { writeWav } from "../audio/wav.ts";
import { HomebookError, UsageError } from "../base/errors.ts";
import { judgeCall, timelinePrinter } from "../sim/call-report.ts";
import { parseDtmfPlan, toneCallerAudio, wavToCallerAudio } from "../sim/caller-audio.ts";
import { startMcubeCall, type McubeCall } from "../sim/mcube-call.ts";
import { MULAW_8K, type McubeMediaFormat } from "../sim/mcube-media.ts";
import { pcm16ToBytes } from "../audio/pcm-bytes.ts";
import { parseCommandArgs } from "./args.ts";

export const usage = `Usage: homebook call [--url ws://127.0.0.1:7900/ws/test-1] [--wav input.wav | --tone 440 --seconds 3]
                     [--did NUMBER] [--customer-number NUMBER] [--customer-name NAME] [--dtmf "1@2s,#@6s"]
                     [--record heard.wav] [--token TOKEN] [--barge-in] [--format mulaw|l16-8000|l16-16000]
                     [--max-seconds 60] [--json]

Places one call the way Mcube does: start, then real-time 20 ms media. Gateway audio is
played through an emulated Mcube playout queue (checkpoints are acknowledged once their audio has
played; clearAudio drops it). Prints a timeline and exits 0 when the gateway ended the call cleanly
(terminate or transfer after the caller heard everything, and no invalid frame such as a playAudio in
another format than the call's), 1 otherwise, with the reason.

  --url              gateway WebSocket (a session id is added when the path has none)
  --wav FILE         what the caller says: a mono WAV at any rate (PCM16 or μ-law)
  --tone HZ          ... or a tone (default 440 Hz) for --seconds (default 3)
  --barge-in         speak at once, over the greeting (default: after the greeting has played)
  --dtmf PLAN        digits and times after start, e.g. "1@2s,#@6.5s". Without it the caller
                     presses # once the reply to what they said has played (the offline agent ends then)
  --did, --customer-number, --customer-name   call context, sent as X-DID / X-CustNumber / X-CustName
  --token TOKEN      MCUBE_AUTH_TOKEN of the gateway (sent as Authorization: Bearer)
  --format FORMAT    media format announced in start and used both ways: mulaw (audio/x-mulaw, 8 kHz,
                     the default), l16-8000 or l16-16000 (audio/x-l16, 16-bit little-endian PCM)
  --record FILE      write what the caller heard as a WAV (8 kHz μ-law; 16-bit PCM at the call's rate for l16)
  --max-seconds N    hang up and fail when the call has not ended by then (default 60)
  --json             print the timeline and verdict as JSON instead of lines`;

const POLL_MS = 20;
/** The caller line is 8 kHz μ-law: tones at or above 4 kHz cannot be carried (they alias). */
const MAX_TONE_HZ = 3999;
/** Caller audio is generated up front (8 KB per second); longer calls use --wav. */
const MAX_TONE_SECONDS = 600;
const GREETING_WAIT_MS = 15_000;
const REPLY_WAIT_MS = 10_000;

function normalizeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.replace(/^http(s?):/, "ws$1:"));
  } catch {
    throw new UsageError(`call: --url ${raw} is not a URL`, "write it like ws://127.0.0.1:7900/ws/test-1");
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") throw new UsageError(`call: --url must be ws:// or wss://`, "write it like ws://127.0.0.1:7900/ws/test-1");
  if (!/^\/ws\/[^/]+$/.test(url.pathname)) url.pathname = `/ws/test-${crypto.randomUUID().slice(0, 8)}`;
  return url.toString();
}

function positive(value: string | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`call: --${option} ${value} is not a positive number`);
  return n;
}

async function callerAudio(values: { wav?: string; tone?: string; seconds?: string }): Promise<Uint8Array> {
  if (values.wav !== undefined) {
    if (values.tone !== undefined) throw new UsageError("call: use --wav or --tone, not both");
    const file = Bun.file(values.wav);
    if (!(await file.exists())) throw new UsageError(`call: --wav ${values.wav} does not exist`);
    try {
      return wavToCallerAudio(new Uint8Array(await file.arrayBuffer()));
    } catch (err) {
      if (err instanceof HomebookError && err.code === "invalid_input") throw new UsageError(`call: ${err.message}`, err.fix);
      throw err;
    }
  }
  const hz = positive(values.tone, 440, "tone");
  if (hz > MAX_TONE_HZ) throw new UsageError(`call: --tone ${values.tone} Hz cannot be carried by an 8 kHz phone line`, `use a tone below 4000 Hz, like --tone 440`);
  const seconds = positive(values.seconds, 3, "seconds");
  if (seconds > MAX_TONE_SECONDS) throw new UsageError(`call: --seconds ${values.seconds} is longer than ${MAX_TONE_SECONDS}`, "use up to 600 seconds of tone, or --wav for longer speech");
  return toneCallerAudio(hz, seconds);
}

/** Fails before the call when --record cannot be written, so a finished call is never lost to a typo. */
function checkRecordPath(path: string): void {
  const full = resolve(path);
  let problem: string | undefined;
  try {
    if (statSync(full, { throwIfNoEntry: false })?.isDirectory()) problem = "is a directory";
    else accessSync(dirname(full), constants.W_OK);
  } catch (err) {
    problem = `cannot be written (${(err as NodeJS.ErrnoException).code ?? "error"})`;
  }
  if (problem) throw new UsageError(`call: --record ${path} ${problem}`, "give a file name in a directory you can write to, like --record heard.wav");
}

/** What to check when the gateway could not be reached, from the WebSocket error text. */
function connectHint(message: string): string {
  if (/\b401\b/.test(message)) return "the gateway requires its MCUBE_AUTH_TOKEN: pass it with --token";
  if (/\b403\b/.test(message)) return "the gateway's MCUBE_ALLOWED_IPS does not include this machine";
  if (/\b400\b/.test(message)) return "the gateway refused the session id in --url: use 1-128 of A-Z a-z 0-9 . _ : -";
  return "is a gateway listening there? start one with 'homebook serve', or pass its address with --url";
}

const FORMATS: Record<string, McubeMediaFormat> = {
  mulaw: MULAW_8K,
  "l16-8000": { encoding: "audio/x-l16", sampleRate: 8000 },
  "l16-16000": { encoding: "audio/x-l16", sampleRate: 16000 },
};

function mediaFormat(name: string | undefined): McubeMediaFormat {
  if (name === undefined) return MULAW_8K;
  const format = Object.hasOwn(FORMATS, name) ? FORMATS[name] : undefined;
  if (!format) throw new UsageError(`call: --format ${name} is unknown`, `use one of ${Object.keys(FORMATS).join(", ")}`);
  return format;
}

/** What the caller heard, as a WAV: μ-law calls as 8 kHz μ-law, L16 calls as 16-bit PCM at their own rate. */
function heardWav(call: McubeCall): Uint8Array {
  const { encoding, sampleRate } = call.mediaFormat;
  if (encoding === "audio/x-mulaw") return writeWav({ sampleRate: 8000, encoding: "mulaw", data: call.heard });
  return writeWav({ sampleRate, encoding: "pcm16", data: pcm16ToBytes(call.heardPcm) });
}

/** Resolves when `condition` holds or `timeoutMs` passes (polled; bounded). */
async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() >= deadline) return false;
    await Bun.sleep(POLL_MS);
  }
  return true;
}

const count = (call: McubeCall, event: string) => call.timeline.filter((e) => e.event === event).length;

/** Speak after the greeting, then (without a DTMF plan) press # once the reply has played. */
async function converse(call: McubeCall, audio: Uint8Array, options: { bargeIn: boolean; autoHash: boolean }, isOver: () => boolean): Promise<void> {
  if (!options.bargeIn) await until(() => isOver() || count(call, "playback-end") > 0, GREETING_WAIT_MS);
  if (isOver()) return;
  call.say(audio);
  if (!options.autoHash) return;
  await until(() => isOver() || count(call, "caller-audio-sent") > 0, audio.length / 8 + 5000);
  const startsBefore = count(call, "playback-start");
  // The reply: new audio starts, then the line is quiet again.
  await until(() => isOver() || count(call, "playback-start") > startsBefore, REPLY_WAIT_MS);
  await until(() => isOver() || (count(call, "playback-end") >= count(call, "playback-start") && call.queuedMs === 0), REPLY_WAIT_MS * 3);
  if (!isOver()) call.sendDtmf("#");
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("call", argv, {
    url: { type: "string" },
    wav: { type: "string" },
    tone: { type: "string" },
    seconds: { type: "string" },
    did: { type: "string" },
    "customer-number": { type: "string" },
    "customer-name": { type: "string" },
    dtmf: { type: "string" },
    record: { type: "string" },
    token: { type: "string" },
    format: { type: "string" },
    "barge-in": { type: "boolean" },
    "max-seconds": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const url = normalizeUrl(values.url ?? "ws://127.0.0.1:7900/ws/test-1");
  const audio = await callerAudio(values);
  const dtmf = values.dtmf === undefined ? undefined : parseDtmfPlan(values.dtmf);
  const maxMs = positive(values["max-seconds"], 60, "max-seconds") * 1000;
  const format = mediaFormat(values.format);
  if (values.record !== undefined) checkRecordPath(values.record);
  const headers: Record<string, string> = {};
  if (values.did) headers["X-DID"] = values.did;
  if (values["customer-number"]) headers["X-CustNumber"] = values["customer-number"];
  if (values["customer-name"]) headers["X-CustName"] = values["customer-name"];
  if (values.token) headers.Authorization = `Bearer ${values.token}`;

  const printer = timelinePrinter((line) => console.log(line));
  if (!values.json) console.log(`calling ${url}`);
  let call: McubeCall;
  try {
    call = await startMcubeCall({ url, upgradeHeaders: headers, dtmf, mediaFormat: format, onEvent: values.json ? undefined : printer.onEvent });
  } catch (err) {
    const reason = `could not connect: ${(err as Error).message}`;
    const fix = connectHint((err as Error).message);
    if (values.json) console.log(JSON.stringify({ ok: false, reason, fix, timeline: [] }));
    else console.error(`result: FAILED: ${reason}\n${fix}`);
    return 1;
  }
  let over = false;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    call.hangup();
  }, maxMs);
  void converse(call, audio, { bargeIn: values["barge-in"] === true, autoHash: dtmf === undefined }, () => over);
  const closed = await call.closed;
  over = true;
  clearTimeout(timer);
  printer.flush();

  if (values.record) await Bun.write(values.record, heardWav(call));
  const verdict = judgeCall(call.timeline, closed, timedOut);
  if (values.json) {
    console.log(JSON.stringify({ ...verdict, closed, timeline: call.timeline }, null, 2));
  } else {
    const greeting = call.timeline.find((e) => e.event === "playback-start");
    if (greeting) console.log(`greeting heard ${(greeting.detail as { heardMs: number }).heardMs} ms after start`);
    if (values.record) console.log(`recorded what the caller heard to ${values.record} (${(call.heard.length / 8000).toFixed(1)} s)`);
    if (verdict.ok) console.log(`result: ok: ${verdict.reason}`);
    else console.error(`result: FAILED: ${verdict.reason}`);
  }
  return verdict.ok ? 0 : 1;
}
