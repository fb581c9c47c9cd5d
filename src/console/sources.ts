/** Where the console reads from: live calls (this gateway's or the cluster's), finished calls, bots. Small interfaces the composition root wires. */
import type { LiveCall } from "../call/call-record.ts";
import type { CallRegistry } from "../call/ports.ts";
import type { CallListFilter, CallPage, StoredCall } from "../store/call-records-sql.ts";
import type { CallStats } from "../store/call-stats-sql.ts";

/** Live calls as the console lists them. */
export interface LiveCalls {
  list(): Promise<readonly LiveCall[]>;
  find(sessionId: string): Promise<LiveCall | undefined>;
  /** True when the list spans several gateways: each call shows its instance. */
  readonly cluster: boolean;
}

/** Finished calls (the CallRecorder provides them). */
export interface CallHistory {
  list(filter: CallListFilter): Promise<CallPage>;
  get(sessionId: string): Promise<StoredCall | undefined>;
  stats(sinceMs: number, untilMs: number): Promise<CallStats>;
}

/** This gateway's calls: `CallManager.live()` / `.get()`. */
export function localLiveCalls(manager: { live(): LiveCall[]; get(sessionId: string): LiveCall | undefined }): LiveCalls {
  return {
    list: async () => manager.live(),
    find: async (sessionId) => manager.get(sessionId),
    cluster: false,
  };
}

/**
 * Every gateway's calls through the cluster registry; a call this gateway holds is read locally
 * (the registry's copy may lag and need not carry the transcript).
 */
export function clusterLiveCalls(registry: CallRegistry, local?: { get(sessionId: string): LiveCall | undefined }): LiveCalls {
  return {
    list: () => registry.list(),
    find: async (sessionId) => local?.get(sessionId) ?? (await registry.find(sessionId)),
    cluster: true,
  };
}
