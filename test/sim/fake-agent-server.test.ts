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
      const metadata = await client.waitFor((f) => f.type === "conversation_initiation_metadata");
      expect(metadata.conversation_initiation_metadata_event.conversation_id).toStartWith("conv_");
      expect(s.stats.signedUrlRequests).toBe(2);
      client.ws.close();
    });
  }

  test("an unknown agent gets 404 from REST and close 3000 on the socket, with no metadata", async () => {
    const s = await start({ knownAgents: ["agent_1"] });
    const res = await fetch(`${s.baseUrl}/v1/convai/conversation/get-signed-url?agent_id=agent_x`);
    expect(res.status).toBe(404);
    const client = connect(wsUrl(s, "agent_x"));
    expect((await client.closed).code).toBe(3000);
    expect(client.frames).toEqual([]);
  });

  test("a private agent refuses a connection without a valid signature, and a revoked one", async () => {
    const s = await start({ apiKey: "right-key" });
    const unsigned = connect(wsUrl(s));
    expect((await unsigned.closed).code).toBe(1008);
    expect(unsigned.frames).toEqual([]);
    const res = await fetch(`${s.baseUrl}/v1/convai/conversation/get-signed-url?agent_id=agent_1`, { headers: { "xi-api-key": "right-key" } });
    const { signed_url } = (await res.json()) as { signed_url: string };
    s.revokeSignedUrls();
    const revoked = connect(signed_url);
    expect((await revoked.closed).code).toBe(1008);
  });
});

