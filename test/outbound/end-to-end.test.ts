import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { CallManager } from "../../src/call/call-manager.ts";
import { createMemoryBotResolver } from "../helpers/memory-bot-resolver.ts";
import { startGateway, type Gateway } from "../../src/http/server.ts";
import { createLogger } from "../../src/log/logger.ts";
import { CampaignState } from "../../src/outbound/campaign-state.ts";
import { runCampaign } from "../../src/outbound/campaign.ts";
import { readContacts } from "../../src/outbound/contacts.ts";
import { createOutboundContextLookup } from "../../src/outbound/context-lookup.ts";
import { parseCsv } from "../../src/outbound/csv.ts";
import { outboundRoutes } from "../../src/outbound/routes.ts";
import { startFakeAgentServer, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";
import { startFakeMcubeApi, type FakeMcubeApi } from "../../src/sim/fake-mcube-api.ts";
import { startMcubeCall } from "../../src/sim/mcube-call.ts";
import { tempDir, testConfig } from "../helpers/env.ts";
import { clientFor, FAST_RETRY, openTestStore, type TestStore } from "./helpers.ts";

let agent: FakeAgentServer;
let mcube: FakeMcubeApi;
let t: TestStore;
let gw: Gateway;
let manager: CallManager;
const logs: string[] = [];

beforeAll(async () => {
  agent = await startFakeAgentServer({ pingIntervalMs: 1000 });
  mcube = await startFakeMcubeApi({ autoConnect: true });
  t = await openTestStore("sqlite");
  const config = testConfig({ ELEVENLABS_BASE_URL: agent.baseUrl, ELEVENLABS_AGENT_ID: "agent_outbound", ...t.target.env });
  const logger = createLogger({ level: "info", stdout: "none", sink: (l) => logs.push(l) });
  manager = new CallManager({ config, logger, bots: createMemoryBotResolver(config), outbound: createOutboundContextLookup({ store: t.store, logger }) });
  gw = await startGateway({ config, logger, sockets: manager.socketHandler(), routes: [outboundRoutes({ config, logger, store: t.store })] });
});

afterAll(async () => {
  await gw.stop();
  await agent.stop();
  await mcube.stop();
  await t.close();
});

test("a campaign call that connects hands the bot the CSV's name and extra columns", async () => {
  const list = readContacts(parseCsv("number,name,city,due_date\r\n+91 98765 43210,\"Rao, Asha\",Pune,2025-02-01\r\n"));
  const dir = tempDir("homebook-e2e-");
  const state = CampaignState.create(join(dir, "r.csv.state.jsonl"), { campaign: "cmp-e2e", did: "8000000000", csv: join(dir, "c.csv"), out: join(dir, "r.csv"), createdAt: new Date().toISOString() });
  const outcome = await runCampaign({
    contacts: list.contacts,
    did: "8000000000",
    state,
    store: t.store,
    client: clientFor(mcube, { refUrl: `${gw.url}/mcube/refurl` }),
    ratePerSecond: 10,
    concurrency: 1,
    retry: FAST_RETRY,
    logger: createLogger({ stdout: "none" }),
  });
  expect(outcome.progress.placed).toBe(1);

  // Mcube (the fake) posts CONNECTING to the refurl and gets where to stream the call.
  const connection = await mcube.nextConnection();
  const callid = connection.call.callid;
  expect(connection.wssUrl).toBe(`${gw.url.replace("http://", "ws://")}/ws/${callid}`);

  const call = await startMcubeCall({ url: connection.wssUrl!, callId: callid });
  try {
    const conversation = await agent.nextConversation(10_000);
    const init = (await conversation.init) as { dynamic_variables?: Record<string, unknown> };
    expect(init.dynamic_variables).toMatchObject({
      city: "Pune",
      due_date: "2025-02-01",
      customer_name: "Rao, Asha",
      customer_number: "9876543210",
      call_id: callid,
    });
  } finally {
    call.hangup();
    await call.closed;
  }
  await manager.whenIdle();

  const answered = await mcube.postStatus(callid, "ANSWER", { endTime: "2025-01-31 10:03:00" });
  expect(answered.body).toEqual({ status: "ok" });
  const [attempt] = await t.store.listCampaign("cmp-e2e");
  expect(attempt).toMatchObject({ status: "placed", callid, outcome: { dialStatus: "ANSWER", endTime: "2025-01-31 10:03:00" } });
  expect(logs.join("\n")).not.toContain("9876543210");
});
