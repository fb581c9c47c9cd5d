/**
 * A new conversation for a call whose agent connection was lost mid-call: the same bot, the greeting
 * again if the caller has heard nothing yet (else AGENT_RECONNECT_MESSAGE), all within
 * AGENT_RECONNECT_TIMEOUT_MS.
 */
import type { AgentLeg } from "../agent/agent-leg.ts";
import type { InitiationFrame } from "../agent/elevenlabs-protocol.ts";
import { HomebookError } from "../base/errors.ts";
import type { OwnedTimers } from "../base/owned-timers.ts";
import type { AgentSetup } from "./agent-setup.ts";
import type { Bot } from "./bot.ts";
import { reconnectInitiation } from "./conversation-start.ts";

export interface ReopenRequest {
  setup: AgentSetup;
  timers: OwnedTimers;
  bot: Bot;
  /** The call's first init frame. */
  init: InitiationFrame;
  failure: HomebookError;
  /** True once the caller heard the agent: the new conversation opens with the reconnect message instead of the greeting. */
  heardAgent: boolean;
  reconnectTimeoutMs: number;
  reconnectMessage: string;
}

/** Resolves with the new conversation, or rejects (a classified error, or the timeout). */
export function reopenConversation({ setup, timers, bot, init, failure, heardAgent, reconnectTimeoutMs, reconnectMessage }: ReopenRequest): Promise<AgentLeg> {
  const deadline = timers.sleep(reconnectTimeoutMs).then((): never => {
    throw new HomebookError("timeout", `no new agent conversation within AGENT_RECONNECT_TIMEOUT_MS (${reconnectTimeoutMs} ms)`);
  });
  // A caller who has heard nothing yet (the conversation never got past the service's queue) gets the greeting, not an apology.
  const frame = heardAgent ? reconnectInitiation(init, reconnectMessage) : init;
  // A busy service (3008) is given its moment before the new request, as at setup.
  const reopened = failure.retryAfterMs === undefined ? setup.reconnect(bot, frame) : timers.sleep(failure.retryAfterMs).then(() => setup.reconnect(bot, frame));
  return Promise.race([reopened, deadline]);
}
