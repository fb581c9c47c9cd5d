/** The contract between the /ws route and whatever carries a call's socket (the call bridge). */
import type { ServerWebSocket } from "bun";

/** Handles one upgraded socket; created at upgrade time, carried in ws.data. */
export interface SocketHandler {
  open(ws: ServerWebSocket<SocketData>): void;
  message(ws: ServerWebSocket<SocketData>, data: string | Buffer): void;
  close(ws: ServerWebSocket<SocketData>, code: number, reason: string): void;
  drain?(ws: ServerWebSocket<SocketData>): void;
}

export interface SocketData {
  sessionId: string;
  handler: SocketHandler;
}

/** What the upgrade request told us, handed to the socket handler factory. */
export interface UpgradeRequest {
  sessionId: string;
  url: URL;
  headers: Headers;
  remoteAddress: string;
}

export type SocketHandlerFactory = (request: UpgradeRequest) => SocketHandler;

/** Session ids Mcube may use: 1–128 characters of letters, digits and . _ : - */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
