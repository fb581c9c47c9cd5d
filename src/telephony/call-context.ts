/** Reads the call-context headers (X-BID, X-Agent-id, X-CustNumber, X-CustName, X-DID) from wherever Mcube put them. */
import type { StartFrame } from "./mcube-protocol.ts";

export interface CallContext {
  businessId?: string;
  agentId?: string;
  customerNumber?: string;
  customerName?: string;
  did?: string;
}

/** Context field → header name, compared case-insensitively. */
const HEADERS: ReadonlyArray<[keyof CallContext, string]> = [
  ["businessId", "x-bid"],
  ["agentId", "x-agent-id"],
  ["customerNumber", "x-custnumber"],
  ["customerName", "x-custname"],
  ["did", "x-did"],
];

type Source = Headers | Record<string, unknown> | undefined;

function lookup(source: Source, name: string): string | undefined {
  if (!source) return undefined;
  if (source instanceof Headers) return source.get(name)?.trim() || undefined;
  for (const [key, value] of Object.entries(source)) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === "string" && value.trim() !== "") return value.trim();
    if (typeof value === "number") return String(value);
  }
  return undefined;
}

/**
 * `extra_headers` as Mcube sends it: a JSON object, a JSON string of one, or `k=v` pairs separated
 * by `;` or `,`. Returns {} for anything else.
 * @example parseExtraHeaders("X-DID=8040001234;X-BID=7") // { "X-DID": "8040001234", "X-BID": "7" }
 */
export function parseExtraHeaders(value: unknown): Record<string, unknown> {
  if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  if (typeof value !== "string" || value.trim() === "") return {};
  const text = value.trim();
  if (text.startsWith("{")) {
    try {
      const json: unknown = JSON.parse(text);
      return json && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
    } catch {
      // not JSON after all: fall through to k=v parsing
    }
  }
  const out: Record<string, unknown> = {};
  for (const pair of text.split(/[;,]/)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** The sources in contract order: upgrade headers, then start.customParameters / start.headers, then extra_headers. */
export function contextSources(upgrade: Headers | undefined, start: StartFrame | undefined): Source[] {
  return [upgrade, start?.start.customParameters, start?.start.headers, parseExtraHeaders(start?.extra_headers)];
}

/** First value found wins, per field, in the order of `sources`. */
export function extractCallContext(sources: readonly Source[]): CallContext {
  const context: CallContext = {};
  for (const [field, header] of HEADERS) {
    for (const source of sources) {
      const value = lookup(source, header);
      if (value !== undefined) {
        context[field] = value;
        break;
      }
    }
  }
  return context;
}
