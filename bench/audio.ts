/** Audio benchmark: μ-law codec ns/sample (ours vs npm alawmulaw) and µs per 20 ms frame for resamplers and transcoders. */

import { mulaw as referenceMulaw } from "alawmulaw";
import { AGENT_AUDIO_FORMATS, bytesPerMs } from "../src/audio/agent-format.ts";
import { mulawDecode, mulawEncode } from "../src/audio/mulaw.ts";
import { createResampler, SUPPORTED_RATES } from "../src/audio/resampler.ts";
import { createDownlinkTranscoder, createUplinkTranscoder } from "../src/audio/transcoder.ts";

const FRAME_MS = 20;

/** Best-of-rounds time per call in ns: `rounds` rounds of `calls` calls each (bounded). */
function timeNs(fn: () => void, calls: number, rounds = 7): number {
  for (let i = 0; i < calls; i++) fn(); // warm up the JIT
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = Bun.nanoseconds();
    for (let i = 0; i < calls; i++) fn();
    best = Math.min(best, (Bun.nanoseconds() - start) / calls);
  }
  return best;
}

function tone(rate: number, ms: number, hz = 1013): Int16Array {
  const samples = new Int16Array((rate * ms) / 1000);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(16384 * Math.sin((2 * Math.PI * hz * i) / rate));
  return samples;
}

const rows: string[] = [];
const row = (label: string, value: string) => rows.push(`${label.padEnd(48)} ${value}`);

/** μ-law codec over a buffer of `samples` samples per call: ours (into a preallocated array and allocating) and alawmulaw's. */
function benchMulaw(samples: number, label: string): void {
  const pcm = tone(8000, samples / 8, 1013);
  const ulaw = mulawEncode(pcm);
  const decoded = new Int16Array(pcm.length);
  const encoded = new Uint8Array(pcm.length);
  const calls = Math.round(3_200_000 / samples);
  const perSample = (ns: number) => `${(ns / pcm.length).toFixed(3)} ns/sample`;
  row(`μ-law decode ${label} (ours, preallocated)`, perSample(timeNs(() => mulawDecode(ulaw, decoded), calls)));
  row(`μ-law decode ${label} (ours, allocating)`, perSample(timeNs(() => mulawDecode(ulaw), calls)));
  row(`μ-law decode ${label} (alawmulaw 6.0.0)`, perSample(timeNs(() => referenceMulaw.decode(ulaw), calls / 4)));
  row(`μ-law encode ${label} (ours, preallocated)`, perSample(timeNs(() => mulawEncode(pcm, encoded), calls)));
  row(`μ-law encode ${label} (ours, allocating)`, perSample(timeNs(() => mulawEncode(pcm), calls)));
  row(`μ-law encode ${label} (alawmulaw 6.0.0)`, perSample(timeNs(() => referenceMulaw.encode(pcm), calls / 4)));
}
benchMulaw(160, "20 ms");
benchMulaw(8000, "1 s");

// Resamplers: one 20 ms frame per call, stream state carried (as in a call).
const perFrame = (ns: number) => `${(ns / 1000).toFixed(2)} µs/frame`;
for (const rate of SUPPORTED_RATES) {
  if (rate === 8000) continue;
  const up = createResampler(8000, rate);
  const down = createResampler(rate, 8000);
  const frame8k = tone(8000, FRAME_MS);
  const frameAgent = tone(rate, FRAME_MS);
  row(`resample 8000 → ${rate}`, perFrame(timeNs(() => up.process(frame8k), 2000)));
  row(`resample ${rate} → 8000`, perFrame(timeNs(() => down.process(frameAgent), 2000)));
}

// Transcoders end to end: μ-law frame → agent bytes, and agent bytes → μ-law frame.
for (const format of AGENT_AUDIO_FORMATS) {
  const uplink = createUplinkTranscoder(format);
  const downlink = createDownlinkTranscoder(format);
  const agentFrame = new Uint8Array(bytesPerMs(format) * FRAME_MS).map((_, i) => (i * 37) & 0xff);
  const callerFrame = mulawEncode(tone(8000, FRAME_MS));
  row(`uplink transcoder ulaw_8000 → ${format}`, perFrame(timeNs(() => uplink.process(callerFrame), 2000)));
  row(`downlink transcoder ${format} → ulaw_8000`, perFrame(timeNs(() => downlink.process(agentFrame), 2000)));
}

console.log(`Homebook audio benchmark (Bun ${Bun.version}, ${process.arch}); best of 7 rounds\n`);
console.log(rows.join("\n"));
