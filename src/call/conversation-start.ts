/** The conversation_initiation_client_data a call sends: dynamic variables from every source, and the bot's overrides. */
import { initiationFrame, type ConversationOverride, type InitiationFrame } from "../agent/elevenlabs-protocol.ts";
import type { Bot } from "./bot.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import type { CallContext } from "../telephony/call-context.ts";
import type { OutboundCallContext, TranscriptTurn } from "./call-record.ts";

export interface ConversationInputs {
  bot: Bot;
  context: CallContext;
  sessionId: string;
  callId?: string;
  streamId?: string;
  outbound?: OutboundCallContext;
}

const phone = (value: string | undefined) => (value ? (normalizePhoneNumber(value) ?? value) : "");
const set = (value: string | undefined) => (value !== undefined && value.trim() !== "" ? value : undefined);

/**
 * Standard variables are always present ("" when unknown) and win over the bot's extra variables
 * and the outbound campaign's variables, which are merged in that order.
 */
export function dynamicVariables({ bot, context, sessionId, callId, streamId, outbound }: ConversationInputs): Record<string, string> {
  return {
    ...bot.dynamicVariables,
    ...outbound?.variables,
    customer_name: context.customerName ?? outbound?.customerName ?? "",
    customer_number: phone(context.customerNumber ?? outbound?.customerNumber),
    did: phone(context.did ?? outbound?.did),
    business_id: context.businessId ?? bot.businessId ?? "",
    agent_id: context.agentId ?? "",
    call_id: callId ?? "",
    stream_id: streamId ?? "",
    session_id: sessionId,
    company_name: bot.companyName ?? "",
    bot_name: bot.name ?? "",
  };
}

/** Only the fields the bot sets; an agent must enable each one (Security tab → overrides). */
export function botOverride(bot: Pick<Bot, "prompt" | "firstMessage" | "language" | "voiceId">): ConversationOverride | undefined {
  const agent: NonNullable<ConversationOverride["agent"]> = {};
  if (set(bot.prompt)) agent.prompt = { prompt: bot.prompt! };
  if (set(bot.firstMessage)) agent.first_message = bot.firstMessage!;
  // The bot's language is free text; the service checks it against its codes (override_error when unknown).
  if (set(bot.language)) agent.language = bot.language as NonNullable<ConversationOverride["agent"]>["language"];
  const override: ConversationOverride = {};
  if (Object.keys(agent).length > 0) override.agent = agent;
  if (set(bot.voiceId)) override.tts = { voice_id: bot.voiceId! };
  return override.agent || override.tts ? override : undefined;
}

export function conversationInitiation(inputs: ConversationInputs): InitiationFrame {
  return initiationFrame(dynamicVariables(inputs), botOverride(inputs.bot));
}

/**
 * The first frame of a conversation reopened mid-call: the same variables and overrides, and — when the
 * bot overrides first messages (so the agent allows it) — a short apology instead of the greeting.
 */
export function reconnectInitiation(original: InitiationFrame, reconnectMessage: string): InitiationFrame {
  const agent = original.conversation_config_override?.agent;
  if (agent?.first_message === undefined) return original;
  return { ...original, conversation_config_override: { ...original.conversation_config_override, agent: { ...agent, first_message: reconnectMessage } } };
}

/** The conversation so far as context for a reopened conversation (sent to the agent only, never logged). */
export function transcriptContext(turns: readonly TranscriptTurn[], maxChars = 6000): string | undefined {
  if (turns.length === 0) return undefined;
  const lines = turns.map((t) => `${t.role === "user" ? "Caller" : "Agent"}: ${t.text}`);
  let text = lines.join("\n");
  if (text.length > maxChars) text = `…${text.slice(text.length - maxChars)}`;
  return `The phone line dropped and this conversation continues an earlier one. Conversation so far:\n${text}`;
}
