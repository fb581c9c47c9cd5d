/** `homebook webhook test`: sends a signed sample post-call webhook and prints the receiver's answer. */
import { loadConfig } from "../config/index.ts";
import { UsageError } from "../base/errors.ts";
import type { CallRecord, TranscriptTurn } from "../call/call-record.ts";
import { postCallBody } from "../webhook/webhook-payload.ts";
import { sendWebhook } from "../webhook/webhook-sender.ts";
import { SIGNATURE_HEADER } from "../webhook/webhook-signature.ts";
import { parseCommandArgs } from "./args.ts";

export const usage = `Usage: homebook webhook test [--url URL] [--timeout-ms 10000] [--json]

Sends one sample post-call webhook (session_id "webhook-test-<time>", a two-line transcript), signed
with POST_CALL_WEBHOOK_SECRET, to POST_CALL_WEBHOOK_URL or --url, and prints what the receiver
answered: its status, how long it took and the start of its body. Nothing is queued or retried.
Exit 0 when the receiver answered 2xx, 1 for any other answer or none, 2 for bad input.`;

const MIN_TIMEOUT_MS = 100;
const MAX_TIMEOUT_MS = 120_000;

function parseUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.protocol === "http:" || url.protocol === "https:") return raw;
  } catch {
    // reported below
  }
  throw new UsageError(`webhook test: ${JSON.stringify(raw)} is not an http:// or https:// URL`, "give the receiver's full URL, e.g. --url https://crm.example.com/homebook");
}

function parseTimeout(raw: string | undefined): number {
  if (raw === undefined) return 10_000;
  const ms = Number(raw);
  if (!/^\d+$/.test(raw) || ms < MIN_TIMEOUT_MS || ms > MAX_TIMEOUT_MS) {
    throw new UsageError(`webhook test: --timeout-ms must be a whole number from ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}, got ${JSON.stringify(raw)}`);
  }
  return ms;
}

/** A finished call that never happened, shaped like a real one. */
function sampleCall(nowMs: number): { record: CallRecord; transcript: TranscriptTurn[] } {
  const record: CallRecord = {
    sessionId: `webhook-test-${nowMs}`,
    callId: `webhook-test-${nowMs}`,
    did: "8040001234",
    botId: "bot_sample",
    agentId: "agent_sample",
    customerNumber: "9876543210",
    startedAt: nowMs - 42_000,
    endedAt: nowMs,
    durationMs: 42_000,
    endReason: "agent_end_call",
    framesIn: 2100,
    framesOut: 1900,
    interruptions: 0,
  };
  const transcript: TranscriptTurn[] = [
    { role: "agent", text: "Namaste, this is a sample call from Homebook.", offsetMs: 600 },
    { role: "user", text: "Thanks, the webhook works.", offsetMs: 4200 },
  ];
  return { record, transcript };
}

async function testCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("webhook test", argv, {
    url: { type: "string" },
    "timeout-ms": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const config = loadConfig();
  const url = values.url !== undefined ? parseUrl(values.url) : config.webhook?.url;
  if (!url) throw new UsageError("webhook test: no receiver: POST_CALL_WEBHOOK_URL is not set", "set POST_CALL_WEBHOOK_URL (and POST_CALL_WEBHOOK_SECRET) in .env or the environment, or pass --url");
  const secret = config.webhook?.secret ?? process.env.POST_CALL_WEBHOOK_SECRET?.trim();
  if (!secret) throw new UsageError("webhook test: POST_CALL_WEBHOOK_SECRET is not set: every webhook is signed with it", "set POST_CALL_WEBHOOK_SECRET (16+ characters, e.g. `openssl rand -hex 32`) in .env or the environment");
  if (secret.length < 16) throw new UsageError("webhook test: POST_CALL_WEBHOOK_SECRET is shorter than 16 characters", "use a longer secret, e.g. the output of `openssl rand -hex 32`");
  const timeoutMs = parseTimeout(values["timeout-ms"]);

  const { record, transcript } = sampleCall(Date.now());
  const body = postCallBody(record, transcript, config.publicBaseUrl);
  const result = await sendWebhook({ url, secret, body, timeoutMs });
  if (values.json) {
    console.log(JSON.stringify({ session_id: record.sessionId, ok: result.ok, status: result.status ?? null, duration_ms: result.durationMs, error: result.error ?? null, response: result.responseText }));
  } else {
    console.log(`POST ${url}  (sample call ${record.sessionId})`);
    console.log(`${SIGNATURE_HEADER}: ${result.signature}`);
    console.log(result.status === undefined ? `no answer after ${result.durationMs} ms: ${result.error}` : `answered ${result.status} in ${result.durationMs} ms`);
    if (result.responseText) console.log(result.responseText);
    if (!result.ok && result.status !== undefined) console.log(result.error);
  }
  return result.ok ? 0 : 1;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    console.log(usage);
    return 0;
  }
  if (sub !== "test") throw new UsageError(`webhook: unknown subcommand '${sub}': use test`, "run 'homebook webhook --help'");
  return testCommand(rest);
}
