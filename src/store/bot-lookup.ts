/** The two reads behind a call's bot: DID → bot_id/business_id (master), bot_id → bot row (cluster). */
import type { Config } from "../config/index.ts";
import type { Bot } from "../call/bot.ts";
import type { Databases } from "./sql.ts";
import { compileNamedQuery, type NamedQuery } from "./named-parameters.ts";
import { botFromRow, botRowSchema, didRowSchema, parseRow } from "./bot-rows.ts";

export const BOT_COLUMNS =
  "bot_id, name, agent_id, company_name, first_message, prompt, language, voice_id, transfer_number, fallback_number, dynamic_variables, active, recording, mcp_approval";

const DEFAULT_DID_QUERY = "SELECT bot_id, business_id FROM did_numbers WHERE did = :did";
/** Every column: a MySQL store not yet migrated to a newer optional column (recording, mcp_approval) still answers calls. */
const DEFAULT_BOT_QUERY = "SELECT * FROM bots WHERE bot_id = :bot_id";
const BUSINESS_NAME_QUERY = "SELECT name FROM businesses WHERE business_id = ?";

/** Resolves a normalized DID to its active bot, or undefined when none answers it. Throws on store errors and bad rows. */
export type BotLookup = (did: string) => Promise<Bot | undefined>;

/**
 * Builds the lookup from the schema Homebook creates, or from BOT_DID_QUERY (run on the master
 * database, parameter :did) and BOT_CONFIG_QUERY (run on the cluster database, parameters :bot_id,
 * :business_id, :did). Named parameters are checked here, so a typo fails at startup.
 */
export function createBotLookup({ dbs, config }: { dbs: Databases; config: Config }): BotLookup {
  const didQuery = compileNamedQuery(config.database.didQuery ?? DEFAULT_DID_QUERY, ["did"], "BOT_DID_QUERY");
  const customBotQuery = config.database.botConfigQuery !== undefined;
  const botQuery: NamedQuery = compileNamedQuery(
    config.database.botConfigQuery ?? DEFAULT_BOT_QUERY,
    ["bot_id", "business_id", "did"],
    "BOT_CONFIG_QUERY",
  );

  return async (did) => {
    const [didRow] = await dbs.master.query(didQuery.sql, didQuery.bind({ did }));
    if (!didRow) return undefined;
    const assignment = parseRow(didRowSchema, didRow, "DID row");
    const values = { did, bot_id: assignment.bot_id, business_id: assignment.business_id };
    const [botRow] = await dbs.cluster.query(botQuery.sql, botQuery.bind(values));
    if (!botRow) return undefined;
    const row = parseRow(botRowSchema, botRow, `bot row ${assignment.bot_id}`);
    if (!row.active) return undefined;
    let businessName: string | undefined;
    // Custom queries bring their own business_name column; the built-in schema keeps it on master.
    if (!customBotQuery && assignment.business_id !== undefined) {
      const [business] = await dbs.master.query<{ name: unknown }>(BUSINESS_NAME_QUERY, [assignment.business_id]);
      if (typeof business?.name === "string" && business.name.trim() !== "") businessName = business.name;
    }
    return botFromRow(row, { botId: assignment.bot_id, businessId: assignment.business_id, businessName, companyName: config.companyName });
  };
}
