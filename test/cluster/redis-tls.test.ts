/** The Redis link over TLS with a password (a private redis-server with a test CA): it comes up with the CA, and each way of getting it wrong is named with its fix. */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { announceBotChange, botChannel } from "../../src/cluster/bot-invalidation.ts";
import { RedisConnection } from "../../src/cluster/redis-connection.ts";
import { createLogger } from "../../src/log/logger.ts";
import { testConfig } from "../helpers/env.ts";
import { until } from "../helpers/wait.ts";
import { startTlsRedis, type TlsRedis } from "../helpers/tls-redis.ts";

setDefaultTimeout(30_000);

let server: TlsRedis;
let ca: string;
let redis: RedisConnection | undefined;

beforeAll(async () => {
  server = await startTlsRedis();
  ca = await Bun.file(server.caFile).text();
});
afterAll(() => server?.stop());
afterEach(() => {
  redis?.close();
  redis = undefined;
});

/** A link to `url` started once; its log lines as parsed JSON. */
async function started(url: string, tlsCa?: string) {
  const lines: string[] = [];
  const logger = createLogger({ level: "info", stdout: "none", sink: (l) => lines.push(l) });
  redis = new RedisConnection({ url, tlsCa, commandTimeoutMs: 1000, logger });
  await redis.start();
  return { redis, log: () => lines.map((l) => JSON.parse(l)), text: () => lines.join("\n") };
}

describe("the Redis link over TLS", () => {
  test("rediss:// with the password and the CA's PEM (REDIS_TLS_CA_FILE): up, commands answered", async () => {
    const { redis, log } = await started(server.url(), ca);
    expect(redis.health.state).toBe("up");
    expect(await redis.command<string>("test_ping", "PING", [])).toBe("PONG");
    expect(redis.described).toBe(`rediss://***@127.0.0.1:${server.port}/0`);
    expect(log().map((l) => l.msg)).toEqual(["redis connected: cluster-wide limits and registry on"]);
  });

  test("an ACL user whose password holds URL characters, percent-encoded in REDIS_URL: up", async () => {
    const { redis: admin } = await started(server.url(), ca);
    const password = "p@ss:w/rd%42";
    await admin.command("test_acl", "ACL", ["SETUSER", "homebook", "on", `>${password}`, "~*", "&*", "+@all"]);
    admin.close();
    const { redis } = await started(`rediss://homebook:${encodeURIComponent(password)}@127.0.0.1:${server.port}/0`, ca);
    expect(redis.health.state).toBe("up");
    expect(await redis.command<string>("test_whoami", "ACL", ["WHOAMI"])).toBe("homebook");
  });

  test("a certificate the gateway does not trust: down, and the warning says so and how to trust it", async () => {
    const { redis, log } = await started(server.url());
    expect(redis.health.state).toBe("down");
    expect(redis.health.lastError).toBe("redis's TLS certificate is not trusted (SELF_SIGNED_CERT_IN_CHAIN)");
    expect(log()).toEqual([
      expect.objectContaining({
        level: "warn",
        reason: "redis's TLS certificate is not trusted (SELF_SIGNED_CERT_IN_CHAIN)",
        fix: "set REDIS_TLS_CA_FILE to the PEM file of the CA that signed it, or add that CA with NODE_EXTRA_CA_CERTS",
      }),
    ]);
  });

  test("a wrong password: down, the warning names the credentials in REDIS_URL, the password shows nowhere", async () => {
    const wrong = "not-the-password-0123456789";
    const { redis, log, text } = await started(server.url(wrong), ca);
    expect(redis.health.state).toBe("down");
    expect(log()).toEqual([
      expect.objectContaining({
        level: "warn",
        redis: `rediss://***@127.0.0.1:${server.port}/0`,
        reason: "redis refused the user and password in REDIS_URL (WRONGPASS)",
        fix: expect.stringContaining("check the password (and user) in REDIS_URL"),
      }),
    ]);
    expect(text()).not.toContain(wrong);
    expect(redis.health.lastError).not.toContain(wrong);
  });

  test("no password in REDIS_URL: the warning says Redis needs one", async () => {
    const { log } = await started(`rediss://127.0.0.1:${server.port}/0`, ca);
    expect(log()[0]).toMatchObject({ reason: "redis needs a password and REDIS_URL has none (NOAUTH)", fix: "put it in REDIS_URL: rediss://:PASSWORD@host:port/0" });
  });

  test("redis:// to a TLS port: the warning says to use rediss://", async () => {
    const { log } = await started(`redis://:${server.password}@127.0.0.1:${server.port}/0`);
    expect(log()[0]).toMatchObject({ level: "warn", fix: "if Redis expects TLS on this port, use rediss://; else check REDIS_URL's port" });
  });
});

describe("bot changes over TLS", () => {
  test("homebook bots/did announce a change through rediss:// with REDIS_TLS_CA_FILE; without the CA they report it failed", async () => {
    const prefix = `hbtest:tls-bots:${process.pid}:`;
    const { redis: listener } = await started(server.url(), ca);
    const heard: string[] = [];
    await listener.subscribe(botChannel(prefix), (message) => heard.push(message));
    const settings = { REDIS_URL: server.url(), REDIS_KEY_PREFIX: prefix };
    expect(await announceBotChange(testConfig({ ...settings, REDIS_TLS_CA_FILE: server.caFile }), ["8040001234"])).toBe("sent");
    await until(() => heard.length === 1, 5000, "the change to arrive");
    expect(JSON.parse(heard[0]!)).toEqual({ dids: ["8040001234"] });
    expect(await announceBotChange(testConfig(settings), ["8040001234"])).toBe("failed");
  });
});
