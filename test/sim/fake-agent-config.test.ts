import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GetAgentResponseModel, ToolResponseModel } from "@elevenlabs/elevenlabs-js/serialization/index.js";
import { startFakeAgentServer, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";

const API_KEY = "fake-config-key";
let agent: FakeAgentServer;

beforeAll(async () => {
  agent = await startFakeAgentServer({ apiKey: API_KEY, knownAgents: ["agent_a"], inputFormat: "ulaw_8000", outputFormat: "pcm_24000", allowedOverrides: ["agent.language"], maxDurationMs: 90_000 });
});
afterAll(() => agent.stop());

const get = (path: string, key = API_KEY) => fetch(`${agent.baseUrl}${path}`, { headers: { "xi-api-key": key } });

describe("fake agent: GET /v1/convai/agents/{agent_id}", () => {
  test("answers the real response shape, strictly as the SDK reads it, reflecting the fake's options", async () => {
    const res = await get("/v1/convai/agents/agent_a");
    expect(res.status).toBe(200);
    // Strict: an unknown or missing field would throw here.
    const parsed = GetAgentResponseModel.parseOrThrow(await res.json(), { unrecognizedObjectKeys: "fail" });
    expect(parsed.conversationConfig.asr?.userInputAudioFormat).toBe("ulaw_8000");
    expect(parsed.conversationConfig.tts?.agentOutputAudioFormat).toBe("pcm_24000");
    expect(parsed.conversationConfig.conversation?.maxDurationSeconds).toBe(90);
    expect(parsed.platformSettings?.auth?.enableAuth).toBe(true);
    expect(parsed.platformSettings?.overrides?.conversationConfigOverride?.agent).toMatchObject({ language: true, firstMessage: false });
    const toolIds = parsed.conversationConfig.agent?.prompt?.toolIds ?? [];
    expect(toolIds).toHaveLength(3);
    const tool = ToolResponseModel.parseOrThrow(await (await get(`/v1/convai/tools/${toolIds[0]}`)).json(), { unrecognizedObjectKeys: "fail" });
    expect(tool.toolConfig).toMatchObject({ type: "client", name: "transfer_call", expectsResponse: true });
  });

  test("a wrong key is refused (401) and an unknown agent is not found (404), as for signed URLs", async () => {
    const refused = await get("/v1/convai/agents/agent_a", "wrong");
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ detail: { status: "invalid_api_key", message: "Invalid API key" } });
    const unknown = await get("/v1/convai/agents/agent_b");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ detail: { status: "agent_not_found", message: "Agent not found" } });
  });
});
