/** `homebook bots add|update|list|remove`: the bots that answer DIDs, in whichever store is configured. */
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { loadConfig } from "../config/index.ts";
import { UsageError } from "../base/errors.ts";
import type { BotAdmin, BotFields, BotRecord } from "../store/bot-admin.ts";
import { phoneOption, withBotAdmin } from "../store/admin-session.ts";
import { parseCommandArgs } from "./args.ts";
import { explainStartError } from "./start-errors.ts";
import { announceBotChange } from "../cluster/bot-invalidation.ts";

export const usage = `Usage: homebook bots <add|update|list|remove> [options]

  add     --did D [--did D2 ...] --agent-id A [--bot-id ID] [--name N] [--company C]
          [--first-message TEXT] [--prompt-file FILE] [--language CODE] [--voice-id V]
          [--transfer-number N] [--fallback-number N] [--var key=value ...]
          [--recording on|off|default] [--mcp-approval approve|reject|default]
          [--business-id B [--business-name NAME]]
  update  --bot-id ID [same fields as add, without --did] [--enable | --disable]
          (an empty value clears a field; --var key= removes a variable)
  list    [--bot-id ID]
  remove  --bot-id ID          (also releases the bot's DIDs)

--recording on records the bot's calls, off never, default follows RECORDING (as a new bot does).
--mcp-approval answers the bot's MCP tools that ask for approval; default follows MCP_TOOL_APPROVAL.
Every command takes --json for machine-readable output. Without --bot-id, add generates an id
like bot_k3x9q2m7vd. Running gateways see changes at once when REDIS_URL is set (they share it),
else within BOT_CACHE_TTL_MS.`;

const FIELD_OPTIONS = {
  "agent-id": { type: "string" },
  name: { type: "string" },
  company: { type: "string" },
  "first-message": { type: "string" },
  "prompt-file": { type: "string" },
  language: { type: "string" },
  "voice-id": { type: "string" },
  "transfer-number": { type: "string" },
  "fallback-number": { type: "string" },
  var: { type: "string", multiple: true },
  recording: { type: "string" },
  "mcp-approval": { type: "string" },
} as const;
const COMMON = { json: { type: "boolean" }, help: { type: "boolean", short: "h" } } as const;
const BOT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const VARIABLE = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
const LANGUAGE = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$/;

/** A new bot id: "bot_" and 10 random base-36 characters. */
export function newBotId(): string {
  return `bot_${[...randomBytes(10)].map((b) => (b % 36).toString(36)).join("")}`;
}

/** Runs `work` against the configured store; an unusable HOMEBOOK_DB_PATH is reported naming the setting. */
export function withStore<T>(work: (admin: BotAdmin) => Promise<T>): Promise<T> {
  const config = loadConfig();
  return withBotAdmin(config, work).catch((err: unknown) => {
    throw explainStartError(err, config);
  });
}

/**
 * Tells the running gateways (through REDIS_URL) that these DIDs changed. The change is stored
 * already: when Redis cannot be reached this only warns, and gateways see it within BOT_CACHE_TTL_MS.
 */
export async function announce(dids: readonly string[]): Promise<void> {
  if ((await announceBotChange(loadConfig(), dids)) === "failed") {
    console.error("homebook: warning: could not reach Redis (REDIS_URL) to tell running gateways; they see the change within BOT_CACHE_TTL_MS");
  }
}

/** A required option, or a one-line UsageError with an example of it. */
export function required(command: string, values: Record<string, unknown>, name: string, example: string): string {
  const value = values[name];
  if (typeof value !== "string" || value.trim() === "") throw new UsageError(`${command}: --${name} is required, like --${name} ${example}`);
  return value.trim();
}

export function botIdOption(value: string): string {
  if (!BOT_ID.test(value)) throw new UsageError(`--bot-id ${JSON.stringify(value)} is not valid: use up to 64 letters, digits, '_', '.' or '-'`);
  return value;
}

type FieldValues = { [K in keyof typeof FIELD_OPTIONS]?: (typeof FIELD_OPTIONS)[K] extends { multiple: true } ? string[] : string };

/**
 * A bot's override of a global setting: one of `choices`, or "default" (null: follow `setting` again).
 * @example overrideOption("recording", "off", { on: true, off: false }, "RECORDING") // false
 */
function overrideOption<T>(option: string, value: string | undefined, choices: Record<string, T>, setting: string): T | null | undefined {
  if (value === undefined) return undefined;
  const key = value.trim().toLowerCase();
  if (key === "default") return null;
  if (Object.hasOwn(choices, key)) return choices[key];
  throw new UsageError(`--${option} ${JSON.stringify(value)} is not valid: use ${Object.keys(choices).join(", ")} or default (follow ${setting})`);
}

