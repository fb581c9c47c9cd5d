/** The conformance suite's set-up: whole calls on one TestClock against the strict fake agent, and log lookups. */
import type { FakeConversation } from "../../src/sim/fake-agent-server.ts";
import type { McubeCall, McubeCallOptions } from "../../src/sim/mcube-call.ts";
import { startHarness, type Harness, type HarnessOptions } from "../call/harness.ts";

/** A harness in fake time whose fake agent is strict in every respect (as the call harness's is by default). */
export function strictHarness(options: HarnessOptions = {}): Promise<Harness> {
  return startHarness({ ...options, agent: { lenient: {}, ...options.agent } });
}

/** A call whose agent conversation is live: the init arrived and the gateway bridged the conversation. */
export async function liveCall(h: Harness, sessionId: string, options: Partial<McubeCallOptions> = {}): Promise<{ call: McubeCall; conv: FakeConversation }> {
  const call = await h.call({ sessionId, ...options });
  const conv = await h.run(h.agent.nextConversation(), 5000, "the agent conversation");
  await h.run(conv.init, 5000, "the init frame");
  await h.until(() => h.manager.get(sessionId)?.state === "live", 5000, "the call to go live");
  return { call, conv };
}

/** Log lines (parsed) whose message contains `text`. */
export function logsWith(h: Harness, text: string): Record<string, any>[] {
  return h.logLines.map((line) => JSON.parse(line)).filter((line) => String(line.msg).includes(text));
}

/** The "ignoring a frame" warnings, as `leg:kind`. */
export function ignoredKinds(h: Harness): string[] {
  return logsWith(h, "ignoring a frame").map((line) => `${line.leg}:${line.kind}`);
}

/** Timeline events of the simulated call, in order, keeping only those named. */
export function eventsOf(call: McubeCall, names: readonly string[]): string[] {
  return call.timeline.map((e) => e.event).filter((e) => names.includes(e));
}
