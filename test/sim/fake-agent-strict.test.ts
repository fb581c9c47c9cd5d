/**
 * The fake ElevenLabs service is strict by default, like the real one: the conversation's life (init deadline,
 * signed-URL expiry, wait queue, max duration, user-audio timeout) on a TestClock, asserted at fake instants.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createDownlinkTranscoder } from "../../src/audio/transcoder.ts";
import { MAX_DURATION_TONE_HZ, startFakeAgentServer, type FakeAgentOptions, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";
import { toneMs } from "../../src/sim/tones.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { arrivalOf, audioBytes, connect, INIT, type TestClient } from "./ws-client.ts";

let server: FakeAgentServer | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.close();
  await server?.stop();
  server = undefined;
});

async function start(clock: TestClock, options: FakeAgentOptions = {}) {
  server = await startFakeAgentServer({ clock, pingIntervalMs: 600_000, firstMessage: null, ...options });
  return server;
}

function open(clock: TestClock, url = `ws://127.0.0.1:${server!.port}/v1/convai/conversation?agent_id=agent_1`): TestClient {
  const client = connect(url, { clock });
  clients.push(client);
  return client;
}

const types = (client: TestClient) => client.frames.map((f) => f.type);

async function signedUrl(s: FakeAgentServer): Promise<string> {
  const res = await fetch(`${s.baseUrl}/v1/convai/conversation/get-signed-url?agent_id=agent_1`, { headers: { "xi-api-key": "right-key" } });
  return ((await res.json()) as { signed_url: string }).signed_url;
}

describe("the client's init", () => {
  test("none within 5 s: error {1008, missing_fields}, then close 1008, at 5000 ms and not before", async () => {
    const clock = new TestClock();
    await start(clock);
    const client = open(clock);
    await clock.run(client.opened, 1000);
    await clock.advance(4990 - clock.now());
    expect(client.frames).toEqual([]);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    const closed = await clock.run(client.closed, 100);
    expect(closed.code).toBe(1008);
    expect(client.frames).toEqual([
      { type: "error", error_event: { code: 1008, error_type: "missing_fields", message: "conversation_initiation_client_data was not received" } },
    ]);
    expect(client.arrivals[0]).toBe(5000);
  });

  test("sent late but within the deadline: metadata then, and the greeting after it", async () => {
    const clock = new TestClock();
    await start(clock, { firstMessage: { text: "Hi", durationMs: 400 } });
    const client = open(clock);
    await clock.run(client.opened, 1000);
    await clock.advance(3000);
    client.send(INIT);
    await clock.until(() => types(client).includes("agent_response_complete"), 1000);
    expect(arrivalOf(client, "conversation_initiation_metadata")).toBe(3000);
    expect(types(client).slice(0, 2)).toEqual(["conversation_initiation_metadata", "agent_response"]);
  });

  test("lenient metadataBeforeInit: metadata on open and no deadline", async () => {
    const clock = new TestClock();
    await start(clock, { lenient: { metadataBeforeInit: true } });
    const client = open(clock);
    await clock.until(() => client.frames.length > 0, 1000);
    expect(types(client)).toEqual(["conversation_initiation_metadata"]);
    await clock.advance(30_000);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe("signed URLs on the clock", () => {
  test("a signed URL starts conversations for 15 minutes; after that the upgrade is refused (403)", async () => {
    const clock = new TestClock();
    const s = await start(clock, { apiKey: "right-key" });
    const url = await signedUrl(s);
    await clock.advance(15 * 60_000 - 1000);
    const inTime = open(clock, url);
    await clock.run(inTime.opened, 1000);
    await clock.advance(2000);
    const late = open(clock, url);
    expect((await clock.run(late.closed, 1000)).code).toBe(1006);
    expect(s.stats).toMatchObject({ connections: 1, upgradeRefusals: 1 });
  });
});

describe("the wait queue (queue_status)", () => {
  test("waiting, then admitted after waitMs: the conversation proceeds from that instant", async () => {
    const clock = new TestClock();
    await start(clock, { queue: { waitMs: 3000, outcome: "admitted" }, firstMessage: { text: "Hi", durationMs: 400 } });
    const client = open(clock);
    client.send(INIT);
    await clock.until(() => types(client).includes("agent_response"), 5000);
    expect(client.frames.slice(0, 3).map((f) => f.queue_status_event?.status ?? f.type)).toEqual(["conversation_initiation_metadata", "waiting", "admitted"]);
    expect(client.arrivals.slice(0, 4)).toEqual([0, 0, 3000, 3000]);
  });

  test("waiting, then timed_out: close 3008 'too many concurrent connections'; only the first N conversations queue", async () => {
    const clock = new TestClock();
    await start(clock, { queue: { waitMs: 2000, outcome: "timed_out", conversations: 1 }, firstMessage: { text: "Hi", durationMs: 400 } });
    const queued = open(clock);
    queued.send(INIT);
    expect(await clock.run(queued.closed, 5000)).toEqual({ code: 3008, reason: "too many concurrent connections" });
    expect(queued.frames.map((f) => f.queue_status_event?.status ?? f.type)).toEqual(["conversation_initiation_metadata", "waiting", "timed_out"]);
    expect(queued.arrivals.at(-1)).toBe(2000);
    const retry = open(clock);
    retry.send(INIT);
    await clock.until(() => types(retry).includes("agent_response"), 1000);
    expect(types(retry).includes("queue_status")).toBe(false);
  });

  test("beforeMetadata: the queue status comes first and metadata only on admission", async () => {
    const clock = new TestClock();
    await start(clock, { queue: { waitMs: 1000, outcome: "admitted", beforeMetadata: true } });
    const client = open(clock);
    client.send(INIT);
    await clock.until(() => types(client).includes("conversation_initiation_metadata"), 5000);
    expect(client.frames.map((f) => f.queue_status_event?.status ?? f.type)).toEqual(["waiting", "admitted", "conversation_initiation_metadata"]);
  });
});

describe("limits", () => {
  test("max duration: the turn stops, the max-duration message plays, then error {1000, max_duration_exceeded} and close 1000", async () => {
    const clock = new TestClock();
    const s = await start(clock, { maxDurationMs: 10_000 });
    const client = open(clock);
    client.send(INIT);
    const conv = await clock.run(s.nextConversation(), 1000);
    await clock.advance(9000);
    void conv.speak({ durationMs: 8000, toneHz: 660 });
    const closed = await clock.run(client.closed, 5000);
    expect(closed.code).toBe(1000);
    const error = client.frames.at(-1);
    expect(error).toEqual({ type: "error", error_event: { code: 1000, error_type: "max_duration_exceeded" } });
    const message = client.frames.findLast((f) => f.type === "agent_response");
    expect(message.agent_response_event.agent_response).toContain("time limit");
    expect(client.arrivals[client.frames.indexOf(message)]).toBe(10_000);
    const heard = createDownlinkTranscoder("pcm_16000").process(audioBytes(client.frames, message.agent_response_event.event_id));
    expect(toneMs(heard, MAX_DURATION_TONE_HZ)).toBeGreaterThanOrEqual(1140); // the whole message, before the error
    expect(client.frames.indexOf(error)).toBeGreaterThan(client.frames.findLastIndex((f) => f.type === "audio"));
    // The interrupted turn sent far less than its 8 s.
    const first = client.frames.find((f) => f.type === "agent_response");
    expect(audioBytes(client.frames, first.agent_response_event.event_id).length / 32).toBeLessThan(8000);
  });

  test("no user audio for userAudioTimeoutMs: error {1002, transport_receive_timeout}, counted from the last chunk", async () => {
    const clock = new TestClock();
    await start(clock, { userAudioTimeoutMs: 3000 });
    const client = open(clock);
    client.send(INIT);
    await clock.advance(1000);
    client.send({ user_audio_chunk: Buffer.from(new Uint8Array(640)).toString("base64") });
    await clock.advance(2990);
    expect(client.ws.readyState).toBe(WebSocket.OPEN); // 3 s after the start, but not after the chunk
    expect((await clock.run(client.closed, 100)).code).toBe(1002);
    expect(client.frames.at(-1)).toEqual({ type: "error", error_event: { code: 1002, error_type: "transport_receive_timeout", message: "No user audio received" } });
    expect(client.arrivals.at(-1)).toBe(4000);
  });
});
