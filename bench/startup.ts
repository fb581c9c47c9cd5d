/** Measures start to first /health 200, for the compiled binary and for `bun src/main.ts`. */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startServeChild, summarize } from "./serve-child.ts";

const RUNS = Number(process.env.RUNS ?? 15);
const binary = resolve("dist/homebook");
if (!existsSync(binary)) {
  console.error("dist/homebook is missing: run `bun run build` first");
  process.exit(2);
}

async function timeToHealthy(cmd: string[], cwd: string): Promise<number> {
  const child = await startServeChild({ cmd, cwd });
  await child.stop();
  return child.healthyAfterMs;
}

function print(label: string, samples: number[]) {
  const { min, median, p90 } = summarize(samples);
  console.log(`${label.padEnd(28)} min ${min.toFixed(1)} ms  median ${median.toFixed(1)} ms  p90 ${p90.toFixed(1)} ms  (${samples.length} runs)`);
}

const cwd = mkdtempSync(join(tmpdir(), "homebook-startup-"));
const results: Record<string, number[]> = { "dist/homebook serve": [], "bun src/main.ts serve": [] };
for (let i = 0; i < RUNS; i++) {
  results["dist/homebook serve"]!.push(await timeToHealthy([binary, "serve"], cwd));
  results["bun src/main.ts serve"]!.push(await timeToHealthy([process.execPath, resolve("src/main.ts"), "serve"], cwd));
}
console.log("start to first /health 200 (target: under 100 ms for the binary)");
for (const [label, samples] of Object.entries(results)) print(label, samples);
