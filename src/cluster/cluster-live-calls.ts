/** The admin API's live calls on a cluster: this gateway's own (fresh from the call manager) and every other gateway's from the registry. */
import type { LiveCall } from "../call/call-record.ts";
import type { CallRegistry } from "../call/ports.ts";

/** What the call manager offers the admin API about its own calls. */
export interface LocalLiveCalls {
  readonly activeCount: number;
  live(): LiveCall[];
  get(sessionId: string): LiveCall | undefined;
  stats(): { agentConnectionsInUse: number; waitingForAgent: number };
}

export interface ClusterLiveCalls extends Omit<LocalLiveCalls, "live" | "get"> {
  live(): Promise<LiveCall[]>;
  get(sessionId: string): Promise<LiveCall | undefined>;
}

/**
 * Each call once, with its `instance`, oldest first. Calls of this gateway come from `local` (the
 * registry's copy may be a state behind); while Redis is down the list is this gateway's alone.
 */
export function clusterLiveCalls(local: LocalLiveCalls, registry: CallRegistry, instanceId: string): ClusterLiveCalls {
  const mine = (call: LiveCall): LiveCall => ({ ...call, instance: instanceId });
  return {
    get activeCount() {
      return local.activeCount;
    },
    stats: () => local.stats(),
    async live() {
      const own = local.live().map(mine);
      const ids = new Set(own.map((c) => c.sessionId));
      const others = (await registry.list()).filter((c) => c.instance !== instanceId && !ids.has(c.sessionId));
      return [...own, ...others].sort((a, b) => a.startedAt - b.startedAt);
    },
    async get(sessionId) {
      const own = local.get(sessionId);
      if (own) return mine(own);
      const found = await registry.find(sessionId);
      return found?.instance === instanceId ? undefined : found;
    },
  };
}
