import { afterEach, describe, expect, test } from "bun:test";
import { createDownlinkTranscoder } from "../../src/audio/transcoder.ts";
import { bytesPerMs, type AgentAudioFormat } from "../../src/audio/agent-format.ts";
import {
  FIRST_MESSAGE_TONE_HZ,
  STALE_TONE_HZ,
  startFakeAgentServer,
  type FakeAgentOptions,
  type FakeAgentServer,
} from "../../src/sim/fake-agent-server.ts";
import { toneMs } from "../../src/sim/tones.ts";
import { audioBytes, connect, INIT } from "./ws-client.ts";
import { until } from "../helpers/wait.ts";
import { TestClock } from "../helpers/test-clock.ts";

/** The HTTP status a WebSocket upgrade request gets (a refused upgrade answers with a status, not a socket). */
function upgradeStatus(url: string): Promise<Response> {
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  return fetch(url.replace(/^ws/, "http"), { headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": key } });
}

let server: FakeAgentServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(options: FakeAgentOptions = {}) {
  server = await startFakeAgentServer({ pingIntervalMs: 60_000, ...options });
  return server;
}

function wsUrl(s: FakeAgentServer, agentId = "agent_1") {
  return `ws://127.0.0.1:${s.port}/v1/convai/conversation?agent_id=${agentId}`;
}

/** Agent audio → what a phone caller would hear (μ-law 8 kHz), through the audio module. */
function asHeard(bytes: Uint8Array, format: AgentAudioFormat): Uint8Array {
  return createDownlinkTranscoder(format).process(bytes);
}

describe("signed-URL REST", () => {
  for (const path of ["get-signed-url", "get_signed_url"]) {
    test(`${path}: 401 with the documented body on a wrong or missing key`, async () => {
      const s = await start({ apiKey: "right-key" });
      for (const headers of [{ "xi-api-key": "wrong" }, {} as Record<string, string>]) {
        const res = await fetch(`${s.baseUrl}/v1/convai/conversation/${path}?agent_id=agent_1`, { headers });
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ detail: { status: "invalid_api_key", message: "Invalid API key" } });
      }
    });

    test(`${path}: 422 without agent_id, 200 with a signed URL that connects`, async () => {
      const s = await start({ apiKey: "right-key" });
      const missing = await fetch(`${s.baseUrl}/v1/convai/conversation/${path}`, { headers: { "xi-api-key": "right-key" } });
      expect(missing.status).toBe(422);
      const res = await fetch(`${s.baseUrl}/v1/convai/conversation/${path}?agent_id=agent_1`, { headers: { "xi-api-key": "right-key" } });
      expect(res.status).toBe(200);
      const { signed_url } = (await res.json()) as { signed_url: string };
      expect(signed_url).toStartWith(`ws://127.0.0.1:${s.port}/v1/convai/conversation?agent_id=agent_1&conversation_signature=`);
      const client = connect(signed_url);
      client.send(INIT);
      const metadata = await client.waitFor((f) => f.type === "conversation_initiation_metadata");
      expect(metadata.conversation_initiation_metadata_event.conversation_id).toStartWith("conv_");
      expect(s.stats.signedUrlRequests).toBe(2);
      client.ws.close();
    });
  }

  test("an unknown agent gets 404 from REST and close 3000 right after the handshake, with no metadata", async () => {
    const s = await start({ knownAgents: ["agent_1"] });
    const res = await fetch(`${s.baseUrl}/v1/convai/conversation/get-signed-url?agent_id=agent_x`);
    expect(res.status).toBe(404);
    const client = connect(wsUrl(s, "agent_x"));
    client.send(INIT);
    expect(await client.closed).toMatchObject({ code: 3000, reason: "Request error" });
    expect(client.frames).toEqual([]);
    expect(s.stats.connections).toBe(1);
  });

  test("reconfigure changes only later conversations: an open one goes on; a new one is refused (agent deleted, a failing service) until cleared", async () => {
    const s = await start();
    const open = connect(wsUrl(s));
    open.send(INIT);
    await open.waitFor((f) => f.type === "conversation_initiation_metadata");

    s.reconfigure({ knownAgents: ["agent_other"] });
    const deleted = connect(wsUrl(s));
    deleted.send(INIT);
    expect(await deleted.closed).toMatchObject({ code: 3000, reason: "Request error" });
    s.reconfigure({ knownAgents: undefined, refuseWith: { code: 1011 } });
    const failing = connect(wsUrl(s));
    failing.send(INIT);
    expect(await failing.closed).toMatchObject({ code: 1011, reason: "Internal error" });
    expect([deleted.frames, failing.frames]).toEqual([[], []]);

    s.reconfigure({ refuseWith: undefined });
    const healthy = connect(wsUrl(s));
    healthy.send(INIT);
    await healthy.waitFor((f) => f.type === "conversation_initiation_metadata");
    // The conversation opened before the changes was never touched.
    open.send({ type: "user_activity" });
    await s.conversations[0]!.waitForMessage((m) => m.type === "user_activity");
    expect(s.conversations[0]!.isOpen).toBe(true);
    open.ws.close();
    healthy.ws.close();
  });

  test("a private agent refuses at the HTTP upgrade: 401 without a signature, 403 with a revoked one", async () => {
    const s = await start({ apiKey: "right-key" });
    expect((await upgradeStatus(wsUrl(s))).status).toBe(401);
    const res = await fetch(`${s.baseUrl}/v1/convai/conversation/get-signed-url?agent_id=agent_1`, { headers: { "xi-api-key": "right-key" } });
    const { signed_url } = (await res.json()) as { signed_url: string };
    s.revokeSignedUrls();
    expect((await upgradeStatus(signed_url)).status).toBe(403);
    const refused = connect(signed_url);
    expect((await refused.closed).code).toBe(1006); // the client sees a failed handshake (abnormal close), no frames
    expect(refused.frames).toEqual([]);
    expect(s.stats).toMatchObject({ connections: 0, upgradeRefusals: 3 });
  });

  test("lenient refusalsAfterHandshake: the same refusals come as close 1008 after the handshake", async () => {
    const s = await start({ apiKey: "right-key", lenient: { refusalsAfterHandshake: true } });
    const unsigned = connect(wsUrl(s));
    expect((await unsigned.closed).code).toBe(1008);
    expect(unsigned.frames).toEqual([]);
    expect(s.stats).toMatchObject({ connections: 1, upgradeRefusals: 0 });
  });
});

