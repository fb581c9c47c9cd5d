/**
 * Idle memory and start-up of `homebook serve`: resident set (VmRSS) a few seconds after the first /health 200,
 * for the compiled binary and `bun src/main.ts`, with and without the offline agent.
 *
 *   bun bench/idle-memory.ts [--runs 3] [--idle-ms 4000] [--baseline /path/to/other/checkout]
 *
 * `--baseline` measures another checkout (its dist/homebook and src/main.ts) in the same run, alternately.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { residentMiB, startServeChild, summarize } from "./serve-child.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    "idle-ms": { type: "string", default: "4000" },
    baseline: { type: "string" },
  },
});
const runs = Math.min(20, Math.max(1, Number(values.runs)));
const idleMs = Math.min(30_000, Math.max(0, Number(values["idle-ms"])));

/** The agent is elsewhere (an unreachable port): no offline agent, as in production. */
const REMOTE_AGENT = { ELEVENLABS_BASE_URL: "http://127.0.0.1:9", ELEVENLABS_AGENT_ID: "x" };

interface Target {
  label: string;
  cmd: string[];
  env: Record<string, string>;
}

function targetsOf(checkout: string, tag: string): Target[] {
  const binary = resolve(checkout, "dist/homebook");
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`bun run build\` in ${checkout} first`);
  const source = [process.execPath, resolve(checkout, "src/main.ts"), "serve"];
  return [
    { label: `${tag}binary`, cmd: [binary, "serve"], env: REMOTE_AGENT },
    { label: `${tag}bun src/main.ts`, cmd: source, env: REMOTE_AGENT },
    { label: `${tag}binary, offline agent`, cmd: [binary, "serve"], env: {} },
    { label: `${tag}bun src/main.ts, offline agent`, cmd: source, env: {} },
  ];
}

const targets = [...targetsOf(".", values.baseline ? "this: " : ""), ...(values.baseline ? targetsOf(values.baseline, "baseline: ") : [])];
const rss = new Map<string, number[]>(targets.map((t) => [t.label, []]));
const startup = new Map<string, number[]>(targets.map((t) => [t.label, []]));

for (let run = 0; run < runs; run++) {
  for (const target of targets) {
    const cwd = mkdtempSync(join(tmpdir(), "homebook-idle-"));
    const child = await startServeChild({ cmd: target.cmd, cwd, env: target.env });
    await Bun.sleep(idleMs);
    rss.get(target.label)!.push(await residentMiB(child.pid));
    startup.get(target.label)!.push(child.healthyAfterMs);
    await child.stop();
  }
}

console.log(`idle RSS ${idleMs} ms after the first /health 200, and start to first /health 200 (median of ${runs}; target ≤ 64 MiB)`);
const width = Math.max(...targets.map((t) => t.label.length));
for (const target of targets) {
  const mem = summarize(rss.get(target.label)!);
  const up = summarize(startup.get(target.label)!);
  console.log(`${target.label.padEnd(width)}  RSS ${mem.median.toFixed(1)} MiB (min ${mem.min.toFixed(1)})  start ${up.median.toFixed(0)} ms (min ${up.min.toFixed(0)})`);
}
