import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { silentLogger } from "../../src/log/logger.ts";
import { createOutboundContextLookup } from "../../src/outbound/context-lookup.ts";
import { openTestStore, type TestStore } from "./helpers.ts";

for (const dialect of ["sqlite", "mysql"] as const) {
  describe(`outbound attempts store (${dialect})`, () => {
    let t: TestStore;
    beforeAll(async () => {
      t = await openTestStore(dialect);
    });
    afterAll(() => t.close());

    test("an attempt is recorded once per refid, updated, and found by refid and callid", async () => {
      const attempt = { refid: "hb-a1", campaign: "cmp-1", did: "8000000000", number: "9876543210", name: "Asha Rao", variables: { city: "Pune", due: "₹1,200" } };
      await t.store.create(attempt);
      await t.store.create({ ...attempt, name: "someone else" }); // a repeat changes nothing
      const created = await t.store.findByRefid("hb-a1");
      expect(created).toMatchObject({ ...attempt, status: "pending", attempts: 0 });
      expect(created!.callid).toBeUndefined();

      await t.store.update("hb-a1", { status: "retrying", error: "Mcube answered HTTP 503", attempts: 1 });
      await t.store.update("hb-a1", { status: "placed", callid: "mc-77", error: null, attempts: 2 });
      const placed = await t.store.findByCallId("mc-77");
      expect(placed).toMatchObject({ refid: "hb-a1", status: "placed", callid: "mc-77", attempts: 2 });
      expect(placed!.error).toBeUndefined();
      expect(await t.store.findByCallId("mc-unknown")).toBeUndefined();
    });

    test("the webhook outcome is stored against the callid", async () => {
      const found = await t.store.recordOutcome("mc-77", { dialStatus: "ANSWER", callDirection: "outbound", startTime: "2025-01-31 10:00:00", endTime: "2025-01-31 10:02:10", answeredTime: "2025-01-31 10:00:07", recordingFilename: "rec/mc-77.wav" });
      expect(found).toBe(true);
      const a = await t.store.findByRefid("hb-a1");
      expect(a!.outcome).toMatchObject({ dialStatus: "ANSWER", callDirection: "outbound", endTime: "2025-01-31 10:02:10", recordingFilename: "rec/mc-77.wav" });
      expect(await t.store.recordOutcome("mc-nobody", { dialStatus: "BUSY" })).toBe(false);
    });

    test("a callid is claimed by the newest recent attempt for the number that has none", async () => {
      await t.store.create({ refid: "hb-c1", did: "8000000000", number: "9123456789", variables: {} });
      await Bun.sleep(5);
      await t.store.create({ refid: "hb-c2", did: "8000000000", number: "9123456789", variables: {} });
      const claimed = await t.store.claimCallId("mc-88", ["9123456789"], Date.now() - 60_000);
      expect(claimed?.refid).toBe("hb-c2");
      expect((await t.store.findByCallId("mc-88"))?.refid).toBe("hb-c2");
      expect(await t.store.claimCallId("mc-89", ["9123456789"], Date.now() + 60_000)).toBeUndefined();
      expect(await t.store.claimCallId("mc-90", [], 0)).toBeUndefined();
    });

    test("the context lookup hands the bridge the name and the CSV's variables", async () => {
      const lookup = createOutboundContextLookup({ store: t.store, logger: silentLogger });
      expect(await lookup.find("mc-77")).toEqual({
        refid: "hb-a1",
        customerNumber: "9876543210",
        customerName: "Asha Rao",
        did: "8000000000",
        variables: { city: "Pune", due: "₹1,200" },
      });
      expect((await lookup.find("hb-c1"))?.refid).toBe("hb-c1"); // by refid when no callid matches
      expect(await lookup.find("nobody")).toBeUndefined();
    });

    test("campaign listing returns its attempts in order", async () => {
      expect((await t.store.listCampaign("cmp-1")).map((a) => a.refid)).toEqual(["hb-a1"]);
    });
  });
}

test("the context lookup answers undefined (and the call goes on) when the store is down", async () => {
  const t = await openTestStore("sqlite");
  await t.dbs.close();
  const lookup = createOutboundContextLookup({ store: t.store, logger: silentLogger });
  expect(await lookup.find("mc-1")).toBeUndefined();
  await t.target.destroy();
});