/** Reads the bot fields from parsed options, validating numbers, language, variables and the prompt file. */
function fieldsFrom(values: FieldValues): BotFields {
  const text = (v: string | undefined) => (v === undefined ? undefined : v.trim());
  const phone = (option: "transfer-number" | "fallback-number") => {
    const v = text(values[option]);
    return v === undefined || v === "" ? v : phoneOption(option, v);
  };
  const language = text(values.language);
  if (language && !LANGUAGE.test(language)) {
    throw new UsageError(`--language ${JSON.stringify(language)} is not a language code: use one like en, hi or pt-br`);
  }
  let prompt: string | undefined;
  const promptFile = values["prompt-file"];
  if (promptFile !== undefined) {
    try {
      prompt = promptFile === "" ? "" : readFileSync(promptFile, "utf8");
    } catch (err) {
      throw new UsageError(`--prompt-file ${JSON.stringify(promptFile)} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"}): give the path of a text file`);
    }
  }
  let variables: Record<string, string> | undefined;
  for (const item of values.var ?? []) {
    const match = VARIABLE.exec(item);
    if (!match) throw new UsageError(`--var ${JSON.stringify(item)} is not key=value: use a name of letters, digits and '_', like --var city=Pune`);
    variables = { ...variables, [match[1]!]: match[2]! };
  }
  return {
    agentId: text(values["agent-id"]),
    name: text(values.name),
    companyName: text(values.company),
    firstMessage: values["first-message"],
    prompt,
    language,
    voiceId: text(values["voice-id"]),
    transferNumber: phone("transfer-number"),
    fallbackNumber: phone("fallback-number"),
    variables,
    recording: overrideOption("recording", values.recording, { on: true, off: false }, "RECORDING"),
    mcpApproval: overrideOption("mcp-approval", values["mcp-approval"], { approve: "approve", reject: "reject" } as const, "MCP_TOOL_APPROVAL"),
  };
}

function summary(bot: BotRecord): string {
  const state = bot.invalid ? `INVALID (${bot.invalid})` : bot.active ? "active" : "disabled";
  const recording = bot.recording === undefined ? "" : `\trecording ${bot.recording ? "on" : "off"}`;
  const mcp = bot.mcpApproval === undefined ? "" : `\tmcp ${bot.mcpApproval}`;
  return `${bot.botId}\t${bot.name}\tagent ${bot.agentId}\t${state}\tDIDs: ${bot.dids.join(", ") || "none"}${recording}${mcp}`;
}

async function add(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("bots add", argv, {
    ...FIELD_OPTIONS,
    ...COMMON,
    did: { type: "string", multiple: true },
    "bot-id": { type: "string" },
    "business-id": { type: "string" },
    "business-name": { type: "string" },
  });
  if (values.help) return help();
  if (!values.did?.length) throw new UsageError("bots add: --did is required, like --did 8040001234 (the number callers dial)");
  const dids = [...new Set(values.did.map((d) => phoneOption("did", d)))];
  const agentId = required("bots add", values, "agent-id", "agent_7a1b2c (the ElevenLabs agent id)");
  const botId = values["bot-id"] === undefined ? newBotId() : botIdOption(values["bot-id"]);
  const fields = { ...fieldsFrom(values), agentId };
  const businessId = values["business-id"]?.trim() || undefined;
  if (values["business-name"] && !businessId) throw new UsageError("bots add: --business-name needs --business-id");
  const bot = await withStore(async (admin) => {
    if (businessId && values["business-name"]) await admin.saveBusiness(businessId, values["business-name"].trim());
    return admin.addBot(botId, fields, dids, businessId);
  });
  await announce(bot.dids);
  console.log(values.json ? JSON.stringify(bot, null, 2) : `added ${summary(bot)}`);
  return 0;
}

async function update(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("bots update", argv, {
    ...FIELD_OPTIONS,
    ...COMMON,
    "bot-id": { type: "string" },
    enable: { type: "boolean" },
    disable: { type: "boolean" },
  });
  if (values.help) return help();
  const botId = botIdOption(required("bots update", values, "bot-id", "bot_k3x9q2m7vd (see 'homebook bots list')"));
  if (values.enable && values.disable) throw new UsageError("bots update: give --enable or --disable, not both");
  const fields: BotFields = { ...fieldsFrom(values), active: values.enable ? true : values.disable ? false : undefined };
  if (fields.agentId === "") throw new UsageError("bots update: --agent-id cannot be empty: every bot needs an ElevenLabs agent");
  if (Object.values(fields).every((v) => v === undefined)) {
    throw new UsageError("bots update: nothing to change: give at least one field, like --agent-id or --disable");
  }
  const bot = await withStore((admin) => admin.updateBot(botId, fields));
  await announce(bot.dids);
  console.log(values.json ? JSON.stringify(bot, null, 2) : `updated ${summary(bot)}`);
  return 0;
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("bots list", argv, { ...COMMON, "bot-id": { type: "string" } });
  if (values.help) return help();
  const botId = values["bot-id"] === undefined ? undefined : botIdOption(values["bot-id"]);
  const bots = await withStore(async (admin) => (botId ? [await admin.getBot(botId)] : admin.listBots()));
  if (values.json) console.log(JSON.stringify(bots, null, 2));
  else if (bots.length === 0) console.log("no bots yet: add one with 'homebook bots add --did D --agent-id A'");
  else for (const bot of bots) console.log(summary(bot));
  return 0;
}

async function remove(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("bots remove", argv, { ...COMMON, "bot-id": { type: "string" } });
  if (values.help) return help();
  const botId = botIdOption(required("bots remove", values, "bot-id", "bot_k3x9q2m7vd (see 'homebook bots list')"));
  const released = await withStore((admin) => admin.removeBot(botId));
  await announce(released);
  console.log(values.json ? JSON.stringify({ botId, releasedDids: released }) : `removed ${botId}; released DIDs: ${released.join(", ") || "none"}`);
  return 0;
}

function help(): number {
  console.log(usage);
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { add, update, list, remove };

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") return help();
  const command = SUBCOMMANDS[sub];
  if (!command) throw new UsageError(`bots: unknown subcommand '${sub}': use add, update, list or remove`);
  return command(rest);
}
