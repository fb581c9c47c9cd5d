import { afterEach, describe, expect, test } from "bun:test";
import { bytesPerMs } from "../../src/audio/agent-format.ts";
import { createDownlinkTranscoder } from "../../src/audio/transcoder.ts";
import { mulawDecode } from "../../src/audio/mulaw.ts";
import { digitOf } from "../../src/sim/echo-persona.ts";
import { loadEchoPrompts } from "../../src/sim/echo-prompts.ts";
import { startFakeAgentServer, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";
import { concatBytes, rmsDb, silenceMulaw, toneMs, toneMulaw } from "../../src/sim/tones.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { audioBytes, connect, INIT, type TestClient } from "./ws-client.ts";

let server: FakeAgentServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** An echo conversation on a TestClock, with μ-law input (so the test's caller audio is plain μ-law). */
async function echoCall(outputFormat: "pcm_16000" | "pcm_24000" | "ulaw_8000" = "pcm_16000", realtimeFactor = 4) {
  const clock = new TestClock();
  server = await startFakeAgentServer({ clock, persona: "echo", inputFormat: "ulaw_8000", outputFormat, realtimeFactor, pingIntervalMs: 600_000 });
  const client = connect(`ws://127.0.0.1:${server.port}/v1/convai/conversation?agent_id=offline`, { clock });
  client.send(INIT);
  const conv = await clock.run(server.nextConversation(), 1000);
  return { clock, client, conv };
}

/** Waits (in fake time) for the first frame matching `predicate`. */
async function frame(clock: TestClock, client: TestClient, predicate: (f: any) => boolean, maxMs = 10_000): Promise<any> {
  await clock.until(() => client.frames.some(predicate), maxMs);
  return client.frames.find(predicate);
}

function sendAudio(client: TestClient, mulaw: Uint8Array) {
  for (let i = 0; i < mulaw.length; i += 160) client.send({ user_audio_chunk: Buffer.from(mulaw.subarray(i, i + 160)).toString("base64") });
}

const responses = (client: TestClient) => client.frames.filter((f) => f.type === "agent_response").map((f) => f.agent_response_event.agent_response);

describe("echo persona", () => {
  test("greets with the embedded prompt, whole, in the agent output format, streamed in fake time", async () => {
    const { clock, client } = await echoCall("pcm_16000");
    const greeting = await frame(clock, client, (f) => f.type === "agent_response");
    expect(greeting.agent_response_event.agent_response).toContain("Homebook");
    const eventId = greeting.agent_response_event.event_id;
    const prompt = (await loadEchoPrompts()).greeting;
    const expectedMs = (prompt.samples.length * 1000) / prompt.sampleRate;
    expect(expectedMs).toBeGreaterThan(1500);
    await frame(clock, client, (f) => f.type === "agent_response_complete");
    expect(clock.now()).toBeLessThanOrEqual(expectedMs / 4 + 20); // streamed 4× ahead of real time
    const audio = audioBytes(client.frames, eventId);
    expect(audio.length / bytesPerMs("pcm_16000")).toBeCloseTo(expectedMs, -1);
    const heard = mulawDecode(createDownlinkTranscoder("pcm_16000").process(audio));
    expect(rmsDb(heard)).toBeGreaterThan(-30); // speech, not silence
  });

  for (const format of ["pcm_24000", "ulaw_8000"] as const) {
    test(`${format}: plays the caller's words back after they pause, and says what it did`, async () => {
      const { clock, client } = await echoCall(format);
      await frame(clock, client, (f) => f.type === "agent_response");
      await clock.advance(5000); // the greeting has finished playing (by its real-time estimate)
      sendAudio(client, concatBytes([toneMulaw(523, 1000), silenceMulaw(800)]));
      const transcript = await frame(clock, client, (f) => f.type === "user_transcript");
      expect(transcript.user_transcription_event.user_transcript).toBe("(1.0 s of speech)");
      const isEcho = (f: any) => f.type === "agent_response" && f.agent_response_event.agent_response.startsWith("Echo");
      const echo = await frame(clock, client, isEcho);
      expect(echo.agent_response_event.event_id).toBeGreaterThan(transcript.user_transcription_event.event_id - 1);
      const id = echo.agent_response_event.event_id;
      await frame(clock, client, (f) => f.type === "agent_response_complete" && f.agent_response_complete_event.event_id === id);
      const heard = createDownlinkTranscoder(format).process(audioBytes(client.frames, id));
      expect(toneMs(heard, 523)).toBeGreaterThanOrEqual(940);
      expect(client.frames.filter(isEcho).length).toBe(1);
    });
  }

  test("yields when the caller talks over it (interruption), and sends no more of the greeting", async () => {
    const { clock, client } = await echoCall("pcm_16000", 1);
    const greeting = await frame(clock, client, (f) => f.type === "agent_response");
    sendAudio(client, toneMulaw(440, 200));
    const interruption = await frame(clock, client, (f) => f.type === "interruption", 1000);
    expect(interruption.interruption_event.event_id).toBeGreaterThan(greeting.agent_response_event.event_id);
    await clock.advance(3000);
    const after = client.frames.slice(client.frames.indexOf(interruption) + 1);
    expect(after.filter((f) => f.type === "audio" && f.audio_event.event_id === greeting.agent_response_event.event_id)).toEqual([]);
  });

  test("# ends the call: goodbye audio, end_call, then close 1000", async () => {
    const { clock, client } = await echoCall();
    await frame(clock, client, (f) => f.type === "agent_response");
    client.send({ type: "user_message", text: "The caller pressed #" });
    expect((await clock.run(client.closed, 10_000)).code).toBe(1000);
    const goodbye = client.frames.find((f) => f.type === "agent_response" && /hash/.test(f.agent_response_event.agent_response));
    expect(goodbye).toBeDefined();
    const id = goodbye.agent_response_event.event_id;
    expect(audioBytes(client.frames, id).length).toBeGreaterThan(0);
    const tool = client.frames.find((f) => f.type === "agent_tool_response");
    expect(tool.agent_tool_response).toMatchObject({ tool_name: "end_call", tool_type: "system" });
    const lastAudio = client.frames.findLastIndex((f) => f.type === "audio");
    expect(client.frames.indexOf(tool)).toBeGreaterThan(lastAudio);
  });

  test("0 asks for a transfer with the transfer_call client tool, after saying so", async () => {
    const { clock, client, conv } = await echoCall();
    await frame(clock, client, (f) => f.type === "agent_response");
    client.send({ type: "user_message", text: "The caller pressed 0" });
    const call = await frame(clock, client, (f) => f.type === "client_tool_call");
    expect(call.client_tool_call.tool_name).toBe("transfer_call");
    expect(responses(client).some((r) => r.includes("Transferring"))).toBe(true);
    client.send({ type: "client_tool_result", tool_call_id: call.client_tool_call.tool_call_id, result: "ok", is_error: false });
    await clock.run(conv.waitForMessage((m) => m.type === "client_tool_result"), 1000);
    client.ws.close();
  });

  test("digitOf reads the digit at the end of a DTMF message", () => {
    expect(digitOf("The caller pressed #")).toBe("#");
    expect(digitOf("Caller pressed 0.")).toBe("0");
    expect(digitOf("key: *")).toBe("*");
    expect(digitOf("hello")).toBeUndefined();
    expect(digitOf(undefined)).toBeUndefined();
  });
});
