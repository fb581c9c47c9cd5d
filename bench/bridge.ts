/**
 * Call bridge benchmark: N simulated calls (default 100) through a gateway child process to the fake
 * agent on loopback for a bounded time. Prints added latency per direction (p50/p95/p99, measured
 * outside the gateway: frame sent → frame forwarded received, so it includes two loopback hops)
 * and the gateway's CPU per call.
 *
 *   bun bench/bridge.ts [--calls 100] [--seconds 10] [--format pcm_16000]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseAgentAudioFormat, type AgentAudioFormat } from "../src/audio/agent-format.ts";
import { startFakeAgentServer } from "../src/sim/fake-agent-server.ts";
import { tonePcm16, toneMulaw } from "../src/sim/tones.ts";
import { encodeAgentAudio } from "../src/sim/agent-audio.ts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "100" },
    seconds: { type: "string", default: "10" },
    format: { type: "string", default: "pcm_16000" },
    gateway: { type: "string" },
  },
});

if (values.gateway) await runGateway(values.gateway);
else await runBench(Number(values.calls), Number(values.seconds), values.format as AgentAudioFormat);

/** Child process: the gateway alone, so its CPU time is measured apart from the simulators. */
async function runGateway(agentBaseUrl: string): Promise<void> {
  const { loadConfig } = await import("../src/config/index.ts");
  const { createLogger } = await import("../src/log/logger.ts");
  const { CallManager } = await import("../src/call/call-manager.ts");
  const { createMemoryBotResolver } = await import("../test/helpers/memory-bot-resolver.ts");
  const { startGateway } = await import("../src/http/server.ts");
  const dir = mkdtempSync(join(tmpdir(), "homebook-bench-"));
  const config = loadConfig({
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_FILE: join(dir, "bench.log"),
    HOMEBOOK_DB_PATH: join(dir, "bench.db"),
    OUTBOX_PATH: join(dir, "outbox.jsonl"),
    ELEVENLABS_BASE_URL: agentBaseUrl,
    ELEVENLABS_AGENT_ID: "agent_bench",
    MAX_CONCURRENT_CALLS: "1000",
    ELEVENLABS_MAX_CONNECTIONS: "1000",
  });
  const logger = createLogger({ level: "warn", stdout: "none" });
  const manager = new CallManager({ config, logger, bots: createMemoryBotResolver(config) });
  const gateway = await startGateway({ config, logger, sockets: manager.socketHandler() });
  let cpuAtBegin = process.cpuUsage();
  let wallAtBegin = performance.now();
  console.log(`READY ${gateway.port}`);
  for await (const line of console) {
    if (line === "begin") {
      cpuAtBegin = process.cpuUsage();
      wallAtBegin = performance.now();
    } else if (line === "report") {
      const cpu = process.cpuUsage(cpuAtBegin);
      console.log(`REPORT ${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wallAtBegin, rssMb: process.memoryUsage().rss / 2 ** 20 })}`);
      await gateway.stop();
      process.exit(0);
    }
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(label: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const f = (v: number) => `${v.toFixed(2)} ms`;
  return `${label.padEnd(10)} n=${String(s.length).padStart(6)}  p50 ${f(percentile(s, 50))}  p95 ${f(percentile(s, 95))}  p99 ${f(percentile(s, 99))}  max ${f(s[s.length - 1] ?? Number.NaN)}`;
}

async function runBench(calls: number, seconds: number, format: AgentAudioFormat): Promise<void> {
  const agent = await startFakeAgentServer({ firstMessage: null, pingIntervalMs: 5000, inputFormat: format, outputFormat: format });
  const child = Bun.spawn(["bun", import.meta.path, "--gateway", agent.baseUrl], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const lines = readLines(child.stdout);
  const ready = await lines.next();
  const port = Number(String(ready.value).split(" ")[1]);
  child.stdin.write("begin\n");
  child.stdin.flush();

  const uplink: number[] = [];
  const downlink: number[] = [];
  const callerFrame = toneMulaw(1000, 20);
  const agentChunk = encodeAgentAudio(tonePcm16(660, 100, parseAgentAudioFormat(format)!.sampleRate), format);
  const agentChunkB64 = Buffer.from(agentChunk).toString("base64");
  const mediaB64 = Buffer.from(callerFrame).toString("base64");
  const sockets: WebSocket[] = [];
  const convs: any[] = [];
  const deadline = performance.now() + seconds * 1000;

  for (let i = 0; i < calls; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/bench-${i}`, { headers: { "X-DID": "8040001234" } } as any);
    await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
    ws.send(JSON.stringify({ event: "start", start: { callId: `call-${i}`, streamId: `stream-${i}` } }));
    const sentAt: number[] = [];
    let downBytes = 0;
    const agentSentAt: number[] = [];
    (ws as any).sentAt = sentAt;
    (ws as any).agentSentAt = agentSentAt;
    ws.onmessage = (event) => {
      const now = performance.now();
      const frame = JSON.parse(String(event.data));
      if (frame.event !== "playAudio") return;
      const bytes = Buffer.from(frame.media.payload, "base64").length;
      // Agent chunk k covers μ-law bytes [800k, 800k + 800): its latency is the arrival of its first byte.
      for (let k = Math.ceil(downBytes / 800); k * 800 < downBytes + bytes; k++) {
        if (agentSentAt[k] !== undefined) downlink.push(now - agentSentAt[k]!);
      }
      downBytes += bytes;
    };
    sockets.push(ws);
    const conv = (await agent.nextConversation(10_000)) as any;
    await conv.init;
    let received = 0;
    conv.onUserAudio(() => {
      const at = sentAt[received++];
      if (at !== undefined) uplink.push(performance.now() - at);
    });
    convs.push(conv);
    await Bun.sleep(Math.max(0, 1000 / calls - 1)); // stagger call starts over ~1 s
  }

  // 20 ms caller frames for every call; 100 ms agent chunks for every conversation (both real time).
  let mediaTick = 0;
  const media = setInterval(() => {
    mediaTick++;
    for (const ws of sockets) {
      (ws as any).sentAt.push(performance.now());
      ws.send(`{"event":"media","sequenceNumber":${mediaTick},"media":{"track":"inbound","chunk":${mediaTick},"timestamp":${mediaTick * 20},"payload":"${mediaB64}"}}`);
    }
  }, 20);
  const speech = setInterval(() => {
    convs.forEach((conv, i) => {
      (sockets[i] as any).agentSentAt.push(performance.now());
      conv.sendFrame({ type: "audio", audio_event: { audio_base_64: agentChunkB64, event_id: 1 } });
    });
  }, 100);
  while (performance.now() < deadline) await Bun.sleep(100);
  clearInterval(media);
  clearInterval(speech);
  await Bun.sleep(300);
  child.stdin.write("report\n");
  child.stdin.flush();
  let report: { cpuMs: number; wallMs: number; rssMb: number } | undefined;
  for (let line = await lines.next(); !line.done; line = await lines.next()) {
    if (String(line.value).startsWith("REPORT ")) report = JSON.parse(String(line.value).slice(7));
  }
  for (const ws of sockets) ws.close();
  await agent.stop();

  console.log(`bridge bench: ${calls} calls, ${seconds} s, agent format ${format}, PLAY_CHUNK_MS 100, loopback, ${navigator.hardwareConcurrency} cores`);
  console.log("added latency, frame sent → forwarded frame received (includes 2 loopback hops):");
  console.log(`  ${summary("uplink", uplink)}`);
  console.log(`  ${summary("downlink", downlink)}`);
  if (report) {
    const callSeconds = (calls * report.wallMs) / 1000;
    console.log(`gateway CPU: ${report.cpuMs.toFixed(0)} ms over ${(report.wallMs / 1000).toFixed(1)} s = ${((report.cpuMs / report.wallMs) * 100).toFixed(1)}% of one core`);
    console.log(`  per call: ${(report.cpuMs / callSeconds).toFixed(2)} ms CPU per call-second (${((report.cpuMs / callSeconds) / 10).toFixed(3)}% of a core); RSS ${report.rssMb.toFixed(0)} MB`);
  }
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
    }
  }
}
