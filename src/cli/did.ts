/** `homebook did assign|list|remove`: which bot answers each dialled number. */
import { UsageError } from "../base/errors.ts";
import { phoneOption } from "../store/admin-session.ts";
import type { DidRecord } from "../store/bot-admin.ts";
import { parseCommandArgs } from "./args.ts";
import { announce, botIdOption, required, withStore } from "./bots.ts";

export const usage = `Usage: homebook did <assign|list|remove> [options]

  assign  --did D --bot-id ID [--business-id B [--business-name NAME]]
  list    [--bot-id ID]
  remove  --did D

Numbers are stored as their last 10 digits: +91 80 4000 1234, 918040001234 and 08040001234 are
the same DID. Every command takes --json. Running gateways see changes at once when REDIS_URL is
set (they share it), else within BOT_CACHE_TTL_MS.`;

const COMMON = { json: { type: "boolean" }, help: { type: "boolean", short: "h" } } as const;

function line(d: DidRecord): string {
  const business = d.businessId ? `\tbusiness ${d.businessId}${d.businessName ? ` (${d.businessName})` : ""}` : "";
  return `${d.did}\t${d.botId}${business}`;
}

async function assign(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("did assign", argv, {
    ...COMMON,
    did: { type: "string" },
    "bot-id": { type: "string" },
    "business-id": { type: "string" },
    "business-name": { type: "string" },
  });
  if (values.help) return help();
  const did = phoneOption("did", required("did assign", values, "did", "8040001234"));
  const botId = botIdOption(required("did assign", values, "bot-id", "bot_k3x9q2m7vd (see 'homebook bots list')"));
  const businessId = values["business-id"]?.trim() || undefined;
  if (values["business-name"] && !businessId) throw new UsageError("did assign: --business-name needs --business-id");
  const record = await withStore(async (admin) => {
    if (businessId && values["business-name"]) await admin.saveBusiness(businessId, values["business-name"].trim());
    return admin.assignDid(did, botId, businessId);
  });
  await announce([did]);
  console.log(values.json ? JSON.stringify(record) : `assigned ${line(record)}`);
  return 0;
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("did list", argv, { ...COMMON, "bot-id": { type: "string" } });
  if (values.help) return help();
  const botId = values["bot-id"] === undefined ? undefined : botIdOption(values["bot-id"]);
  const dids = await withStore(async (admin) => {
    if (botId) await admin.getBot(botId); // an unknown (mistyped) bot is an error, not "no DIDs"
    return admin.listDids(botId);
  });
  if (values.json) console.log(JSON.stringify(dids, null, 2));
  else if (dids.length === 0) console.log("no DIDs assigned: assign one with 'homebook did assign --did D --bot-id ID'");
  else for (const d of dids) console.log(line(d));
  return 0;
}

async function remove(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("did remove", argv, { ...COMMON, did: { type: "string" } });
  if (values.help) return help();
  const did = phoneOption("did", required("did remove", values, "did", "8040001234"));
  await withStore((admin) => admin.removeDid(did));
  await announce([did]);
  console.log(values.json ? JSON.stringify({ did, removed: true }) : `removed ${did}`);
  return 0;
}

function help(): number {
  console.log(usage);
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { assign, list, remove };

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") return help();
  const command = SUBCOMMANDS[sub];
  if (!command) throw new UsageError(`did: unknown subcommand '${sub}': use assign, list or remove`);
  return command(rest);
}
