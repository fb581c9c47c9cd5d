/**
 * One fuzzed call over real loopback sockets on the harness's test clock: a raw Mcube client sends
 * the generated frames exactly as generated (the simulator would tidy them), the fake agent sends its
 * side, and the call is held to what a caller and the agent must notice.
 */
import { expect } from "bun:test";
import type { FakeConversation } from "../../src/sim/fake-agent-server.ts";
import { agentAudioFrame, eventIdValue, interruptionFrame } from "../helpers/agent-frame-arbitraries.ts";
import { ackFrame } from "../helpers/mcube-frame-arbitraries.ts";
import { DID, type Harness } from "./harness.ts";
import { DownlinkModel, firstDifference, normalizeHeard, type Heard, type Step } from "./session-fuzz-model.ts";

/** A call's own lines (opened, started, agent, ended …) and one per kind of junk, of a bounded number of kinds. */
const MAX_LOG_LINES_PER_CALL = 50;

/** A WebSocket to /ws/{session} that sends exactly what it is given and keeps every frame the gateway sends. */
interface RawMcube {
  send(data: string | Uint8Array): void;
  close(): void;
  readonly received: any[];
  readonly isClosed: boolean;
  readonly closed: Promise<number>;
}

async function openRawMcube(h: Harness, sessionId: string): Promise<RawMcube> {
  const ws = new WebSocket(`${h.gateway.url.replace(/^http/, "ws")}/ws/${sessionId}`, { headers: { "X-DID": DID } } as unknown as string[]);
  const received: any[] = [];
  let isClosed = false;
  const closed = new Promise<number>((resolve) => (ws.onclose = (event) => ((isClosed = true), resolve(event.code))));
  ws.onmessage = (event) => received.push(JSON.parse(String(event.data)));
  await h.run(new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = () => reject(new Error("the gateway refused the socket"))))), 2000, "the Mcube socket to open");
  return {
    send: (data) => ws.send(data),
    close: () => ws.close(1000, "caller hung up"),
    received,
    get isClosed() {
      return isClosed;
    },
    closed,
  };
}

/** What the caller was sent, as the model speaks of it: playAudio payloads and clearAudio, in order. */
function heardBy(mcube: RawMcube): Heard[] {
  return mcube.received.flatMap((f): Heard[] => (f.event === "playAudio" ? [Uint8Array.fromBase64(f.media.payload)] : f.event === "clearAudio" ? ["clear"] : []));
}

function checkpointsOf(mcube: RawMcube): string[] {
  return mcube.received.filter((f) => f.event === "checkpoint").map((f) => String(f.name));
}

/** Gateway failures a case must not cause: exceptions that escaped to the process, and error-level log lines. */
export interface Faults {
  uncaught: string[];
}

/** What one fuzzed call sends: junk before `start`, Mcube steps while the agent connects, then steps on both legs. */
export interface FuzzPlan {
  beforeStart?: string[];
  /** Mcube steps only (no agent yet); their audio is held and must reach the agent in order. */
  whileConnecting?: Step[];
  steps: Step[];
}

/** What the caller and the agent must have got by the end of the call. */
class Expected {
  readonly downlink = new DownlinkModel();
  readonly uplink: Uint8Array[] = [];
  readonly keyPresses: string[] = [];
  callerFrames = 0;
}

/**
 * Places one call, runs the plan, checks the call is still live and healthy, hangs up, and checks
 * that the agent got every valid caller frame's audio and every key press in order, the caller got
 * every agent chunk not interrupted (and a clearAudio per barge-in), and the call left a clean record.
 */
export async function runFuzzedCall(h: Harness, sessionId: string, plan: FuzzPlan | Step[], faults: Faults): Promise<void> {
  const firstFault = faults.uncaught.length;
  const firstConversation = h.agent.conversations.length;
  const mcube = await openRawMcube(h, sessionId);
  try {
    await fuzzedCall(h, sessionId, Array.isArray(plan) ? { steps: plan } : plan, mcube, () => conversationOf(h, sessionId, firstConversation));
  } catch (err) {
    // A failed case hangs up, so the next one (fast-check shrinking) starts from a quiet gateway.
    mcube.close();
    await h.until(() => h.manager.debugState().calls[sessionId] === undefined, 5000, "the failed case's call to end").catch(() => undefined);
    throw err;
  }
  expect(faults.uncaught.slice(firstFault)).toEqual([]);
}

/**
 * The agent conversation opened for `sessionId` (by its dynamic variables): not `nextConversation()`,
 * whose wait, left behind by a failed case, would take the next case's conversation.
 */
export async function conversationOf(h: Harness, sessionId: string, from: number): Promise<FakeConversation> {
  let found: FakeConversation | undefined;
  let watched = from;
  // Connecting takes real I/O (bot, signed URL, handshake) and no call time: wait for it without moving the
  // fake clock, so a slow moment of the machine cannot run the call's connect deadline out in fake time.
  await h.clock.settleUntil(() => {
    for (; watched < h.agent.conversations.length; watched++) {
      const conversation = h.agent.conversations[watched]!;
      void conversation.init.then((init) => {
        if ((init as { dynamic_variables?: { session_id?: string } } | null)?.dynamic_variables?.session_id === sessionId) found = conversation;
      });
    }
    return found !== undefined;
  }, "the agent conversation");
  return found!;
}

