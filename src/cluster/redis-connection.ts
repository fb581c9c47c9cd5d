/**
 * The gateway's Redis link on Bun's built-in client: every command bounded by REDIS_COMMAND_TIMEOUT_MS,
 * Lua scripts by SHA, one subscriber connection, and automatic recovery driving the health state.
 */
import { RedisClient } from "bun";
import { systemClock, type Clock, type Timer } from "../base/clock.ts";
import { HomebookError } from "../base/errors.ts";
import { withTimeout } from "../base/with-timeout.ts";
import type { Logger } from "../log/logger.ts";
import { redisCommands, redisLatency } from "./cluster-metrics.ts";
import { diagnoseRedis } from "./redis-diagnosis.ts";
import { RedisHealth } from "./redis-health.ts";
import { describeRedisUrl } from "./redis-url.ts";

/** A Lua script and its SHA1: run with EVALSHA, sent whole only when Redis does not know it yet. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

/** A script with its SHA1 computed once, for EVALSHA. */
export function luaScript(name: string, source: string): LuaScript {
  return { name, source, sha: new Bun.CryptoHasher("sha1").update(source).digest("hex") };
}

export type MessageListener = (message: string) => void;

export interface RedisConnectionOptions {
  /** REDIS_URL: redis:// or rediss://, optionally with user:password@ and a /database. */
  url: string;
  /** REDIS_TLS_CA_FILE's PEM, for rediss://: the CA Redis's certificate must chain to (else the system's CAs). */
  tlsCa?: string;
  commandTimeoutMs: number;
  logger: Logger;
  clock?: Clock;
  /** First delay before reconnecting; doubled after each failed attempt up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

const TIMED_OUT = Symbol("timed out");

/** Bun's error codes for a link that is not usable, with what the operator can do about each. */
function explain(err: unknown): { reason: string; fix: string } {
  const code = (err as { code?: string })?.code;
  if (code === "ERR_REDIS_AUTHENTICATION_FAILED") return { reason: "redis refused the credentials", fix: "check the user and password in REDIS_URL" };
  if (code === "ERR_REDIS_CONNECTION_CLOSED") return { reason: "redis connection closed or refused", fix: "check REDIS_URL's host and port and that Redis runs" };
  if (code === "ERR_REDIS_SERVER_ERROR") return { reason: `redis answered with an error: ${(err as Error).message}`, fix: "check that REDIS_KEY_PREFIX is used by Homebook alone" };
  return { reason: `redis link failed: ${(err as Error)?.message ?? String(err)}`, fix: "check REDIS_URL and the network to Redis" };
}

function unavailable(operation: string, reason: string): HomebookError {
  return new HomebookError("cluster_unavailable", `${operation}: ${reason}`, { retryable: true });
}

const isNoScript = (err: unknown) => (err as Error)?.message?.startsWith("NOSCRIPT") ?? false;

/** One gateway's link to Redis; `health` says whether the cluster parts may use it. */
export class RedisConnection {
  readonly health: RedisHealth;
  /** REDIS_URL without credentials. */
  readonly described: string;
  private readonly url: string;
  private readonly tlsCa: string | undefined;
  private readonly commandTimeoutMs: number;
  private readonly clock: Clock;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private client: RedisClient | undefined;
  private subscriber: RedisClient | undefined;
  private readonly channels = new Map<string, MessageListener>();
  private readonly recoverySteps: (() => Promise<void>)[] = [];
  private retryTimer: Timer | undefined;
  private retryDelayMs: number;
  private closed = false;
  /** Commands sent since start (what the benchmark counts per call-minute). */
  sent = 0;

  constructor({ url, tlsCa, commandTimeoutMs, logger, clock = systemClock, retryMinMs = 100, retryMaxMs = 2000 }: RedisConnectionOptions) {
    this.url = url;
    this.tlsCa = tlsCa;
    this.described = describeRedisUrl(url);
    this.commandTimeoutMs = commandTimeoutMs;
    this.clock = clock;
    this.retryMinMs = retryMinMs;
    this.retryMaxMs = retryMaxMs;
    this.retryDelayMs = retryMinMs;
    this.health = new RedisHealth({ logger, redis: this.described });
  }

  /** The first connection attempt (bounded); when it fails the link is down and keeps retrying. Never throws. */
  start(): Promise<void> {
    return this.connect();
  }

  /** Runs after each reconnection, in order, before the link counts as up (re-registering leases). */
  onRecovery(step: () => Promise<void>): void {
    this.recoverySteps.push(step);
  }

