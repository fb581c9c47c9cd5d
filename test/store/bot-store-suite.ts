/** The bot store suite, run unchanged against SQLite (sqlite.test.ts) and MariaDB (mysql.test.ts). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createBotAdmin, type BotAdmin } from "../../src/store/bot-admin.ts";
import { createBotResolver } from "../../src/store/bot-resolver.ts";
import { migrate } from "../../src/store/migrations/index.ts";
import { openDatabases } from "../../src/store/open-databases.ts";
import { type Databases } from "../../src/store/sql.ts";
import { botCacheTotal } from "../../src/store/store-metrics.ts";
import { metrics } from "../../src/metrics/registry.ts";
import { capturingLogger, configFor, countingDatabases, type StoreTarget } from "./stores.ts";
import { silentLogger } from "../../src/log/logger.ts";

export function botStoreSuite(target: StoreTarget): void {
  describe(`bot store on ${target.dialect}`, () => {
    let dbs: Databases;
    let admin: BotAdmin;
    const config = (extra: Record<string, string> = {}) => configFor(target, extra);

    beforeAll(async () => {
      await target.prepare();
      dbs = await openDatabases(config(), silentLogger);
      admin = createBotAdmin(dbs);
    });
    afterAll(async () => {
      await dbs?.close();
      await target.destroy();
    });

    test("migrations are recorded and a second run applies nothing", async () => {
      expect(await migrate(dbs, silentLogger)).toEqual([]);
      const ids = (await dbs.cluster.query<{ id: string }>("SELECT id FROM schema_migrations")).map((r) => r.id);
      expect(ids).toContain("001-bots");
      const masterIds = (await dbs.master.query<{ id: string }>("SELECT id FROM schema_migrations")).map((r) => r.id);
      expect(masterIds).toContain("001-did-numbers");
    });

    test("a DID in any accepted format resolves to its bot with every field", async () => {
      await admin.saveBusiness("biz1", "Acme Realty");
      await admin.addBot(
        "bot_sales",
        {
          agentId: "agent_sales",
          name: "Sales",
          firstMessage: "नमस्ते, Acme here",
          prompt: "You sell flats.",
          language: "hi",
          voiceId: "voice_1",
          transferNumber: "9876543210",
          fallbackNumber: "9876500000",
          variables: { city: "Pune", tier: "gold" },
          recording: true,
          mcpApproval: "approve",
        },
        ["8040001234"],
        "biz1",
      );
      const resolver = createBotResolver({ dbs, config: config(), logger: silentLogger });
      for (const dialled of ["+91 80 4000 1234", "918040001234", "08040001234", "80-4000-1234"]) {
        resolver.invalidate();
        const { bot, source } = await resolver.resolve(dialled);
        expect(source).toBe("store");
        expect(bot).toEqual({
          botId: "bot_sales",
          name: "Sales",
          agentId: "agent_sales",
          companyName: "Acme Realty",
          businessId: "biz1",
          businessName: "Acme Realty",
          firstMessage: "नमस्ते, Acme here",
          prompt: "You sell flats.",
          language: "hi",
          voiceId: "voice_1",
          transferNumber: "9876543210",
          fallbackNumber: "9876500000",
          dynamicVariables: { city: "Pune", tier: "gold" },
          recording: true,
          mcpApproval: "approve",
        });
      }
    });

    test("a cached bot is served without a query until the TTL ends; hits and misses are counted", async () => {
      await admin.addBot("bot_cached", { agentId: "agent_c", companyName: "Own Co" }, ["8040002000"]);
      const counted = countingDatabases(dbs);
      const resolver = createBotResolver({ dbs: counted, config: config({ BOT_CACHE_TTL_MS: "60000" }), logger: silentLogger });
      const hitsBefore = botCacheTotal.get({ result: "hit" });
      const first = await resolver.resolve("8040002000");
      const queriesAfterFirst = counted.queries();
      const second = await resolver.resolve("+918040002000");
      expect([first.source, second.source]).toEqual(["store", "cache"]);
      expect(second.bot.companyName).toBe("Own Co");
      expect(counted.queries()).toBe(queriesAfterFirst);
      expect(resolver.stats()).toEqual({ hits: 1, misses: 1, stale: 0, errors: 0 });
      expect(botCacheTotal.get({ result: "hit" })).toBe(hitsBefore + 1);
      expect(await metrics.render()).toContain('homebook_bot_cache_total{result="hit"}');

      await admin.updateBot("bot_cached", { agentId: "agent_c2" });
      expect((await resolver.resolve("8040002000")).bot.agentId).toBe("agent_c");
      resolver.invalidate("8040002000");
      expect((await resolver.resolve("8040002000")).bot.agentId).toBe("agent_c2");
    });

    test("after BOT_CACHE_TTL_MS the store is read again", async () => {
      await admin.addBot("bot_ttl", { agentId: "agent_t1" }, ["8040002500"]);
      let clockMs = 1_000_000;
      const resolver = createBotResolver({ dbs, config: config({ BOT_CACHE_TTL_MS: "5000" }), logger: silentLogger, now: () => clockMs });
      await resolver.resolve("8040002500");
      await admin.updateBot("bot_ttl", { agentId: "agent_t2" });
      clockMs += 4999;
      expect(await resolver.resolve("8040002500")).toMatchObject({ source: "cache", bot: { agentId: "agent_t1" } });
      clockMs += 1;
      expect(await resolver.resolve("8040002500")).toMatchObject({ source: "store", bot: { agentId: "agent_t2" } });
    });

    test("with BOT_CACHE_TTL_MS=0 every lookup reads the store, so changes show at once", async () => {
      await admin.addBot("bot_fresh", { agentId: "agent_f1" }, ["8040003000"]);
      const resolver = createBotResolver({ dbs, config: config({ BOT_CACHE_TTL_MS: "0" }), logger: silentLogger });
      expect((await resolver.resolve("8040003000")).bot.agentId).toBe("agent_f1");
      await admin.updateBot("bot_fresh", { agentId: "agent_f2", variables: { lang: "mr" } });
      const { bot, source } = await resolver.resolve("8040003000");
      expect(source).toBe("store");
      expect(bot.agentId).toBe("agent_f2");
      expect(bot.dynamicVariables).toEqual({ lang: "mr" });
    });

    test("concurrent lookups of one DID share one query", async () => {
      await admin.addBot("bot_busy", { agentId: "agent_b" }, ["8040004000"]);
      const counted = countingDatabases(dbs);
      const resolver = createBotResolver({ dbs: counted, config: config(), logger: silentLogger });
      const results = await Promise.all(Array.from({ length: 20 }, () => resolver.resolve("8040004000")));
      expect(new Set(results.map((r) => r.bot.botId))).toEqual(new Set(["bot_busy"]));
      expect(counted.queries()).toBe(2); // one DID query and one bot query for twenty callers
    });

    test("an unassigned DID, a missing number and a disabled bot get the default agent", async () => {
      await admin.addBot("bot_off", { agentId: "agent_off" }, ["8040005000"]);
      await admin.updateBot("bot_off", { active: false });
      const resolver = createBotResolver({ dbs, config: config(), logger: silentLogger });
      for (const did of ["8049999999", undefined, "12", "8040005000"]) {
        const { bot, source } = await resolver.resolve(did);
        expect(source).toBe("default");
        expect(bot).toMatchObject({ botId: "default", agentId: "agent_default", companyName: "Default Co" });
      }
    });

    test("a bad row is a logged error naming the column, and the default agent answers", async () => {
      await admin.addBot("bot_bad", { agentId: "agent_bad" }, ["8040006000"]);
      await dbs.cluster.execute("UPDATE bots SET transfer_number = ? WHERE bot_id = ?", ["12", "bot_bad"]);
      const logger = capturingLogger();
      const resolver = createBotResolver({ dbs, config: config(), logger });
      const { bot, source } = await resolver.resolve("8040006000");
      expect(source).toBe("default");
      expect(bot.agentId).toBe("agent_default");
      const line = logger.lines.find((l) => l.level === "error");
      expect(String(line?.msg)).toContain("bot row is invalid");
      expect(JSON.stringify(line)).toContain("transfer_number");
      expect(JSON.stringify(line)).not.toContain("8040006000"); // the DID is masked at info level
      expect(resolver.stats().errors).toBe(1);
      expect((await admin.listBots()).find((b) => b.botId === "bot_bad")?.invalid).toContain("transfer_number");
    });

    test("admin refuses a taken DID, an unknown bot and a duplicate bot id, and writes nothing", async () => {
      await admin.addBot("bot_owner", { agentId: "agent_o" }, ["8040007000"]);
      await expect(admin.addBot("bot_thief", { agentId: "agent_t" }, ["8040007001", "8040007000"])).rejects.toMatchObject({ code: "conflict" });
      expect((await admin.listBots()).some((b) => b.botId === "bot_thief")).toBe(false);
      expect((await admin.listDids()).some((d) => d.did === "8040007001")).toBe(false);
      await expect(admin.assignDid("8040007002", "bot_nobody")).rejects.toMatchObject({ code: "not_found" });
      await expect(admin.addBot("bot_owner", { agentId: "agent_x" }, ["8040007003"])).rejects.toMatchObject({ code: "conflict" });
      expect((await admin.getBot("bot_owner")).agentId).toBe("agent_o");
      await expect(admin.removeDid("8040007999")).rejects.toMatchObject({ code: "not_found" });
    });

    test("variables merge on update, an empty value removes one, and removing a bot releases its DIDs", async () => {
      await admin.addBot("bot_vars", { agentId: "agent_v", variables: { a: "1", b: "2" } }, ["8040008000", "8040008001"]);
      const updated = await admin.updateBot("bot_vars", { variables: { b: "", c: "3" }, firstMessage: "Hi" });
      expect(updated.dynamicVariables).toEqual({ a: "1", c: "3" });
      expect(updated.firstMessage).toBe("Hi");
      expect((await admin.updateBot("bot_vars", { firstMessage: "" })).firstMessage).toBeUndefined();
      expect((await admin.removeBot("bot_vars")).sort()).toEqual(["8040008000", "8040008001"]);
      const resolver = createBotResolver({ dbs, config: config(), logger: silentLogger });
      expect((await resolver.resolve("8040008000")).source).toBe("default");
      await expect(admin.getBot("bot_vars")).rejects.toMatchObject({ code: "not_found" });
    });
  });
}
