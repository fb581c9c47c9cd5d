/** The log PII rules: secrets redacted, phone numbers masked, customer content kept to debug lines. */
import { maskPhoneNumber } from "../base/phone-number.ts";
import type { LogLevel } from "../config/index.ts";

export type Fields = Record<string, unknown>;

/** Keys whose values are secrets: always replaced. */
const SECRET_KEY = /(token|secret|password|passwd|api_?key|authorization|signature|signed_?url|cookie)/i;

/** Keys holding phone numbers (compared without case, "_" or "-"): masked to the last 4 digits unless debug is on. */
const PHONE_KEYS = new Set([
  "did", "number", "phone", "phonenumber", "mobile", "msisdn", "caller", "callerid", "callernumber",
  "customernumber", "customerphone", "custnumber", "xcustnumber", "xdid", "fromnumber", "tonumber",
  "transferto", "transfernumber", "fallbacknumber", "exenumber", "agentphonenumber",
]);

/** Keys holding customer content (words, digits, names): only on debug-level lines. */
const PRIVATE_KEYS = new Set([
  "transcript", "text", "digit", "digits", "dtmf", "customername", "custname", "xcustname", "messagetext",
  "agentresponse", "usertranscript", "variables", "dynamicvariables", "prompt", "firstmessage",
]);

/** Secrets carried in URLs and headers inside any string value (Mcube ?token=, ElevenLabs signed URLs). */
const SECRET_IN_TEXT = /([?&](?:token|signature|conversation_signature|api_key|apikey|xi-api-key|key)=)[^&#\s"']+|(\bBearer\s+)[^\s"']+/gi;

/** Nested objects deeper than this are summarized rather than walked. */
const MAX_DEPTH = 6;

function keyName(key: string): string {
  return key.toLowerCase().replace(/[_\-\s]/g, "");
}

/** Replaces secrets found inside free text (URLs with tokens, bearer headers). */
export function scrubSecrets(text: string): string {
  return text.replace(SECRET_IN_TEXT, (_m, param?: string, bearer?: string) => `${param ?? bearer ?? ""}[redacted]`);
}

interface Rules {
  lineLevel: LogLevel;
  debugEnabled: boolean;
}

function serializeError(err: Error, withStack: boolean, rules: Rules, depth: number): Fields {
  const out: Fields = { name: err.name, message: scrubSecrets(err.message) };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (withStack && err.stack) out.stack = scrubSecrets(err.stack);
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error && depth < MAX_DEPTH) out.cause = serializeError(cause, withStack, rules, depth + 1);
  return out;
}

function cleanValue(value: unknown, rules: Rules, depth: number): unknown {
  if (typeof value === "string") return scrubSecrets(value);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Error) return serializeError(value, rules.lineLevel === "error" || rules.debugEnabled, rules, depth);
  if (depth >= MAX_DEPTH) return "[nested]";
  if (Array.isArray(value)) return value.map((v) => cleanValue(v, rules, depth + 1));
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  return cleanFields(value as Fields, rules, depth + 1);
}

function cleanFields(fields: Fields, rules: Rules, depth: number): Fields {
  const out: Fields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const name = keyName(key);
    if (SECRET_KEY.test(key)) {
      out[key] = "[redacted]";
    } else if (PHONE_KEYS.has(name)) {
      out[key] = rules.debugEnabled || value === null || typeof value === "object" ? cleanValue(value, rules, depth) : maskPhoneNumber(String(value));
    } else if (PRIVATE_KEYS.has(name)) {
      if (rules.lineLevel === "debug") out[key] = cleanValue(value, rules, depth);
    } else {
      out[key] = cleanValue(value, rules, depth);
    }
  }
  return out;
}

/**
 * Applies the log rules to a line's fields, nested objects included: secret keys → "[redacted]",
 * secrets inside strings scrubbed, phone keys → last 4 digits (whole when the logger runs at debug),
 * customer content (transcripts, digits, names, variables) dropped unless the line itself is debug.
 */
export function redactFields(fields: Fields, lineLevel: LogLevel, debugEnabled: boolean): Fields {
  return cleanFields(fields, { lineLevel, debugEnabled }, 0);
}
