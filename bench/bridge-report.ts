/** Prints the bridge benchmark's tables (Homebook vs the bare bridge per agent format and call count) and its targets. */
import type { Spread } from "./bridge-common.ts";
import type { TrafficFigures } from "./bridge-analysis.ts";

export type Bridge = "homebook" | "bare";

export interface RunResult {
  bridge: Bridge;
  format: string;
  /** The format of the agent this bridge talked to (the bare bridge: always ulaw_8000). */
  agentFormat: string;
  calls: number;
  round: number;
  /** CPU other processes used, in % of one core: in the second before the run, and over the window (the machine is shared). */
  othersCpuPercent: { before: number; during: number };
  windowS: number;
  cpuMs: number;
  /** Of cpuMs, the part spent in the kernel (mostly loopback TCP for the WebSocket frames). */
  cpuSystemMs: number;
  cpuMsPerCallSecond: number;
  rssIdleMiB: number;
  rssPeakMiB: number;
  rssHwmMiB: number;
  rssPerCallKiB: number;
  /** The gateway's own event-loop delay over the window, from its GET /health/performance. */
  gatewayLagMs: { p99: number; max: number; mean: number };
  /** Post-call webhooks the agent process had received when the run ended (--features all). */
  webhooks: number;
  /** Homebook only: what /metrics said about the window. */
  metrics?: Record<string, number>;
  loadTimerLateMs: Spread;
  agentTimerLateMs: Spread;
  /** CPU the callers' and the agent's processes used over the window, in % of one core (the machine's other load). */
  loadCpuPercent: { callers: number; agent: number };
  /** Other processes used more than DISTURBED_PERCENT of a core during the window (after every retry). */
  disturbed: boolean;
  attempts: number;
  /** Latency figures count only when both load processes kept their timers within 5 ms (p99). */
  latencyValid: boolean;
  traffic: TrafficFigures;
}

const median = (xs: number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const fix = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : "-");
const ratio = (h: number, b: number) => (Number.isFinite(h / b) ? `${(h / b).toFixed(2)}×` : "-");

interface Side {
  runs: RunResult[];
  valid: RunResult[];
  m: (pick: (r: RunResult) => number, runs?: RunResult[]) => number;
}

function side(runs: RunResult[]): Side {
  return { runs, valid: runs.filter((r) => r.latencyValid), m: (pick, subset = runs) => median(subset.map(pick)) };
}

/** "p50 / p99 / max ms" of latency medians over the runs whose load timers kept time; VOID when none did. */
function latency(s: Side, pick: (r: RunResult) => { p50: number; p99: number; max: number }): string {
  if (s.valid.length === 0) return "VOID (load timer lag p99 ≥ 5 ms)";
  const text = `${fix(s.m((r) => pick(r).p50, s.valid))} / ${fix(s.m((r) => pick(r).p99, s.valid))} / ${fix(s.m((r) => pick(r).max, s.valid))} ms`;
  return s.valid.length < s.runs.length ? `${text} (${s.runs.length - s.valid.length} run VOID)` : text;
}

function row(label: string, h: string, b: string, r = ""): string {
  return `  ${label.padEnd(38)} ${h.padEnd(28)} ${b.padEnd(28)} ${r}`;
}

interface Check {
  label: string;
  value: number;
  limit: number;
  unit: string;
}

