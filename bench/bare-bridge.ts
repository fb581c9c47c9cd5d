/**
 * The baseline of bench/bridge.ts: a minimal pass-through Mcube ↔ ElevenLabs bridge. One agent
 * WebSocket per call; caller media payloads are re-wrapped as user_audio_chunk and agent audio as
 * playAudio, base64 untouched (so μ-law only: the agent must be ulaw_8000 both ways). Pings are
 * answered; no checkpoints, barge-in, records, metrics, auth or limits.
 *
 *   PORT=7900 AGENT_URL='ws://127.0.0.1:7901/v1/convai/conversation?agent_id=…' bun bench/bare-bridge.ts
 *
 * GET /health/performance reports its event-loop delay measured as Homebook measures its own: one
 * 20 ms timer, how late each run of it fires, figures since the previous request (Homebook rounds its
 * percentiles up to a log bucket, at most 8 % high; here they are exact).
 */
const agentUrl = process.env.AGENT_URL ?? "";
const LOOP_TIMER_MS = 20;
let loopDelaysMs: number[] = [];
const armLoopTimer = (dueAt = performance.now() + LOOP_TIMER_MS) =>
  setTimeout(() => {
    loopDelaysMs.push(Math.max(0, performance.now() - dueAt));
    armLoopTimer();
  }, LOOP_TIMER_MS);
armLoopTimer();

interface Call {
  sessionId: string;
  agent?: WebSocket;
  streamId: string;
  /** Caller audio that came before the agent socket opened, sent in order once it does. */
  held: string[] | undefined;
}

const server = Bun.serve<Call>({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  fetch(req, srv) {
    const path = new URL(req.url).pathname;
    if (path === "/health/performance") {
      const d = loopDelaysMs.sort((a, b) => a - b);
      loopDelaysMs = [];
      const mean_ms = d.reduce((sum, v) => sum + v, 0) / (d.length || 1);
      return Response.json({ event_loop_delay: { mean_ms, p99_ms: d[Math.floor(0.99 * (d.length - 1))] ?? 0, max_ms: d.at(-1) ?? 0 } });
    }
    if (path.startsWith("/ws/") && srv.upgrade(req, { data: { sessionId: path.slice(4), streamId: "", held: [] } })) return undefined;
    return new Response("not found", { status: 404 });
  },
  websocket: {
    perMessageDeflate: false,
    open(ws) {
      const call = ws.data;
      const agent = new WebSocket(agentUrl);
      call.agent = agent;
      agent.onopen = () => {
        agent.send(JSON.stringify({ type: "conversation_initiation_client_data", dynamic_variables: { session_id: call.sessionId } }));
        for (const chunk of call.held ?? []) agent.send(chunk);
        call.held = undefined;
      };
      agent.onmessage = (event) => {
        const frame = JSON.parse(String(event.data));
        if (frame.type === "audio") {
          ws.send(JSON.stringify({
            event: "playAudio",
            streamId: call.streamId,
            media: { contentType: "audio/x-mulaw", sampleRate: 8000, payload: frame.audio_event.audio_base_64 },
          }));
        } else if (frame.type === "ping") {
          agent.send(JSON.stringify({ type: "pong", event_id: frame.ping_event.event_id }));
        }
      };
      agent.onclose = () => ws.close(1000, "agent closed");
    },
    message(ws, message) {
      const call = ws.data;
      const frame = JSON.parse(String(message));
      if (frame.event === "media") {
        const chunk = JSON.stringify({ user_audio_chunk: frame.media.payload });
        if (call.held) call.held.push(chunk);
        else call.agent?.send(chunk);
      } else if (frame.event === "start") {
        call.streamId = frame.start.streamId;
      } else if (frame.event === "stop") {
        ws.close(1000, "stop");
      }
    },
    close(ws) {
      ws.data.agent?.close(1000);
    },
  },
});

console.log(`listening ${server.port}`);
process.on("SIGTERM", () => process.exit(0)); // an orderly exit, so `bun --cpu-prof` writes its profile
