import { describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError, loadConfig, describeSettings } from "../../src/config/index.ts";
import { parseCidrList, ipAllowed } from "../../src/config/cidr.ts";
import { describeRedisUrl } from "../../src/cluster/redis-url.ts";
import { tempDir } from "../helpers/env.ts";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected loadConfig to fail");
}

describe("defaults", () => {
  test("an empty environment starts with the original service's defaults", () => {
    const c = loadConfig({});
    expect(c.port).toBe(7900);
    expect(c.host).toBe("0.0.0.0");
    expect(c.companyName).toBe("Mcube Telecom pvt Limited");
    expect(c.mcube.audioFormat).toBe("audio/x-mulaw");
    expect(c.mcube.sampleRate).toBe(8000);
    expect(c.agentPhoneNumber).toBe("7780787875");
    expect(c.elevenlabs.modelId).toBe("eleven_turbo_v2");
    expect(c.elevenlabs.baseUrl).toBe("https://api.elevenlabs.io");
    expect(c.elevenlabs.baseUrlExplicit).toBe(false);
    expect(c.elevenlabs.maxConnections).toBe(30);
    expect(c.calls.maxConcurrent).toBe(50);
    expect(c.database.kind).toBe("sqlite");
    expect(c.database.sqlitePath).toBe("./data/homebook.db");
    expect(c.database.name).toBe("mainvoicebot_cluster");
    expect(c.database.masterName).toBe("mainvoicebot_master");
    expect(c.database.user).toBe("admin");
    expect(c.database.charset).toBe("utf8mb4");
    expect(c.database.port).toBe(3306);
    expect(c.log.level).toBe("info");
    expect(c.log.file).toBe("logs/voicebot.log");
    expect(c.mcube.transferEvent).toBe("transfer");
    expect(c.mcube.transferNumberField).toBe("number");
    expect(c.mcube.terminateEvent).toBe("terminate");
    expect(c.mcube.playChunkMs).toBe(500);
    expect(c.mcube.maxFrameBytes).toBe(65536);
    expect(c.mcube.apiUrl).toBe("https://config.mcube.com/Restmcube-api");
    expect(c.mcube.outboundPath).toBe("outbound-calls-superdash");
    expect(c.recording).toEqual({ enabled: false, path: "./data/recordings", retentionDays: 30 });
  });

  test("recording settings are read, and bad ones are listed with what to use", () => {
    expect(loadConfig({ RECORDING: "on", RECORDINGS_PATH: "/var/lib/homebook/rec", RECORDING_RETENTION_DAYS: "0" }).recording).toEqual({
      enabled: true,
      path: "/var/lib/homebook/rec",
      retentionDays: 0,
    });
    const problems = problemsOf({ RECORDING: "yes", RECORDING_RETENTION_DAYS: "-1" });
    expect(problems).toContain('RECORDING: expected "on" or "off" (bots may override it: homebook bots update --recording), got "yes"');
    expect(problems).toContain('RECORDING_RETENTION_DAYS: expected a whole number from 0 to 36500, got "-1"');
  });

  test("the config is frozen all the way down", () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.elevenlabs)).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow();
  });

  test("values are read and typed; empty strings count as unset", () => {
    const c = loadConfig({
      PORT: "8080",
      MAX_CONCURRENT_CALLS: "7",
      DATABASE_HOST: "db.internal",
      ELEVENLABS_BASE_URL: "https://api.eu.residency.elevenlabs.io/",
      ELEVENLABS_API_KEY: "sk_live",
      ELEVENLABS_AGENT_ID: "agent_1",
      AGENT_PHONE_NUMBER: "+91 98765-43210",
      COMPANY_NAME: "",
      MCUBE_ALLOWED_IPS: "10.0.0.0/8, 192.168.1.7",
    });
    expect(c.port).toBe(8080);
    expect(c.calls.maxConcurrent).toBe(7);
    expect(c.database.kind).toBe("mysql");
    expect(c.elevenlabs.baseUrl).toBe("https://api.eu.residency.elevenlabs.io");
    expect(c.elevenlabs.baseUrlExplicit).toBe(true);
    expect(c.agentPhoneNumber).toBe("9876543210");
    expect(c.companyName).toBe("Mcube Telecom pvt Limited");
    expect(c.mcube.allowedIps).toHaveLength(2);
  });
});

