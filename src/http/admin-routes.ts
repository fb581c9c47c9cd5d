/** The admin API: live and finished calls, and /metrics, behind `Authorization: Bearer $ADMIN_TOKEN`. */
import type { Context, MiddlewareHandler } from "hono";
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import type { LiveCall } from "../call/call-record.ts";
import { HomebookError } from "../base/errors.ts";
import { metrics, type Registry } from "../metrics/registry.ts";
import { collectProcessMetrics } from "../metrics/process-metrics.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import type { CallListFilter, CallPage, StoredCall } from "../store/call-records-sql.ts";
import type { RouteMount } from "./app.ts";
import { bearerToken, safeEqual } from "./auth.ts";

/** What the admin API reads about live calls (the CallManager, or on a cluster every gateway's through Redis). */
export interface LiveCallSource {
  readonly activeCount: number;
  live(): LiveCall[] | Promise<LiveCall[]>;
  get(sessionId: string): LiveCall | undefined | Promise<LiveCall | undefined>;
  stats(): { agentConnectionsInUse: number; waitingForAgent: number };
}

/** What the admin API reads about finished calls (the CallRecorder provides it). */
export interface FinishedCallSource {
  get(sessionId: string): Promise<StoredCall | undefined>;
  list(filter: CallListFilter): Promise<CallPage>;
}

export interface AdminRoutesOptions {
  config: Config;
  logger: Logger;
  calls: LiveCallSource;
  records?: FinishedCallSource;
  registry?: Registry;
}


/** Gauges set from the call manager at each scrape (the bridge declares them; created here if it did not). */
const SCRAPE_GAUGES: readonly [name: string, help: string, read: (calls: LiveCallSource) => number][] = [
  ["homebook_active_calls", "Calls currently bridged.", (calls) => calls.activeCount],
  ["homebook_agent_connections_in_use", "Agent conversations holding an ELEVENLABS_MAX_CONNECTIONS slot.", (calls) => calls.stats().agentConnectionsInUse],
  ["homebook_agent_connections_waiting", "Callers waiting for an agent connection slot.", (calls) => calls.stats().waitingForAgent],
];

/** Query parameters that turn GET /calls from live calls into the finished-call history. */
const HISTORY_PARAMS = ["since", "until", "did", "search", "bot_id", "end_reason", "limit", "cursor"] as const;

/** `Authorization: Bearer $ADMIN_TOKEN`, compared in constant time; 503 while ADMIN_TOKEN is unset. */
export function adminAuth(adminToken: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!adminToken) {
      return c.json({ error: "the admin API is off: set ADMIN_TOKEN (16+ characters, e.g. `openssl rand -hex 16`) and restart" }, 503);
    }
    if (!safeEqual(bearerToken(c.req.raw.headers) ?? "", adminToken)) {
      c.header("WWW-Authenticate", 'Bearer realm="homebook"');
      return c.json({ error: "unauthorized: send Authorization: Bearer <ADMIN_TOKEN>" }, 401);
    }
    await next();
  };
}

/** camelCase keys to snake_case, as every other Homebook JSON answer spells them. */
function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`)] = snakeKeys(v);
  return out;
}

/** A live call with its numbers in the one normalized form, as stored records have them. */
function normalizedLive(call: LiveCall): LiveCall {
  const norm = (n: string | undefined) => (n === undefined ? undefined : (normalizePhoneNumber(n) ?? n));
  return { ...call, did: norm(call.did), customerNumber: norm(call.customerNumber), transferTo: norm(call.transferTo) };
}

/** Epoch milliseconds or an ISO-8601 date/time. */
function parseTime(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw new HomebookError("invalid_input", `${name} must be epoch milliseconds or an ISO-8601 time like 2025-01-31T09:00:00Z`);
  return ms;
}

function parseFilter(c: Context): CallListFilter {
  const q = (name: string) => c.req.query(name) || undefined;
  const limit = q("limit");
  if (limit !== undefined && !/^\d+$/.test(limit)) throw new HomebookError("invalid_input", "limit must be a whole number from 1 to 500");
  return {
    since: parseTime("since", q("since")),
    until: parseTime("until", q("until")),
    did: q("did"),
    search: q("search"),
    botId: q("bot_id"),
    endReason: q("end_reason") as CallListFilter["endReason"],
    limit: limit === undefined ? undefined : Number(limit),
    cursor: q("cursor"),
  };
}

/**
 * Mounts GET /calls, GET /calls/:sessionId and GET /metrics. Pass the result in `startGateway({ routes })`.
 * Phone numbers are returned whole: the caller is authenticated as the operator. They are never logged.
 */
export function adminRoutes({ config, logger, calls, records, registry = metrics }: AdminRoutesOptions): RouteMount {
  if (registry === metrics) collectProcessMetrics({ registry });

  const storeFailed = (c: Context, err: unknown) => {
    if (err instanceof HomebookError && err.code === "invalid_input") return c.json({ error: err.message }, 400);
    logger.warn("admin call query failed", { path: c.req.path, err });
    return c.json({ error: "the call record store is unavailable; try again shortly" }, 503);
  };

  return (app) => {
    const auth = adminAuth(config.adminToken);

    app.get("/calls", auth, async (c) => {
      const history = HISTORY_PARAMS.some((p) => c.req.query(p) !== undefined);
      if (!history) {
        const live = (await calls.live()).map(normalizedLive);
        return c.json({ live: true, count: live.length, calls: snakeKeys(live) });
      }
      if (!records) return c.json({ error: "call records are not kept by this gateway" }, 503);
      try {
        const page = await records.list(parseFilter(c));
        return c.json({ live: false, count: page.calls.length, calls: snakeKeys(page.calls), next_cursor: page.nextCursor ?? null });
      } catch (err) {
        return storeFailed(c, err);
      }
    });

    app.get("/calls/:sessionId", auth, async (c) => {
      const sessionId = c.req.param("sessionId");
      const live = await calls.get(sessionId);
      if (live) return c.json({ status: "live", call: snakeKeys(normalizedLive(live)) });
      try {
        const finished = await records?.get(sessionId);
        if (finished) return c.json({ status: "finished", call: snakeKeys(finished) });
      } catch (err) {
        return storeFailed(c, err);
      }
      return c.json({ error: "no live or recorded call with this session id" }, 404);
    });

    app.get("/metrics", auth, (c) => {
      for (const [name, help, read] of SCRAPE_GAUGES) registry.setGauge(name, help, read(calls));
      return c.body(registry.render(), 200, { "content-type": registry.contentType });
    });
  };
}
