/** Test helper: a plain WebSocket client that records JSON frames (and when they arrived) and waits for them. */
import type { Clock } from "../../src/base/clock.ts";

export interface TestClient {
  ws: WebSocket;
  frames: any[];
  /** When each frame arrived, on the clock given to connect (performance.now() by default). */
  arrivals: number[];
  send(frame: object): void;
  /** First frame (already received or future) matching the predicate. */
  waitFor(predicate: (f: any) => boolean, timeoutMs?: number): Promise<any>;
  closed: Promise<{ code: number; reason: string }>;
  opened: Promise<void>;
}

export function connect(url: string, options: { autoPong?: boolean; headers?: Record<string, string>; clock?: Clock } = {}): TestClient {
  const ws = new WebSocket(url, { headers: options.headers ?? {} } as unknown as string[]);
  const frames: any[] = [];
  const arrivals: number[] = [];
  const waiters = new Set<{ predicate: (f: any) => boolean; resolve: (f: any) => void }>();
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
  });
  const pending: string[] = [];
  const opened = new Promise<void>((resolve, reject) => {
    ws.onopen = () => {
      for (const text of pending.splice(0)) ws.send(text);
      resolve();
    };
    ws.onerror = (e) => reject(new Error((e as ErrorEvent).message));
  });
  opened.catch(() => undefined); // refused connections are asserted through `closed`
  ws.onmessage = (e) => {
    const frame = JSON.parse(String(e.data));
    frames.push(frame);
    arrivals.push(options.clock ? options.clock.now() : performance.now());
    if (options.autoPong !== false && frame.type === "ping") ws.send(JSON.stringify({ type: "pong", event_id: frame.ping_event.event_id }));
    for (const w of [...waiters]) {
      if (w.predicate(frame)) {
        waiters.delete(w);
        w.resolve(frame);
      }
    }
  };
  return {
    ws,
    frames,
    arrivals,
    opened,
    closed,
    /** Sends now, or right after the socket opens, in order. */
    send(frame) {
      if (ws.readyState === WebSocket.CONNECTING) pending.push(JSON.stringify(frame));
      else ws.send(JSON.stringify(frame));
    },
    waitFor(predicate, timeoutMs = 5000) {
      const found = frames.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { predicate, resolve: (f: any) => (clearTimeout(timer), resolve(f)) };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no matching frame within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
  };
}

export const INIT = { type: "conversation_initiation_client_data", dynamic_variables: {} };

/** Base64 audio of every `audio` frame with that event_id, concatenated. */
export function audioBytes(frames: any[], eventId?: number): Uint8Array {
  const parts = frames
    .filter((f) => f.type === "audio" && (eventId === undefined || f.audio_event.event_id === eventId))
    .map((f) => new Uint8Array(Buffer.from(f.audio_event.audio_base_64, "base64")));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** When the first frame of `type` arrived (on the client's clock); undefined when none has. */
export function arrivalOf(client: TestClient, type: string): number | undefined {
  const index = client.frames.findIndex((f) => f.type === type);
  return index < 0 ? undefined : client.arrivals[index];
}