describe("invalid settings", () => {
  test("every problem is listed at once", () => {
    const problems = problemsOf({
      PORT: "70000",
      MAX_CONCURRENT_CALLS: "lots",
      ELEVENLABS_MAX_CONNECTIONS: "2.5",
      ELEVENLABS_BASE_URL: "not a url",
      MCUBE_API_URL: "ftp://example.test",
      LOG_LEVEL: "verbose",
      AGENT_PHONE_NUMBER: "12345",
      MCUBE_ALLOWED_IPS: "10.0.0.0/33",
      PUBLIC_WS_BASE_URL: "http://wrong-scheme.test",
    });
    const names = problems.map((p) => p.split(":")[0]);
    expect(names.sort()).toEqual(
      [
        "AGENT_PHONE_NUMBER",
        "ELEVENLABS_BASE_URL",
        "ELEVENLABS_MAX_CONNECTIONS",
        "LOG_LEVEL",
        "MAX_CONCURRENT_CALLS",
        "MCUBE_ALLOWED_IPS",
        "MCUBE_API_URL",
        "PORT",
        "PUBLIC_WS_BASE_URL",
      ].sort(),
    );
  });

  test("each message says what is expected and what was given", () => {
    const [port] = problemsOf({ PORT: "-1" });
    expect(port).toBe('PORT: expected a whole number from 0 to 65535, got "-1"');
    const [level] = problemsOf({ LOG_LEVEL: "loud" });
    expect(level).toContain("expected one of debug, info, warn, error");
  });

  test("cross-setting problems are listed with the field problems", () => {
    const problems = problemsOf({ ELEVENLABS_API_KEY: "sk_x", PORT: "x" });
    expect(problems.some((p) => p.startsWith("PORT:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("ELEVENLABS_AGENT_ID is required"))).toBe(true);
  });

  test("the error message tells the operator where to fix it", () => {
    try {
      loadConfig({ PORT: "x" });
    } catch (err) {
      expect((err as Error).message).toContain("1 configuration problem:");
      expect((err as Error).message).toContain("Set these in .env or the environment");
    }
  });
});

describe("secrets", () => {
  const secret = "sk_live_DO_NOT_PRINT_123456";

  test("secret values never appear in error messages, even when the secret is the bad value", () => {
    let message = "";
    try {
      loadConfig({ ADMIN_TOKEN: "short-secret", MCUBE_AUTH_TOKEN: "tiny-secret", ELEVENLABS_API_KEY: secret, PORT: "x" });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("ADMIN_TOKEN: use at least 16 characters");
    expect(message).toContain("MCUBE_AUTH_TOKEN: use at least 16 characters");
    expect(message).toContain("(value hidden)");
    expect(message).not.toContain("short-secret");
    expect(message).not.toContain("tiny-secret");
    expect(message).not.toContain(secret);
  });

  test("describeSettings shows secrets only as set/unset", () => {
    const shown = describeSettings({ ELEVENLABS_API_KEY: secret, ELEVENLABS_AGENT_ID: "agent_1", ADMIN_TOKEN: secret });
    expect(JSON.stringify(shown)).not.toContain(secret);
    expect(shown.ELEVENLABS_API_KEY).toBe("set");
    expect(shown.MCUBE_API_TOKEN).toBe("unset");
    expect(shown.ELEVENLABS_AGENT_ID).toBe("agent_1");
  });
});

describe("CIDR allow-list", () => {
  test("addresses inside and outside ranges, IPv4, IPv6 and mapped IPv4", () => {
    const { cidrs, ok } = parseCidrList("10.0.0.0/8,192.168.1.7,2001:db8::/32");
    expect(ok).toBe(true);
    expect(ipAllowed("10.20.30.40", cidrs)).toBe(true);
    expect(ipAllowed("11.0.0.1", cidrs)).toBe(false);
    expect(ipAllowed("192.168.1.7", cidrs)).toBe(true);
    expect(ipAllowed("192.168.1.8", cidrs)).toBe(false);
    expect(ipAllowed("::ffff:10.1.2.3", cidrs)).toBe(true);
    expect(ipAllowed("2001:db8:1::5", cidrs)).toBe(true);
    expect(ipAllowed("2001:db9::5", cidrs)).toBe(false);
    expect(ipAllowed("garbage", cidrs)).toBe(false);
  });

  test("bad entries are reported", () => {
    expect(parseCidrList("1.2.3.4/40,::1,bogus").invalid).toEqual(["1.2.3.4/40", "bogus"]);
    expect(parseCidrList("").ok).toBe(false);
  });
});

describe("post-call webhook and instance settings", () => {
  test("INSTANCE_ID defaults to hostname:PORT; the webhook needs its secret; PUBLIC_BASE_URL loses its trailing slash", () => {
    expect(loadConfig({ PORT: "7911" }).instanceId).toBe(`${hostname()}:7911`);
    expect(loadConfig({ INSTANCE_ID: "gw-east-1" }).instanceId).toBe("gw-east-1");
    expect(loadConfig({}).webhook).toBeUndefined();
    const c = loadConfig({ POST_CALL_WEBHOOK_URL: "https://crm.example.com/hook", POST_CALL_WEBHOOK_SECRET: "whsec-0123456789abcdef", PUBLIC_BASE_URL: "https://bot.example.com/" });
    expect(c.webhook).toEqual({ url: "https://crm.example.com/hook", secret: "whsec-0123456789abcdef" });
    expect(c.publicBaseUrl).toBe("https://bot.example.com");
  });

  test("a URL without a secret, a short secret and bad URLs are listed together, the secret never shown", () => {
    expect(problemsOf({ POST_CALL_WEBHOOK_URL: "https://crm.example.com/hook" })).toEqual([expect.stringContaining("POST_CALL_WEBHOOK_SECRET is required when POST_CALL_WEBHOOK_URL is set")]);
    const problems = problemsOf({ POST_CALL_WEBHOOK_URL: "crm.example.com", POST_CALL_WEBHOOK_SECRET: "short-secret", PUBLIC_BASE_URL: "ws://bot" });
    expect(problems.map((p) => p.split(":")[0])).toEqual(["POST_CALL_WEBHOOK_URL", "POST_CALL_WEBHOOK_SECRET", "PUBLIC_BASE_URL"]);
    expect(problems.join("\n")).not.toContain("short-secret");
    expect(describeSettings({ POST_CALL_WEBHOOK_SECRET: "whsec-0123456789abcdef" }).POST_CALL_WEBHOOK_SECRET).toBe("set");
  });
});

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
const PASSWORD = "hunter2-very-secret";

describe("cluster settings", () => {
  test("without REDIS_URL the cluster is off; the defaults are in place for when it is set", () => {
    const c = loadConfig({ PORT: "7900" });
    expect(c.cluster).toEqual({
      redisUrl: undefined,
      keyPrefix: "homebook:",
      leaseTtlMs: 10_000,
      commandTimeoutMs: 1000,
    });
    expect(c.instanceId).toBe(`${hostname()}:7900`);
    expect(loadConfig({ PORT: "0" }).instanceId).toBe(`${hostname()}:pid-${process.pid}`);
    expect(loadConfig({ INSTANCE_ID: "gw-7" }).instanceId).toBe("gw-7");
  });

  test("bad values are all listed, the URL's value hidden even when it is the bad one", () => {
    const problems = problemsOf({
      REDIS_URL: `http://:${PASSWORD}@cache:6379`,
      REDIS_KEY_PREFIX: "has space",
      REDIS_LEASE_TTL_MS: "10",
      INSTANCE_ID: "two words",
    });
    expect(problems.map((p) => p.split(":")[0]).sort()).toEqual(["INSTANCE_ID", "REDIS_KEY_PREFIX", "REDIS_LEASE_TTL_MS", "REDIS_URL"]);
    expect(problems.find((p) => p.startsWith("REDIS_URL"))).toBe("REDIS_URL: expected a URL starting with redis:// or rediss://, got (value hidden)");
    expect(problems.join("\n")).not.toContain(PASSWORD);
  });

  test("a command timeout that a renewal round could not fit in before its lease lapses is refused", () => {
    const problems = problemsOf({ REDIS_LEASE_TTL_MS: "3000", REDIS_COMMAND_TIMEOUT_MS: "1000" });
    expect(problems).toEqual([
      "REDIS_COMMAND_TIMEOUT_MS (1000) must be under a third of REDIS_LEASE_TTL_MS (3000): leases are renewed every third of the TTL, and a renewal must fail before its lease lapses",
    ]);
    expect(loadConfig({ REDIS_LEASE_TTL_MS: "3001", REDIS_COMMAND_TIMEOUT_MS: "1000" }).cluster.leaseTtlMs).toBe(3001);
  });

  test("REDIS_TLS_CA_FILE: its PEM is read at start; a missing file, a file with no certificate or a URL without TLS is refused with what to do", () => {
    const dir = tempDir();
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    writeFileSync(join(dir, "ca.pem"), pem);
    writeFileSync(join(dir, "ca.der"), "\x30\x82binary");
    const tlsUrl = `rediss://:${PASSWORD}@cache.internal:6380/0`;
    expect(loadConfig({ REDIS_URL: tlsUrl, REDIS_TLS_CA_FILE: join(dir, "ca.pem") }).cluster.tlsCa).toBe(pem);
    expect(loadConfig({ REDIS_URL: tlsUrl }).cluster.tlsCa).toBeUndefined();

    expect(problemsOf({ REDIS_URL: tlsUrl, REDIS_TLS_CA_FILE: join(dir, "missing.pem") })).toEqual([
      `REDIS_TLS_CA_FILE: cannot read ${JSON.stringify(join(dir, "missing.pem"))} (ENOENT): point it at the PEM file of the CA that signed Redis's certificate`,
    ]);
    expect(problemsOf({ REDIS_URL: tlsUrl, REDIS_TLS_CA_FILE: join(dir, "ca.der") })).toEqual([
      expect.stringContaining(`REDIS_TLS_CA_FILE: ${JSON.stringify(join(dir, "ca.der"))} holds no PEM certificate (no -----BEGIN CERTIFICATE----- line)`),
    ]);
    for (const env of [{ REDIS_URL: `redis://:${PASSWORD}@cache.internal:6379/0` }, {}] as Record<string, string>[]) {
      const problems = problemsOf({ ...env, REDIS_TLS_CA_FILE: join(dir, "ca.pem") });
      expect(problems).toEqual([
        "REDIS_TLS_CA_FILE needs REDIS_URL to start with rediss:// (the CA checks Redis's TLS certificate): use rediss:// or unset REDIS_TLS_CA_FILE",
      ]);
      expect(problems.join("\n")).not.toContain(PASSWORD);
    }
  });

  test("REDIS_URL is shown as set/unset, and by host without credentials", () => {
    const url = `rediss://default:${PASSWORD}@cache.internal:6380/2`;
    expect(describeSettings({ REDIS_URL: url }).REDIS_URL).toBe("set");
    expect(describeRedisUrl(url)).toBe("rediss://***@cache.internal:6380/2");
    expect(describeRedisUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
  });

  test("homebook config says whether the cluster is on, where Redis is, and never the password", async () => {
    const run = async (env: Record<string, string>) => {
      const proc = Bun.spawn([process.execPath, MAIN, "config"], { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
      const out = await new Response(proc.stdout).text();
      expect(await proc.exited).toBe(0);
      return out;
    };
    const on = await run({ REDIS_URL: `redis://:${PASSWORD}@10.0.0.5:6379/1`, INSTANCE_ID: "gw-1" });
    expect(on).toContain("REDIS_URL=set");
    expect(on).toContain("# cluster: Redis at redis://***@10.0.0.5:6379/1, this gateway is gw-1");
    expect(on).not.toContain(PASSWORD);
    expect(await run({})).toContain("# cluster: off (REDIS_URL unset): this gateway counts its connections alone");
  });
});
