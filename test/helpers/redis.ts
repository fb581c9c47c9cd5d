/** The machine's Redis for tests: a key prefix of the test's own, read directly, and only those keys deleted afterwards. */
import { RedisClient } from "bun";

export const REDIS_PORT = 6379;
export const REDIS_URL = `redis://127.0.0.1:${REDIS_PORT}/0`;

export interface RedisFixture {
  /** REDIS_URL for gateways talking to Redis directly. */
  readonly url: string;
  /** REDIS_KEY_PREFIX unique to this test. */
  readonly prefix: string;
  /** A connection of the test's own, for reading what the gateways wrote. */
  readonly client: RedisClient;
  /** Redis's clock in epoch ms (lease expiries are on it). */
  time(): Promise<number>;
  /** ZRANGE key 0 -1 WITHSCORES as [member, score] pairs (key without the prefix). */
  zset(key: string): Promise<[string, number][]>;
  /** Deletes this test's keys (never anything else) and closes the connection. */
  cleanup(): Promise<void>;
}

/** Which Redis a fixture uses: the machine's by default, or a private one (tests/helpers/tls-redis.ts). */
export interface RedisServer {
  url: string;
  /** PEM of the CA a rediss:// server's certificate chains to. */
  tlsCa?: string;
}

let counter = 0;

export async function redisFixture(name: string, server: RedisServer = { url: REDIS_URL }): Promise<RedisFixture> {
  const prefix = `hbtest:${name}:${process.pid}-${++counter}-${Date.now().toString(36)}:`;
  const client = new RedisClient(server.url, server.tlsCa ? { tls: { ca: server.tlsCa } } : {});
  await client.connect();
  return {
    url: server.url,
    prefix,
    client,
    async time() {
      const [seconds, micros] = (await client.send("TIME", [])) as [string, string];
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    },
    async zset(key) {
      const flat = (await client.send("ZRANGE", [`${prefix}${key}`, "0", "-1", "WITHSCORES"])) as unknown[];
      // RESP3 answers pairs; RESP2 a flat list.
      if (flat.length > 0 && Array.isArray(flat[0])) return (flat as [string, unknown][]).map(([m, s]) => [m, Number(s)]);
      const pairs: [string, number][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([String(flat[i]), Number(flat[i + 1])]);
      return pairs;
    },
    async cleanup() {
      let cursor = "0";
      for (let round = 0; round < 1000; round++) {
        const [next, keys] = (await client.send("SCAN", [cursor, "MATCH", `${prefix}*`, "COUNT", "1000"])) as [string, string[]];
        if (keys.length > 0) await client.send("DEL", keys);
        cursor = next;
        if (cursor === "0") break;
      }
      client.close();
    },
  };
}
