/** `homebook agent` and `homebook call` through the real CLI entry, against real servers on loopback. */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { writeWav, readWav } from "../../src/audio/wav.ts";
import { pcm16ToBytes } from "../../src/audio/pcm-bytes.ts";
import { mulawDecode } from "../../src/audio/mulaw.ts";
import { startGateway, type Gateway } from "../../src/http/server.ts";
import { CallManager } from "../../src/call/call-manager.ts";
import { createMemoryBotResolver } from "../helpers/memory-bot-resolver.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { concatBytes, rmsDb, tonePcm16, toneMs, toneMulaw } from "../../src/sim/tones.ts";
import { tempDir, testConfig } from "../helpers/env.ts";
import { convertMedia, MULAW_8K } from "../../src/sim/mcube-media.ts";
import { connect, INIT } from "./ws-client.ts";
import { playAudio, startScriptedGateway, type GatewayLeg, type ScriptedGateway } from "./scripted-gateway.ts";

const MAIN = join(import.meta.dir, "../../src/main.ts");

interface Spawned {
  proc: ReturnType<typeof Bun.spawn>;
  /** stdout so far. */
  output(): string;
  /** Resolves with the first stdout match of `pattern` (bounded). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

function homebook(args: string[]): Spawned {
  const proc = Bun.spawn([process.execPath, MAIN, ...args], {
    cwd: tempDir("homebook-sim-cli-"),
    env: { PATH: process.env.PATH ?? "" },
    stdout: "pipe",
    stderr: "pipe",
  });
  let stdout = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) stdout += decoder.decode(chunk);
  })();
  const done = (async () => {
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr as ReadableStream).text(), reading]);
    return { code, stdout, stderr };
  })();
  return {
    proc,
    output: () => stdout,
    async waitForOutput(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = stdout.match(pattern);
        if (match) return match;
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`no ${pattern} in output: ${stdout}`);
        await Bun.sleep(20);
      }
    },
    done,
  };
}

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function gateway(): ScriptedGateway {
  const g = startScriptedGateway();
  cleanups.push(() => g.stop());
  return g;
}

/** A gateway that greets with a tone, waits for its ack, then ends the call the given way. */
async function greetThenEnd(leg: GatewayLeg, end: (leg: GatewayLeg, streamId: string) => void) {
  const start = await leg.waitFor((f) => f.event === "start");
  const streamId = start.start.streamId;
  leg.send(playAudio(streamId, toneMulaw(660, 600)));
  leg.send({ event: "checkpoint", streamId, name: "greeting" });
  await leg.waitFor((f) => f.event === "playedStream" && f.name === "greeting");
  end(leg, streamId);
}

describe("homebook agent", () => {
  test("serves signed URLs behind the key and conversations in the chosen formats; stops on SIGTERM", async () => {
    const agent = homebook(["agent", "--port", "0", "--persona", "scripted", "--api-key", "test-key", "--output-format", "ulaw_8000", "--input-format", "pcm_8000"]);
    cleanups.push(() => void agent.proc.kill());
    const [, baseUrl] = await agent.waitForOutput(/agent listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const denied = await fetch(`${baseUrl}/v1/convai/conversation/get-signed-url?agent_id=a`, { headers: { "xi-api-key": "nope" } });
    expect(denied.status).toBe(401);
    const res = await fetch(`${baseUrl}/v1/convai/conversation/get-signed-url?agent_id=a`, { headers: { "xi-api-key": "test-key" } });
    const { signed_url } = (await res.json()) as { signed_url: string };
    const client = connect(signed_url);
    client.send(INIT);
    const metadata = await client.waitFor((f) => f.type === "conversation_initiation_metadata");
    expect(metadata.conversation_initiation_metadata_event).toMatchObject({ agent_output_audio_format: "ulaw_8000", user_input_audio_format: "pcm_8000" });
    await client.waitFor((f) => f.type === "audio");
    client.ws.close();
    agent.proc.kill("SIGTERM");
    expect((await agent.done).code).toBe(0);
  });

  test("a bad format or persona is a usage error (exit 2)", async () => {
    const bad = await homebook(["agent", "--output-format", "mp3_44100"]).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("pcm_16000");
    expect((await homebook(["agent", "--persona", "poet"]).done).code).toBe(2);
  });
});

describe("homebook call", () => {
  test("a clean call: timeline printed, greeting recorded, context in the upgrade headers, exit 0", async () => {
    const g = gateway();
    const record = join(tempDir(), "heard.wav");
    const run = homebook(["call", "--url", g.url("cli-1"), "--tone", "440", "--seconds", "0.5", "--did", "8040001234", "--customer-name", "Asha", "--record", record]);
    const leg = await g.nextLeg();
    expect(leg.headers.get("x-did")).toBe("8040001234");
    expect(leg.headers.get("x-custname")).toBe("Asha");
    await greetThenEnd(leg, (l, streamId) => {
      l.send({ event: "terminate", streamId });
      l.close(1000, "done");
    });
    const result = await run.done;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    for (const text of ["connected", "start sent", "playAudio burst 1", 'checkpoint "greeting"', 'playedStream "greeting"', "terminate", "closed 1000", "greeting heard", "result: ok"]) {
      expect(result.stdout).toContain(text);
    }
    const heard = readWav(new Uint8Array(await Bun.file(record).arrayBuffer()));
    expect(heard).toMatchObject({ sampleRate: 8000, encoding: "mulaw" });
    expect(toneMs(heard.data, 660)).toBeGreaterThanOrEqual(580);
    // The caller spoke only after the greeting had played.
    const media = leg.frames.filter((f) => f.event === "media").map((f) => new Uint8Array(Buffer.from(f.media.payload, "base64")));
    expect(toneMs(concatBytes(media.slice(0, 25)), 440)).toBe(0);
  });

  test("--wav at 44.1 kHz is resampled to 8 kHz μ-law; --barge-in speaks at once", async () => {
    const g = gateway();
    const wav = join(tempDir(), "input.wav");
    await Bun.write(wav, writeWav({ sampleRate: 44_100, encoding: "pcm16", data: pcm16ToBytes(tonePcm16(1000, 800, 44_100)) }));
    const run = homebook(["call", "--url", g.url("cli-wav"), "--wav", wav, "--barge-in", "--dtmf", "5@1s"]);
    const leg = await g.nextLeg();
    await leg.waitFor((f) => f.event === "dtmf", 5000);
    const start = leg.frames.find((f) => f.event === "start");
    const sent = concatBytes(leg.frames.filter((f) => f.event === "media").map((f) => new Uint8Array(Buffer.from(f.media.payload, "base64"))));
    expect(toneMs(sent, 1000)).toBeGreaterThanOrEqual(760);
    expect(leg.frames.find((f) => f.event === "dtmf").dtmf.digit).toBe("5");
    leg.send(playAudio(start.start.streamId, toneMulaw(660, 100)));
    leg.send({ event: "transfer", streamId: start.start.streamId, number: "9876543210" });
    leg.close(1000);
    const result = await run.done;
    expect(result.code).toBe(1); // transfer came with audio still queued
    expect(result.stderr).toContain("not yet played");
  });

  test("the gateway closing without terminate or transfer is a failure with the reason (exit 1)", async () => {
    const g = gateway();
    const run = homebook(["call", "--url", g.url("cli-2"), "--tone", "440", "--seconds", "0.2", "--dtmf", "1@5s"]);
    await greetThenEnd(await g.nextLeg(), (l) => l.close(1011, "agent failed"));
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('without terminate or transfer');
    expect(result.stdout).toContain('closed 1011 "agent failed"');
  });

  test("--format l16-16000: start announces it, media goes as 640-byte frames, the recording is 16 kHz PCM", async () => {
    const g = gateway();
    const record = join(tempDir(), "heard-l16.wav");
    const run = homebook(["call", "--url", g.url("cli-l16"), "--format", "l16-16000", "--tone", "440", "--seconds", "0.3", "--record", record]);
    const leg = await g.nextLeg();
    const start = await leg.waitFor((f) => f.event === "start");
    expect(start.start.mediaFormat).toEqual({ encoding: "audio/x-l16", sampleRate: 16000 });
    const streamId = start.start.streamId;
    const greeting = Buffer.from(pcm16ToBytes(tonePcm16(660, 600, 16000))).toString("base64");
    leg.send({ event: "playAudio", streamId, media: { contentType: "audio/x-l16", sampleRate: 16000, payload: greeting } });
    leg.send({ event: "checkpoint", streamId, name: "greeting" });
    await leg.waitFor((f) => f.event === "playedStream");
    leg.send({ event: "terminate", streamId });
    leg.close(1000, "done");
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("audio/x-l16 at 16000 Hz");
    expect(result.stdout).not.toContain("INVALID");
    const media = leg.frames.filter((f) => f.event === "media");
    expect(media.every((f) => Buffer.from(f.media.payload, "base64").length === 640)).toBe(true);
    const heard = readWav(new Uint8Array(await Bun.file(record).arrayBuffer()));
    expect(heard).toMatchObject({ sampleRate: 16000, encoding: "pcm16" });
    expect(toneMs(convertMedia(heard.data, { encoding: "audio/x-l16", sampleRate: 16000 }, MULAW_8K), 660)).toBeGreaterThanOrEqual(580);
    const bad = await homebook(["call", "--format", "alaw"]).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("mulaw, l16-8000, l16-16000");
  });

  test("nobody listening: could not connect (exit 1); a bad --dtmf plan: usage error (exit 2)", async () => {
    const closedPort = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const url = `ws://127.0.0.1:${closedPort.port}/ws/x`;
    await closedPort.stop(true);
    const refused = await homebook(["call", "--url", url]).done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("could not connect");
    const bad = await homebook(["call", "--dtmf", "1@soon"]).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("DIGIT@TIME");
  });
});

describe("homebook agent + homebook call through the call bridge", () => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
  });

