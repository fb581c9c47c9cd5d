/** The HTTP side of the gateway: the Hono app served by Bun.serve, with the WebSocket handlers. */
import type { Server } from "bun";
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { createApp, type AppOptions, type GatewayStatus } from "./app.ts";
import { startPerformanceMonitor } from "./performance.ts";
import type { SocketData, SocketHandlerFactory } from "./socket.ts";
import { VERSION } from "../base/version.ts";

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  /** Carries each upgraded /ws socket (the call manager's handler factory). */
  sockets: SocketHandlerFactory;
  routes?: AppOptions["routes"];
  /** Live-call count for /health (the call manager's). */
  activeCalls?: () => number;
  /** Parts shown under /health's `components` (see GatewayStatus). */
  components?: GatewayStatus["components"];
}

export interface Gateway {
  readonly server: Server<SocketData>;
  readonly port: number;
  readonly url: string;
  readonly status: GatewayStatus;
  /** Closes the listener and every socket. */
  stop(): Promise<void>;
}

export async function startGateway({ config, logger, sockets, routes, activeCalls = () => 0, components }: GatewayOptions): Promise<Gateway> {
  const status: GatewayStatus = { startedAt: Date.now(), draining: false, activeCalls, components };
  const performance = startPerformanceMonitor();
  const app = createApp({
    config,
    logger,
    version: VERSION,
    status,
    performance,
    sockets,
    routes,
  });

  const server = Bun.serve<SocketData>({
    hostname: config.host,
    port: config.port,
    fetch: (req, srv) => app.fetch(req, srv),
    websocket: {
      maxPayloadLength: config.mcube.maxFrameBytes,
      idleTimeout: 120,
      perMessageDeflate: false,
      open: (ws) => ws.data.handler.open(ws),
      message: (ws, data) => ws.data.handler.message(ws, data),
      close: (ws, code, reason) => ws.data.handler.close(ws, code, reason),
      drain: (ws) => ws.data.handler.drain?.(ws),
    },
  });
  const port = server.port ?? config.port;
  const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`;
  logger.info("listening", { host: config.host, port, url, version: VERSION });

  return {
    server,
    port,
    url,
    status,
    async stop() {
      performance.stop();
      await server.stop(true);
    },
  };
}
