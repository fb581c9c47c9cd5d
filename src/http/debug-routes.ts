/**
 * GET /debug/runtime behind ADMIN_TOKEN: what the gateway process holds (memory, armed timers, open
 * WebSockets, each live call's timers and sockets), for finding leaks (bench/soak.ts reads it).
 * Read-only; `?gc=1` first runs a full garbage collection, and only while no call is live.
 */
import { heapStats } from "bun:jsc";
import type { Server } from "bun";
import type { Config } from "../config/index.ts";
import type { SocketData } from "../telephony/mcube-socket.ts";
import { adminAuth } from "./admin-routes.ts";
import type { RouteMount } from "./app.ts";

/** What the route reads about calls (the CallManager). */
export interface RuntimeCallSource {
  readonly activeCount: number;
  /** Per live call: its state, armed timers, open sockets, held slot (SessionDebugState). */
  debugState(): { calls: Record<string, unknown>; agentConnectionsInUse: number; waitingForAgent: number };
}

/** The process-wide view: counts that must come back to their idle values after calls end. */
export interface RuntimeSnapshot {
  /** True when a full collection ran before the figures were taken. */
  gc: boolean;
  rss_bytes: number;
  heap_bytes: number;
  heap_objects: number;
  /** Armed setTimeout/setInterval timers of the whole process (JSC keeps them as protected Timeout objects). */
  armed_timers: number;
  /** Mcube sockets open on this listener. */
  mcube_sockets: number;
  /** WebSocket objects alive in the heap (agent connections; closed ones go at the next collection). */
  websocket_objects: number;
  active_calls: number;
  agent_connections_in_use: number;
  waiting_for_agent: number;
  calls: Record<string, unknown>;
}

/** Takes the snapshot; `collect` runs a full (synchronous) garbage collection first. */
export function runtimeSnapshot(server: Pick<Server<SocketData>, "pendingWebSockets">, calls: RuntimeCallSource, collect: boolean): RuntimeSnapshot {
  if (collect) Bun.gc(true);
  const heap = heapStats();
  const debug = calls.debugState();
  return {
    gc: collect,
    rss_bytes: process.memoryUsage.rss(),
    heap_bytes: heap.heapSize,
    heap_objects: heap.objectCount,
    armed_timers: heap.protectedObjectTypeCounts.Timeout ?? 0,
    mcube_sockets: server.pendingWebSockets,
    websocket_objects: heap.objectTypeCounts.WebSocket ?? 0,
    active_calls: calls.activeCount,
    agent_connections_in_use: debug.agentConnectionsInUse,
    waiting_for_agent: debug.waitingForAgent,
    calls: debug.calls,
  };
}

/**
 * Mounts GET /debug/runtime (ADMIN_TOKEN). A collection pauses the process, so `?gc=1` is refused
 * with 409 while any call is live: it can never cost a caller audio.
 */
export function debugRoutes({ config, calls }: { config: Config; calls: RuntimeCallSource }): RouteMount {
  return (app) => {
    app.get("/debug/runtime", adminAuth(config.adminToken), (c) => {
      const collect = c.req.query("gc") === "1";
      if (collect && calls.activeCount > 0) return c.json({ error: "calls are live: a full garbage collection would pause their audio; ask again when idle" }, 409);
      return c.json(runtimeSnapshot(c.env, calls, collect));
    });
  };
}
