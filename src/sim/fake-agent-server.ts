/**
 * Fake ElevenLabs Agents server on 127.0.0.1: the signed-URL REST endpoint, the agent's configuration
 * (GET agent and its tools, see fake-agent-config.ts) and the conversation WebSocket, faithful to shared/reference/elevenlabs-agents-websocket.md. Tests script it turn by turn;
 * `homebook agent` and the offline mode of `homebook serve` run it with the echo persona.
 */
import type { Server, ServerWebSocket } from "bun";
import { systemClock } from "../base/clock.ts";
import { FakeConversationSession, FIRST_MESSAGE_TONE_HZ } from "./fake-conversation.ts";
import type { FakeAgentOptions, FakeAgentServer, FakeConversation, SpokenMessage } from "./fake-agent-types.ts";
import { firstMessageOverride, validateInit } from "./init-validation.ts";
import { startEchoPersona } from "./echo-persona.ts";
import { loadEchoPrompts } from "./echo-prompts.ts";
import { CLOSE_REASONS } from "./agent-wire.ts";
import { fakeAgentConfig, type ToolResponseWire } from "./fake-agent-config.ts";

export type * from "./fake-agent-types.ts";
export type { AgentResponseWire, FakeAgentConfig, ToolResponseWire } from "./fake-agent-config.ts";
export { FIRST_MESSAGE_TONE_HZ, MAX_DURATION_TONE_HZ, STALE_TONE_HZ, TURN_TONES_HZ } from "./fake-conversation.ts";
export { SERVER_EVENT_EXAMPLES, type ServerEvent, type ServerEventType } from "./agent-event-examples.ts";

export const CONVERSATION_PATH = "/v1/convai/conversation";
const SIGNED_URL_PATHS = new Set(["/v1/convai/conversation/get-signed-url", "/v1/convai/conversation/get_signed_url"]);
/** GET an agent's configuration, and one of its standalone tools (what `homebook check-agent` reads). */
const AGENT_PATH = /^\/v1\/convai\/agents\/([^/]+)$/;
const TOOL_PATH = /^\/v1\/convai\/tools\/([^/]+)$/;
/** Signed URLs must be used within 15 minutes of issue. */
const SIGNED_URL_TTL_MS = 15 * 60_000;
/** The scripted persona's default greeting. */
export const DEFAULT_FIRST_MESSAGE: SpokenMessage = {
  text: "Hello, this is the test agent. How can I help?",
  durationMs: 1500,
};
/** What the agent says when a conversation reaches its maximum duration (unless told otherwise). */
export const DEFAULT_MAX_DURATION_MESSAGE: SpokenMessage = { text: "We have reached the time limit for this call. Goodbye.", durationMs: 1200 };
/** How long a conversation may wait for the client's init by default. */
export const DEFAULT_INIT_TIMEOUT_MS = 5000;
/** The service ends a conversation after this long without user audio (transport_receive_timeout). */
export const DEFAULT_USER_AUDIO_TIMEOUT_MS = 60_000;

interface Connection {
  conversation: FakeConversationSession;
  /** Set when the request is refused right after the handshake. */
  refusal?: { code: number; reason: string };
  /** Upgraded, then nothing (stall "metadata" when it was accepted). */
  stalled: boolean;
}

/** Why the service turns a conversation request away: at the HTTP upgrade (status) or right after it (close code). */
type Refusal = { status: 401 | 403; detail: string } | { code: number; reason: string };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
}

/**
 * Starts the fake server. Strict by default: a conversation starts only on the client's init; leniency is explicit.
 * @example
 * const agent = await startFakeAgentServer({ outputFormat: "ulaw_8000", clock });
 * // ELEVENLABS_BASE_URL = agent.baseUrl
 * const conv = await agent.nextConversation();
 * await conv.init;
 * await conv.speak({ durationMs: 800, toneHz: 660 });
 */
