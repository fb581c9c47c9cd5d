/** The operator console at /console: sign-in with ADMIN_TOKEN, then Live, History, Overview and call pages, server-rendered. */
/** @jsxImportSource hono/jsx */
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { systemClock, type Clock } from "../base/clock.ts";
import { HomebookError } from "../base/errors.ts";
import type { RouteMount } from "../http/app.ts";
import { safeEqual } from "../http/auth.ts";
import { ConsoleSessions, SESSION_COOKIE, sessionCookie } from "./console-session.ts";
import { recordingRoute } from "./recording-route.ts";
import type { Logger } from "../log/logger.ts";
import { metrics, type Registry } from "../metrics/registry.ts";
import type { RecordingFiles } from "../recording/recordings.ts";
import { findAsset } from "./assets.ts";
import { CallPage, type CallView } from "./call-page.tsx";
import { readHistogram } from "./histograms.ts";
import { HistoryPage, historyFilter, type HistoryQuery } from "./history-page.tsx";
import { html, MessagePage } from "./layout.tsx";
import { liveEvents } from "./live-events.ts";
import { LivePage, liveSnapshot } from "./live-page.tsx";
import { OVERVIEW_WINDOW_MS, OverviewPage, overviewRefreshMs } from "./overview-page.tsx";
import { ConsoleOffPage, SignInPage, WRONG_TOKEN_MESSAGE } from "./sign-in-page.tsx";
import type { CallHistory, LiveCalls } from "./sources.ts";

export interface ConsoleOptions {
  /** ADMIN_TOKEN: the console is off (404 and a page saying how to turn it on) without it. */
  adminToken?: string;
  logger: Logger;
  live: LiveCalls;
  history?: CallHistory;
  recordings?: RecordingFiles;
  /** Bot ids offered by the history's bot filter. */
  botIds?: () => Promise<string[]>;
  registry?: Registry;
  clock?: Clock;
  /** Between live updates (default 500 ms). */
  liveIntervalMs?: number;
}

/** Pages carry call data: never cached, never framed, scripts and styles only from here. */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** Where to go after signing in: a console path, never another site. */
function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/console(\/[^/\\]|$|\?)/.test(next) ? next : "/console";
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https";
}

/** Sends a rendered page with the time it took in Server-Timing. */
function page(c: Context, startedMs: number, body: Parameters<typeof html>[0], status: 200 | 400 | 401 | 404 | 503 = 200): Response {
  const text = html(body);
  c.header("server-timing", `render;dur=${(performance.now() - startedMs).toFixed(1)}`);
  return c.html(text, status);
}

/**
 * Mounts /console and GET /calls/{id}/recording. Pass the result in `startGateway({ routes })`.
 * Phone numbers and transcripts are shown whole (the operator signed in) and never logged.
 */