/** Sends one step on its leg and notes what it must cause. */
async function perform(h: Harness, step: Step, mcube: RawMcube, conv: FakeConversation | undefined, expected: Expected): Promise<void> {
  const model = expected.downlink;
  switch (step.kind) {
    case "callerAudio":
    case "callerBinary":
      mcube.send(step.kind === "callerAudio" ? step.text : step.bytes);
      expected.uplink.push(step.bytes);
      expected.callerFrames++;
      return;
    case "dtmf":
      mcube.send(step.text);
      expected.keyPresses.push(h.config.mcube.dtmfMessageTemplate.replaceAll("{digit}", step.digit));
      return;
    case "ack": {
      const names = checkpointsOf(mcube);
      return mcube.send(ackFrame(names.length > 0 ? names[step.pick % names.length]! : `unknown-${step.pick}`));
    }
    case "mcubeJunk":
      return mcube.send(step.text);
    case "agentAudio":
      return conv!.sendRaw(agentAudioFrame(step.bytes, eventIdValue(model.audio(step.turn, step.bytes), step.idAsString)));
    case "interrupt":
      conv!.sendRaw(interruptionFrame(model.interrupt(step.id)));
      // Late audio of the interrupted turn, as the service sends it: the caller must not hear it.
      if (step.lateAudio && model.lastInterruptedId !== undefined) conv!.sendRaw(agentAudioFrame(step.lateAudio, model.audio("interrupted", step.lateAudio)));
      return;
    case "agentJunk":
      return conv!.sendRaw(step.data);
    case "wait":
      return h.clock.advance(step.ms);
  }
}

async function fuzzedCall(h: Harness, sessionId: string, plan: FuzzPlan, mcube: RawMcube, conversation: () => Promise<FakeConversation>): Promise<void> {
  const clock = h.clock;
  const firstLogLine = h.logLines.length;
  const expected = new Expected();
  for (const text of plan.beforeStart ?? []) mcube.send(text);
  mcube.send(JSON.stringify({ event: "start", sequenceNumber: 1, start: { callId: `call-${sessionId}`, streamId: `stream-${sessionId}`, mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000 } } }));
  // Sent back to back: they reach the gateway before the agent conversation is up, to be held.
  for (const step of plan.whileConnecting ?? []) await perform(h, step, mcube, undefined, expected);
  await clock.settle(1);
  const conv = await conversation();
  let agentClosed = false;
  void conv.closed.then(() => (agentClosed = true));
  const state = () => h.manager.debugState().calls[sessionId]?.state;
  await h.clock.settleUntil(() => state() === "live", "the call to go live");
  for (const step of plan.steps) {
    await perform(h, step, mcube, conv, expected);
    await clock.settle();
  }

  // No healthy call ends: whatever came, the call is live, both sockets open.
  await clock.advance(400); // the last turn's quiet period passes: its checkpoint goes out
  expect({ state: state(), mcubeClosed: mcube.isClosed, agentClosed }).toEqual({ state: "live", mcubeClosed: false, agentClosed: false });
  // Acks in any order clear every checkpoint.
  for (const name of checkpointsOf(mcube).toReversed()) mcube.send(ackFrame(name));
  await h.until(() => h.manager.debugState().calls[sessionId]?.pendingCheckpoints === 0, 1000, "every checkpoint acknowledged");

  mcube.send(JSON.stringify({ event: "stop", streamId: `stream-${sessionId}` }));
  mcube.close();
  const { record } = await h.recordOf(sessionId, 3000);
  await h.run(Promise.all([mcube.closed, conv.closed]), 3000, "both sockets to close");

  // No audio lost: the agent heard every valid caller frame in order, the caller every chunk not interrupted.
  const uplink = Buffer.concat(expected.uplink);
  expect({ uplinkBytes: conv.userAudio.length, same: Buffer.compare(conv.userAudio, uplink) === 0 }).toEqual({ uplinkBytes: uplink.length, same: true });
  expect(conv.messages.filter((m: any) => m.type === "user_message").map((m: any) => m.text)).toEqual(expected.keyPresses);
  expect(firstDifference(normalizeHeard(heardBy(mcube)), normalizeHeard(expected.downlink.heard))).toBeUndefined();
  expect({ endReason: record.endReason, framesIn: record.framesIn }).toEqual({ endReason: "caller_hangup", framesIn: expected.callerFrames });
  // Nothing is left of the call, and nothing went wrong inside the gateway.
  expect(h.manager.debugState()).toEqual({ calls: {}, agentConnectionsInUse: 0, waitingForAgent: 0 });
  const lines = h.logLines.slice(firstLogLine);
  expect(lines.filter((line) => line.includes('"level":"error"'))).toEqual([]);
  // Whatever the peers send, one call's log stays short: junk is logged once per kind, and kinds are bounded.
  expect(lines.length).toBeLessThanOrEqual(MAX_LOG_LINES_PER_CALL);
}
