/** A call whose agent was reconnected is stored, on both stores, with every conversation id and its reconnect count; the admin API shows them. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { silentLogger } from "../../src/log/logger.ts";
import { migrate } from "../../src/store/migrations/index.ts";
import { mysqlStore, sqliteStore } from "./helpers.ts";
import { adminJson, call, recorded, startHarness, stopHarness, type Harness } from "./harness.ts";

describe.each([
  ["sqlite", () => sqliteStore()],
  ["mysql", () => mysqlStore()],
] as const)("a reconnected call's record on %s", (_name, openStore) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(openStore);
  });
  afterAll(async () => {
    await stopHarness(h);
  });

  test("conversation_ids lists both conversations in order and reconnects is 1, in the store and in GET /calls/{id}", async () => {
    const mcube = await call(h, "rc-stored");
    const first = await h.run(h.agent.nextConversation());
    await h.run(first.init);
    await h.run(first.speak({ text: "Hello", durationMs: 200 }));
    first.close(1011);
    const second = await h.run(h.agent.nextConversation());
    await h.run(second.init);
    await h.run(second.speak({ text: "Sorry, go on", durationMs: 200 }));
    await h.run(mcube.waitFor("playAudio"));
    mcube.hangup();
    const record = await recorded(h, "rc-stored");
    expect(record.endReason).toBe("caller_hangup");
    expect(record.conversationIds).toEqual([first.id, second.id]);
    expect(record.reconnects).toBe(1);
    expect(record.conversationId).toBe(second.id);
    const stored = await adminJson(h, "/calls/rc-stored");
    expect(stored.status).toBe("finished");
    expect(stored.call).toMatchObject({ conversation_ids: [first.id, second.id], reconnects: 1 });
  });

  test("migration 008 is recorded once; a repeated run applies nothing", async () => {
    expect(await migrate(h.store.dbs, silentLogger)).toEqual([]);
    const applied = await h.store.dbs.cluster.query<{ id: string }>("SELECT id FROM schema_migrations WHERE id = ?", ["008-call-reconnects"]);
    expect(applied.length).toBe(1);
    if (h.store.dbs.cluster.dialect !== "mysql") return; // SQLite applies a migration in one transaction: never half
    await h.store.dbs.cluster.execute("DELETE FROM schema_migrations WHERE id = ?", ["008-call-reconnects"]);
    expect(await migrate(h.store.dbs, silentLogger)).toEqual(["008-call-reconnects"]);
  });
});
