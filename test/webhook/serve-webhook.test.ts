/** `homebook serve` with POST_CALL_WEBHOOK_URL: a simulated call ends, the receiver gets the signed webhook, GET /calls/{id} shows it delivered. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeAgentServer, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";
import { verifyWebhook } from "../../src/webhook/webhook-signature.ts";
import { until } from "../helpers/wait.ts";
import { exitedWithin, serve } from "../ops/serve-process.ts";

const SECRET = "whsec-serve-0123456789abcdef";
const ADMIN_TOKEN = "serve-webhook-admin-0123456789";

let agent: FakeAgentServer;
let receiver: ReturnType<typeof Bun.serve>;
const received: { verified: boolean; body: any }[] = [];

beforeAll(async () => {
  agent = await startFakeAgentServer({ firstMessage: null });
  receiver = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const raw = await req.text();
      received.push({ verified: verifyWebhook(SECRET, req.headers.get("homebook-signature"), raw, Date.now() / 1000), body: JSON.parse(raw) });
      return new Response("ok");
    },
  });
});
afterAll(async () => {
  receiver.stop(true);
  await agent.stop();
});

describe("homebook serve with a post-call webhook", () => {
  test("the call ends, the webhook arrives signed with its transcript, and the record shows it delivered", async () => {
    const s = await serve({
      ELEVENLABS_BASE_URL: agent.baseUrl,
      ELEVENLABS_AGENT_ID: "agent_ops",
      ADMIN_TOKEN,
      POST_CALL_WEBHOOK_URL: `http://127.0.0.1:${receiver.port}/homebook`,
      POST_CALL_WEBHOOK_SECRET: SECRET,
    });
    try {
      const call = await s.call("hooked-1");
      const conv = await agent.nextConversation(5000);
      await conv.init;
      conv.userTranscript("What time do you open?");
      await conv.speak({ text: "We open at nine.", durationMs: 200 });
      await call.waitFor("playAudio", 5000);
      call.hangup();

      await until(() => received.length === 1, 10_000, "the webhook");
      expect(received[0]!.verified).toBe(true);
      expect(received[0]!.body).toMatchObject({
        session_id: "hooked-1",
        call_id: "call-hooked-1",
        did: "8040001234",
        end_reason: "caller_hangup",
        transcript: [
          { role: "user", text: "What time do you open?" },
          { role: "agent", text: "We open at nine." },
        ],
        recording_url: null,
      });
      const status = await until(async () => {
        const res = await fetch(`${s.base}/calls/hooked-1`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        const body = (await res.json()) as { call?: { webhook?: { status: string; attempts: number; last_status: number } } };
        return body.call?.webhook?.status === "delivered" ? body.call.webhook : undefined;
      }, 5000, "GET /calls/{id} to show the delivery");
      expect(status).toMatchObject({ attempts: 1, last_status: 200 });

      s.proc.kill("SIGTERM");
      expect(await exitedWithin(s.proc, 10_000)).toBe(0);
    } finally {
      s.proc.kill("SIGKILL");
    }
  }, 40_000);
});
