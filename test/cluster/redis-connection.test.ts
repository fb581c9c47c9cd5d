/** The Redis link: bounded commands, the up/down/recovering state machine, automatic recovery, scripts by SHA. */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { HomebookError } from "../../src/base/errors.ts";
import { luaScript, RedisConnection } from "../../src/cluster/redis-connection.ts";
import type { RedisState } from "../../src/cluster/redis-health.ts";
import { redisCommands, redisState } from "../../src/cluster/cluster-metrics.ts";
import { createLogger } from "../../src/log/logger.ts";
import { REDIS_PORT, REDIS_URL } from "../helpers/redis.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { until } from "../helpers/wait.ts";

// Real Redis round trips and lease TTLs of a second or two: room on a loaded 2-core machine.
setDefaultTimeout(30_000);

let proxy: TcpProxy | undefined;
let redis: RedisConnection | undefined;

afterEach(() => {
  redis?.close();
  redis = undefined;
  proxy?.stop();
  proxy = undefined;
});

function link(url: string, options: { clock?: TestClock; commandTimeoutMs?: number } = {}) {
  const lines: string[] = [];
  const logger = createLogger({ level: "info", stdout: "none", sink: (l) => lines.push(l) });
  redis = new RedisConnection({ url, commandTimeoutMs: options.commandTimeoutMs ?? 300, logger, clock: options.clock });
  const states: RedisState[] = [];
  redis.health.onChange((state) => states.push(state));
  /** Each logged line as [level, msg]. */
  const log = () => lines.map((l) => JSON.parse(l)).map((e) => [e.level, e.msg] as const);
  return { redis, states, lines, log };
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as HomebookError);

describe("the Redis link", () => {
  test("a cut link goes down once, refuses commands at once while down, and recovers by itself with its recovery steps run first", async () => {
    proxy = await startTcpProxy({ port: REDIS_PORT });
    const { redis, states, log } = link(`redis://127.0.0.1:${proxy.port}/0`);
    const recoveries: RedisState[] = [];
    redis.onRecovery(async () => {
      recoveries.push(redis.health.state);
      await redis.command("test_recovery", "PING", []);
    });
    await redis.start();
    expect(redis.health.state).toBe("up");
    expect(await redis.command<string>("test_ping", "PING", [])).toBe("PONG");

    proxy.cut();
    await until(() => redis.health.state === "down", 5000, "the link to go down");
    const errors = await Promise.all([1, 2, 3].map(() => failure(redis.command("test_ping", "PING", []))));
    for (const err of errors) {
      expect(err).toBeInstanceOf(HomebookError);
      expect(err!.code).toBe("cluster_unavailable");
    }
    expect(redisState.get({ state: "down" })).toBe(1);

    proxy.restore();
    await until(() => redis.health.isUp, 10_000, "the link to recover");
    expect(await redis.command<string>("test_ping", "PING", [])).toBe("PONG");
    expect(states).toEqual(["up", "down", "recovering", "up"]);
    // The first connection ran the step too (from "recovering": the state before the first "up").
    expect(recoveries).toEqual(["recovering", "recovering"]);
    expect(log()).toEqual([
      ["info", "redis connected: cluster-wide limits and registry on"],
      ["warn", "redis unreachable: calls go on, limited to this gateway's share of ELEVENLABS_MAX_CONNECTIONS; the registry shows local calls"],
      ["info", "redis reachable again: registering live calls and agent connections"],
      ["info", "redis up again: cluster-wide limits and registry restored"],
    ]);
  });

  test("a command Redis does not answer fails after REDIS_COMMAND_TIMEOUT_MS and takes the link down", async () => {
    const clock = new TestClock();
    proxy = await startTcpProxy({ port: REDIS_PORT });
    const { redis, states } = link(`redis://127.0.0.1:${proxy.port}/0`, { clock, commandTimeoutMs: 1000 });
    await redis.start();
    proxy.stall();
    const before = redisCommands.get({ operation: "test_stalled", result: "timeout" });
    const pending = failure(redis.command("test_stalled", "PING", []));
    await clock.advance(999);
    expect(redis.health.state).toBe("up");
    await clock.advance(1);
    const err = await pending;
    expect(err!.code).toBe("cluster_unavailable");
    expect(err!.message).toContain("within REDIS_COMMAND_TIMEOUT_MS (1000 ms)");
    expect(states).toEqual(["up", "down"]);
    expect(redisCommands.get({ operation: "test_stalled", result: "timeout" })).toBe(before + 1);
  });

  test("Redis unreachable at start: the start goes on, down with one warning, and the link comes up once Redis answers", async () => {
    const clock = new TestClock();
    proxy = await startTcpProxy({ port: REDIS_PORT });
    proxy.cut();
    const { redis, log } = link(`redis://127.0.0.1:${proxy.port}/0`, { clock });
    await redis.start();
    expect(redis.health.state).toBe("down");
    expect(log()).toEqual([["warn", "redis unreachable at start: calls go on, limited to this gateway's share of ELEVENLABS_MAX_CONNECTIONS"]]);
    await clock.advance(100); // the first retry, still cut
    await until(() => redis.health.lastError !== undefined, 5000, "the retry to fail");
    proxy.restore();
    await clock.advance(200); // the second retry
    await until(() => redis.health.isUp, 5000, "the link to come up");
    expect(log().map(([, msg]) => msg)).toEqual([
      "redis unreachable at start: calls go on, limited to this gateway's share of ELEVENLABS_MAX_CONNECTIONS",
      "redis reachable again: registering live calls and agent connections",
      "redis connected: cluster-wide limits and registry on",
    ]);
  });

  test("a script is sent whole once (Redis did not know it), then by its SHA", async () => {
    const { redis } = link(REDIS_URL);
    await redis.start();
    const script = luaScript("test_echo", `-- ${crypto.randomUUID()}\nreturn ARGV[1] .. KEYS[1]`);
    const sent = redis.sent;
    expect(await redis.eval<string>("test_echo", script, ["k"], ["v"])).toBe("vk");
    expect(redis.sent).toBe(sent + 2); // EVALSHA → NOSCRIPT, then EVAL
    expect(await redis.eval<string>("test_echo", script, ["k"], ["w"])).toBe("wk");
    expect(redis.sent).toBe(sent + 3);
    expect(redis.health.isUp).toBe(true);
  });

  test("a login Redis refuses leaves the link down with a fix to try; the password never shows", async () => {
    const secret = "s3cret-pass-0123456789";
    const { redis, lines } = link(`redis://nobody:${secret}@127.0.0.1:${REDIS_PORT}/0`);
    await redis.start();
    expect(redis.health.state).toBe("down");
    expect(redis.described).toBe(`redis://***@127.0.0.1:${REDIS_PORT}/0`);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "warn", redis: `redis://***@127.0.0.1:${REDIS_PORT}/0`, fix: expect.stringContaining("REDIS_URL") });
    expect(lines.join("\n")).not.toContain(secret);
    expect(redis.health.lastError).not.toContain(secret);
  });
});
