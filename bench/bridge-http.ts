/** What the bridge benchmark reads from a gateway over HTTP: /health/performance and /metrics. */
import type { Subprocess } from "bun";

/** GET a JSON answer, within 5 s. */
export async function getJson(url: string, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res.json();
}

/** The few /metrics figures worth a cross-check; its event-loop figures cover the time since the previous scrape. */
export async function scrapeMetrics(base: string, adminToken: string): Promise<Record<string, number>> {
  const startedMs = performance.now();
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
  const text = await res.text();
  const scrapeMs = performance.now() - startedMs;
  const figure = (pattern: RegExp) => {
    let sum = 0;
    for (const m of text.matchAll(pattern)) sum += Number(m[1]);
    return sum;
  };
  return {
    /** How long GET /metrics took, under load. */
    scrape_ms: scrapeMs,
    eventloop_lag_p99_ms: figure(/^homebook_nodejs_eventloop_lag_p99_seconds (\S+)$/gm) * 1000,
    dropped_frames: figure(/^homebook_dropped_frames_total\{[^}]*\} (\S+)$/gm),
    call_errors: figure(/^homebook_call_errors_total\{[^}]*\} (\S+)$/gm),
  };
}

/** Polls /health/performance (both gateways answer it) until 200, the child exits, or `timeoutMs` passes. */
export async function waitHealthy(base: string, child: Subprocess, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode} before answering /health/performance`);
    const ok = await fetch(`${base}/health/performance`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ok) return;
    await Bun.sleep(50);
  }
  throw new Error(`gateway did not answer ${base}/health/performance within ${timeoutMs} ms`);
}
