/** Starts a call's agent conversation: bot → limiter slot → connector, with the first frame built once start arrived. */
import type { AgentConnection } from "../agent/agent-socket.ts";
import type { AgentConnector } from "../agent/elevenlabs-client.ts";
import type { InitiationFrame } from "../agent/elevenlabs-protocol.ts";
import { HomebookError } from "../base/errors.ts";
import type { Logger } from "../log/logger.ts";
import type { Bot, BotResolver } from "./bot.ts";
import type { ReleaseSlot } from "./agent-limiter.ts";
import type { AgentSlots } from "./ports.ts";
import type { OutboundCallContext, OutboundContextLookup } from "./call-record.ts";
import { withTimeout } from "../base/with-timeout.ts";

/** How long the first frame waits for the outbound campaign's variables. */
export const OUTBOUND_LOOKUP_TIMEOUT_MS = 1000;

export interface AgentStartDeps {
  bots: BotResolver;
  limiter: AgentSlots;
  connector: AgentConnector;
}

export interface AgentStartRequest {
  did: string | undefined;
  signal: AbortSignal;
  log: Logger;
  /** Builds the first frame for the resolved bot; may wait (for Mcube's start). */
  init(bot: Bot): Promise<InitiationFrame>;
  /** Called as soon as the bot is known (fallback numbers need it even when the agent fails). */
  onBot(bot: Bot): void;
  /** Called as soon as a slot is held, so a hang-up can release it. */
  onSlot(release: ReleaseSlot): void;
}

/** Resolves with an initiated conversation or rejects with a classified HomebookError (the slot is released then). */
export async function startAgent(deps: AgentStartDeps, request: AgentStartRequest): Promise<AgentConnection> {
  const { bot } = await deps.bots.resolve(request.did);
  request.onBot(bot);
  if (!bot.agentId) {
    throw new HomebookError("config", "no agent answers this DID", {
      fix: "set ELEVENLABS_AGENT_ID, or add a bot for this DID",
    });
  }
  const release = await deps.limiter.acquire(request.signal);
  request.onSlot(release);
  try {
    return await deps.connector.connect({ agentId: bot.agentId, init: request.init(bot), signal: request.signal, log: request.log });
  } catch (err) {
    release();
    throw err;
  }
}

/** The outbound campaign context for a call, or undefined after OUTBOUND_LOOKUP_TIMEOUT_MS or an error. */
export async function findOutboundContext(
  lookup: OutboundContextLookup | undefined,
  callId: string | undefined,
  log: Logger,
): Promise<OutboundCallContext | undefined> {
  if (!lookup || !callId) return undefined;
  try {
    return await withTimeout(lookup.find(callId), OUTBOUND_LOOKUP_TIMEOUT_MS, undefined);
  } catch (err) {
    log.warn("outbound context lookup failed; starting without campaign variables", { err });
    return undefined;
  }
}