  test("echo agent: greeting heard, the caller's tone echoed, # ends with terminate after the goodbye", async () => {
    const agent = homebook(["agent", "--port", "0"]);
    cleanups.push(() => void agent.proc.kill());
    const [, baseUrl] = await agent.waitForOutput(/agent listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const config = testConfig({ ELEVENLABS_BASE_URL: baseUrl!, ELEVENLABS_AGENT_ID: "agent_echo" });
    const manager = new CallManager({ config, logger: silentLogger, bots: createMemoryBotResolver(config) });
    gw = await startGateway({ config, logger: silentLogger, sockets: manager.socketHandler() });
    const record = join(tempDir(), "heard.wav");
    const wsUrl = `${gw.url.replace(/^http/, "ws")}/ws/e2e-echo`;
    const result = await homebook(["call", "--url", wsUrl, "--tone", "523", "--seconds", "1.5", "--record", record]).done;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("caller presses #");
    expect(result.stdout).toContain("terminate");
    const heard = readWav(new Uint8Array(await Bun.file(record).arrayBuffer())).data;
    const greetingEnd = Number(/caller hears silence \((\d+) ms after start\)/.exec(result.stdout)![1]);
    expect(rmsDb(mulawDecode(heard.subarray(0, greetingEnd * 8)))).toBeGreaterThan(-35); // the spoken greeting
    expect(toneMs(heard, 523)).toBeGreaterThanOrEqual(1440); // the echo, in full
    expect(manager.activeCount).toBe(0);
  }, 30_000);
});