export function printTables(results: RunResult[], { windowS, warmupS, rounds, echo }: { windowS: number; warmupS: number; rounds: number; echo: string }): void {
  const checks: Check[] = [];
  const groups = new Map<string, RunResult[]>();
  for (const r of results) groups.set(`${r.format} ${r.calls}`, [...(groups.get(`${r.format} ${r.calls}`) ?? []), r]);

  for (const runs of groups.values()) {
    const { format, calls } = runs[0]!;
    const h = side(runs.filter((r) => r.bridge === "homebook"));
    const b = side(runs.filter((r) => r.bridge === "bare"));
    console.log(`\n${format} agent, ${calls} calls, echo ${echo}: medians of ${rounds} run(s) each, ${windowS} s window after ${warmupS} s warm-up, alternating H B / B H`);
    console.log(
      format === "ulaw_8000"
        ? "  both bridges talk to the echo agent in ulaw_8000 (the bare bridge forwards μ-law untouched)"
        : `  Homebook talks to the echo agent in ${format}; the bare bridge cannot transcode, so it talks to the same agent in ulaw_8000`,
    );
    console.log(row("", "Homebook", "bare bridge", "Homebook/bare"));
    const cpuH = h.m((r) => r.cpuMsPerCallSecond);
    const cpuB = b.m((r) => r.cpuMsPerCallSecond);
    console.log(row("gateway CPU per call-second", `${fix(cpuH, 3)} ms`, `${fix(cpuB, 3)} ms`, ratio(cpuH, cpuB)));
    console.log(row("  per run", h.runs.map((r) => fix(r.cpuMsPerCallSecond, 3)).join(" "), b.runs.map((r) => fix(r.cpuMsPerCallSecond, 3)).join(" ")));
    const rss = (s: Side) => `${fix(s.m((r) => r.rssIdleMiB), 1)} / ${fix(s.m((r) => r.rssPeakMiB), 1)} MiB`;
    console.log(row("gateway RSS idle / peak", rss(h), rss(b)));
    const perCallH = h.m((r) => r.rssPerCallKiB);
    const perCallB = b.m((r) => r.rssPerCallKiB);
    console.log(row("gateway RSS per live call", `${fix(perCallH, 0)} KiB`, `${fix(perCallB, 0)} KiB`, ratio(perCallH, perCallB)));
    console.log(row("uplink added latency p50 / p99 / max", latency(h, (r) => r.traffic.uplink), latency(b, (r) => r.traffic.uplink)));
    console.log(row("downlink added latency p50 / p99 / max", latency(h, (r) => r.traffic.downlink), latency(b, (r) => r.traffic.downlink)));
    const lag = (s: Side) => `${fix(s.m((r) => r.gatewayLagMs.p99))} / ${fix(s.m((r) => r.gatewayLagMs.max))} ms`;
    console.log(row("gateway event-loop lag p99 / max", lag(h), lag(b)));
    const lost = (s: Side) => {
      const sum = (pick: (r: RunResult) => number) => s.runs.reduce((acc, r) => acc + pick(r), 0);
      return `${sum((r) => r.traffic.lostUp.frames)} / ${sum((r) => r.traffic.lostDown.frames)}`;
    };
    console.log(row("lost frames up / down (all runs)", lost(h), lost(b)));
    const late = (s: Side, pick: (r: RunResult) => { p50: number; p99: number; max: number }) =>
      `${fix(s.m((r) => pick(r).p50))} / ${fix(Math.max(...s.runs.map((r) => pick(r).p99)))} / ${fix(Math.max(...s.runs.map((r) => pick(r).max)))} ms`;
    console.log(row("load timer lag p50 / worst p99 / max", late(h, (r) => r.loadTimerLateMs), late(b, (r) => r.loadTimerLateMs)));
    console.log(row("agent timer lag p50 / worst p99 / max", late(h, (r) => r.agentTimerLateMs), late(b, (r) => r.agentTimerLateMs)));
    console.log(row("GET /metrics at the window's end", `${fix(h.m((r) => r.metrics?.scrape_ms ?? Number.NaN), 0)} ms`, "(none)"));
    const load = (s: Side) =>
      `${fix(s.m((r) => r.loadCpuPercent.callers), 0)} / ${fix(s.m((r) => r.loadCpuPercent.agent), 0)} / ${fix(Math.max(...s.runs.map((r) => r.othersCpuPercent.during)), 0)} %`;
    console.log(row("CPU of callers / agent / worst others", load(h), load(b)));
    const disturbed = runs.filter((r) => r.disturbed);
    if (disturbed.length > 0) {
      console.log(`  note: ${disturbed.map((r) => `${r.bridge} r${r.round}`).join(", ")} kept although other processes used over a quarter of a core during the window`);
    }
    const problems = runs.flatMap((r) => r.traffic.problems.map((p) => `${r.bridge} r${r.round}: ${p}`));
    if (problems.length > 0) console.log(`  problems (${problems.length}): ${problems.slice(0, 5).join("; ")}`);

    checks.push({ label: `${format} ${calls} calls: CPU Homebook/bare`, value: cpuH / cpuB, limit: format === "ulaw_8000" ? 0.75 : 1.0, unit: "×" });
    if (format === "pcm_16000" && calls >= 200) checks.push({ label: `${format} ${calls} calls: Homebook CPU per call-second`, value: cpuH, limit: 1.0, unit: " ms" });
    if (calls >= 200) {
      checks.push({ label: `${format} ${calls} calls: Homebook event-loop lag p99`, value: h.m((r) => r.gatewayLagMs.p99), limit: 5, unit: " ms" });
      checks.push({ label: `${format} ${calls} calls: Homebook uplink p99`, value: h.valid.length ? h.m((r) => r.traffic.uplink.p99, h.valid) : Number.NaN, limit: 10, unit: " ms" });
    }
    if (calls === 100) {
      checks.push({ label: `${format} ${calls} calls: Homebook downlink p99`, value: h.valid.length ? h.m((r) => r.traffic.downlink.p99, h.valid) : Number.NaN, limit: 10, unit: " ms" });
    }
    checks.push({ label: `${format} ${calls} calls: Homebook idle RSS`, value: h.m((r) => r.rssIdleMiB), limit: 64, unit: " MiB" });
    checks.push({ label: `${format} ${calls} calls: Homebook RSS per call`, value: perCallH, limit: 150, unit: " KiB" });
    const lostH = h.runs.reduce((acc, r) => acc + r.traffic.lostUp.frames + r.traffic.lostDown.frames, 0);
    checks.push({ label: `${format} ${calls} calls: Homebook lost frames`, value: lostH, limit: 0, unit: "" });
  }

  console.log("\ntargets (Homebook):");
  for (const c of checks) {
    const verdict = !Number.isFinite(c.value) ? "VOID" : c.value <= c.limit ? "met" : "MISSED";
    console.log(`  ${verdict.padEnd(6)} ${c.label.padEnd(52)} ${fix(c.value, c.unit === "" ? 0 : 2)}${c.unit} (target ≤ ${c.limit}${c.unit})`);
  }
}