  /**
   * One command, bounded by REDIS_COMMAND_TIMEOUT_MS. Rejects with HomebookError "cluster_unavailable"
   * at once while the link is down; a timeout or a broken link takes it down.
   */
  async command<T>(operation: string, command: string, args: string[]): Promise<T> {
    const client = this.client;
    if (!client) {
      redisCommands.inc({ operation, result: "unavailable" });
      throw unavailable(operation, "redis is down");
    }
    const startedMs = this.clock.now();
    this.sent += 1;
    let result: T | typeof TIMED_OUT;
    try {
      result = await withTimeout(client.send(command, args) as Promise<T>, this.commandTimeoutMs, TIMED_OUT, this.clock);
    } catch (err) {
      redisCommands.inc({ operation, result: "error" });
      if (isNoScript(err)) throw err;
      const { reason, fix } = explain(err);
      this.fail(client, reason, fix);
      throw unavailable(operation, reason);
    }
    if (result === TIMED_OUT) {
      redisCommands.inc({ operation, result: "timeout" });
      const reason = `redis did not answer ${operation} within REDIS_COMMAND_TIMEOUT_MS (${this.commandTimeoutMs} ms)`;
      this.fail(client, reason, "check Redis's load and the network to it, or raise REDIS_COMMAND_TIMEOUT_MS");
      throw unavailable(operation, reason);
    }
    redisCommands.inc({ operation, result: "ok" });
    redisLatency.observe({ operation }, this.clock.now() - startedMs);
    return result;
  }

  /** Runs a Lua script by SHA (EVAL when Redis has not cached it yet, e.g. after a restart). */
  async eval<T>(operation: string, script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await this.command<T>(operation, "EVALSHA", [script.sha, ...tail]);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return this.command<T>(operation, "EVAL", [script.source, ...tail]);
    }
  }

  publish(operation: string, channel: string, message: string): Promise<number> {
    return this.command<number>(operation, "PUBLISH", [channel, message]);
  }

  /** Listens on `channel` now and after every reconnection. Messages sent while the link was down are lost. */
  async subscribe(channel: string, listener: MessageListener): Promise<void> {
    this.channels.set(channel, listener);
    const subscriber = this.subscriber;
    if (!subscriber) return;
    try {
      await this.bounded(subscriber.subscribe(channel, (message) => this.deliver(channel, message)));
    } catch (err) {
      const { reason, fix } = explain(err);
      this.fail(subscriber, reason, fix);
    }
  }

  /** Closes both connections and stops reconnecting. */
  close(): void {
    this.closed = true;
    this.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    const { client, subscriber } = this;
    this.client = undefined;
    this.subscriber = undefined;
    client?.close();
    subscriber?.close();
  }

  private deliver(channel: string, message: string): void {
    try {
      this.channels.get(channel)?.(message);
    } catch {
      // a listener's bug must not take the subscriber connection down
    }
  }

  private async bounded<T>(promise: Promise<T>): Promise<T> {
    const result = await withTimeout(promise, this.commandTimeoutMs, TIMED_OUT, this.clock);
    if (result === TIMED_OUT) throw new Error(`no answer within REDIS_COMMAND_TIMEOUT_MS (${this.commandTimeoutMs} ms)`);
    return result;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const options = {
      autoReconnect: false,
      enableOfflineQueue: false,
      connectionTimeout: this.commandTimeoutMs,
      ...(this.tlsCa ? { tls: { ca: this.tlsCa } } : {}),
    };
    const client = new RedisClient(this.url, options);
    const subscriber = new RedisClient(this.url, options);
    const onClose = (which: RedisClient) => (err: Error) => {
      if (which === this.client || which === this.subscriber) this.fail(which, explain(err).reason, explain(err).fix);
    };
    client.onclose = onClose(client);
    subscriber.onclose = onClose(subscriber);
    try {
      await this.bounded(Promise.all([client.connect(), subscriber.connect()]));
      for (const channel of this.channels.keys()) {
        await this.bounded(subscriber.subscribe(channel, (message) => this.deliver(channel, message)));
      }
    } catch (err) {
      client.close();
      subscriber.close();
      const { reason, fix } = (await this.diagnose(err)) ?? explain(err);
      if (this.closed) return;
      this.health.failed(reason, fix);
      this.scheduleRetry();
      return;
    }
    if (this.closed) {
      client.close();
      subscriber.close();
      return;
    }
    this.client = client;
    this.subscriber = subscriber;
    this.health.reconnected();
    try {
      for (const step of this.recoverySteps) await step();
    } catch {
      // the failed command already took the link down and scheduled a retry
    }
    if (this.client !== client) return;
    this.retryDelayMs = this.retryMinMs;
    this.health.up();
  }

  /** Bun says only "Connection closed" for a refused port, an untrusted certificate or a wrong password: a probe of our own tells which. */
  private diagnose(err: unknown) {
    if ((err as { code?: string })?.code !== "ERR_REDIS_CONNECTION_CLOSED") return undefined;
    return diagnoseRedis({ url: this.url, tlsCa: this.tlsCa, timeoutMs: this.commandTimeoutMs, clock: this.clock });
  }

  /** The link is unusable: close it (what was in flight fails at once), go down, try again later. */
  private fail(which: RedisClient, reason: string, fix: string): void {
    if (this.closed || (which !== this.client && which !== this.subscriber)) return;
    const { client, subscriber } = this;
    this.client = undefined;
    this.subscriber = undefined;
    client?.close();
    subscriber?.close();
    this.health.failed(reason, fix);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    const delayMs = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.retryMaxMs);
    this.retryTimer = this.clock.setTimer(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delayMs);
  }
}
