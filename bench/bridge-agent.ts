/**
 * The bridge benchmark's agent, a process of its own: speaks the ElevenLabs Agents wire protocol
 * (signed-URL REST, conversation_initiation_metadata after the client's
 * conversation_initiation_client_data, pings every 2 s, `audio` with event_id) and echoes the
 * caller, stamping every user_audio_chunk in and every audio chunk out. Two echoes:
 *
 * - "turn" (default), like the fake agent's echo persona: when the caller's talk spurt ends (the
 *   first silent chunk), the spurt comes back as one agent turn (its own event_id, with
 *   user_transcript and agent_response), in irregular TTS-like chunks of 60 ms–1.5 s sent 4× faster
 *   than real time.
 * - "chunk": every user_audio_chunk comes back at once as agent audio (both legs carry a frame every
 *   20 ms: the most messages a bridge can get); the turn changes after every second of audio.
 *
 * The audio format comes from the agent id's suffix: agent_bench_ulaw_8000, agent_bench_pcm_16000.
 * POST /post-call answers (and counts) a gateway's post-call webhook.
 *
 *   bun bench/bridge-agent.ts [turn|chunk]   prints "READY <port>"; on stdin "record" starts timing its
 *                                            own timer, "report <path>" writes what it measured there
 *                                            and prints "REPORTED", "exit" ends it
 */
import type { ServerWebSocket } from "bun";
import { bytesPerMulawByte, nowMs, readLines, spread, TickClock, type Spread } from "./bridge-common.ts";
import { chunkPlanMs, seededRandom } from "./bridge-sim.ts";

export type EchoMode = "turn" | "chunk";

const PING_INTERVAL_MS = 2000;
/** "chunk" echo: one second of caller audio per echoed turn. */
const CHUNK_TURN_MULAW_BYTES = 8000;
/** "turn" echo: how much faster than real time a turn is sent (the real service streams TTS ahead). */
const REALTIME_FACTOR = 4;
/** A chunk whose every sample stays under this is silence (the callers send digital silence between spurts). */
const SPEECH_LEVEL = 500;

/** What the agent measured for one conversation; times are nowMs(), offsets in agent-format bytes. */
export interface AgentConversationReport {
  sessionId: string;
  format: string;
  /** Arrival time and end offset of each user_audio_chunk. */
  inAtMs: number[];
  inEnd: number[];
  /** Send time and start offset of each agent audio chunk. */
  outAtMs: number[];
  outStart: number[];
  inBytes: number;
  outBytes: number;
  turns: number;
  pongs: number;
}

export interface AgentReport {
  mode: EchoMode;
  /** POSTs received on /post-call (the post-call webhook, when a gateway sends it). */
  webhooks: number;
  /** How late the agent's own 20 ms timer fired while recording (its event loop's responsiveness). */
  timerLateMs: Spread;
  conversations: AgentConversationReport[];
}

interface Conversation {
  report: AgentConversationReport;
  pcm: boolean;
  /** Agent-format bytes per millisecond of audio. */
  bytesPerMs: number;
  turn: number;
  pingId: number;
  started: boolean;
  closed: boolean;
  /** "turn" echo: the caller's current talk spurt, and the turn being sent. */
  spurt: Buffer[];
  speaking: Promise<void>;
  random: () => number;
  timers: Set<ReturnType<typeof setTimeout>>;
}

const mode: EchoMode = process.argv[2] === "chunk" ? "chunk" : "turn";
const conversations: Conversation[] = [];
let webhooks = 0;
const clock = new TickClock();
clock.every(20, () => {});

/** |sample| of each μ-law byte (G.711: bias 0x84). */
const MULAW_MAGNITUDE = Int16Array.from({ length: 256 }, (_, byte) => {
  const u = ~byte & 0xff;
  return ((((u & 0x0f) << 3) + 0x84) << ((u >> 4) & 7)) - 0x84;
});

function isSpeech(bytes: Buffer, pcm: boolean): boolean {
  if (!pcm) return bytes.some((b) => MULAW_MAGNITUDE[b]! >= SPEECH_LEVEL);
  for (let i = 0; i + 1 < bytes.length; i += 2) if (Math.abs(bytes.readInt16LE(i)) >= SPEECH_LEVEL) return true;
  return false;
}

function after(conv: Conversation, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      conv.timers.delete(timer);
      resolve();
    }, ms);
    conv.timers.add(timer);
  });
}

function begin(ws: ServerWebSocket<Conversation>, init: { dynamic_variables?: Record<string, unknown> }): void {
  const conv = ws.data;
  conv.started = true;
  conv.report.sessionId = String(init.dynamic_variables?.session_id ?? "");
  ws.send(JSON.stringify({
    type: "conversation_initiation_metadata",
    conversation_initiation_metadata_event: {
      conversation_id: `conv_bench_${conversations.length}`,
      agent_output_audio_format: conv.report.format,
      user_input_audio_format: conv.report.format,
    },
  }));
  const ping = () => {
    if (conv.closed) return;
    ws.send(JSON.stringify({ type: "ping", ping_event: { event_id: ++conv.pingId, ping_ms: null } }));
    void after(conv, PING_INTERVAL_MS).then(ping);
  };
  void after(conv, PING_INTERVAL_MS).then(ping);
}

function startTurn(ws: ServerWebSocket<Conversation>): number {
  const conv = ws.data;
  const turn = ++conv.turn;
  conv.report.turns = turn;
  ws.send(JSON.stringify({ type: "user_transcript", user_transcription_event: { user_transcript: `turn ${turn}`, event_id: turn } }));
  ws.send(JSON.stringify({ type: "agent_response", agent_response_event: { agent_response: `Echo of turn ${turn}.`, event_id: turn } }));
  return turn;
}

