/**
 * A call's way to an agent conversation: the bot (looked up as soon as the DID is known, even before
 * Mcube's start), the campaign context, a connection slot, then the conversation itself, opened only
 * once everything its first frame carries is known.
 */
import type { AgentLeg } from "../agent/agent-leg.ts";
import type { AgentConnector } from "../agent/elevenlabs-client.ts";
import type { InitiationFrame } from "../agent/elevenlabs-protocol.ts";
import type { Clock } from "../base/clock.ts";
import { HomebookError } from "../base/errors.ts";
import { withTimeout } from "../base/with-timeout.ts";
import type { Logger } from "../log/logger.ts";
import type { Bot, BotResolver } from "./bot.ts";
import type { OutboundCallContext, OutboundContextLookup } from "./call-record.ts";
import type { AgentSlots, ReleaseSlot } from "./ports.ts";

export interface AgentSetupDeps {
  bots: BotResolver;
  slots: AgentSlots;
  connector: AgentConnector;
  outbound?: OutboundContextLookup;
  clock: Clock;
  /** BOT_LOOKUP_TIMEOUT_MS: one bound for the call's lookups together (bot and campaign context). */
  lookupTimeoutMs: number;
}

export interface ConnectInputs {
  did: string | undefined;
  callId: string;
  /** The first frame for this bot and campaign context. */
  init(bot: Bot, outbound: OutboundCallContext | undefined): InitiationFrame;
  /** Called as soon as the bot is known (fallback numbers need it even when the agent fails). */
  onBot(bot: Bot): void;
  /** Called as soon as a slot is held, so a hang-up can release it. */
  onSlot(release: ReleaseSlot): void;
}

export interface Connected {
  agent: AgentLeg;
  init: InitiationFrame;
}

export class AgentSetup {
  private early: Promise<Bot> | undefined;
  private earlyDid: string | undefined;

  constructor(
    private readonly deps: AgentSetupDeps,
    private readonly signal: AbortSignal,
    private readonly log: Logger,
  ) {}

  /** The DID is known before start (upgrade headers): look the bot up and warm its signed URL now. */
  prepare(did: string): void {
    this.earlyDid = did;
    this.early = this.resolveBot(did);
    this.early.then((bot) => bot.agentId && this.deps.connector.prepare(bot.agentId)).catch(() => undefined);
  }

  /** The bot answering `did`: the lookup `prepare` started when it was for the same DID, else a new one (bounded, never throws). */
  bot(did: string | undefined): Promise<Bot> {
    return this.early && this.earlyDid === did ? this.early : this.resolveBot(did);
  }

  /** Bot and campaign context together under one bound, a slot, then the conversation. */
  async connect(inputs: ConnectInputs): Promise<Connected> {
    const [bot, outbound] = await Promise.all([this.bot(inputs.did), this.findOutbound(inputs.callId)]);
    inputs.onBot(bot);
    if (!bot.agentId) {
      throw new HomebookError("config", "no agent answers this DID", { fix: "set ELEVENLABS_AGENT_ID, or add a bot for this DID" });
    }
    const release = await this.deps.slots.acquire(this.signal);
    inputs.onSlot(release);
    const init = inputs.init(bot, outbound);
    return { agent: await this.open(bot, init), init };
  }

  /** A new conversation for the same bot and first frame (after the agent was lost); the call keeps its slot. */
  reconnect(bot: Bot, init: InitiationFrame): Promise<AgentLeg> {
    return this.open(bot, init);
  }

  private open(bot: Bot, init: InitiationFrame): Promise<AgentLeg> {
    return this.deps.connector.connect({ agentId: bot.agentId, init, signal: this.signal, log: this.log });
  }

  private async resolveBot(did: string | undefined): Promise<Bot> {
    return (await this.deps.bots.resolve(did)).bot;
  }

  /** The outbound campaign context, or none after the lookup bound or an error (the call starts without it). */
  private async findOutbound(callId: string): Promise<OutboundCallContext | undefined> {
    const lookup = this.deps.outbound;
    if (!lookup) return undefined;
    try {
      return await withTimeout(lookup.find(callId), this.deps.lookupTimeoutMs, undefined, this.deps.clock);
    } catch (err) {
      this.log.warn("outbound context lookup failed; starting without campaign variables", { err });
      return undefined;
    }
  }
}
