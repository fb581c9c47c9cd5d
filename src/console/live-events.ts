/** GET /console/live/events: the live-calls snapshot as server-sent events, a few per second, bounded in streams and in time. */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { sleep, type Clock } from "../base/clock.ts";
import type { Logger } from "../log/logger.ts";
import { liveSnapshot } from "./live-page.tsx";
import type { LiveCalls } from "./sources.ts";

export interface LiveEventsOptions {
  live: LiveCalls;
  clock: Clock;
  logger: Logger;
  /** Between snapshots (the page is at most this much behind). Default 500 ms. */
  intervalMs?: number;
  /** A stream ends after this long; the browser's EventSource reconnects (and is checked again). Default 10 minutes. */
  maxStreamMs?: number;
  /** Open streams at most; more are refused with 503. Default 20. */
  maxStreams?: number;
}

/** Returns the handler. `stillSignedIn` is asked before every snapshot: a signed-out session gets "signed-out" and the end. */
export function liveEvents({ live, clock, logger, intervalMs = 500, maxStreamMs = 600_000, maxStreams = 20 }: LiveEventsOptions) {
  let open = 0;
  return (c: Context, stillSignedIn: () => boolean): Response => {
    if (open >= maxStreams) return c.json({ error: "too many live views open; close some console tabs" }, 503);
    open++;
    return streamSSE(c, async (stream) => {
      const startedMs = clock.now();
      try {
        while (!stream.aborted && !stream.closed && clock.now() - startedMs < maxStreamMs) {
          if (!stillSignedIn()) {
            await stream.writeSSE({ event: "signed-out", data: "{}" });
            return;
          }
          try {
            const snapshot = liveSnapshot(await live.list(), clock.epochMs(), live.cluster);
            await stream.writeSSE({ event: "calls", data: JSON.stringify(snapshot), retry: 1000 });
          } catch (err) {
            if (stream.aborted || stream.closed) return;
            logger.warn("console live view update failed", { err });
          }
          await sleep(clock, intervalMs);
        }
      } finally {
        open--;
      }
    });
  };
}
