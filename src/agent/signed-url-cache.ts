/**
 * Signed conversation URLs per agent, reused for SIGNED_URL_REUSE_MS; concurrent misses share one
 * request; a refusal that no retry can fix (a wrong key, an unknown agent) is remembered for a few
 * seconds, so a call's early fetch and its own connect do not ask twice.
 */
import { isRetryable } from "../base/errors.ts";

/** How long a settings refusal answers for itself before the service is asked again. */
export const FATAL_REFUSAL_MEMORY_MS = 5000;

export type FetchSignedUrl = (agentId: string) => Promise<string>;

interface Entry {
  url: string;
  fetchedAtMs: number;
}

export class SignedUrlCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly refusals = new Map<string, { error: unknown; atMs: number }>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly fetchUrl: FetchSignedUrl,
    private readonly reuseMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A URL for `agentId` and whether it came from the cache (a refused cached URL deserves one fresh try). */
  async get(agentId: string): Promise<{ url: string; cached: boolean }> {
    const entry = this.entries.get(agentId);
    if (entry && this.now() - entry.fetchedAtMs < this.reuseMs) {
      this.hits++;
      return { url: entry.url, cached: true };
    }
    const refusal = this.refusals.get(agentId);
    if (refusal && this.now() - refusal.atMs < FATAL_REFUSAL_MEMORY_MS) throw refusal.error;
    this.misses++;
    return { url: await this.fetchFresh(agentId), cached: false };
  }

  /** Forgets a URL the service refused, unless a newer one already replaced it. */
  drop(agentId: string, url: string): void {
    if (this.entries.get(agentId)?.url === url) this.entries.delete(agentId);
  }

  get size(): number {
    return this.entries.size;
  }

  private fetchFresh(agentId: string): Promise<string> {
    const running = this.inFlight.get(agentId);
    if (running) return running;
    const request = this.fetchUrl(agentId)
      .then(
        (url) => {
          this.refusals.delete(agentId);
          if (this.reuseMs > 0) this.entries.set(agentId, { url, fetchedAtMs: this.now() });
          return url;
        },
        (error: unknown) => {
          if (!isRetryable(error)) this.refusals.set(agentId, { error, atMs: this.now() });
          throw error;
        },
      )
      .finally(() => this.inFlight.delete(agentId));
    this.inFlight.set(agentId, request);
    return request;
  }
}
