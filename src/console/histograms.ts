/** Histograms read from the process's metrics registry in-process (no HTTP scrape), as bucket counts for charts. */
import type { Registry } from "../metrics/registry.ts";

export interface HistogramBucket {
  /** Upper bound (ms); Infinity for the last bucket. */
  le: number;
  /** Observations in this bucket alone (not cumulative). */
  count: number;
}

export interface HistogramView {
  /** The series' labels (without `le`), e.g. { direction: "uplink" }. */
  labels: Record<string, string>;
  buckets: HistogramBucket[];
  count: number;
  sum: number;
}

interface PromValue {
  value: number;
  metricName?: string;
  labels: Record<string, string | number>;
}

/** Every series of histogram `name` (none when it is not registered yet). */
export async function readHistogram(registry: Registry, name: string): Promise<HistogramView[]> {
  const metric = registry.prom.getSingleMetric(name);
  if (!metric) return [];
  const { values } = (await metric.get()) as { values: PromValue[] };
  const series = new Map<string, HistogramView & { cumulative: { le: number; value: number }[] }>();
  for (const v of values) {
    const { le, ...rest } = v.labels;
    const labels = Object.fromEntries(Object.entries(rest).map(([k, x]) => [k, String(x)]));
    const key = JSON.stringify(labels);
    let view = series.get(key);
    if (!view) series.set(key, (view = { labels, buckets: [], count: 0, sum: 0, cumulative: [] }));
    if (v.metricName === `${name}_bucket`) view.cumulative.push({ le: le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), value: v.value });
    else if (v.metricName === `${name}_sum`) view.sum = v.value;
    else if (v.metricName === `${name}_count`) view.count = v.value;
  }
  return [...series.values()].map(({ cumulative, ...view }) => {
    cumulative.sort((a, b) => a.le - b.le);
    const buckets = cumulative.map((b, i) => ({ le: b.le, count: b.value - (i > 0 ? cumulative[i - 1]!.value : 0) }));
    return { ...view, buckets };
  });
}

/**
 * The bound below which `q` (0..1) of the observations fall, read from the buckets (an upper
 * estimate, as Prometheus' histogram_quantile without interpolation): "p95 ≤ 25 ms".
 */
export function quantileBound(view: HistogramView, q: number): number | undefined {
  if (view.count === 0) return undefined;
  let seen = 0;
  for (const bucket of view.buckets) {
    seen += bucket.count;
    if (seen >= q * view.count) return bucket.le;
  }
  return Number.POSITIVE_INFINITY;
}