describe("conversation", () => {
  test("metadata comes only after the client's init, in the configured formats; frames before it are ignored", async () => {
    const s = await start({ inputFormat: "ulaw_8000", outputFormat: "pcm_24000" });
    const client = connect(wsUrl(s));
    client.send({ user_audio_chunk: Buffer.from([1, 2, 3]).toString("base64") });
    client.send({ type: "user_activity" });
    const conv = await s.nextConversation();
    await conv.waitForMessage((m) => m.type === "user_activity");
    expect(client.frames).toEqual([]); // nothing before the init
    client.send(INIT);
    const first = await client.waitFor(() => true);
    expect(first.type).toBe("conversation_initiation_metadata");
    expect(first.conversation_initiation_metadata_event).toMatchObject({ agent_output_audio_format: "pcm_24000", user_input_audio_format: "ulaw_8000" });
    expect(conv.agentId).toBe("agent_1");
    expect(conv.framesBeforeInit).toBe(2);
    expect([...conv.userAudio]).toEqual([]);
    expect(await conv.init).toMatchObject({ type: "conversation_initiation_client_data" });
    client.ws.close();
  });

  test("lenient metadataBeforeInit: metadata at once, before the client says anything", async () => {
    const s = await start({ lenient: { metadataBeforeInit: true }, firstMessage: null });
    const client = connect(wsUrl(s));
    expect((await client.waitFor(() => true)).type).toBe("conversation_initiation_metadata");
    const conv = await s.nextConversation();
    client.send({ type: "user_activity" });
    expect(await conv.init).toBeNull(); // the first frame was not the init
    client.ws.close();
  });

  for (const format of ["pcm_16000", "pcm_44100", "ulaw_8000"] as const) {
    test(`${format}: the first message is one turn of irregular 60–1500 ms chunks sharing an event_id`, async () => {
      const s = await start({ outputFormat: format, firstMessage: { text: "Hi there", durationMs: 3000 } });
      const client = connect(wsUrl(s));
      client.send(INIT);
      const conv = await s.nextConversation();
      expect(await conv.init).toMatchObject({ type: "conversation_initiation_client_data" });
      const response = await client.waitFor((f) => f.type === "agent_response");
      expect(response.agent_response_event.agent_response).toBe("Hi there");
      const eventId = response.agent_response_event.event_id;
      await client.waitFor((f) => f.type === "agent_response_complete");
      const audio = client.frames.filter((f) => f.type === "audio");
      expect(audio.length).toBeGreaterThanOrEqual(2);
      const chunkMs = audio.map((f) => Buffer.from(f.audio_event.audio_base_64, "base64").length / bytesPerMs(format));
      for (const ms of chunkMs) {
        expect(ms).toBeGreaterThanOrEqual(59.9);
        expect(ms).toBeLessThanOrEqual(1500.1);
      }
      expect(new Set(chunkMs.map(Math.round)).size).toBeGreaterThan(1); // irregular
      expect(audio.every((f) => f.audio_event.event_id === eventId)).toBe(true);
      expect(chunkMs.reduce((a, b) => a + b, 0)).toBeCloseTo(3000, 0);
      // agent_response goes out with the first audio chunk, i.e. before it.
      expect(client.frames.indexOf(response)).toBeLessThan(client.frames.indexOf(audio[0]));
      expect(toneMs(asHeard(audioBytes(client.frames, eventId), format), FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(3000 - 60);
      client.ws.close();
    });
  }

  test("a first_message override replaces the greeting, and an empty one makes the agent wait", async () => {
    const s = await start();
    const a = connect(wsUrl(s));
    a.send({ ...INIT, conversation_config_override: { agent: { first_message: "Namaste" } } });
    expect((await a.waitFor((f) => f.type === "agent_response")).agent_response_event.agent_response).toBe("Namaste");
    const b = connect(wsUrl(s));
    b.send({ ...INIT, conversation_config_override: { agent: { first_message: "" } } });
    b.send({ type: "user_message", text: "hello" });
    const conv = (await s.nextConversation(), await s.nextConversation());
    await conv.waitForMessage((m) => m.type === "user_message");
    await b.waitFor((f) => f.type === "conversation_initiation_metadata");
    expect(b.frames.map((f) => f.type)).toEqual(["conversation_initiation_metadata"]);
    a.ws.close();
    b.ws.close();
  });

  test("an override the agent does not enable ends the conversation before it starts: error override_error, close 1008", async () => {
    const s = await start({ allowedOverrides: ["agent.first_message"] });
    const client = connect(wsUrl(s));
    client.send({ ...INIT, conversation_config_override: { agent: { first_message: "ok", language: "hi" } } });
    const error = await client.waitFor((f) => f.type === "error");
    expect(error.error_event).toMatchObject({ code: 1008, error_type: "override_error" });
    expect((await client.closed).code).toBe(1008);
    expect(client.frames.map((f) => f.type)).toEqual(["error"]); // no metadata, no audio
  });

  test("a missing required dynamic variable ends the conversation: missing_dynamic_variable, close 1008", async () => {
    const s = await start({ requiredDynamicVariables: ["customer_name", "did"] });
    const client = connect(wsUrl(s));
    client.send({ ...INIT, dynamic_variables: { customer_name: "Asha" } });
    const error = await client.waitFor((f) => f.type === "error");
    expect(error.error_event).toMatchObject({ code: 1008, error_type: "missing_dynamic_variable" });
    expect(error.error_event.message).toContain("did");
    expect((await client.closed).code).toBe(1008);
  });

  test("pings every pingIntervalMs of the clock, with increasing event_ids; pongs give ping_ms", async () => {
    const clock = new TestClock();
    const s = await start({ clock, pingIntervalMs: 2000, firstMessage: null });
    const client = connect(wsUrl(s), { clock });
    client.send(INIT);
    const conv = await clock.run(s.nextConversation(), 1000);
    await clock.advance(8000);
    const pings = client.frames.filter((f) => f.type === "ping");
    expect(pings.map((f) => f.ping_event.event_id)).toEqual([1, 2, 3, 4]);
    expect(client.arrivals.filter((_, i) => client.frames[i].type === "ping")).toEqual([2000, 4000, 6000, 8000]);
    expect(pings[0].ping_event.ping_ms).toBeNull();
    expect(pings[1].ping_event.ping_ms).toBe(0); // the pong came back within the same instant of fake time
    await clock.run(conv.waitForMessage((m) => m.type === "pong" && m.event_id === 4), 100);
    client.ws.close();
  });

  test("user audio is collected in the input format; other client frames go to messages", async () => {
    const s = await start({ firstMessage: null });
    const client = connect(wsUrl(s));
    client.send(INIT);
    client.send({ user_audio_chunk: Buffer.from([1, 2, 3, 4]).toString("base64") });
    client.send({ user_audio_chunk: Buffer.from([5, 6]).toString("base64") });
    client.send({ type: "user_message", text: "The caller pressed 5" });
    const conv = await s.nextConversation();
    await conv.waitForMessage((m) => m.type === "user_message");
    expect([...conv.userAudio]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(conv.messages.map((m: any) => m.type)).toEqual(["conversation_initiation_client_data", "user_message"]);
    client.ws.close();
  });

  test("interrupt stops the turn; stale audio of the interrupted turn follows with its old event_id", async () => {
    const clock = new TestClock();
    const s = await start({ clock, firstMessage: null, realtimeFactor: 1 });
    const client = connect(wsUrl(s), { clock });
    client.send(INIT);
    const conv = await clock.run(s.nextConversation(), 1000);
    const speaking = conv.speak({ durationMs: 5000, toneHz: 660 });
    await clock.until(() => client.frames.some((f) => f.type === "audio"), 1000);
    const turnId = client.frames.find((f) => f.type === "audio").audio_event.event_id;
    const interruptionId = await conv.interrupt({ staleAudioMs: 300 });
    expect(await clock.run(speaking, 2000)).toBe(turnId);
    expect(interruptionId).toBeGreaterThan(turnId);
    await clock.settle();
    const interruption = client.frames.find((f) => f.type === "interruption");
    expect(interruption.interruption_event.event_id).toBe(interruptionId);
    const after = client.frames.slice(client.frames.indexOf(interruption) + 1).filter((f) => f.type === "audio");
    expect(after.every((f) => f.audio_event.event_id === turnId)).toBe(true);
    const staleHeard = asHeard(audioBytes(after), "pcm_16000");
    expect(toneMs(staleHeard, STALE_TONE_HZ)).toBeGreaterThanOrEqual(240);
    // The turn itself was cut short: far less than 5 s of it was sent.
    const before = client.frames.slice(0, client.frames.indexOf(interruption));
    expect(audioBytes(before, turnId).length / bytesPerMs("pcm_16000")).toBeLessThan(3000);
    client.ws.close();
  });

  test("client tool calls expect a client_tool_result; system tools arrive as agent_tool_response", async () => {
    const s = await start({ firstMessage: null });
    const client = connect(wsUrl(s));
    client.send(INIT);
    const conv = await s.nextConversation();
    await conv.init;
    const toolCallId = await conv.clientToolCall("transfer_call", { phone_number: "9876543210" });
    const call = await client.waitFor((f) => f.type === "client_tool_call");
    expect(call.client_tool_call).toMatchObject({ tool_name: "transfer_call", tool_call_id: toolCallId, parameters: { phone_number: "9876543210" } });
    client.send({ type: "client_tool_result", tool_call_id: toolCallId, result: "transferring", is_error: false });
    const result = await conv.waitForMessage((m) => m.type === "client_tool_result");
    expect(result.tool_call_id).toBe(toolCallId);
    conv.systemToolResponse("end_call");
    const system = await client.waitFor((f) => f.type === "agent_tool_response");
    expect(system.agent_tool_response).toMatchObject({ tool_name: "end_call", tool_type: "system", is_error: false });
    client.ws.close();
  });

  for (const code of [1000, 1002, 1008, 1011] as const) {
    test(`error(${code}) sends the error frame with exactly the fields given, then closes with ${code}`, async () => {
      const s = await start({ firstMessage: null });
      const client = connect(wsUrl(s));
      client.send(INIT);
      const conv = await s.nextConversation();
      await client.waitFor((f) => f.type === "conversation_initiation_metadata");
      conv.error(code, "unknown", "scripted failure", { debugMessage: "trace 42" });
      expect((await client.closed).code).toBe(code);
      expect(client.frames.at(-1)).toEqual({
        type: "error",
        error_event: { code, error_type: "unknown", message: "scripted failure", debug_message: "trace 42" },
      });
      expect((await conv.closed).code).toBe(code);
    });
  }

  test("an error frame may carry only its code (all the official schema requires)", async () => {
    const s = await start({ firstMessage: null });
    const client = connect(wsUrl(s));
    client.send(INIT);
    const conv = await s.nextConversation();
    await client.waitFor((f) => f.type === "conversation_initiation_metadata");
    conv.error(1011);
    expect((await client.closed).code).toBe(1011);
    expect(client.frames.at(-1)).toEqual({ type: "error", error_event: { code: 1011 } });
  });

  test("a malformed client frame is invalid_message: close 1008", async () => {
    const s = await start({ firstMessage: null });
    const client = connect(wsUrl(s));
    await client.opened;
    client.ws.send("{not json");
    expect((await client.closed).code).toBe(1008);
    expect(client.frames.at(-1).error_event.error_type).toBe("invalid_message");
  });

  test("the client closing is seen by the conversation; stop() closes the rest", async () => {
    const s = await start({ firstMessage: null });
    const a = connect(wsUrl(s));
    const first = await s.nextConversation();
    const b = connect(wsUrl(s));
    const second = await s.nextConversation();
    await Promise.all([a.opened, b.opened]);
    a.ws.close(1000, "bye");
    expect(await first.closed).toEqual({ code: 1000, reason: "bye" });
    await s.stop();
    server = undefined;
    expect((await second.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
  });
});

describe("a stalled or dead service (for the gateway's deadlines)", () => {
  test("stall signed_url: get-signed-url is held, and answered only when the server stops", async () => {
    const s = await start({ apiKey: "right-key", stall: "signed_url" });
    let answered = false;
    const pending = fetch(`${s.baseUrl}/v1/convai/conversation/get-signed-url?agent_id=agent_1`, { headers: { "xi-api-key": "right-key" } }).then((res) => {
      answered = true;
      return res.status;
    });
    await until(() => s.stats.stalledRequests === 1, 5000, "the request to reach the server");
    expect(s.stats).toMatchObject({ signedUrlRequests: 1, stalledRequests: 1 });
    expect(answered).toBe(false);
    await s.stop();
    server = undefined;
    // stop() ends the held request: a 503, or the connection closed under it.
    expect(await pending.then(String, () => "closed")).toMatch(/^(503|closed)$/);
  });

  test("stall upgrade: the WebSocket is held unopened; stall metadata: it opens and then says nothing, not even pings", async () => {
    const stalledUpgrade = await start({ stall: "upgrade" });
    const neverOpens = connect(wsUrl(stalledUpgrade));
    let opened = false;
    neverOpens.opened.then(() => (opened = true), () => undefined);
    await until(() => stalledUpgrade.stats.stalledRequests === 1, 5000, "the upgrade to reach the server");
    expect(opened).toBe(false);
    expect(stalledUpgrade.stats).toMatchObject({ stalledRequests: 1, connections: 0 });
    neverOpens.ws.close();
    await stalledUpgrade.stop();

    const clock = new TestClock();
    const silent = await start({ clock, stall: "metadata", pingIntervalMs: 50 });
    const client = connect(wsUrl(silent), { clock });
    await clock.run(client.opened, 1000);
    client.send(INIT);
    const conv = await clock.run(silent.nextConversation(), 1000);
    expect(await clock.run(conv.init, 1000)).toMatchObject({ type: "conversation_initiation_client_data" });
    await clock.advance(10_000); // past every ping interval and the init deadline
    expect(client.frames).toEqual([]);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    client.ws.close();
  });

  test("freeze: no more frames and no pongs to WebSocket pings, yet the socket stays open", async () => {
    const clock = new TestClock();
    const s = await start({ clock, pingIntervalMs: 50 });
    const client = connect(wsUrl(s), { clock });
    const pongs: number[] = [];
    client.ws.addEventListener("pong", () => pongs.push(clock.now()));
    client.send(INIT);
    const conv = await clock.run(s.nextConversation(), 1000);
    await clock.until(() => client.frames.some((f) => f.type === "ping"), 1000);
    client.ws.ping();
    await clock.until(() => pongs.length === 1, 1000);
    conv.freeze();
    void conv.speak({ durationMs: 500 });
    await clock.settle();
    const framesAtFreeze = client.frames.length;
    client.ws.ping();
    await clock.advance(5000);
    expect(client.frames.length).toBe(framesAtFreeze);
    expect(pongs.length).toBe(1);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    client.ws.terminate();
  });
});
