/** The call's state table: the moves a call can make, and the ones it cannot. */
import { describe, expect, test } from "bun:test";
import { HomebookError } from "../../src/base/errors.ts";
import { agentOf, describeState, transition, type CallState } from "../../src/call/call-state.ts";

const fallback = { kind: "fallback" as const, number: "9000000001", error: new HomebookError("timeout", "x") };

describe("call state", () => {
  test("the happy path and a reconnect go through the table", () => {
    const awaiting: CallState = { name: "awaiting_start" };
    if (awaiting.name !== "awaiting_start") throw new Error("unreachable");
    const connecting = transition(awaiting, { name: "connecting" });
    const agent = { isOpen: true } as never;
    const live = transition(connecting, { name: "live", agent });
    const reconnecting = transition(live, { name: "reconnecting", attempt: 1 });
    const liveAgain = transition(reconnecting, { name: "live", agent });
    const ending = transition(liveAgain, { name: "ending", plan: fallback, step: "settling", agent });
    const draining = transition(ending, { ...ending, step: "draining" });
    expect(transition(draining, { name: "closed", reason: "fallback_transfer" }).name).toBe("closed");
    expect(agentOf(live)).toBe(agent);
    expect(agentOf(reconnecting)).toBeUndefined();
  });

  test("a move the table does not allow fails (and does not compile)", () => {
    const closed: CallState = { name: "closed", reason: "caller_hangup" };
    // @ts-expect-error closed is final
    expect(() => transition(closed, { name: "live", agent: {} as never })).toThrow("illegal call transition closed → live");
    const awaiting: CallState = { name: "awaiting_start" };
    // @ts-expect-error no agent before start
    expect(() => transition(awaiting, { name: "live", agent: {} as never })).toThrow("illegal call transition awaiting_start → live");
  });

  test("operators read ending toward a transfer as transferring", () => {
    expect(describeState({ name: "ending", plan: fallback, step: "draining", agent: undefined })).toBe("transferring");
    expect(describeState({ name: "ending", plan: { kind: "end", reason: "agent_end_call", source: "x" }, step: "settling", agent: undefined })).toBe("ending");
    expect(describeState({ name: "connecting" })).toBe("connecting");
  });
});
