/** One simulated Mcube call that ends at its greeting: the time from `start` to the first playAudio, in real time on loopback. */

export interface GreetingCallOptions {
  /** Makes the call's path, stream and (unless `callId` is given) call ids unique. */
  index: number;
  /** Sent as X-DID at the upgrade, so the gateway looks the bot up before `start`. */
  did: string;
  /** Mcube's callId in `start` (an outbound call's id finds its campaign); default `call-<index>`. */
  callId?: string;
  /** Wait between the upgrade and `start`. */
  startDelayMs: number;
  /** Longest wait for the greeting before the call fails. */
  timeoutMs: number;
}

/**
 * Connects with X-DID, sends `start` after `startDelayMs` and 20 ms μ-law frames of silence, and
 * resolves with the ms from `start` to the first playAudio; then stops and closes the call.
 *
 * @example
 * const ms = await greetingCall(port, { index: 1, did: "8040001234", startDelayMs: 20, timeoutMs: 10_000 });
 */
export function greetingCall(port: number, { index, did, callId = `call-${index}`, startDelayMs, timeoutMs }: GreetingCallOptions): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/greeting-${process.pid}-${index}`, { headers: { "X-DID": did } } as unknown as string[]);
  const silence = Buffer.alloc(160, 0xff).toString("base64");
  let ticker: ReturnType<typeof setInterval> | undefined;
  let startedAt = 0;
  const done = new Promise<number>((resolveCall, reject) => {
    const timer = setTimeout(() => reject(new Error(`call ${index}: no playAudio within ${timeoutMs} ms`)), timeoutMs);
    ws.onmessage = (event) => {
      if (startedAt === 0 || !String(event.data).includes('"playAudio"')) return;
      clearTimeout(timer);
      resolveCall(performance.now() - startedAt);
    };
    ws.onclose = () => reject(new Error(`call ${index}: the gateway closed the call before the greeting`));
    ws.onopen = () => {
      setTimeout(() => {
        const start = { event: "start", sequenceNumber: 1, start: { callId, streamId: `stream-${index}`, tracks: ["inbound"], mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000 } } };
        startedAt = performance.now();
        ws.send(JSON.stringify(start));
        let sequence = 1;
        ticker = setInterval(() => ws.send(JSON.stringify({ event: "media", sequenceNumber: ++sequence, media: { track: "inbound", payload: silence } })), 20);
      }, startDelayMs);
    };
  });
  return done.finally(async () => {
    clearInterval(ticker);
    ws.onclose = null;
    const closed = new Promise((r) => ws.addEventListener("close", r, { once: true }));
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ event: "stop", streamId: `stream-${index}` }));
    ws.close(1000, "bench call done");
    await Promise.race([closed, Bun.sleep(2000)]);
  });
}
