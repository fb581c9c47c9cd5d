/** Histograms read from the process's metrics registry in-process (no HTTP scrape), as bucket counts for charts. */
import { Histogram, type Registry } from "../metrics/registry.ts";

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

/** Every series of histogram `name` (none when it is not registered yet). */
export function readHistogram(registry: Registry, name: string): HistogramView[] {
  const metric = registry.find(name);
  if (!(metric instanceof Histogram)) return [];
  return metric.read().map(({ labels, counts, count, sum }) => ({
    labels,
    buckets: counts.map((n, i) => ({ le: metric.buckets[i] ?? Number.POSITIVE_INFINITY, count: n })),
    count,
    sum,
  }));
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
