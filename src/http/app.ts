/** The Hono app: service routes, JSON errors, and the /ws/:sessionId upgrade into Bun's WebSocket. */
import { Hono } from "hono";
import type { Server } from "bun";
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { mcubeAccessRefusal } from "./auth.ts";
import type { PerformanceMonitor } from "./performance.ts";
import { SESSION_ID_PATTERN, type SocketData, type SocketHandlerFactory } from "./socket.ts";
import { Counter } from "../metrics/registry.ts";

export const SERVICE_NAME = "homebook";

export interface GatewayStatus {
  readonly startedAt: number;
  draining: boolean;
  activeCalls(): number;
  /** Parts /health reports on without turning unhealthy (e.g. the cluster's Redis link), by name. */
  components?(): Record<string, unknown>;
}

/** Mounts a module's routes (admin API, webhooks) on the gateway's app. */
export type RouteMount = (app: Hono<{ Bindings: Server<SocketData> }>) => void;

export interface AppOptions {
  config: Config;
  logger: Logger;
  version: string;
  status: GatewayStatus;
  performance: PerformanceMonitor;
  sockets: SocketHandlerFactory;
  /** Further routes (admin API, metrics, webhooks), mounted before the 404 handler. */
  routes?: ReadonlyArray<RouteMount>;
}

const upgradeRefusals = new Counter({
  name: "homebook_ws_upgrade_refusals_total",
  help: "WebSocket upgrades refused before a call started, by reason.",
  labelNames: ["reason"],
});

export function createApp({ config, logger, version, status, performance, sockets, routes = [] }: AppOptions) {
  const app = new Hono<{ Bindings: Server<SocketData> }>();

  app.get("/", (c) => c.json({ message: "Mcube Call Service Server is running!" }));

  app.get("/health", (c) =>
    c.json(
      {
        status: status.draining ? "draining" : "healthy",
        timestamp: new Date().toISOString(),
        service: SERVICE_NAME,
        version,
        uptime_seconds: Math.round((Date.now() - status.startedAt) / 1000),
        active_calls: status.activeCalls(),
        ...(status.components ? { components: status.components() } : {}),
      },
      status.draining ? 503 : 200,
    ),
  );

  app.get("/health/performance", (c) =>
    c.json({
      timestamp: new Date().toISOString(),
      active_calls: status.activeCalls(),
      max_concurrent_calls: config.calls.maxConcurrent,
      ...performance.snapshot(),
    }),
  );

  app.get("/ws/:sessionId", (c) => {
    const sessionId = c.req.param("sessionId");
    if (!SESSION_ID_PATTERN.test(sessionId)) {
      upgradeRefusals.inc({ reason: "bad_session_id" });
      return c.json({ error: "invalid session id: use 1-128 characters of A-Z a-z 0-9 . _ : -" }, 400);
    }
    const server = c.env;
    const request = { sessionId, url: new URL(c.req.url), headers: c.req.raw.headers, remoteAddress: server.requestIP(c.req.raw)?.address ?? "" };
    const refusal = mcubeAccessRefusal(config.mcube, request);
    if (refusal === "ip_not_allowed") {
      upgradeRefusals.inc({ reason: refusal });
      logger.warn("ws upgrade refused: address not in MCUBE_ALLOWED_IPS", { session_id: sessionId, remote: request.remoteAddress });
      return c.json({ error: "forbidden" }, 403);
    }
    if (refusal === "bad_token") {
      upgradeRefusals.inc({ reason: refusal });
      logger.warn("ws upgrade refused: missing or wrong token", { session_id: sessionId });
      return c.json({ error: "unauthorized: pass ?token= or Authorization: Bearer" }, 401);
    }
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return c.json({ error: "expected a WebSocket upgrade" }, 426);
    }
    const handler = sockets(request);
    if (!server.upgrade(c.req.raw, { data: { sessionId, handler } })) {
      return c.json({ error: "WebSocket upgrade failed" }, 400);
    }
    // Bun has taken over the socket; this response is never sent.
    return new Response(null);
  });

  for (const mount of routes) mount(app);

  app.notFound((c) => c.json({ error: "not found", path: c.req.path }, 404));
  app.onError((err, c) => {
    logger.error("request failed", { path: c.req.path, err });
    return c.json({ error: "internal server error" }, 500);
  });

  return app;
}
