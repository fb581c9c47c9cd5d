/** Overview: calls per minute and end reasons over the last day (from the records), added latency and first audio (from the metrics). */
/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import type { CallStats } from "../store/call-stats-sql.ts";
import { MINUTE_MS } from "../store/call-stats-sql.ts";
import { BarList, HistogramChart, TimeSeriesChart } from "./charts.tsx";
import { endReasonLabel } from "./format.ts";
import { quantileBound, type HistogramView } from "./histograms.ts";
import { Layout } from "./layout.tsx";

export const OVERVIEW_WINDOW_MS = 86_400_000;

export interface OverviewProps {
  /** Calls over the last day (undefined when the store did not answer). */
  stats?: CallStats;
  /** homebook_bridge_added_latency_ms, one series per direction. */
  addedLatency: readonly HistogramView[];
  /** homebook_first_agent_audio_ms. */
  firstAudio: readonly HistogramView[];
  /** How often the open page fetches its charts again (`?refresh=` seconds). */
  refreshMs: number;
}

/** `?refresh=` in seconds: 1 to 600, else every 30 s. */
export function overviewRefreshMs(seconds: string | undefined): number {
  const value = Number(seconds);
  return Number.isInteger(value) && value >= 1 && value <= 600 ? value * 1000 : 30_000;
}

function bound(ms: number | undefined): string {
  if (ms === undefined) return "–";
  return Number.isFinite(ms) ? `≤ ${ms} ms` : "above the largest bucket";
}

/** "1,204 observations; half within ≤ 2 ms, 95% within ≤ 10 ms; mean 2.4 ms." */
/** "1 call", "2 calls": `noun` is the singular of a regular plural. */
const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

function histogramSummary(view: HistogramView | undefined, what: string): string {
  if (!view || view.count === 0) return `No ${what}s measured since the gateway started.`;
  return `${counted(view.count, what)}; half ${bound(quantileBound(view, 0.5))}, 95% ${bound(quantileBound(view, 0.95))}; mean ${(view.sum / view.count).toFixed(1)} ms.`;
}

const Histogram: FC<{ id: string; title: string; view?: HistogramView; what: string }> = ({ id, title, view, what }) => (
  <figure>
    <figcaption>{title}</figcaption>
    <HistogramChart id={id} title={title} summary={histogramSummary(view, what)} buckets={view?.buckets ?? []} unit="ms" />
    <p class="muted">{histogramSummary(view, what)}</p>
  </figure>
);

export const OverviewPage: FC<OverviewProps> = ({ stats, addedLatency, firstAudio, refreshMs }) => {
  const series = (direction: string) => addedLatency.find((h) => h.labels.direction === direction);
  const busiest = stats ? Math.max(0, ...stats.perMinute.map((p) => p.calls)) : 0;
  const callsSummary = stats ? `${counted(stats.total, "call")} ended in the last 24 hours; the busiest minute had ${busiest}.` : "The call store did not answer.";
  return (
    <Layout title="Overview" section="overview" scripts={["overview.js"]}>
      <h1>Overview</h1>
      <p class="muted" id="overview-updated" aria-live="off">
        Updates every {refreshMs / 1000} s while open.
      </p>
      <div class="grid2" id="overview" data-refresh-ms={String(refreshMs)}>
        <figure>
          <figcaption>Calls per minute, last 24 hours</figcaption>
          {stats && (
            <TimeSeriesChart
              id="calls-per-minute"
              title="Calls per minute, last 24 hours"
              summary={callsSummary}
              fromMs={stats.sinceMs}
              toMs={stats.untilMs}
              stepMs={MINUTE_MS}
              points={stats.perMinute.map((p) => ({ atMs: p.minuteMs, value: p.calls }))}
              ticks={[24, 18, 12, 6, 0].map((h) => ({ atMs: stats.untilMs - h * 3_600_000, label: h === 0 ? "now" : `${h} h ago` }))}
            />
          )}
          <p class="muted">{callsSummary}</p>
        </figure>
        <figure>
          <figcaption>End reasons, last 24 hours</figcaption>
          <BarList
            id="end-reasons"
            title="End reasons, last 24 hours"
            summary={stats ? stats.endReasons.map((r) => `${endReasonLabel(r.endReason)}: ${r.calls}`).join("; ") || "No calls." : "The call store did not answer."}
            items={(stats?.endReasons ?? []).map((r) => ({ label: endReasonLabel(r.endReason), value: r.calls }))}
          />
        </figure>
        <Histogram id="latency-uplink" title="Added latency, caller → agent (since start)" view={series("uplink")} what="caller frame" />
        <Histogram id="latency-downlink" title="Added latency, agent → caller (since start)" view={series("downlink")} what="agent frame" />
        <Histogram id="first-audio" title="First agent audio after start (since start)" view={firstAudio[0]} what="call" />
      </div>
    </Layout>
  );
};
