/** Outbound test helpers: a migrated store (SQLite temp file or fresh MariaDB databases) and a Mcube client for the fake. */
import { loadConfig } from "../../src/config/index.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { openDatabases } from "../../src/store/open-databases.ts";
import { type Databases } from "../../src/store/sql.ts";
import { createOutboundAttemptStore, type OutboundAttemptStore } from "../../src/store/outbound-attempts.ts";
import { createMcubeApiClient, type McubeApiClient } from "../../src/outbound/mcube-api-client.ts";
import type { FakeMcubeApi } from "../../src/sim/fake-mcube-api.ts";
import { mysqlTarget, sqliteTarget, type StoreTarget } from "../store/stores.ts";

export interface TestStore {
  target: StoreTarget;
  dbs: Databases;
  store: OutboundAttemptStore;
  close(): Promise<void>;
}

export async function openTestStore(dialect: "sqlite" | "mysql" = "sqlite"): Promise<TestStore> {
  const target = dialect === "sqlite" ? sqliteTarget() : mysqlTarget("outbound");
  await target.prepare();
  const dbs = await openDatabases(loadConfig(target.env), silentLogger);
  return {
    target,
    dbs,
    store: createOutboundAttemptStore(dbs.cluster),
    async close() {
      await dbs.close();
      await target.destroy();
    },
  };
}

export function clientFor(mcube: FakeMcubeApi, options: { token?: string; refUrl?: string; timeoutMs?: number } = {}): McubeApiClient {
  return createMcubeApiClient({
    apiUrl: mcube.baseUrl,
    outboundPath: mcube.path,
    token: options.token ?? mcube.token,
    refUrl: options.refUrl,
    timeoutMs: options.timeoutMs,
  });
}

/** Retries without real waiting (the backoff policy itself is tested on its own). */
export const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

/** Most requests that arrived within any window of `windowMs` (sliding, by arrival time on the fake). */
export function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** How many requests reached the fake for each customer number (a number dialed twice shows 2). */
export function requestsPerNumber(mcube: FakeMcubeApi): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of mcube.requests) if (r.custnumber) counts.set(r.custnumber, (counts.get(r.custnumber) ?? 0) + 1);
  return counts;
}
