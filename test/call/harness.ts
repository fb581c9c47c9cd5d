/**
 * Test harness: fake agent server + CallManager + gateway on loopback, and helpers to place simulated Mcube
 * calls. The whole call runs in fake time: one TestClock drives the gateway, the fake agent and every
 * simulated caller; a test waits for events with `h.run(promise, maxMs)` / `h.until(check, maxMs)`.
 */
import { setDefaultTimeout } from "bun:test";
import { startGateway, type Gateway } from "../../src/http/server.ts";
import { CallManager } from "../../src/call/call-manager.ts";
import { createMemoryBotResolver } from "../helpers/memory-bot-resolver.ts";
import type { CallRecord, OutboundContextLookup, TranscriptTurn } from "../../src/call/call-record.ts";
import type { Config } from "../../src/config/index.ts";
import { createLogger, type Logger } from "../../src/log/logger.ts";
import type { Bot, BotResolver } from "../../src/call/bot.ts";
import { startFakeAgentServer, type FakeAgentOptions, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";
import { startMcubeCall, type McubeCall, type McubeCallOptions } from "../../src/sim/mcube-call.ts";
import { testConfig } from "../helpers/env.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { sleep } from "../../src/base/clock.ts";

// Calls run in fake time and take a fraction of a real second; the room is for a loaded machine and the
// first keyed test, which loads the ElevenLabs SDK.
setDefaultTimeout(15_000);

export const DID = "8040001234";
export const AGENT_ID = "agent_default";

export interface Harness {
  /** The clock every part of the call runs on. */
  clock: TestClock;
  agent: FakeAgentServer;
  config: Config;
  manager: CallManager;
  gateway: Gateway;
  records: { record: CallRecord; transcript: TranscriptTurn[] }[];
  logLines: string[];
  /** Places a call to /ws/<sessionId> with X-DID in the upgrade headers unless told otherwise. */
  call(options?: Partial<McubeCallOptions> & { sessionId?: string }): Promise<McubeCall>;
  /** The record of a session, once its call has ended (bounded in call time). */
  recordOf(sessionId: string, timeoutMs?: number): Promise<{ record: CallRecord; transcript: TranscriptTurn[] }>;
  /** Waits for `promise`, moving fake time; `maxMs` bounds it in call time. */
  run<T>(promise: Promise<T>, maxMs?: number, what?: string): Promise<T>;
  /** Waits until `check()` holds, within `maxMs` of call time. */
  until(check: () => boolean, maxMs?: number, what?: string): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  agent?: FakeAgentOptions;
  env?: Record<string, string>;
  bots?: Record<string, Bot>;
  outbound?: OutboundContextLookup;
  /** Bot lookups take this long (a slow store), so the agent is ready late. */
  botDelayMs?: number;
  /** Point ELEVENLABS_BASE_URL here instead of the fake agent (e.g. a closed port). */
  baseUrl?: string;
}

let sessionCounter = 0;

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = new TestClock();
  const agent = await startFakeAgentServer({ pingIntervalMs: 400, clock, ...options.agent });
  const config = testConfig({ ELEVENLABS_BASE_URL: options.baseUrl ?? agent.baseUrl, ELEVENLABS_AGENT_ID: AGENT_ID, ...options.env });
  const memory = createMemoryBotResolver(config, options.bots);
  const delayMs = options.botDelayMs ?? 0;
  const bots: BotResolver = delayMs > 0 ? { resolve: async (did) => (await sleep(clock, delayMs), memory.resolve(did)) } : memory;
  const logLines: string[] = [];
  const logger: Logger = createLogger({ level: "info", stdout: "none", sink: (line) => logLines.push(line) });
  const records: Harness["records"] = [];
  const manager = new CallManager({
    config,
    logger,
    clock,
    bots,
    outbound: options.outbound,
    records: {
      write(record, transcript) {
        records.push({ record, transcript: transcript.map((t) => ({ ...t })) });
      },
    },
  });
  const gateway = await startGateway({ config, logger, sockets: manager.socketHandler() });
  const wsBase = gateway.url.replace(/^http/, "ws");

  const run = <T>(promise: Promise<T>, maxMs = 10_000, what?: string): Promise<T> => clock.run(promise, maxMs, what);
  const waitUntil = (check: () => boolean, maxMs = 10_000, what?: string): Promise<void> => clock.until(check, maxMs, what);

  return {
    clock,
    run,
    until: waitUntil,
    agent,
    config,
    manager,
    gateway,
    records,
    logLines,
    call({ sessionId, ...rest } = {}) {
      const id = sessionId ?? `s-${process.pid}-${++sessionCounter}`;
      return startMcubeCall({ url: `${wsBase}/ws/${id}`, upgradeHeaders: { "X-DID": DID }, clock, ...rest });
    },
    async recordOf(sessionId, timeoutMs = 10_000) {
      const find = () => records.find((r) => r.record.sessionId === sessionId);
      await waitUntil(() => find() !== undefined, timeoutMs, `the call record of ${sessionId}`);
      return find()!;
    },
    async stop() {
      await gateway.stop();
      await agent.stop();
    },
  };
}

/** A bot on the default agent with the given fields. */
export function botFor(fields: Partial<Bot>): Bot {
  return { botId: "bot_1", name: "Asha", agentId: AGENT_ID, companyName: "Acme Homes", dynamicVariables: {}, ...fields };
}

/** Resolves with what the caller had heard the moment the gateway's `event` frame arrived (wait for it with `h.run`). */
export async function heardAt(call: McubeCall, event: string, timeoutMs = 10_000): Promise<{ frame: any; heard: Uint8Array }> {
  const frame = await call.waitFor(event, timeoutMs);
  return { frame, heard: call.heard };
}

/** The ms of the call's first `event` on its timeline (counted from when the call was placed). */
export function timelineAtMs(call: McubeCall, event: string): number {
  const entry = call.timeline.find((e) => e.event === event);
  if (!entry) throw new Error(`no ${event} in the call's timeline`);
  return entry.atMs;
}

/** After the call ended: no session, no timer, no agent slot is left (waits in call time). */
export async function expectNothingLeft(harness: Harness, maxMs = 5000): Promise<void> {
  await harness.until(() => harness.manager.activeCount === 0, maxMs, "the call to leave the Map");
  const state = harness.manager.debugState();
  if (state.agentConnectionsInUse !== 0 || state.waitingForAgent !== 0 || Object.keys(state.calls).length !== 0) {
    throw new Error(`something is left after the call: ${JSON.stringify(state)}`);
  }
}