export function consoleRoutes({ adminToken, logger, live, history, recordings, botIds, registry = metrics, clock = systemClock, liveIntervalMs }: ConsoleOptions): RouteMount {
  const sessions = adminToken ? new ConsoleSessions({ adminToken, clock }) : undefined;
  const mountRecording = recordings ? recordingRoute({ files: recordings, adminToken, sessions }) : undefined;
  const events = liveEvents({ live, clock, logger, intervalMs: liveIntervalMs });

  return (app) => {
    mountRecording?.(app);
    app.get("/console/assets/:name", (c) => {
      const asset = findAsset(c.req.param("name"));
      if (!asset) return c.text("not found", 404);
      return c.body(asset.body, 200, { "content-type": asset.type, "cache-control": "public, max-age=86400", "x-content-type-options": "nosniff" });
    });
    const secure: MiddlewareHandler = async (c, next) => {
      await next();
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    };
    app.use("/console", secure);
    app.use("/console/*", secure);

    if (!sessions) {
      const off = (c: Context) => page(c, performance.now(), <ConsoleOffPage />, 404);
      app.get("/console", off);
      app.all("/console/*", off);
      return;
    }

    const signedIn = (c: Context) => sessions.valid(sessionCookie(c));
    /** Pages behind the sign-in: without a session, the sign-in form remembers where the operator was going. */
    const guard: MiddlewareHandler = async (c, next) => {
      if (signedIn(c)) return next();
      const url = new URL(c.req.url);
      return c.redirect(`/console?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    };

    app.get("/console", async (c) => {
      const started = performance.now();
      if (!signedIn(c)) return page(c, started, <SignInPage next={c.req.query("next")} />);
      return page(c, started, <LivePage snapshot={liveSnapshot(await live.list(), clock.epochMs(), live.cluster)} />);
    });

    app.post("/console/sign-in", async (c) => {
      const started = performance.now();
      const form = await c.req.parseBody();
      const token = typeof form.token === "string" ? form.token : "";
      const next = safeNext(form.next);
      if (!safeEqual(token, adminToken!)) {
        logger.warn("console sign-in refused: wrong token", { remote: c.env?.requestIP?.(c.req.raw)?.address });
        return page(c, started, <SignInPage error={WRONG_TOKEN_MESSAGE} next={next === "/console" ? undefined : next} />, 401);
      }
      setCookie(c, SESSION_COOKIE, sessions.issue(), { httpOnly: true, sameSite: "Strict", secure: isHttps(c), path: "/", maxAge: Math.floor(sessions.ttlMs / 1000) });
      logger.info("console sign-in");
      return c.redirect(next, 303);
    });

    app.get("/console/sign-out", (c) => {
      sessions.revoke(sessionCookie(c));
      deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c) });
      return c.redirect("/console", 303);
    });

    app.get("/console/live/events", (c) => {
      const cookie = sessionCookie(c);
      if (!sessions.valid(cookie)) return c.json({ error: "sign in to /console first" }, 401);
      return events(c, () => sessions.valid(cookie));
    });

    app.get("/console/history", guard, async (c) => {
      const started = performance.now();
      const q = (name: string) => c.req.query(name) ?? "";
      const query: HistoryQuery = { q: q("q"), bot: q("bot"), reason: q("reason"), date: q("date"), tz: q("tz"), cursor: q("cursor") };
      const ids = (await botIds?.().catch(() => [])) ?? [];
      const parsed = historyFilter(query);
      if ("error" in parsed) return page(c, started, <HistoryPage query={query} calls={[]} error={parsed.error} botIds={ids} />, 400);
      if (!history) return page(c, started, <HistoryPage query={query} calls={[]} error="This gateway keeps no call records." botIds={ids} />, 503);
      try {
        const result = await history.list(parsed.filter);
        return page(c, started, <HistoryPage query={query} calls={result.calls} nextCursor={result.nextCursor} botIds={ids} />);
      } catch (err) {
        if (err instanceof HomebookError && err.code === "invalid_input") {
          return page(c, started, <HistoryPage query={query} calls={[]} error={`${err.message[0]!.toUpperCase()}${err.message.slice(1)}.`} botIds={ids} />, 400);
        }
        logger.warn("console history query failed", { err });
        return page(c, started, <HistoryPage query={query} calls={[]} error="The call store did not answer; try again shortly." botIds={ids} />, 503);
      }
    });

    app.get("/console/calls/:sessionId", guard, async (c) => {
      const started = performance.now();
      const sessionId = c.req.param("sessionId");
      const liveCall = await live.find(sessionId);
      let view: CallView | undefined;
      if (liveCall) {
        view = { status: "live", call: liveCall, nowMs: clock.epochMs() };
      } else {
        try {
          const finished = await history?.get(sessionId);
          const file = finished ? await recordings?.find(sessionId) : undefined;
          if (finished) view = { status: "finished", call: finished, recordingUrl: file ? `/calls/${encodeURIComponent(sessionId)}/recording` : undefined };
        } catch (err) {
          logger.warn("console call query failed", { err });
          return page(c, started, <MessagePage title="Call" message="The call store did not answer; try again shortly." />, 503);
        }
      }
      if (!view) return page(c, started, <MessagePage title="Call not found" message="No live or recorded call has this session id." />, 404);
      return page(c, started, <CallPage view={view} />);
    });

    app.get("/console/overview", guard, async (c) => {
      const started = performance.now();
      const untilMs = clock.epochMs();
      const stats = await history?.stats(untilMs - OVERVIEW_WINDOW_MS, untilMs).catch((err: unknown) => {
        logger.warn("console overview query failed", { err });
        return undefined;
      });
      const addedLatency = readHistogram(registry, "homebook_bridge_added_latency_ms");
      const firstAudio = readHistogram(registry, "homebook_first_agent_audio_ms");
      return page(c, started, <OverviewPage stats={stats} addedLatency={addedLatency} firstAudio={firstAudio} refreshMs={overviewRefreshMs(c.req.query("refresh"))} />);
    });

    app.all("/console/*", (c) => page(c, performance.now(), <MessagePage title="Not found" message="There is no console page here." section="live" />, 404));
  };
}
