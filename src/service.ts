/** Composition root of `homebook serve`: store, bot resolver, records, outbound, call bridge and HTTP, from one Config. */
import { wantsOfflineAgent, type Config } from "./config/index.ts";
import type { Logger } from "./log/logger.ts";
import { startGateway, type Gateway } from "./http/server.ts";
import { openDatabases } from "./store/open-databases.ts";
import { type Databases } from "./store/sql.ts";
import { probeDatabases } from "./store/store-probe.ts";
import { createBotResolver } from "./store/bot-resolver.ts";
import { CallRecorder } from "./store/call-records.ts";
import { createOutboundAttemptStore } from "./store/outbound-attempts.ts";
import { createOutboundContextLookup } from "./outbound/context-lookup.ts";
import { outboundRoutes } from "./outbound/routes.ts";
import { CallManager } from "./call/call-manager.ts";
import { adminRoutes } from "./http/admin-routes.ts";
import { warnIfOpen } from "./telephony/open-access-warning.ts";
import { startOfflineAgent, type OfflineAgent } from "./sim/offline-agent.ts";
import { startCluster, type ClusterNode } from "./cluster/cluster-node.ts";
import type { DrainableGateway } from "./drain.ts";
import { HomebookError } from "./base/errors.ts";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";

export interface Service extends DrainableGateway {
  readonly gateway: Gateway;
  readonly calls: CallManager;
  readonly records: CallRecorder;
  readonly dbs: Databases;
  /** The in-process echo agent, when Homebook runs without an ElevenLabs key. */
  readonly offlineAgent?: OfflineAgent;
  /** The config the bridge runs with (the offline agent's URL when it is on). */
  readonly config: Config;
  /** This gateway's part in a cluster of gateways sharing REDIS_URL. */
  readonly cluster?: ClusterNode;
}

/** Points the bridge at the offline agent: a derived config, the operator's own stays untouched. */
function withOfflineAgent(config: Config, agent: OfflineAgent): Config {
  return Object.freeze({
    ...config,
    elevenlabs: Object.freeze({ ...config.elevenlabs, baseUrl: agent.baseUrl, agentId: config.elevenlabs.agentId ?? agent.agentId }),
  });
}

/**
 * Call records fall back to the outbox when the store is down, so an unwritable OUTBOX_PATH must stop
 * the start now rather than surface during the first outage.
 */
function checkOutboxWritable(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    closeSync(openSync(path, "a"));
  } catch (err) {
    throw new HomebookError("config", `OUTBOX_PATH ${path} is not writable (${(err as { code?: string }).code ?? (err as Error).message})`, {
      fix: "set OUTBOX_PATH to a file in a directory this user can write: call records wait there while the store is down",
      cause: err,
    });
  }
}

/**
 * Starts everything `homebook serve` runs. Resolves once the listener is up.
 * @throws HomebookError for unusable settings found while building parts (e.g. a bad BOT_DID_QUERY).
 */
export async function startService({ config: operatorConfig, logger }: { config: Config; logger: Logger }): Promise<Service> {
  checkOutboxWritable(operatorConfig.database.outboxPath);
  const offlineAgent = wantsOfflineAgent(operatorConfig) ? await startOfflineAgent(logger) : undefined;
  if (!offlineAgent && !operatorConfig.elevenlabs.apiKey) {
    logger.warn("ELEVENLABS_API_KEY is not set: agents are reached without a signed URL (public agents only)", {
      base_url: operatorConfig.elevenlabs.baseUrl,
    });
  }
  const config = offlineAgent ? withOfflineAgent(operatorConfig, offlineAgent) : operatorConfig;
  warnIfOpen(config, logger);

  const dbs = await openDatabases(config, logger);
  void probeDatabases(dbs, logger);
  const bots = createBotResolver({ dbs, config, logger });
  const records = new CallRecorder({ db: dbs.cluster, outboxPath: config.database.outboxPath, logger });
  void records.start();
  const outboundStore = createOutboundAttemptStore(dbs.cluster);
  const outbound = createOutboundContextLookup({ store: outboundStore, logger });
  const cluster = config.cluster.redisUrl ? await startCluster({ config, logger, bots }) : undefined;
  const calls = new CallManager({ config, logger, bots, records, outbound, slots: cluster?.slots, registry: cluster?.registry, instanceId: cluster?.instanceId });

  const gateway = await startGateway({
    config,
    logger,
    sockets: calls.socketHandler(),
    activeCalls: () => calls.activeCount,
    components: cluster && (() => ({ redis: cluster.status() })),
    routes: [
      adminRoutes({ config, logger, calls: cluster ? cluster.liveCalls(calls) : calls, records }),
      outboundRoutes({ config, logger, store: outboundStore }),
    ],
  });

  let stopped: Promise<void> | undefined;
  return {
    gateway,
    calls,
    records,
    dbs,
    offlineAgent,
    config,
    cluster,
    status: gateway.status,
    startDrain: () => cluster?.startDrain(),
    stop() {
      stopped ??= (async () => {
        await gateway.stop();
        await cluster?.stop();
        await records.close();
        await dbs.close();
        await offlineAgent?.stop();
      })();
      return stopped;
    },
  };
}
