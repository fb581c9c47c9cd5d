/** Administration of the built-in bot schema (what `homebook bots` and `homebook did` do): bots, DIDs, businesses. */
import { describeIssues, HomebookError } from "../base/errors.ts";
import type { Databases } from "./sql.ts";
import { isDuplicateKeyError, sqlTimestamp } from "./sql-values.ts";
import { BOT_COLUMNS } from "./bot-lookup.ts";
import { botRowSchema } from "./bot-rows.ts";
import type { Bot } from "../call/bot.ts";

/** A bot as the admin commands show it: the call-time Bot plus its state and DIDs. */
export interface BotRecord extends Omit<Bot, "companyName" | "businessId" | "businessName"> {
  companyName?: string;
  active: boolean;
  updatedAt: string;
  dids: string[];
  /** Set when the stored row would be refused at call time (and the default agent would answer). */
  invalid?: string;
}

/** The editable fields of a bot; undefined leaves a field as it is, "" clears it (on update). */
export interface BotFields extends Partial<Omit<BotRecord, "botId" | "dynamicVariables" | "updatedAt" | "dids" | "invalid" | OverrideField>> {
  /** Merged into the stored variables; an empty value removes the key. */
  variables?: Record<string, string>;
  /** true/false override RECORDING for this bot; null goes back to following it. */
  recording?: boolean | null;
  /** "approve"/"reject" override MCP_TOOL_APPROVAL for this bot; null goes back to following it. */
  mcpApproval?: "approve" | "reject" | null;
}

export interface DidRecord {
  did: string;
  botId: string;
  businessId?: string;
  businessName?: string;
}

/** The bot's overrides of a global setting (RECORDING, MCP_TOOL_APPROVAL): NULL in the column follows the setting. */
const OVERRIDE_COLUMN_OF = { recording: "recording", mcpApproval: "mcp_approval" } as const;
type OverrideField = keyof typeof OVERRIDE_COLUMN_OF;
const overrides = Object.entries(OVERRIDE_COLUMN_OF) as [OverrideField, string][];

const COLUMN_OF: Record<Exclude<keyof BotFields, "variables" | "active" | OverrideField>, string> = {
  name: "name",
  agentId: "agent_id",
  companyName: "company_name",
  firstMessage: "first_message",
  prompt: "prompt",
  language: "language",
  voiceId: "voice_id",
  transferNumber: "transfer_number",
  fallbackNumber: "fallback_number",
};

function notFound(botId: string): HomebookError {
  return new HomebookError("not_found", `no bot with id ${botId}`, { fix: "list the bots with 'homebook bots list'" });
}

function withoutEmpty(variables: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(variables).filter(([, v]) => v !== ""));
}

function toRecord(row: Record<string, unknown>, dids: string[]): BotRecord {
  const base = {
    botId: String(row.bot_id),
    updatedAt: String(row.updated_at ?? ""),
    dids,
  };
  const parsed = botRowSchema.safeParse(row);
  if (!parsed.success) {
    const invalid = describeIssues(parsed.error, "row");
    return { ...base, name: String(row.name ?? ""), agentId: String(row.agent_id ?? ""), dynamicVariables: {}, active: Boolean(row.active), invalid };
  }
  const r = parsed.data;
  return {
    ...base,
    name: r.name ?? base.botId,
    agentId: r.agent_id,
    companyName: r.company_name,
    firstMessage: r.first_message,
    prompt: r.prompt,
    language: r.language,
    voiceId: r.voice_id,
    transferNumber: r.transfer_number,
    fallbackNumber: r.fallback_number,
    dynamicVariables: r.dynamic_variables,
    active: r.active,
    recording: r.recording,
    mcpApproval: r.mcp_approval,
  };
}