export async function startFakeAgentServer(options: FakeAgentOptions = {}): Promise<FakeAgentServer> {
  const {
    apiKey,
    clock = systemClock,
    inputFormat = "pcm_16000",
    outputFormat = "pcm_16000",
    persona = "scripted",
    allowedOverrides,
    requiredDynamicVariables,
    pingIntervalMs = 2000,
    requireSignedUrl = apiKey !== undefined,
    realtimeFactor = 4,
    seed = 1,
    logger,
    lenient = {},
    initTimeoutMs = DEFAULT_INIT_TIMEOUT_MS,
    agentResponseComplete = true,
    maxDurationMs,
    maxDurationMessage = DEFAULT_MAX_DURATION_MESSAGE,
    userAudioTimeoutMs = DEFAULT_USER_AUDIO_TIMEOUT_MS,
    queue,
    cancelFirst = 0,
    agentConfig,
  } = options;
  // What `reconfigure` may change for later conversations.
  let { knownAgents, stall, refuseWith } = options;
  const conversations: FakeConversationSession[] = [];
  const signatures = new Map<string, { agentId: string; expiresAt: number }>();
  const stats = { signedUrlRequests: 0, connections: 0, upgradeRefusals: 0, stalledRequests: 0 };
  /** Answers for the requests `stall` holds, given when the server stops. */
  const stalled = new Set<() => void>();
  const hold = (): Promise<Response> => {
    stats.stalledRequests += 1;
    return new Promise((resolve) => stalled.add(() => resolve(json(503, { detail: "Server shutting down" }))));
  };
  const waiters: { resolve: (c: FakeConversation) => void }[] = [];
  let handedOut = 0;
  /** Conversation requests accepted at the upgrade (for the queue's first N). */
  let accepted = 0;
  let port = 0;
  const prompts = persona === "echo" ? await loadEchoPrompts() : undefined;

  /** The REST answer for a wrong xi-api-key, or undefined when the key is right (or none is needed). */
  const keyRefusal = (req: Request): Response | undefined =>
    apiKey !== undefined && req.headers.get("xi-api-key") !== apiKey ? json(401, { detail: { status: "invalid_api_key", message: "Invalid API key" } }) : undefined;
  const agentNotFound = (agentId: string): Response | undefined =>
    knownAgents && !knownAgents.includes(agentId) ? json(404, { detail: { status: "agent_not_found", message: "Agent not found" } }) : undefined;

  const signedUrl = (req: Request, url: URL): Response => {
    stats.signedUrlRequests += 1;
    const refused = keyRefusal(req);
    if (refused) return refused;
    const agentId = url.searchParams.get("agent_id");
    if (!agentId) {
      return json(422, { detail: [{ type: "missing", loc: ["query", "agent_id"], msg: "Field required", input: null }] });
    }
    const unknown = agentNotFound(agentId);
    if (unknown) return unknown;
    const signature = randomHex(24);
    signatures.set(signature, { agentId, expiresAt: clock.now() + SIGNED_URL_TTL_MS });
    const query = new URLSearchParams({ agent_id: agentId, conversation_signature: signature });
    return json(200, { signed_url: `ws://127.0.0.1:${port}${CONVERSATION_PATH}?${query}` });
  };

  /** Tools of the agents served so far, by id (the service's tools are the workspace's; the fake's are its agents'). */
  const tools = new Map<string, ToolResponseWire>();
  const agentSettings = (req: Request, agentId: string): Response => {
    const refused = keyRefusal(req) ?? agentNotFound(agentId);
    if (refused) return refused;
    const base = fakeAgentConfig({ agentId, inputFormat, outputFormat, allowedOverrides, requireSignedUrl, agentResponseComplete, maxDurationMs });
    const config = agentConfig?.(base) ?? base;
    for (const tool of config.tools) tools.set(tool.id, tool);
    return json(200, config.agent);
  };
  const tool = (req: Request, toolId: string): Response => {
    const found = tools.get(toolId);
    return keyRefusal(req) ?? (found ? json(200, found) : json(404, { detail: { status: "tool_not_found", message: "Tool not found" } }));
  };

  /** Why the service would turn this request away, and where: an unknown agent after the handshake, a bad signature at the upgrade. */
  const refusalFor = (agentId: string, url: URL): Refusal | undefined => {
    if (refuseWith) return { code: refuseWith.code, reason: refuseWith.reason ?? CLOSE_REASONS[refuseWith.code] ?? "" };
    if (knownAgents && !knownAgents.includes(agentId)) return { code: 3000, reason: CLOSE_REASONS[3000]! };
    const signature = url.searchParams.get("conversation_signature") ?? url.searchParams.get("token");
    let refusal: Refusal | undefined;
    if (signature === null) {
      if (requireSignedUrl) refusal = { status: 401, detail: "Authentication required: use a signed URL" };
    } else {
      const entry = signatures.get(signature);
      if (!entry || entry.agentId !== agentId || entry.expiresAt < clock.now()) refusal = { status: 403, detail: "Invalid or expired conversation signature" };
    }
    if (refusal && "status" in refusal && lenient.refusalsAfterHandshake) return { code: 1008, reason: refusal.detail };
    return refusal;
  };

  const startPersona = (conversation: FakeConversationSession, init: unknown) => {
    if (prompts) {
      startEchoPersona(conversation, { prompts, logger });
      return;
    }
    const override = firstMessageOverride(init);
    const configured = options.firstMessage === undefined ? DEFAULT_FIRST_MESSAGE : options.firstMessage;
    const first = override === undefined ? configured : override === "" ? null : { text: override, durationMs: configured?.durationMs ?? DEFAULT_FIRST_MESSAGE.durationMs };
    if (first) void conversation.speak({ text: first.text, durationMs: first.durationMs, toneHz: configured?.toneHz ?? FIRST_MESSAGE_TONE_HZ });
  };

  const upgrade = (req: Request, url: URL, srv: Server<Connection>): Response | undefined => {
    const agentId = url.searchParams.get("agent_id");
    if (!agentId) return json(422, { detail: [{ type: "missing", loc: ["query", "agent_id"], msg: "Field required", input: null }] });
    const refusal = refusalFor(agentId, url) ?? (accepted < cancelFirst ? { code: 3000, reason: CLOSE_REASONS[3000]! } : undefined);
    if (refusal && "status" in refusal) {
      stats.upgradeRefusals += 1;
      return json(refusal.status, { detail: refusal.detail });
    }
    const queued = queue && accepted < (queue.conversations ?? Number.POSITIVE_INFINITY) ? queue : undefined;
    accepted += 1;
    const conversation = new FakeConversationSession({
      id: `conv_${randomHex(12)}`,
      agentId,
      clock,
      inputFormat,
      outputFormat,
      pingIntervalMs,
      realtimeFactor,
      seed: seed + conversations.length,
      agentResponseComplete,
      metadataBeforeInit: lenient.metadataBeforeInit === true,
      stalled: stall === "metadata",
      initTimeoutMs,
      maxDurationMs,
      maxDurationMessage,
      userAudioTimeoutMs,
      queue: queued,
      validate: (init) => validateInit(init, { allowedOverrides, requiredDynamicVariables }),
      onStart: startPersona,
      logger,
    });
    const protocols = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
    const headers = protocols.includes("convai") ? { "Sec-WebSocket-Protocol": "convai" } : undefined;
    const data: Connection = { conversation, refusal, stalled: stall === "metadata" };
    if (!srv.upgrade(req, { data, headers })) return json(400, { detail: "Expected a WebSocket upgrade" });
    return undefined;
  };

  const opened = (ws: ServerWebSocket<Connection>) => {
    const { conversation, refusal, stalled: upgradedOnly } = ws.data;
    stats.connections += 1;
    conversation.attach({ send: (data) => void ws.send(data), close: (code, reason) => ws.close(code, reason), pause: () => ws.pause() });
    conversations.push(conversation);
    const waiter = waiters.shift();
    if (waiter) {
      handedOut += 1;
      waiter.resolve(conversation);
    }
    if (refusal) {
      conversation.refuse(refusal.code, refusal.reason);
      return;
    }
    if (upgradedOnly) return; // upgraded, then nothing: no metadata, no pings
    conversation.open();
  };

  const server = Bun.serve<Connection>({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    fetch(req, srv) {
      const url = new URL(req.url);
      if (req.method === "GET" && SIGNED_URL_PATHS.has(url.pathname)) {
        if (stall !== "signed_url") return signedUrl(req, url);
        stats.signedUrlRequests += 1;
        return hold();
      }
      if (url.pathname === CONVERSATION_PATH) return stall === "upgrade" ? hold() : upgrade(req, url, srv);
      const agent = req.method === "GET" ? AGENT_PATH.exec(url.pathname) : null;
      if (agent) return agentSettings(req, decodeURIComponent(agent[1]!));
      const toolPath = req.method === "GET" ? TOOL_PATH.exec(url.pathname) : null;
      if (toolPath) return tool(req, decodeURIComponent(toolPath[1]!));
      return json(404, { detail: "Not Found" });
    },
    websocket: {
      // The official SDKs accept frames up to 16 MiB; so does this fake.
      maxPayloadLength: 16 * 1024 * 1024,
      perMessageDeflate: false,
      idleTimeout: 120,
      open: opened,
      message(ws, message) {
        if (typeof message !== "string") {
          ws.data.conversation.error(1008, "invalid_message", "Invalid message received");
          return;
        }
        ws.data.conversation.receive(message);
      },
      close(ws, code, reason) {
        ws.data.conversation.onSocketClosed(code, reason);
      },
    },
  });
  port = server.port ?? 0;
  const baseUrl = `http://127.0.0.1:${port}`;
  logger?.info("fake agent listening", { agent_base_url: baseUrl, persona, input_format: inputFormat, output_format: outputFormat });

  return {
    baseUrl,
    port,
    conversations,
    stats,
    nextConversation(timeoutMs = 5000) {
      const ready = conversations[handedOut];
      if (ready) {
        handedOut += 1;
        return Promise.resolve(ready);
      }
      return new Promise((resolve, reject) => {
        const waiter = {
          resolve: (c: FakeConversation) => {
            clock.clearTimer(timer);
            resolve(c);
          },
        };
        const timer = clock.setTimer(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`fake agent: no conversation opened within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    revokeSignedUrls() {
      signatures.clear();
    },
    reconfigure(changes) {
      if ("knownAgents" in changes) knownAgents = changes.knownAgents;
      if ("stall" in changes) stall = changes.stall;
      if ("refuseWith" in changes) refuseWith = changes.refuseWith;
    },
    async stop() {
      for (const answer of stalled) answer();
      stalled.clear();
      for (const c of conversations) c.close(1001, "Server shutting down");
      await server.stop(true);
      for (const c of conversations) c.onSocketClosed(1001, "Server shutting down");
    },
  };
}
