/** A socket handler that holds the connection and logs each frame's event name (no call bridge). */
import type { Logger } from "../../src/log/logger.ts";
import type { SocketHandler, UpgradeRequest } from "../../src/telephony/mcube-socket.ts";

export function holdSocket(logger: Logger) {
  return (request: UpgradeRequest): SocketHandler => {
    const log = logger.child({ session_id: request.sessionId });
    return {
      open: () => log.info("ws opened"),
      message: (_ws, data) => {
        let event = "binary";
        if (typeof data === "string") {
          try {
            event = String((JSON.parse(data) as { event?: unknown }).event ?? "unknown");
          } catch {
            event = "malformed";
          }
        }
        log.info("ws frame", { event });
      },
      close: (_ws, code) => log.info("ws closed", { code }),
    };
  };
}
