/** Composition root of `homebook serve`: store, bot resolver, records, outbound, call bridge and HTTP, from one Config. */
import { wantsOfflineAgent, type Config } from "./config/index.ts";
import type { Logger } from "./log/logger.ts";
import { startGateway, type Gateway } from "./http/server.ts";
import { openDatabases } from "./store/open-databases.ts";
import { type Databases } from "./store/sql.ts";
import { probeDatabases } from "./store/store-probe.ts";
import { createBotResolver } from "./store/bot-resolver.ts";
import { createStoreBreaker } from "./store/store-breaker.ts";
import { createDeliveryQueue } from "./store/webhook-deliveries.ts";
import { CallRecorder, type CallRecorderOptions } from "./store/call-records.ts";
import { createOutboundAttemptStore } from "./store/outbound-attempts.ts";
import { createOutboundContextLookup } from "./outbound/context-lookup.ts";
import { outboundRoutes } from "./outbound/routes.ts";
import { CallManager } from "./call/call-manager.ts";
import { adminRoutes } from "./http/admin-routes.ts";
import { debugRoutes } from "./http/debug-routes.ts";
import { warnIfOpen } from "./telephony/open-access-warning.ts";
import type { OfflineAgent } from "./sim/offline-agent.ts";
import type { ClusterNode } from "./cluster/cluster-node.ts";
import type { WebhookDispatcher } from "./webhook/webhook-dispatcher.ts";
import type { DrainableGateway } from "./drain.ts";
import { HomebookError } from "./base/errors.ts";
import { FileRecordings } from "./recording/recordings.ts";
import { startRetentionSweep } from "./recording/retention.ts";
import { consoleRoutes } from "./console/console-routes.tsx";
import { liveCallsOf } from "./console/sources.ts";
import { createBotAdmin } from "./store/bot-admin.ts";
import { accessSync, closeSync, constants, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";

export interface Service extends DrainableGateway {
  readonly gateway: Gateway;
  readonly calls: CallManager;
  readonly records: CallRecorder;
  readonly recordings: FileRecordings;
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

/** With RECORDING=on, an unwritable RECORDINGS_PATH stops the start (calls would go unrecorded one by one). */
function checkRecordingsWritable(config: Config): void {
  if (!config.recording.enabled) return;
  try {
    mkdirSync(config.recording.path, { recursive: true });
    accessSync(config.recording.path, constants.W_OK);
  } catch (err) {
    throw new HomebookError("config", `RECORDINGS_PATH ${config.recording.path} is not a writable directory (${(err as { code?: string }).code ?? (err as Error).message})`, {
      fix: "set RECORDINGS_PATH to a directory this user can write, or RECORDING=off",
      cause: err,
    });
  }
}

/** The post-call webhook's dispatcher and what the call recorder needs of it (its modules load only with POST_CALL_WEBHOOK_URL). */
async function startPostCallWebhook(
  { url, secret }: { url: string; secret: string },
  { publicBaseUrl, dbs, logger }: { publicBaseUrl: Config["publicBaseUrl"]; dbs: Databases; logger: Logger },
): Promise<{ dispatcher: WebhookDispatcher; recorder: CallRecorderOptions["webhook"] }> {
  const [{ startWebhookDispatcher }, { postCallBody }] = await Promise.all([import("./webhook/webhook-dispatcher.ts"), import("./webhook/webhook-payload.ts")]);
  const dispatcher = startWebhookDispatcher({ queue: createDeliveryQueue(dbs.cluster), url, secret, logger });
  return { dispatcher, recorder: { body: (record, transcript) => postCallBody(record, transcript, publicBaseUrl), queued: () => dispatcher.wake() } };
}

/**
 * Starts everything `homebook serve` runs. Resolves once the listener is up.
 * @throws HomebookError for unusable settings found while building parts (e.g. a bad BOT_DID_QUERY).
 */
export async function startService({ config: operatorConfig, logger }: { config: Config; logger: Logger }): Promise<Service> {
  checkOutboxWritable(operatorConfig.database.outboxPath);
  checkRecordingsWritable(operatorConfig);
  // Loaded only for the configuration that uses them: the offline agent, the webhook and the cluster.
  const offlineAgent = wantsOfflineAgent(operatorConfig) ? await (await import("./sim/offline-agent.ts")).startOfflineAgent(logger) : undefined;
  if (!offlineAgent && !operatorConfig.elevenlabs.apiKey) {
    logger.warn("ELEVENLABS_API_KEY is not set: agents are reached without a signed URL (public agents only)", {
      base_url: operatorConfig.elevenlabs.baseUrl,
    });
  }
  const config = offlineAgent ? withOfflineAgent(operatorConfig, offlineAgent) : operatorConfig;
  warnIfOpen(config, logger);

  const dbs = await openDatabases(config, logger);
  void probeDatabases(dbs, logger);
  const breaker = createStoreBreaker({ dbs, logger, probeTimeoutMs: config.database.botLookupTimeoutMs });
  const bots = createBotResolver({ dbs, config, logger, breaker });
  const webhook = config.webhook && (await startPostCallWebhook(config.webhook, { publicBaseUrl: config.publicBaseUrl, dbs, logger }));
  const records = new CallRecorder({ db: dbs.cluster, outboxPath: config.database.outboxPath, logger, instanceId: config.instanceId, webhook: webhook?.recorder });
  void records.start();
  const outboundStore = createOutboundAttemptStore(dbs.cluster);
  const outbound = createOutboundContextLookup({ store: outboundStore, logger, breaker, timeoutMs: config.database.botLookupTimeoutMs });
  const recordings = new FileRecordings({ enabled: config.recording.enabled, dir: config.recording.path, logger });
  const retention = startRetentionSweep({ dir: config.recording.path, retentionDays: config.recording.retentionDays, logger });
  const cluster = config.cluster.redisUrl ? await (await import("./cluster/cluster-node.ts")).startCluster({ config, logger, bots }) : undefined;
  const calls = new CallManager({ config, logger, bots, records, outbound, recordings, slots: cluster?.slots, registry: cluster?.registry, instanceId: config.instanceId });
  const liveCalls = cluster ? cluster.liveCalls(calls) : calls;
  const botIds = async () => ["default", ...(await createBotAdmin(dbs).listBots()).map((b) => b.botId)];

  const gateway = await startGateway({
    config,
    logger,
    sockets: calls.socketHandler(),
    activeCalls: () => calls.activeCount,
    components: { store: () => breaker.health(), ...(cluster ? { redis: () => cluster.status() } : {}) },
    routes: [
      adminRoutes({ config, logger, calls: liveCalls, records }),
      debugRoutes({ config, calls }),
      outboundRoutes({ config, logger, store: outboundStore }),
      consoleRoutes({ adminToken: config.adminToken, logger, live: liveCallsOf(liveCalls, cluster !== undefined), history: records, recordings, botIds }),
    ],
  });

  let stopped: Promise<void> | undefined;
  return {
    gateway,
    calls,
    records,
    recordings,
    dbs,
    offlineAgent,
    config,
    cluster,
    status: gateway.status,
    startDrain: () => cluster?.startDrain(),
    stop() {
      stopped ??= (async () => {
        await gateway.stop();
        breaker.stop();
        retention.stop();
        await recordings.whenIdle();
        await cluster?.stop();
        await records.close();
        await webhook?.dispatcher.stop();
        await dbs.close();
        await offlineAgent?.stop();
      })();
      return stopped;
    },
  };
}