function sendAudio(ws: ServerWebSocket<Conversation>, base64: string, bytes: number, turn: number): void {
  const { report } = ws.data;
  report.outStart.push(report.outBytes);
  report.outAtMs.push(nowMs());
  ws.send(`{"type":"audio","audio_event":{"audio_base_64":"${base64}","event_id":${turn}}}`);
  report.outBytes += bytes;
}

/** "turn" echo: the spurt as one turn, in irregular chunks sent REALTIME_FACTOR× faster than real time. */
async function speak(ws: ServerWebSocket<Conversation>, audio: Buffer): Promise<void> {
  const conv = ws.data;
  const turn = startTurn(ws);
  const align = conv.pcm ? 2 : 1;
  let start = 0;
  let elapsedMs = 0;
  for (const ms of chunkPlanMs(audio.length / conv.bytesPerMs, conv.random)) {
    if (conv.closed) return;
    elapsedMs += ms;
    const end = Math.min(audio.length, Math.round((elapsedMs * conv.bytesPerMs) / align) * align);
    if (end > start) sendAudio(ws, audio.subarray(start, end).toString("base64"), end - start, turn);
    start = end;
    await after(conv, ms / REALTIME_FACTOR);
  }
}

function userAudio(ws: ServerWebSocket<Conversation>, chunkBase64: string, atMs: number): void {
  const conv = ws.data;
  const { report } = conv;
  const bytes = (chunkBase64.length * 3) / 4 - (chunkBase64.endsWith("==") ? 2 : chunkBase64.endsWith("=") ? 1 : 0);
  report.inAtMs.push(atMs);
  report.inBytes += bytes;
  report.inEnd.push(report.inBytes);
  if (mode === "chunk") {
    if (Math.floor(report.outBytes / (CHUNK_TURN_MULAW_BYTES * (conv.bytesPerMs / 8))) + 1 !== conv.turn) startTurn(ws);
    sendAudio(ws, chunkBase64, bytes, conv.turn);
    return;
  }
  const audio = Buffer.from(chunkBase64, "base64");
  if (isSpeech(audio, conv.pcm)) {
    conv.spurt.push(audio);
  } else if (conv.spurt.length > 0) {
    const spurt = Buffer.concat(conv.spurt);
    conv.spurt = [];
    conv.speaking = conv.speaking.then(() => speak(ws, spurt));
  }
}

const server = Bun.serve<Conversation>({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req, srv) {
    const url = new URL(req.url);
    const agentId = url.searchParams.get("agent_id") ?? "";
    if (url.pathname === "/v1/convai/conversation/get-signed-url" || url.pathname === "/v1/convai/conversation/get_signed_url") {
      const query = new URLSearchParams({ agent_id: agentId, conversation_signature: "bench" });
      return Response.json({ signed_url: `ws://127.0.0.1:${srv.port}/v1/convai/conversation?${query}` });
    }
    if (req.method === "POST" && url.pathname === "/post-call") {
      // The bench's post-call webhook receiver (Homebook with --features all): counted, not checked.
      webhooks++;
      return Response.json({ ok: true });
    }
    if (url.pathname !== "/v1/convai/conversation") return new Response("not found", { status: 404 });
    const format = /_(ulaw_8000|pcm_\d+)$/.exec(agentId)?.[1] ?? "pcm_16000";
    const report: AgentConversationReport = {
      sessionId: "", format, inAtMs: [], inEnd: [], outAtMs: [], outStart: [], inBytes: 0, outBytes: 0, turns: 0, pongs: 0,
    };
    const data: Conversation = {
      report,
      pcm: format.startsWith("pcm"),
      bytesPerMs: 8 * bytesPerMulawByte(format),
      turn: 0,
      pingId: 0,
      started: false,
      closed: false,
      spurt: [],
      speaking: Promise.resolve(),
      random: seededRandom(conversations.length + 1),
      timers: new Set(),
    };
    if (srv.upgrade(req, { data })) return undefined;
    return new Response("expected a WebSocket upgrade", { status: 400 });
  },
  websocket: {
    perMessageDeflate: false,
    maxPayloadLength: 16 * 1024 * 1024,
    idleTimeout: 120,
    open(ws) {
      conversations.push(ws.data);
    },
    message(ws, message) {
      const atMs = nowMs();
      const text = String(message);
      // Audio has no `type` (the contract's shortcut for speed); its prefix is all we need to see.
      if (text.startsWith('{"user_audio_chunk":"')) {
        if (ws.data.started) userAudio(ws, text.slice(21, text.indexOf('"', 21)), atMs);
        return;
      }
      const frame = JSON.parse(text);
      if (typeof frame.user_audio_chunk === "string") {
        if (ws.data.started) userAudio(ws, frame.user_audio_chunk, atMs);
      } else if (frame.type === "conversation_initiation_client_data") {
        if (!ws.data.started) begin(ws, frame);
      } else if (frame.type === "pong") {
        ws.data.report.pongs++;
      }
    },
    close(ws) {
      ws.data.closed = true;
      for (const timer of ws.data.timers) clearTimeout(timer);
    },
  },
});

console.log(`READY ${server.port}`);
for await (const line of readLines(Bun.stdin.stream())) {
  if (line === "record") {
    clock.recording = true;
    console.log("RECORDING");
  } else if (line.startsWith("report ")) {
    clock.recording = false;
    const report: AgentReport = { mode, webhooks, timerLateMs: spread(clock.lateMs), conversations: conversations.map((c) => c.report) };
    await Bun.write(line.slice(7), JSON.stringify(report));
    console.log("REPORTED");
  } else if (line === "exit") {
    break;
  }
}
clock.stop();
for (const conv of conversations) for (const timer of conv.timers) clearTimeout(timer);
server.stop(true);