/** Reads and writes the built-in schema; every DID passed in must already be normalized. */
export function createBotAdmin(dbs: Databases) {
  const { master, cluster } = dbs;

  async function didsOf(botId?: string): Promise<DidRecord[]> {
    const sql = `SELECT d.did, d.bot_id, d.business_id FROM did_numbers d${botId === undefined ? "" : " WHERE d.bot_id = ?"} ORDER BY d.did`;
    const rows = await master.query<Record<string, unknown>>(sql, botId === undefined ? [] : [botId]);
    const businesses = new Map(
      (await master.query<{ business_id: unknown; name: unknown }>("SELECT business_id, name FROM businesses")).map((b) => [
        String(b.business_id),
        String(b.name),
      ]),
    );
    return rows.map((r) => {
      const businessId = r.business_id === null || r.business_id === undefined ? undefined : String(r.business_id);
      return { did: String(r.did), botId: String(r.bot_id), businessId, businessName: businessId ? businesses.get(businessId) : undefined };
    });
  }

  async function botRow(botId: string): Promise<Record<string, unknown> | undefined> {
    const [row] = await cluster.query<Record<string, unknown>>(`SELECT ${BOT_COLUMNS}, updated_at FROM bots WHERE bot_id = ?`, [botId]);
    return row;
  }

  async function assertDidsFree(dids: string[]): Promise<void> {
    for (const did of dids) {
      const [taken] = await master.query<{ bot_id: unknown }>("SELECT bot_id FROM did_numbers WHERE did = ?", [did]);
      if (taken) {
        throw new HomebookError("conflict", `DID ${did} is already assigned to bot ${String(taken.bot_id)}`, {
          fix: `remove it first with 'homebook did remove --did ${did}', or pick another number`,
        });
      }
    }
  }

  const admin = {
    async getBot(botId: string): Promise<BotRecord> {
      const row = await botRow(botId);
      if (!row) throw notFound(botId);
      return toRecord(row, (await didsOf(botId)).map((d) => d.did));
    },

    async listBots(): Promise<BotRecord[]> {
      const rows = await cluster.query<Record<string, unknown>>(`SELECT ${BOT_COLUMNS}, updated_at FROM bots ORDER BY bot_id`);
      const dids = new Map<string, string[]>();
      for (const d of await didsOf()) dids.set(d.botId, [...(dids.get(d.botId) ?? []), d.did]);
      return rows.map((r) => toRecord(r, dids.get(String(r.bot_id)) ?? []));
    },

    /** Creates a bot answering `dids`; nothing is written when the bot id or a DID is taken. */
    async addBot(botId: string, fields: BotFields & { agentId: string }, dids: string[], businessId?: string): Promise<BotRecord> {
      await assertDidsFree(dids);
      const columns = Object.entries(COLUMN_OF);
      const values = [
        botId,
        ...columns.map(([key]) => (key === "name" ? fields.name || botId : fields[key as keyof typeof COLUMN_OF] || null)),
        JSON.stringify(withoutEmpty(fields.variables ?? {})),
        fields.active ?? true,
        ...overrides.map(([key]) => fields[key] ?? null),
        sqlTimestamp(),
      ];
      const overrideColumns = overrides.map(([, c]) => c).join(", ");
      try {
        await cluster.execute(
          `INSERT INTO bots (bot_id, ${columns.map(([, c]) => c).join(", ")}, dynamic_variables, active, ${overrideColumns}, updated_at) VALUES (${values.map(() => "?").join(", ")})`,
          values,
        );
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        throw new HomebookError("conflict", `a bot with id ${botId} already exists`, {
          fix: "choose another --bot-id, or change that bot with 'homebook bots update'",
        });
      }
      try {
        for (const did of dids) await admin.assignDid(did, botId, businessId);
      } catch (err) {
        // Master and cluster may be separate databases: undo by hand so a failed add leaves nothing behind.
        await master.execute(`DELETE FROM did_numbers WHERE bot_id = ?`, [botId]).catch(() => undefined);
        await cluster.execute("DELETE FROM bots WHERE bot_id = ?", [botId]).catch(() => undefined);
        throw err;
      }
      return admin.getBot(botId);
    },

    /** Changes the given fields only; variables are merged. */
    async updateBot(botId: string, fields: BotFields): Promise<BotRecord> {
      const row = await botRow(botId);
      if (!row) throw notFound(botId);
      const sets: string[] = [];
      const values: unknown[] = [];
      for (const [key, column] of Object.entries(COLUMN_OF)) {
        const value = fields[key as keyof typeof COLUMN_OF];
        if (value === undefined) continue;
        sets.push(`${column} = ?`);
        values.push(value === "" ? null : value);
      }
      if (fields.variables) {
        const current = toRecord(row, []).dynamicVariables;
        sets.push("dynamic_variables = ?");
        values.push(JSON.stringify(withoutEmpty({ ...current, ...fields.variables })));
      }
      if (fields.active !== undefined) {
        sets.push("active = ?");
        values.push(fields.active);
      }
      for (const [key, column] of overrides) {
        if (fields[key] === undefined) continue;
        sets.push(`${column} = ?`);
        values.push(fields[key]);
      }
      sets.push("updated_at = ?");
      values.push(sqlTimestamp(), botId);
      await cluster.execute(`UPDATE bots SET ${sets.join(", ")} WHERE bot_id = ?`, values);
      return admin.getBot(botId);
    },

    /** Deletes the bot and releases its DIDs; returns the DIDs released. */
    async removeBot(botId: string): Promise<string[]> {
      if (!(await botRow(botId))) throw notFound(botId);
      const dids = (await didsOf(botId)).map((d) => d.did);
      await master.execute("DELETE FROM did_numbers WHERE bot_id = ?", [botId]);
      await cluster.execute("DELETE FROM bots WHERE bot_id = ?", [botId]);
      return dids;
    },

    async assignDid(did: string, botId: string, businessId?: string): Promise<DidRecord> {
      if (!(await botRow(botId))) throw notFound(botId);
      await assertDidsFree([did]);
      try {
        await master.execute("INSERT INTO did_numbers (did, bot_id, business_id) VALUES (?, ?, ?)", [did, botId, businessId ?? null]);
      } catch (err) {
        if (isDuplicateKeyError(err)) await assertDidsFree([did]);
        throw err;
      }
      return { did, botId, businessId };
    },

    async listDids(botId?: string): Promise<DidRecord[]> {
      return didsOf(botId);
    },

    async removeDid(did: string): Promise<void> {
      const { affectedRows } = await master.execute("DELETE FROM did_numbers WHERE did = ?", [did]);
      if (affectedRows === 0) {
        throw new HomebookError("not_found", `DID ${did} is not assigned`, { fix: "list assigned numbers with 'homebook did list'" });
      }
    },

    /** Creates or renames a business. */
    async saveBusiness(businessId: string, name: string): Promise<void> {
      const upsert =
        master.dialect === "mysql"
          ? "INSERT INTO businesses (business_id, name) VALUES (?, ?) ON DUPLICATE KEY UPDATE name = VALUES(name)"
          : "INSERT INTO businesses (business_id, name) VALUES (?, ?) ON CONFLICT (business_id) DO UPDATE SET name = excluded.name";
      await master.execute(upsert, [businessId, name]);
    },
  };
  return admin;
}

export type BotAdmin = ReturnType<typeof createBotAdmin>;
