/** Where the console reads from: live calls (this gateway's or the cluster's), finished calls, bots. Small interfaces the composition root wires. */
import type { LiveCall } from "../call/call-record.ts";
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

/**
 * The console's view of live calls from what the admin API reads: this gateway's call manager, or on a
 * cluster the adapter that adds every other gateway's calls from the registry (cluster/cluster-live-calls.ts).
 */
export function liveCallsOf(
  source: { live(): LiveCall[] | Promise<LiveCall[]>; get(sessionId: string): LiveCall | undefined | Promise<LiveCall | undefined> },
  cluster = false,
): LiveCalls {
  return {
    list: async () => source.live(),
    find: async (sessionId) => source.get(sessionId),
    cluster,
  };
}