describe("conversation", () => {
  test("metadata comes first, in the configured formats, before the client says anything", async () => {
    const s = await start({ inputFormat: "ulaw_8000", outputFormat: "pcm_24000" });
    const client = connect(wsUrl(s));
    const first = await client.waitFor(() => true);
    expect(first.type).toBe("conversation_initiation_metadata");
    expect(first.conversation_initiation_metadata_event).toMatchObject({ agent_output_audio_format: "pcm_24000", user_input_audio_format: "ulaw_8000" });
    const conv = await s.nextConversation();
    expect(conv.agentId).toBe("agent_1");
    expect(client.frames.length).toBe(1); // nothing spoken before the init frame
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
      await Bun.sleep(3000 / 4 + 300);
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
    expect(b.frames.map((f) => f.type)).toEqual(["conversation_initiation_metadata"]);
    a.ws.close();
    b.ws.close();
  });

  test("an override the agent does not enable ends the conversation: error override_error, close 1008", async () => {
    const s = await start({ allowedOverrides: ["agent.first_message"] });
    const client = connect(wsUrl(s));
    client.send({ ...INIT, conversation_config_override: { agent: { first_message: "ok", language: "hi" } } });
    const error = await client.waitFor((f) => f.type === "error");
    expect(error.error_event).toMatchObject({ code: 1008, error_type: "override_error" });
    expect((await client.closed).code).toBe(1008);
    expect(client.frames.some((f) => f.type === "audio")).toBe(false);
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

  test("pings carry increasing event_ids; pongs are recorded and give ping_ms", async () => {
    const s = await start({ pingIntervalMs: 40, firstMessage: null });
    const client = connect(wsUrl(s));
    client.send(INIT);
    const conv = await s.nextConversation();
    await client.waitFor((f) => f.type === "ping" && f.ping_event.event_id >= 4);
    const ids = client.frames.filter((f) => f.type === "ping").map((f) => f.ping_event.event_id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    await conv.waitForMessage((m) => m.type === "pong" && m.event_id === 3);
    const later = await client.waitFor((f) => f.type === "ping" && f.ping_event.event_id >= 5);
    expect(typeof later.ping_event.ping_ms).toBe("number");
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
    const s = await start({ firstMessage: null, realtimeFactor: 1 });
    const client = connect(wsUrl(s));
    client.send(INIT);
    const conv = await s.nextConversation();
    await conv.init;
    const speaking = conv.speak({ durationMs: 5000, toneHz: 660 });
    const firstAudio = await client.waitFor((f) => f.type === "audio");
    const turnId = firstAudio.audio_event.event_id;
    const interruptionId = await conv.interrupt({ staleAudioMs: 300 });
    expect(await speaking).toBe(turnId);
    expect(interruptionId).toBeGreaterThan(turnId);
    const interruption = await client.waitFor((f) => f.type === "interruption");
    expect(interruption.interruption_event.event_id).toBe(interruptionId);
    await Bun.sleep(100);
    const after = client.frames.slice(client.frames.indexOf(interruption) + 1).filter((f) => f.type === "audio");
    expect(after.length).toBeGreaterThan(0);
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

  for (const code of [1000, 1002, 1008, 1011]) {
    test(`error(${code}) sends the error frame, then closes with ${code}`, async () => {
      const s = await start({ firstMessage: null });
      const client = connect(wsUrl(s));
      client.send(INIT);
      const conv = await s.nextConversation();
      await conv.init;
      conv.error(code, "test_error", "scripted failure");
      expect((await client.closed).code).toBe(code);
      expect(client.frames.at(-1)).toEqual({
        type: "error",
        error_event: { code, error_type: "test_error", message: "scripted failure", reason: "scripted failure" },
      });
      expect((await conv.closed).code).toBe(code);
    });
  }

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
    const b = connect(wsUrl(s));
    const first = await s.nextConversation();
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
  test("stall signed_url: get-signed-url never answers until the server stops", async () => {
    const s = await start({ apiKey: "right-key", stall: "signed_url" });
    let answered = false;
    const pending = fetch(`${s.baseUrl}/v1/convai/conversation/get-signed-url?agent_id=agent_1`, { headers: { "xi-api-key": "right-key" } }).then((res) => {
      answered = true;
      return res.status;
    });
    await Bun.sleep(300);
    expect(answered).toBe(false);
    expect(s.stats).toMatchObject({ signedUrlRequests: 1, stalledRequests: 1 });
    await s.stop();
    server = undefined;
    // stop() ends the held request: a 503, or the connection closed under it.
    expect(await pending.then(String, () => "closed")).toMatch(/^(503|closed)$/);
  });

  test("stall upgrade: the WebSocket never opens; stall metadata: it opens and then says nothing, not even pings", async () => {
    const stalledUpgrade = await start({ stall: "upgrade" });
    const neverOpens = connect(wsUrl(stalledUpgrade));
    let opened = false;
    neverOpens.opened.then(() => (opened = true), () => undefined);
    await Bun.sleep(300);
    expect(opened).toBe(false);
    expect(stalledUpgrade.stats).toMatchObject({ stalledRequests: 1, connections: 0 });
    neverOpens.ws.close();
    await stalledUpgrade.stop();

    const silent = await start({ stall: "metadata", pingIntervalMs: 50 });
    const client = connect(wsUrl(silent));
    await client.opened;
    client.send(INIT);
    const conv = await silent.nextConversation();
    expect(await conv.init).toMatchObject({ type: "conversation_initiation_client_data" });
    await Bun.sleep(300);
    expect(client.frames).toEqual([]);
    client.ws.close();
  });

  test("freeze: no more frames and no pongs to WebSocket pings, yet the socket stays open", async () => {
    const s = await start({ pingIntervalMs: 50 });
    const client = connect(wsUrl(s));
    const pongs: number[] = [];
    client.ws.addEventListener("pong", () => pongs.push(performance.now()));
    client.send(INIT);
    await client.waitFor((f) => f.type === "conversation_initiation_metadata");
    const conv = await s.nextConversation();
    await client.waitFor((f) => f.type === "ping");
    client.ws.ping();
    await until(() => pongs.length === 1, 2000);
    conv.freeze();
    void conv.speak({ durationMs: 500 });
    await Bun.sleep(50);
    const framesAtFreeze = client.frames.length;
    client.ws.ping();
    await Bun.sleep(300);
    expect(client.frames.length).toBe(framesAtFreeze);
    expect(pongs.length).toBe(1);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    client.ws.terminate();
  });
});

