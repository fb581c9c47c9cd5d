/** The bot a DID reaches, and the interfaces the call bridge resolves it through. */

/** What answers a dialled number. Optional fields are overrides sent only when set. */
export interface Bot {
  botId: string;
  name: string;
  agentId: string;
  companyName: string;
  businessId?: string;
  businessName?: string;
  firstMessage?: string;
  prompt?: string;
  language?: string;
  voiceId?: string;
  /** 10-digit number for agent-requested transfers. */
  transferNumber?: string;
  /** 10-digit number callers go to when the agent fails. */
  fallbackNumber?: string;
  /** What an MCP tool asking for approval gets on this bot's calls; unset follows MCP_TOOL_APPROVAL. */
  mcpApproval?: "approve" | "reject";
  /** Extra dynamic variables handed to the agent. */
  dynamicVariables: Record<string, string>;
  /** Records this bot's calls (true) or never (false); unset follows RECORDING. */
  recording?: boolean;
}

/** How a lookup was answered: fresh from the store, from cache, stale after an error, or the default agent. */
export type BotSource = "store" | "cache" | "stale" | "default";

export interface ResolvedBot {
  bot: Bot;
  source: BotSource;
}

/**
 * Resolves the bot for a dialled number. Never throws and never takes longer than its lookup
 * bound: on a store error it serves the last known bot, or the default agent.
 */
export interface BotResolver {
  resolve(did: string | undefined): Promise<ResolvedBot>;
}

/** The default agent from ELEVENLABS_AGENT_ID and COMPANY_NAME, for DIDs with no bot. */
export function defaultBot(config: { companyName: string; elevenlabs: { agentId?: string } }): Bot {
  return {
    botId: "default",
    name: "default",
    agentId: config.elevenlabs.agentId ?? "",
    companyName: config.companyName,
    dynamicVariables: {},
  };
}
