/** The call bridge's metrics, declared once in the global registry. */
import { Counter, Gauge, Histogram, LATENCY_BUCKETS_MS } from "../metrics/registry.ts";

export const activeCalls = new Gauge({ name: "homebook_active_calls", help: "Calls currently bridged." });

export const callsEnded = new Counter({
  name: "homebook_calls_total",
  help: "Finished calls, by end reason.",
  labelNames: ["end_reason"],
});

export const callRefusals = new Counter({
  name: "homebook_call_refusals_total",
  help: "Calls refused at admission (capacity, draining, duplicate session id).",
  labelNames: ["reason"],
});

export const agentConnectionsInUse = new Gauge({
  name: "homebook_agent_connections_in_use",
  help: "Agent conversations holding an ELEVENLABS_MAX_CONNECTIONS slot.",
});

export const agentConnectionsWaiting = new Gauge({
  name: "homebook_agent_connections_waiting",
  help: "Callers waiting for an agent connection slot.",
});

/** leg: mcube|agent; direction: in (received) | out (sent). Audio frames only. */
export const audioFrames = new Counter({
  name: "homebook_audio_frames_total",
  help: "Audio frames bridged, by leg and direction.",
  labelNames: ["leg", "direction"],
});

export const audioBytes = new Counter({
  name: "homebook_audio_bytes_total",
  help: "Audio payload bytes bridged (decoded), by leg and direction.",
  labelNames: ["leg", "direction"],
});

export const droppedFrames = new Counter({
  name: "homebook_dropped_frames_total",
  help: "Frames dropped on purpose, by reason (stale_audio, uplink_overflow, ignored, after_end).",
  labelNames: ["reason"],
});

export const ignoredFrames = new Counter({
  name: "homebook_ignored_frames_total",
  help: "Unknown or malformed frames ignored, by leg and kind.",
  labelNames: ["leg", "kind"],
});

/** uplink: Mcube media in → user_audio_chunk sent; downlink: agent audio in → first playAudio sent. */
export const addedLatency = new Histogram({
  name: "homebook_bridge_added_latency_ms",
  help: "Time a frame spends inside Homebook, by direction.",
  labelNames: ["direction"],
  buckets: LATENCY_BUCKETS_MS,
});

export const firstAgentAudio = new Histogram({
  name: "homebook_first_agent_audio_ms",
  help: "From Mcube start to the first agent audio sent to the caller.",
  buckets: [50, 100, 250, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000],
});

export const callErrors = new Counter({
  name: "homebook_call_errors_total",
  help: "Call errors, by HomebookError code.",
  labelNames: ["kind"],
});

export const droppedSendBytes = new Counter({
  name: "homebook_send_dropped_bytes_total",
  help: "Audio bytes not sent because the receiving socket was over its buffer bound, by leg.",
  labelNames: ["leg"],
});

/** Children bound once for the per-frame path: updating them allocates nothing. */
export const hot = {
  callerFramesIn: audioFrames.bind({ leg: "mcube", direction: "in" }),
  callerBytesIn: audioBytes.bind({ leg: "mcube", direction: "in" }),
  agentFramesOut: audioFrames.bind({ leg: "agent", direction: "out" }),
  agentFramesIn: audioFrames.bind({ leg: "agent", direction: "in" }),
  agentBytesIn: audioBytes.bind({ leg: "agent", direction: "in" }),
  playFramesOut: audioFrames.bind({ leg: "mcube", direction: "out" }),
  playBytesOut: audioBytes.bind({ leg: "mcube", direction: "out" }),
  staleDropped: droppedFrames.bind({ reason: "stale_audio" }),
  uplinkOverflow: droppedFrames.bind({ reason: "uplink_overflow" }),
  mcubeSendDropped: droppedSendBytes.bind({ leg: "mcube" }),
  agentSendDropped: droppedSendBytes.bind({ leg: "agent" }),
  uplinkLatency: addedLatency.bind({ direction: "uplink" }),
  downlinkLatency: addedLatency.bind({ direction: "downlink" }),
};

export const agentReconnects = new Counter({
  name: "homebook_agent_reconnects_total",
  help: "Agent conversations reopened mid-call after the agent connection was lost, by outcome (ok, failed).",
  labelNames: ["outcome"],
});

export const sendStalls = new Counter({
  name: "homebook_send_stalls_total",
  help: "Sockets that stopped reading what the gateway sent, by leg; past SEND_STALL_TIMEOUT_MS the call ends (mcube) or the agent is treated as lost.",
  labelNames: ["leg"],
});
