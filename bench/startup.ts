/** Measures start to first /health 200, for the compiled binary and for `bun src/main.ts`. */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const RUNS = Number(process.env.RUNS ?? 15);
const binary = resolve("dist/homebook");
if (!existsSync(binary)) {
  console.error("dist/homebook is missing: run `bun run build` first");
  process.exit(2);
}

async function timeToHealthy(cmd: string[], cwd: string): Promise<number> {
  const port = 30000 + Math.floor(Math.random() * 20000);
  const started = performance.now();
  const child = Bun.spawn(cmd, {
    cwd,
    env: { PATH: process.env.PATH ?? "", PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn" },
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    for (let i = 0; i < 5000; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false);
      if (ok) return performance.now() - started;
      await Bun.sleep(1);
    }
    throw new Error("never became healthy");
  } finally {
    child.kill("SIGTERM");
    await child.exited;
  }
}

function summary(label: string, samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  console.log(`${label.padEnd(28)} min ${sorted[0]!.toFixed(1)} ms  median ${pick(0.5)} ms  p90 ${pick(0.9)} ms  (${samples.length} runs)`);
}

const cwd = mkdtempSync(join(tmpdir(), "homebook-startup-"));
const results: Record<string, number[]> = { "dist/homebook serve": [], "bun src/main.ts serve": [] };
for (let i = 0; i < RUNS; i++) {
  results["dist/homebook serve"]!.push(await timeToHealthy([binary, "serve"], cwd));
  results["bun src/main.ts serve"]!.push(await timeToHealthy([process.execPath, resolve("src/main.ts"), "serve"], cwd));
}
console.log("start to first /health 200 (target: under 100 ms for the binary)");
for (const [label, samples] of Object.entries(results)) summary(label, samples);
