/**
 * The bridge benchmark's agent, a process of its own: speaks the ElevenLabs Agents wire protocol
 * (signed-URL REST, conversation_initiation_metadata after the client's
 * conversation_initiation_client_data, pings every 2 s, `audio` with event_id) and echoes every
 * user_audio_chunk back at once as agent audio, stamping each chunk in and out.
 *
 * The audio format comes from the agent id's suffix: agent_bench_ulaw_8000, agent_bench_pcm_16000.
 * The echoed turn (event_id) changes after every second of audio, with an agent_response and a
 * user_transcript, so a bridge sees turns end and sends its checkpoints.
 *
 *   bun bench/bridge-agent.ts      prints "READY <port>"; on stdin "report <path>" writes what it
 *                                  measured there and prints "REPORTED"
 */
import type { ServerWebSocket } from "bun";
import { bytesPerMulawByte, nowMs, readLines, spread, TickClock } from "./bridge-common.ts";

const PING_INTERVAL_MS = 2000;
const TURN_MULAW_BYTES = 8000; // one second of caller audio per echoed turn

/** What the agent measured for one conversation; times are nowMs(), offsets in agent-format bytes. */
export interface AgentConversationReport {
  sessionId: string;
  format: string;
  /** Arrival time and end offset of each user_audio_chunk. */
  inAtMs: number[];
  inEnd: number[];
  /** Send time and start offset of each echoed audio chunk. */
  outAtMs: number[];
  outStart: number[];
  inBytes: number;
  outBytes: number;
  pongs: number;
  initFrames: number;
}

export interface AgentReport {
  /** How late the agent's own 20 ms timer fired while recording (its event loop's responsiveness). */
  timerLateMs: { n: number; p50: number; p99: number; max: number };
  conversations: AgentConversationReport[];
}

interface Conversation {
  report: AgentConversationReport;
  mulawBytesPerByte: number;
  turn: number;
  ping: ReturnType<typeof setInterval> | undefined;
  pingId: number;
  started: boolean;
}

const conversations: Conversation[] = [];
const clock = new TickClock();
clock.every(20, () => {});

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
  conv.ping = setInterval(() => ws.send(JSON.stringify({ type: "ping", ping_event: { event_id: ++conv.pingId, ping_ms: null } })), PING_INTERVAL_MS);
}

function echo(ws: ServerWebSocket<Conversation>, chunkBase64: string, atMs: number): void {
  const { report } = ws.data;
  const bytes = (chunkBase64.length * 3) / 4 - (chunkBase64.endsWith("==") ? 2 : chunkBase64.endsWith("=") ? 1 : 0);
  report.inAtMs.push(atMs);
  report.inBytes += bytes;
  report.inEnd.push(report.inBytes);
  const turn = Math.floor(report.outBytes / (TURN_MULAW_BYTES * ws.data.mulawBytesPerByte)) + 1;
  if (turn !== ws.data.turn) {
    ws.data.turn = turn;
    ws.send(JSON.stringify({ type: "user_transcript", user_transcription_event: { user_transcript: `turn ${turn}`, event_id: turn } }));
    ws.send(JSON.stringify({ type: "agent_response", agent_response_event: { agent_response: `Echo of turn ${turn}.`, event_id: turn } }));
  }
  report.outStart.push(report.outBytes);
  report.outAtMs.push(nowMs());
  ws.send(`{"type":"audio","audio_event":{"audio_base_64":"${chunkBase64}","event_id":${turn}}}`);
  report.outBytes += bytes;
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
    if (url.pathname !== "/v1/convai/conversation") return new Response("not found", { status: 404 });
    const format = /_(ulaw_8000|pcm_\d+)$/.exec(agentId)?.[1] ?? "pcm_16000";
    const report: AgentConversationReport = {
      sessionId: "", format, inAtMs: [], inEnd: [], outAtMs: [], outStart: [], inBytes: 0, outBytes: 0, pongs: 0, initFrames: 0,
    };
    const data: Conversation = { report, mulawBytesPerByte: bytesPerMulawByte(format), turn: 0, ping: undefined, pingId: 0, started: false };
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
        if (ws.data.started) echo(ws, text.slice(21, text.indexOf('"', 21)), atMs);
        return;
      }
      const frame = JSON.parse(text);
      if (typeof frame.user_audio_chunk === "string") {
        if (ws.data.started) echo(ws, frame.user_audio_chunk, atMs);
      } else if (frame.type === "conversation_initiation_client_data") {
        ws.data.report.initFrames++;
        if (!ws.data.started) begin(ws, frame);
      } else if (frame.type === "pong") {
        ws.data.report.pongs++;
      }
    },
    close(ws) {
      clearInterval(ws.data.ping);
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
    const report: AgentReport = { timerLateMs: spread(clock.lateMs), conversations: conversations.map((c) => c.report) };
    await Bun.write(line.slice(7), JSON.stringify(report));
    console.log("REPORTED");
  } else if (line === "exit") {
    break;
  }
}
clock.stop();
for (const conv of conversations) clearInterval(conv.ping);
server.stop(true);
