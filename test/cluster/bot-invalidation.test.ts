/** Bot changes published through Redis reach a gateway's bot cache at once, and changes missed during an outage are dropped when Redis returns. */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { announceBotChange } from "../../src/cluster/bot-invalidation.ts";
import { botInvalidations } from "../../src/cluster/cluster-metrics.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { createBotAdmin } from "../../src/store/bot-admin.ts";
import { createBotResolver } from "../../src/store/bot-resolver.ts";
import { openDatabases } from "../../src/store/open-databases.ts";
import type { Databases } from "../../src/store/sql.ts";
import { testConfig } from "../helpers/env.ts";
import { until } from "../helpers/wait.ts";
import { clusterTestContext } from "./nodes.ts";

setDefaultTimeout(30_000);

const DID = "8040001234";
const t = clusterTestContext();
let dbs: Databases | undefined;

afterEach(async () => {
  await dbs?.close();
  dbs = undefined;
});

describe("bot changes through Redis", () => {
  test("a published change drops the DID at once; one missed during an outage is dropped when Redis returns", async () => {
    const fx = await t.redis("bots");
    const { proxy, url } = await t.proxy();
    const config = testConfig({ BOT_CACHE_TTL_MS: "3600000", REDIS_URL: fx.url, REDIS_KEY_PREFIX: fx.prefix });
    dbs = await openDatabases(config, silentLogger);
    const admin = createBotAdmin(dbs);
    await admin.addBot("bot_x", { agentId: "agent_one", name: "Sales" }, [DID]);
    const bots = createBotResolver({ dbs, config, logger: silentLogger });
    const gateway = await t.node({ instanceId: "gw-a", url, bots, env: { REDIS_LEASE_TTL_MS: "1500", REDIS_COMMAND_TIMEOUT_MS: "300" } });
    const agentNow = async () => (await bots.resolve(DID)).bot.agentId;
    expect(await agentNow()).toBe("agent_one");

    await admin.updateBot("bot_x", { agentId: "agent_two" });
    expect(await agentNow()).toBe("agent_one"); // cached for an hour
    expect(await announceBotChange(config, [DID])).toBe("sent");
    await until(async () => (await agentNow()) === "agent_two", 5000, "the change to reach the cache");

    proxy.cut();
    await until(() => gateway.node.redis.health.state === "down", 5000, "the gateway to lose Redis");
    await admin.updateBot("bot_x", { agentId: "agent_three" });
    expect(await announceBotChange(config, [DID])).toBe("sent"); // Redis takes it; the cut-off gateway misses it
    expect(await agentNow()).toBe("agent_two");
    const recoveries = botInvalidations.get({ source: "recovery" });
    proxy.restore();
    await until(() => gateway.node.redis.health.isUp, 10_000, "the gateway to recover");
    expect(botInvalidations.get({ source: "recovery" })).toBe(recoveries + 1);
    expect(await agentNow()).toBe("agent_three");
  });

  test("without REDIS_URL nothing is published", async () => {
    expect(await announceBotChange(testConfig(), [DID])).toBe("off");
  });
});
