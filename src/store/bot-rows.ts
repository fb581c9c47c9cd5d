/** Zod shapes of the rows the two bot lookups return, and their conversion to a `Bot`. */
import { z } from "zod";
import { describeIssues, HomebookError } from "../base/errors.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import type { Bot } from "../call/bot.ts";

/** Ids may be INT or VARCHAR columns in existing schemas: both become strings. */
const id = z.union([z.string().min(1), z.number().int(), z.bigint()]).transform(String);
const optionalId = id.nullish().transform((v) => v ?? undefined);
/** Optional text: NULL and "" mean unset. */
const optionalText = z
  .string()
  .nullish()
  .transform((v) => (v === null || v === undefined || v.trim() === "" ? undefined : v));
const optionalPhone = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v, ctx) => {
    if (v === null || v === undefined || String(v).trim() === "") return undefined;
    const number = normalizePhoneNumber(v);
    if (!number) ctx.addIssue({ code: "custom", message: "expected a 10-digit Indian phone number" });
    return number;
  });
/** JSON text (MariaDB/SQLite) or an already-parsed object (MySQL JSON): an object of scalar values, as strings. */
const dynamicVariables = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .nullish()
  .transform((v, ctx): Record<string, string> => {
    if (v === null || v === undefined || (typeof v === "string" && v.trim() === "")) return {};
    let value: unknown = v;
    if (typeof v === "string") {
      try {
        value = JSON.parse(v);
      } catch {
        ctx.addIssue({ code: "custom", message: "expected a JSON object" });
        return {};
      }
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      ctx.addIssue({ code: "custom", message: "expected a JSON object" });
      return {};
    }
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === "string" || typeof item === "number" || typeof item === "boolean") out[key] = String(item);
      else ctx.addIssue({ code: "custom", message: `variable ${key} must be a string, number or boolean` });
    }
    return out;
  });
/** TINYINT(1), INTEGER, BOOLEAN or "0"/"1"; absent means active. */
const active = z
  .union([z.boolean(), z.number(), z.string()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? true : typeof v === "string" ? !["0", "false", "no", ""].includes(v.trim().toLowerCase()) : Boolean(v)));

/** A tri-state override column: NULL (or absent) follows the global setting. */
const optionalFlag = z
  .union([z.boolean(), z.number(), z.string()])
  .nullish()
  .transform((v) => (v === null || v === undefined || v === "" ? undefined : typeof v === "string" ? !["0", "false", "no", "off"].includes(v.trim().toLowerCase()) : Boolean(v)));

/** "approve" or "reject" (any case); NULL or "" follows MCP_TOOL_APPROVAL. */
const mcpApproval = z
  .string()
  .nullish()
  .transform((v, ctx): "approve" | "reject" | undefined => {
    const value = v?.trim().toLowerCase();
    if (!value) return undefined;
    if (value === "approve" || value === "reject") return value;
    ctx.addIssue({ code: "custom", message: 'expected "approve", "reject" or NULL' });
    return undefined;
  });

/** What the DID lookup returns: which bot answers, for which business. */
export const didRowSchema = z.object({ bot_id: id, business_id: optionalId });
export type DidRow = z.output<typeof didRowSchema>;

/** What the bot lookup returns. Only agent_id is required; custom queries may add business_name. */
export const botRowSchema = z.object({
  bot_id: optionalId,
  name: optionalText,
  agent_id: z.string({ error: "expected the ElevenLabs agent id" }).trim().min(1, { error: "expected the ElevenLabs agent id" }),
  company_name: optionalText,
  business_name: optionalText,
  first_message: optionalText,
  prompt: optionalText,
  language: optionalText,
  voice_id: optionalText,
  transfer_number: optionalPhone,
  fallback_number: optionalPhone,
  dynamic_variables: dynamicVariables,
  active,
  recording: optionalFlag,
  mcp_approval: mcpApproval,
});
export type BotRow = z.output<typeof botRowSchema>;

/** Parses a row, or throws `store_invalid_row` listing each bad column. */
export function parseRow<S extends z.ZodType>(schema: S, row: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(row);
  if (parsed.success) return parsed.data;
  throw new HomebookError("store_invalid_row", `${what} is invalid: ${describeIssues(parsed.error, "row")}`, {
    fix: "correct the row, or BOT_DID_QUERY/BOT_CONFIG_QUERY so they return the expected columns",
  });
}

/** Builds the Bot a call uses; the bot's company falls back to its business name, then COMPANY_NAME. */
export function botFromRow(row: BotRow, context: { botId: string; businessId?: string; businessName?: string; companyName: string }): Bot {
  const businessName = row.business_name ?? context.businessName;
  return {
    botId: row.bot_id ?? context.botId,
    name: row.name ?? row.bot_id ?? context.botId,
    agentId: row.agent_id,
    companyName: row.company_name ?? businessName ?? context.companyName,
    businessId: context.businessId,
    businessName,
    firstMessage: row.first_message,
    prompt: row.prompt,
    language: row.language,
    voiceId: row.voice_id,
    transferNumber: row.transfer_number,
    fallbackNumber: row.fallback_number,
    dynamicVariables: row.dynamic_variables,
    recording: row.recording,
    mcpApproval: row.mcp_approval,
  };
}
