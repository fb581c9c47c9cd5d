/** The conversation_initiation_client_data a call sends: dynamic variables from every source, and the bot's overrides. */
import { initiationFrame, type ConversationOverride, type InitiationFrame } from "../agent/elevenlabs-protocol.ts";
import type { Bot } from "./bot.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import type { CallContext } from "../telephony/call-context.ts";
import type { OutboundCallContext } from "./call-record.ts";

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
export function botOverride(bot: Bot): ConversationOverride | undefined {
  const agent: NonNullable<ConversationOverride["agent"]> = {};
  if (set(bot.prompt)) agent.prompt = { prompt: bot.prompt! };
  if (set(bot.firstMessage)) agent.first_message = bot.firstMessage!;
  if (set(bot.language)) agent.language = bot.language!;
  const override: ConversationOverride = {};
  if (Object.keys(agent).length > 0) override.agent = agent;
  if (set(bot.voiceId)) override.tts = { voice_id: bot.voiceId! };
  return override.agent || override.tts ? override : undefined;
}

export function conversationInitiation(inputs: ConversationInputs): InitiationFrame {
  return initiationFrame(dynamicVariables(inputs), botOverride(inputs.bot));
}
