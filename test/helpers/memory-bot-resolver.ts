/** A BotResolver over an in-memory map of DID → Bot, for tests, the simulator and deployments without a store. */
import type { Config } from "../../src/config/index.ts";
import { defaultBot, type Bot, type BotResolver, type ResolvedBot } from "../../src/call/bot.ts";
import { normalizePhoneNumber } from "../../src/base/phone-number.ts";

export interface MemoryBotResolver extends BotResolver {
  /** Adds or replaces the bot for a DID (normalized to 10 digits). */
  set(did: string, bot: Bot): void;
}

/**
 * DIDs without a bot get the default agent (ELEVENLABS_AGENT_ID, COMPANY_NAME).
 * @example createMemoryBotResolver(config, { "8040001234": { ...defaultBot(config), agentId: "agent_x" } })
 */
export function createMemoryBotResolver(config: Config, bots: Record<string, Bot> = {}): MemoryBotResolver {
  const byDid = new Map<string, Bot>();
  const set = (did: string, bot: Bot) => byDid.set(normalizePhoneNumber(did) ?? did, bot);
  for (const [did, bot] of Object.entries(bots)) set(did, bot);
  return {
    set,
    async resolve(did): Promise<ResolvedBot> {
      const bot = did === undefined ? undefined : byDid.get(normalizePhoneNumber(did) ?? did);
      return bot ? { bot, source: "store" } : { bot: defaultBot(config), source: "default" };
    },
  };
}
