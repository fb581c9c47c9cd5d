/**
 * The simulators run on an injected clock: with one TestClock shared by the fake agent, the Mcube call simulator
 * and a pass-through bridge, a whole greeting plays in fake time and every event lands at its fake instant; on the
 * system clock the same call still works in real time.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createDownlinkTranscoder } from "../../src/audio/transcoder.ts";
import { systemClock, type Clock } from "../../src/base/clock.ts";
import { FIRST_MESSAGE_TONE_HZ, startFakeAgentServer, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";
import { startFakeMcubeApi, type FakeMcubeApi } from "../../src/sim/fake-mcube-api.ts";
import { startMcubeCall, type McubeCall, type TimelineEntry } from "../../src/sim/mcube-call.ts";
import { toneMs } from "../../src/sim/tones.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { until } from "../helpers/wait.ts";
import { playAudio, startScriptedGateway, type GatewayLeg, type ScriptedGateway } from "./scripted-gateway.ts";
import { connect, INIT, type TestClient } from "./ws-client.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function gateway(): ScriptedGateway {
  const g = startScriptedGateway();
  cleanups.push(() => g.stop());
  return g;
}

async function place(clock: Clock, g: ScriptedGateway, options: Partial<Parameters<typeof startMcubeCall>[0]> = {}): Promise<{ call: McubeCall; leg: GatewayLeg }> {
  const call = await startMcubeCall({ url: g.url("clocked"), clock, ...options });
  cleanups.push(() => call.hangup(false));
  return { call, leg: await g.nextLeg() };
}

/**
 * A pass-through bridge in a few lines: the agent's audio (pcm_16000) goes to the call as μ-law playAudio,
 * and each agent_response_complete becomes a checkpoint.
 */
async function bridge(leg: GatewayLeg, agent: FakeAgentServer, clock: Clock): Promise<TestClient> {
  const start = await leg.waitFor((f) => f.event === "start");
  const streamId: string = start.start.streamId;
  const client = connect(`ws://127.0.0.1:${agent.port}/v1/convai/conversation?agent_id=agent_1`, { clock });
  cleanups.push(() => client.ws.close());
  const downlink = createDownlinkTranscoder("pcm_16000");
  client.ws.addEventListener("message", (event) => {
    const frame = JSON.parse(String(event.data));
    if (frame.type === "audio") leg.send(playAudio(streamId, downlink.process(new Uint8Array(Buffer.from(frame.audio_event.audio_base_64, "base64")))));
    if (frame.type === "agent_response_complete") leg.send({ event: "checkpoint", streamId, name: `turn-${frame.agent_response_complete_event.event_id}` });
  });
  client.send(INIT);
  return client;
}

const at = (call: McubeCall, event: string): TimelineEntry => {
  const entry = call.timeline.find((e) => e.event === event);
  if (!entry) throw new Error(`no ${event} in the timeline`);
  return entry;
};

describe("one TestClock for the fake agent, the Mcube simulator and the bridge", () => {
  test("a 1.5 s greeting plays in fake time: heard from its first tick, acknowledged the tick after its last", async () => {
    const clock = new TestClock();
    const agent = await startFakeAgentServer({ clock, firstMessage: { text: "Hello", durationMs: 1500 }, pingIntervalMs: 600_000 });
    cleanups.push(() => agent.stop());
    const { call, leg } = await place(clock, gateway());
    await bridge(leg, agent, clock);
    const ack = await clock.run(call.waitForTimeline("playedStream"), 5000);
    const started = at(call, "playback-start");
    const ended = at(call, "playback-end");
    expect(ended.atMs - started.atMs).toBe(1500);
    expect((ended.detail as { heardMs: number }).heardMs - (started.detail as { heardMs: number }).heardMs).toBe(1500);
    expect(ack.atMs).toBe(ended.atMs); // the checkpoint after the greeting is acked as its audio ends, not before
    expect(at(call, "checkpoint").atMs).toBeLessThan(ended.atMs); // sent when the agent finished streaming, ahead of playout
    expect(started.atMs).toBeLessThanOrEqual(40); // the agent streamed at once; playout starts on the next tick
    expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(1480);
    expect(call.heard.length).toBe((ack.atMs / 20) * 160);
  });

  test("media frames go out every 20 ms of fake time, numbered and stamped from start", async () => {
    const clock = new TestClock();
    const { call, leg } = await place(clock, gateway(), { startDelayMs: 700 });
    await clock.advance(690);
    expect(leg.frames).toEqual([]);
    await clock.advance(10);
    await clock.until(() => leg.frames.length === 1, 100);
    expect(at(call, "start").atMs).toBe(700);
    await clock.advance(1000);
    expect(call.framesSent).toBe(50);
    await clock.advance(20);
    expect(call.framesSent).toBe(51);
    await clock.settle();
    const media = leg.frames.filter((f) => f.event === "media");
    expect(media.map((f) => f.media.timestamp)).toEqual(Array.from({ length: 51 }, (_, i) => String(i * 20)));
  });

  test("waits, end grace and DTMF plans run on the clock", async () => {
    const clock = new TestClock();
    const { call, leg } = await place(clock, gateway(), { endGraceMs: 1000, dtmf: [{ digit: "5", atMs: 400 }] });
    const failure = await clock.run(call.waitFor("never", 300).then(() => "resolved", (err: Error) => err.message), 1000);
    expect(failure).toMatch(/no frame "never" within 300 ms/);
    expect(clock.now()).toBe(300);
    await clock.until(() => call.timeline.some((e) => e.event === "dtmf"), 1000);
    expect(at(call, "dtmf").atMs).toBe(400);
    const streamId = leg.frames[0].start.streamId;
    leg.send({ event: "terminate", streamId });
    const terminate = await clock.run(call.waitForTimeline("terminate"), 1000);
    const closed = await clock.run(call.waitForTimeline("caller-closes-after-terminate"), 2000);
    expect(closed.atMs - terminate.atMs).toBe(1000);
  });

  test("the fake Mcube REST API answers after delayMs of fake time", async () => {
    const clock = new TestClock();
    const api: FakeMcubeApi = await startFakeMcubeApi({ clock, delayMs: 2000 });
    cleanups.push(() => api.stop());
    const body = { HTTP_AUTHORIZATION: api.token, exenumber: "8000000000", custnumber: "9876543210", refurl: "", refid: "r-1" };
    const answered = fetch(`${api.baseUrl}/${api.path}`, { method: "POST", body: JSON.stringify(body) });
    // HTTP crosses a client thread: let real I/O deliver the request while fake time stands still.
    await until(() => api.requests[0]?.refid === "r-1", 5000, "the request to be read");
    await clock.advance(1990);
    expect(api.inFlight).toBe(1); // still waiting on the fake clock
    await clock.advance(10);
    expect((await answered).status).toBe(200);
    expect(api.requests[0]).toMatchObject({ receivedAtMs: 0, answeredAtMs: 2000, result: "placed" });
  });
});

describe("the same simulators on the system clock", () => {
  test("a short greeting is heard in full and acknowledged after it played", async () => {
    const agent = await startFakeAgentServer({ clock: systemClock, firstMessage: { text: "Hi", durationMs: 300 }, pingIntervalMs: 600_000 });
    cleanups.push(() => agent.stop());
    const { call, leg } = await place(systemClock, gateway());
    await bridge(leg, agent, systemClock);
    const ack = await call.waitForTimeline("playedStream", 5000);
    expect(ack.atMs).toBeGreaterThanOrEqual(at(call, "playback-end").atMs);
    expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(280);
    expect(call.framesSent).toBeGreaterThan(10);
  });
});
