/**
 * The calls bench/soak.ts places: a mix of lengths and endings (caller hang-up, agent end_call,
 * transfer, barge-in, agent drop and reconnect), each with the agent's script, the caller's part,
 * and what its record must say.
 */
import type { FakeConversation } from "../src/sim/fake-agent-server.ts";
import type { McubeCall } from "../src/sim/mcube-call.ts";

export { seededRandom } from "../src/sim/agent-audio.ts";

export type Ending = "caller_hangup" | "agent_end_call" | "transfer" | "barge_in" | "agent_drop";

export interface Scenario {
  ending: Ending;
  /** When the caller hangs up (caller_hangup, barge_in, agent_drop) or the agent acts (agent_end_call, transfer), after the greeting. */
  talkMs: number;
  greetingMs: number;
  /** How the agent orders its tool response and goodbye audio (end_call), or its two transfer responses. */
  toolOrder: 0 | 1;
}

/** Share of each ending among the calls, in percent. */
const MIX: [Ending, number][] = [
  ["caller_hangup", 30],
  ["agent_end_call", 20],
  ["transfer", 20],
  ["barge_in", 15],
  ["agent_drop", 15],
];

/** The i-th call of a soak: ending by the mix, talk time 0.5–7 s, greeting 0.4–1.5 s. */
export function scenarioFor(random: () => number): Scenario {
  let pick = random() * 100;
  let ending: Ending = MIX[0]![0];
  for (const [name, share] of MIX) {
    if (pick < share) {
      ending = name;
      break;
    }
    pick -= share;
  }
  const talkMs = Math.round(500 + random() * 6500);
  return { ending, talkMs: ending === "barge_in" ? Math.max(talkMs, 2500) : talkMs, greetingMs: Math.round(400 + random() * 1100), toolOrder: random() < 0.5 ? 0 : 1 };
}

/** What the call's record must say. */
export function expectedRecord(scenario: Scenario): { endReason: string; reconnects: number; minInterruptions: number } {
  switch (scenario.ending) {
    case "agent_end_call":
      return { endReason: "agent_end_call", reconnects: 0, minInterruptions: 0 };
    case "transfer":
      return { endReason: "transfer", reconnects: 0, minInterruptions: 0 };
    case "barge_in":
      return { endReason: "caller_hangup", reconnects: 0, minInterruptions: 1 };
    case "agent_drop":
      return { endReason: "caller_hangup", reconnects: 1, minInterruptions: 0 };
    default:
      return { endReason: "caller_hangup", reconnects: 0, minInterruptions: 0 };
  }
}

const sleep = (ms: number) => Bun.sleep(ms);

/**
 * The agent's side of one conversation. `attempt` is 0 for the call's first conversation, 1 for the
 * one the gateway opens after the agent dropped.
 */
export async function agentScript(conv: FakeConversation, scenario: Scenario, attempt: number): Promise<void> {
  if (attempt > 0) {
    await conv.speak({ text: "Sorry, where were we?", durationMs: 600 });
    return;
  }
  await conv.speak({ text: "Hello, this is Asha from Acme Homes.", durationMs: scenario.greetingMs });
  switch (scenario.ending) {
    case "agent_end_call":
      await sleep(scenario.talkMs);
      return conv.endCall({ goodbye: { text: "Thank you, goodbye.", durationMs: 500 }, toolResponse: scenario.toolOrder === 0 ? "before_audio" : "after_audio" });
    case "transfer":
      await sleep(scenario.talkMs);
      conv.transferToNumber({ number: "9876543210", order: scenario.toolOrder === 0 ? "response_first" : "full_payload_first" });
      return;
    case "barge_in":
      void conv.speak({ text: "We have three projects in Pune and two in Mumbai, with flats from", durationMs: 3000 });
      await sleep(700);
      await conv.interrupt({ staleAudioMs: 200 });
      await conv.speak({ text: "Sure, go ahead.", durationMs: 600 });
      return;
    case "agent_drop":
      await sleep(300);
      conv.close(1011, "internal error"); // a mid-call drop the gateway reconnects from
      return;
    default:
      await sleep(Math.min(1500, scenario.talkMs));
      await conv.speak({ text: "How can I help?", durationMs: 700 });
  }
}

/** The caller's side: hang up after the talk (the agent ends the others), and never wait past `boundMs`. */
export async function callerScript(call: McubeCall, scenario: Scenario, boundMs: number): Promise<"closed" | "stuck"> {
  const hangsUp = scenario.ending === "caller_hangup" || scenario.ending === "barge_in" || scenario.ending === "agent_drop";
  if (hangsUp) {
    await Promise.race([call.closed, sleep(scenario.greetingMs + scenario.talkMs)]);
    call.hangup();
  }
  const outcome = await Promise.race([call.closed.then(() => "closed" as const), sleep(boundMs).then(() => "stuck" as const)]);
  if (outcome === "stuck") call.hangup();
  return outcome;
}
