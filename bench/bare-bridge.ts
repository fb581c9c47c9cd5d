/**
 * The baseline of bench/bridge.ts: a minimal pass-through Mcube ↔ ElevenLabs bridge. One agent
 * WebSocket per call; caller media payloads are re-wrapped as user_audio_chunk and agent audio as
 * playAudio, base64 untouched (so μ-law only: the agent must be ulaw_8000 both ways). Pings are
 * answered; no checkpoints, barge-in, records, metrics, auth or limits.
 *
 *   PORT=7900 AGENT_URL='ws://127.0.0.1:7901/v1/convai/conversation?agent_id=…' bun bench/bare-bridge.ts
 *
 * GET /health/performance reports its event-loop delay exactly as Homebook's does
 * (monitorEventLoopDelay, reset at each request), so the two compare. The resolution is 10 ms
 * because Homebook's is in effect: under Bun every monitorEventLoopDelay in a process shares one
 * histogram sampled at the first one's resolution, and prom-client's (10 ms) is created first.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";

const agentUrl = process.env.AGENT_URL ?? "";
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

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
      const eventLoop = { mean_ms: loop.mean / 1e6, p99_ms: loop.percentile(99) / 1e6, max_ms: loop.max / 1e6 };
      loop.reset();
      return Response.json({ event_loop_delay: eventLoop });
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
