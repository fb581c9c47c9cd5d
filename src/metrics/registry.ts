/** Prometheus metrics on prom-client, behind the small call signatures every module uses. */
import * as prom from "prom-client";

export type Labels = Record<string, string | number>;

/** One stored series of a prom-client metric (its `hashMap` values; pinned by test/ops/metrics.test.ts). */
interface PromSeries {
  labels: Record<string, string | number>;
  value?: number;
  sum?: number;
  count?: number;
}

interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
  registry?: Registry;
}

interface HistogramOptions extends MetricOptions {
  /** Upper bounds, ascending. */
  buckets: readonly number[];
}

/** Keeps only declared label names, so a stray label never throws on a call's path. */
function cleanLabels(labelNames: readonly string[], labels: Labels | undefined): Labels | undefined {
  if (!labels || labelNames.length === 0) return undefined;
  const out: Labels = {};
  for (const name of labelNames) {
    const value = labels[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The series matching `labels` exactly, read synchronously (prom-client's own get() is async). */
function findSeries(metric: unknown, labelNames: readonly string[], labels: Labels | undefined): PromSeries | undefined {
  const wanted = cleanLabels(labelNames, labels) ?? {};
  const series = Object.values((metric as { hashMap: Record<string, PromSeries> }).hashMap ?? {});
  return series.find((s) =>
    labelNames.every((n) => (s.labels[n] === undefined ? "" : String(s.labels[n])) === (wanted[n] === undefined ? "" : String(wanted[n]))),
  );
}

/** A counter's label set bound once, for hot paths: `inc` is a field add; the total reaches prom-client when metrics are read. */
export class BoundCounter {
  /** Added since the last read. */
  pending = 0;
  constructor(readonly labels: Labels | undefined) {}
  inc(value = 1): void {
    this.pending += value;
  }
}

export class Counter {
  readonly name: string;
  readonly labelNames: readonly string[];
  private readonly inner: prom.Counter<string>;
  private readonly bound: BoundCounter[] = [];

  constructor({ name, help, labelNames = [], registry = metrics }: MetricOptions) {
    this.name = name;
    this.labelNames = labelNames;
    const self = this;
    this.inner = new prom.Counter({
      name,
      help,
      labelNames: [...labelNames],
      registers: [registry.prom],
      collect() {
        self.flush();
      },
    });
    registry.onReset(() => {
      for (const child of this.bound) child.pending = 0;
    });
  }

  /**
   * A child for one label set, made once (at module load or per call), whose `inc` allocates nothing.
   * @example const framesIn = audioFrames.bind({ leg: "mcube", direction: "in" }); framesIn.inc();
   */
  bind(labels?: Labels): BoundCounter {
    const child = new BoundCounter(cleanLabels(this.labelNames, labels));
    this.bound.push(child);
    return child;
  }

  private flush(): void {
    for (const child of this.bound) {
      if (child.pending === 0) continue;
      if (child.labels) this.inner.inc(child.labels, child.pending);
      else this.inner.inc(child.pending);
      child.pending = 0;
    }
  }

  /** Adds `value` (default 1). */
  inc(labels?: Labels, value = 1): void {
    const clean = cleanLabels(this.labelNames, labels);
    if (clean) this.inner.inc(clean, value);
    else this.inner.inc(value);
  }

  get(labels?: Labels): number {
    this.flush();
    return findSeries(this.inner, this.labelNames, labels)?.value ?? 0;
  }
}

export class Gauge {
  readonly name: string;
  readonly labelNames: readonly string[];
  private readonly inner: prom.Gauge<string>;
  private collector: (() => number) | undefined;

  constructor({ name, help, labelNames = [], registry = metrics }: MetricOptions) {
    this.name = name;
    this.labelNames = labelNames;
    const self = this;
    this.inner = new prom.Gauge({
      name,
      help,
      labelNames: [...labelNames],
      registers: [registry.prom],
      collect() {
        if (self.collector) this.set(self.collector());
      },
    });
  }

  set(labels: Labels | undefined, value: number): void {
    const clean = cleanLabels(this.labelNames, labels);
    if (clean) this.inner.set(clean, value);
    else this.inner.set(value);
  }

  inc(labels?: Labels, value = 1): void {
    const clean = cleanLabels(this.labelNames, labels);
    if (clean) this.inner.inc(clean, value);
    else this.inner.inc(value);
  }

  dec(labels?: Labels, value = 1): void {
    this.inc(labels, -value);
  }

  get(labels?: Labels): number {
    if (this.collector) return this.collector();
    return findSeries(this.inner, this.labelNames, labels)?.value ?? 0;
  }

  /** Reads the value at scrape time instead (unlabelled gauges only). */
  collect(read: () => number): void {
    this.collector = read;
  }
}

/** A histogram's label set bound once: `observe` counts into a preallocated array; prom-client sees it when metrics are read. */
export class BoundHistogram {
  /** Observations per bucket since the last read (the last slot: above every bound). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly labels: Labels | undefined, private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

export class Histogram {
  readonly name: string;
  readonly labelNames: readonly string[];
  readonly buckets: readonly number[];
  private readonly inner: prom.Histogram<string>;
  private readonly bound: BoundHistogram[] = [];

  constructor({ name, help, labelNames = [], buckets, registry = metrics }: HistogramOptions) {
    this.name = name;
    this.labelNames = labelNames;
    this.buckets = [...buckets].sort((a, b) => a - b);
    const self = this;
    this.inner = new prom.Histogram({
      name,
      help,
      labelNames: [...labelNames],
      buckets: [...this.buckets],
      registers: [registry.prom],
      collect() {
        self.flush();
      },
    });
    registry.onReset(() => {
      for (const child of this.bound) child.reset();
    });
  }

  /** A child for one label set whose `observe` allocates nothing (per-frame latency). */
  bind(labels?: Labels): BoundHistogram {
    const child = new BoundHistogram(cleanLabels(this.labelNames, labels), this.buckets);
    this.bound.push(child);
    return child;
  }

  /** Folds bound children into prom-client's series (its per-bucket counts, as observe() keeps them). */
  private flush(): void {
    for (const child of this.bound) {
      if (child.count === 0) continue;
      let series = findSeries(this.inner, this.labelNames, child.labels) as (PromSeries & { bucketValues?: Record<string, number> }) | undefined;
      if (!series) {
        if (child.labels) this.inner.zero(child.labels as prom.LabelValues<string>);
        else this.inner.zero({});
        series = findSeries(this.inner, this.labelNames, child.labels) as PromSeries & { bucketValues?: Record<string, number> };
      }
      const buckets = series.bucketValues ?? {};
      this.buckets.forEach((bound, i) => {
        buckets[bound] = (buckets[bound] ?? 0) + child.counts[i]!;
      });
      series.sum = (series.sum ?? 0) + child.sum;
      series.count = (series.count ?? 0) + child.count;
      child.reset();
    }
  }

  observe(labels: Labels | undefined, value: number): void {
    const clean = cleanLabels(this.labelNames, labels);
    if (clean) this.inner.observe(clean, value);
    else this.inner.observe(value);
  }

  /** Observation count and sum for one label set. */
  get(labels?: Labels): { count: number; sum: number } {
    this.flush();
    const s = findSeries(this.inner, this.labelNames, labels);
    return { count: s?.count ?? 0, sum: s?.sum ?? 0 };
  }
}

export class Registry {
  /** The prom-client registry underneath (for prom-client's own helpers). */
  readonly prom = new prom.Registry();

  /** The whole registry in the Prometheus text exposition format (version 0.0.4). */
  render(): Promise<string> {
    return this.prom.metrics();
  }

  /**
   * Sets an unlabelled gauge by name: the one its owner module declared, or a new one on first use.
   * For values read at scrape time (active calls) without importing the owner module.
   */
  setGauge(name: string, help: string, value: number): void {
    const existing = this.prom.getSingleMetric(name);
    if (existing instanceof prom.Gauge) existing.set(value);
    else if (!existing) new prom.Gauge({ name, help, registers: [this.prom] }).set(value);
  }

  /** Bound children's unread counts, dropped on reset. */
  private readonly pendingDiscards: (() => void)[] = [];

  /** Called by metrics with bound children, so a reset also drops what they have not handed over. */
  onReset(discard: () => void): void {
    this.pendingDiscards.push(discard);
  }

  resetAll(): void {
    for (const discard of this.pendingDiscards) discard();
    this.prom.resetMetrics();
  }

  readonly contentType: string = this.prom.contentType;
}

/** The process-wide registry every module declares its metrics in. */
export const metrics = new Registry();

let processMetricsOn = false;
/** Adds prom-client's process metrics (CPU, memory, open fds, event-loop lag) to `metrics`; once per process. */
export function collectProcessMetrics(): void {
  if (processMetricsOn) return;
  processMetricsOn = true;
  prom.collectDefaultMetrics({ register: metrics.prom, prefix: "homebook_" });
}

/** Millisecond buckets for latencies from sub-millisecond to several seconds. */
export const LATENCY_BUCKETS_MS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;
