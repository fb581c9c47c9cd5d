/** `homebook outbound`: a CSV campaign of outbound calls through Mcube's REST API, resumable. */
import { readFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { loadConfig, type Config } from "../config/index.ts";
import { HomebookError, UsageError } from "../base/errors.ts";
import { createLogger } from "../log/logger.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import { openDatabases } from "../store/open-databases.ts";
import { type SqlDatabase } from "../store/sql.ts";
import { isMissingSchemaError } from "../store/sql-values.ts";
import { createOutboundAttemptStore } from "../store/outbound-attempts.ts";
import { parseCommandArgs } from "./args.ts";
import { CampaignState } from "../outbound/campaign-state.ts";
import { runCampaign } from "../outbound/campaign.ts";
import { readContacts, type ContactList } from "../outbound/contacts.ts";
import { parseCsv } from "../outbound/csv.ts";
import { createMcubeApiClient } from "../outbound/mcube-api-client.ts";
import { createProgressReporter } from "../outbound/progress.ts";
import { statusWebhookUrl } from "../outbound/refurl.ts";
import { writeResultsCsv } from "../outbound/results-csv.ts";
import { DEFAULT_RETRY_POLICY } from "../outbound/retry.ts";
import { parseRate } from "../outbound/token-bucket.ts";
import { formatValidationReport } from "../outbound/validation-report.ts";

export const usage = `Usage: homebook outbound --csv contacts.csv --did 8000000000 [options]

Places outbound calls through Mcube's REST API (MCUBE_API_URL/MCUBE_OUTBOUND_PATH, MCUBE_API_TOKEN).
The CSV needs a 'number' column; 'name' is optional; every other column becomes a dynamic variable
the bot receives when that call connects. Bad numbers are reported with their line, duplicates dropped.

Options:
  --csv FILE          contacts to call (RFC 4180 CSV with a header line)
  --did NUMBER        the Mcube DID (exenumber) the calls come from
  --rate N/s          requests per second (or N/m, N/h); default 2/s
  --concurrency N     requests in flight at once; default 5
  --out FILE          results CSV; default <csv name>.results.csv beside the CSV
  --resume FILE       continue a stopped campaign from its state file (<out>.state.jsonl);
                      nobody who was already dialed is dialed again
  --dry-run           validate and report, dial nobody
  -y, --yes           do not ask for confirmation on a terminal
  -h, --help          show this help

Ctrl-C stops cleanly: requests in flight finish, the results CSV is written, and the command
prints how to resume. Exit codes: 0 done, 1 failed, 2 bad options or settings, 130 interrupted.`;

const COMMAND = "outbound";
const OPTIONS = {
  csv: { type: "string" },
  did: { type: "string" },
  rate: { type: "string" },
  concurrency: { type: "string" },
  out: { type: "string" },
  resume: { type: "string" },
  "dry-run": { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  help: { type: "boolean", short: "h" },
} as const;

const HELP_FIX = "run 'homebook outbound --help' for the options";

function parseConcurrency(text: string | undefined): number {
  if (text === undefined) return 5;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new UsageError(`outbound: --concurrency ${JSON.stringify(text)} is not a whole number from 1 to 100`, HELP_FIX);
  return n;
}

function parseDid(text: string): string {
  const did = normalizePhoneNumber(text);
  if (!did) throw new UsageError(`outbound: --did ${JSON.stringify(text)} is not a 10-digit number`, "pass the Mcube DID the calls come from, like --did 8000000000");
  return did;
}

function loadContacts(csvPath: string): ContactList {
  let text: string;
  try {
    text = readFileSync(csvPath, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`outbound: cannot read ${csvPath}${reason ? ` (${reason})` : ""}`, "check the --csv path: it must be a readable CSV file");
  }
  try {
    return readContacts(parseCsv(text));
  } catch (err) {
    if (err instanceof HomebookError && err.code === "invalid_input") throw new UsageError(`outbound: ${csvPath}: ${err.message}`, "fix the CSV and run again");
    throw err;
  }
}

function requireApiToken(config: Config): string {
  if (!config.mcube.apiToken) {
    throw new UsageError("outbound: MCUBE_API_TOKEN is not set", "set MCUBE_API_TOKEN in .env or the environment to the token from Mcube's API settings");
  }
  return config.mcube.apiToken;
}

/** Where the campaign's files are, and the state being resumed (if any). */
function resolveCampaign(values: { csv?: string; did?: string; out?: string; resume?: string }) {
  if (values.resume) {
    const resumed = CampaignState.open(resolve(values.resume));
    const did = values.did === undefined ? resumed.header.did : parseDid(values.did);
    if (did !== resumed.header.did) {
      throw new UsageError("outbound: --did differs from the DID of the campaign being resumed", "leave --did out when resuming, or start a new campaign");
    }
    return { resumed, header: resumed.header, csvPath: values.csv ? resolve(values.csv) : resumed.header.csv };
  }
  if (!values.csv) throw new UsageError("outbound: --csv is required", HELP_FIX);
  if (!values.did) throw new UsageError("outbound: --did is required", HELP_FIX);
  const csvPath = resolve(values.csv);
  const name = basename(csvPath, extname(csvPath));
  const out = values.out ? resolve(values.out) : join(dirname(csvPath), `${name}.results.csv`);
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const header = { campaign: `cmp-${stamp}-${name}`.slice(0, 120), did: parseDid(values.did), csv: csvPath, out, createdAt: new Date().toISOString() };
  return { resumed: undefined, header, csvPath };
}

/** Fails before anything is dialed when the attempts table cannot be written (not migrated, database down). */
async function checkAttemptsTable(db: SqlDatabase): Promise<void> {
  try {
    await db.query("SELECT refid FROM outbound_attempts WHERE refid = ?", ["probe"]);
  } catch (err) {
    if (isMissingSchemaError(err)) throw new UsageError("outbound: the outbound_attempts table does not exist", "run 'homebook db migrate', then start the campaign again");
    const fix = err instanceof HomebookError && err.fix ? `: ${err.fix}` : "";
    throw new HomebookError("store_unavailable", `outbound: cannot reach the store, nothing was dialed (${(err as Error).message})${fix}`, { cause: err });
  }
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(COMMAND, argv, OPTIONS);
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const dryRun = values["dry-run"] === true;
  const rate = parseRate(values.rate ?? "2/s");
  const concurrency = parseConcurrency(values.concurrency);
  const config = loadConfig();
  // Options first: a missing --csv is reported before settings the command would need later.
  const { resumed, header, csvPath } = resolveCampaign(values);
  const token = dryRun ? "" : requireApiToken(config);
  const out = values.resume && values.out ? resolve(values.out) : header.out;
  const statePath = `${out}.state.jsonl`;
  if (!resumed && !dryRun) CampaignState.assertAbsent(statePath);
  const list = loadContacts(csvPath);
  process.stdout.write(formatValidationReport(list, csvPath));
  const already = resumed ? list.contacts.filter((c) => resumed.isFinished(c.number)).length : 0;
  const toDial = list.contacts.length - already;
  if (already > 0) console.log(`  ${already} already dialed in the earlier run (not dialed again)`);

  if (dryRun) {
    console.log(`dry run: would dial ${toDial} contact${toDial === 1 ? "" : "s"} at ${rate.text}, ${concurrency} at a time; nothing was sent`);
    return 0;
  }
  const did = header.did;
  if (!config.mcube.refUrl) {
    console.log("note: MCUBE_REFURL is unset, so Mcube posts call status to the URL set in its own panel; CSV variables reach the bot only if that URL is this gateway's /mcube/refurl");
  }
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (toDial > 0 && interactive && !values.yes) {
    if (!(await confirm(`Dial ${toDial} contact${toDial === 1 ? "" : "s"} at ${rate.text}? [y/N] `))) {
      console.log("nobody was dialed");
      return 0;
    }
  }

  const logger = createLogger({ level: config.log.level, file: config.log.file, maxBytes: config.log.maxBytes, files: config.log.files, stdout: "none" });
  const dbs = await openDatabases(config, logger);
  let state: CampaignState;
  try {
    await checkAttemptsTable(dbs.cluster);
    // Created only once the CSV and the store are known good: a failed start leaves nothing to --resume.
    state = resumed ?? CampaignState.create(statePath, header);
  } catch (err) {
    await dbs.close();
    logger.close();
    throw err;
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write("\nstopping: waiting for requests in flight (Ctrl-C again to quit at once)\n");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  const progress = createProgressReporter({ write: (t) => process.stderr.write(t), tty: process.stderr.isTTY === true });
  try {
    const outcome = await runCampaign({
      contacts: list.contacts,
      did,
      state,
      store: createOutboundAttemptStore(dbs.cluster),
      client: createMcubeApiClient({ apiUrl: config.mcube.apiUrl, outboundPath: config.mcube.outboundPath, token, refUrl: statusWebhookUrl(config) }),
      ratePerSecond: rate.perSecond,
      concurrency,
      retry: DEFAULT_RETRY_POLICY,
      logger: logger.child({ campaign: state.header.campaign }),
      signal: controller.signal,
      onProgress: (p) => progress.update(p),
    });
    progress.finish(outcome.progress);
    writeResultsCsv(out, list, state);
    const p = outcome.progress;
    console.log(`results: ${out} (placed ${p.placed}, rejected ${p.rejected}, failed ${p.failed}${p.unknown ? `, unknown ${p.unknown}` : ""})`);
    if (outcome.stoppedBecause) {
      console.error(`homebook: outbound stopped: ${outcome.stoppedBecause}\nfix MCUBE_API_TOKEN, then continue with: homebook outbound --resume ${state.path}`);
      return 1;
    }
    if (outcome.interrupted) {
      console.log(`interrupted: ${p.total - p.done} not dialed yet; continue with: homebook outbound --resume ${state.path}`);
      return 130;
    }
    return 0;
  } finally {
    process.off("SIGINT", onSigint);
    await dbs.close();
    logger.close();
  }
}
