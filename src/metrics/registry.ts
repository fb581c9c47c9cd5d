/** Prometheus metrics: counters, gauges and histograms with labels, bound children for hot paths, one registry rendering the text format. */
import { familyHeader, labelSet, PROMETHEUS_CONTENT_TYPE, sampleLine, type Labels, type MetricType } from "./exposition.ts";

export type { Labels };

interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
  registry?: Registry;
}

interface HistogramOptions extends MetricOptions {
  /** Upper bounds, in any order (sorted here). */
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

/** One string per label set: values in declared order; an absent label differs from an empty one. */
function seriesKey(labelNames: readonly string[], labels: Labels | undefined): string {
  let key = "";
  for (const name of labelNames) {
    const value = labels?.[name];
    key += value === undefined ? "\u0002\u0001" : `${String(value)}\u0001`;
  }
  return key;
}

/** A series: its labels, and whether a bound child holds it (shown only once it has counted something). */
export interface Series {
  readonly labels: Labels | undefined;
  bound: boolean;
  zero(): void;
  /** False for a bound series that has counted nothing since the last reset. */
  readonly touched: boolean;
}

/** What every metric family shares: name, labels, its series by label set, registration. */
export abstract class Family<S extends Series> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly series = new Map<string, S>();

  constructor({ name, help, labelNames = [], registry = metrics }: MetricOptions, readonly type: MetricType) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    registry.register(this);
  }

  protected abstract create(labels: Labels | undefined): S;

  /** The series for `labels`, made on first use. */
  protected seriesFor(labels: Labels | undefined): S {
    const clean = cleanLabels(this.labelNames, labels);
    const key = seriesKey(this.labelNames, clean);
    let series = this.series.get(key);
    if (!series) this.series.set(key, (series = this.create(clean)));
    return series;
  }

  protected find(labels: Labels | undefined): S | undefined {
    return this.series.get(seriesKey(this.labelNames, cleanLabels(this.labelNames, labels)));
  }

  /** Series shown in the exposition, in the order they were first used. */
  protected visible(): S[] {
    // An unlabelled metric shows its single series, at zero before first use.
    if (this.labelNames.length === 0) this.seriesFor(undefined);
    return [...this.series.values()].filter((s) => s.touched);
  }

  /** Zeroes every series; labelled ones nobody holds are forgotten (as if never used). */
  reset(): void {
    for (const [key, series] of this.series) {
      if (series.bound || this.labelNames.length === 0) series.zero();
      else this.series.delete(key);
    }
  }

  /** This family in the text format: HELP, TYPE and its samples. */
  abstract render(): string;
}

/** A counter's or gauge's series; as a bound counter child, `inc` is one field add. */
export class BoundCounter implements Series {
  value = 0;
  bound = false;
  constructor(readonly labels: Labels | undefined) {}
  inc(value = 1): void {
    this.value += value;
  }
  zero(): void {
    this.value = 0;
  }
  get touched(): boolean {
    return !this.bound || this.value !== 0;
  }
}

/** Counters and gauges: one number per label set, or one read at scrape time. */
abstract class ValueFamily extends Family<BoundCounter> {
  private collector: (() => number) | undefined;

  protected create(labels: Labels | undefined): BoundCounter {
    return new BoundCounter(labels);
  }

  /** Reads the value at scrape time instead (unlabelled metrics only). */
  collect(read: () => number): void {
    this.collector = read;
  }

  get(labels?: Labels): number {
    if (this.collector) return this.collector();
    return this.find(labels)?.value ?? 0;
  }

  render(): string {
    if (this.collector) this.seriesFor(undefined).value = this.collector();
    let text = familyHeader(this.name, this.help, this.type);
    for (const series of this.visible()) text += sampleLine(this.name, labelSet(this.labelNames, series.labels), series.value);
    return text;
  }
}

export class Counter extends ValueFamily {
  constructor(options: MetricOptions) {
    super(options, "counter");
  }

  /**
   * A child for one label set, made once (at module load or per call), whose `inc` allocates nothing.
   * @example const framesIn = audioFrames.bind({ leg: "mcube", direction: "in" }); framesIn.inc();
   */
  bind(labels?: Labels): BoundCounter {
    const series = this.seriesFor(labels);
    series.bound = true;
    return series;
  }

  /** Adds `value` (default 1); a counter never goes down, so a negative or non-finite value is ignored. */
  inc(labels?: Labels, value = 1): void {
    if (value >= 0 && Number.isFinite(value)) this.seriesFor(labels).value += value;
  }
}

export class Gauge extends ValueFamily {
  constructor(options: MetricOptions) {
    super(options, "gauge");
  }

  set(labels: Labels | undefined, value: number): void {
    this.seriesFor(labels).value = value;
  }

  inc(labels?: Labels, value = 1): void {
    this.seriesFor(labels).value += value;
  }

  dec(labels?: Labels, value = 1): void {
    this.inc(labels, -value);
  }
}

/** A histogram's series; as a bound child, `observe` counts into a preallocated array. */
export class BoundHistogram implements Series {
  /** Observations per bucket, not cumulative (the last slot: above every bound). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  bound = false;
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
  zero(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
  get touched(): boolean {
    return !this.bound || this.count !== 0;
  }
}

/** One histogram series as read in-process (the console's charts). */
export interface HistogramSeries {
  labels: Record<string, string>;
  /** Observations per bucket, not cumulative; the last one is above every bound. */
  counts: number[];
  count: number;
  sum: number;
}

export class Histogram extends Family<BoundHistogram> {
  readonly buckets: readonly number[];

  constructor({ buckets, ...options }: HistogramOptions) {
    super(options, "histogram");
    this.buckets = [...new Set(buckets)].sort((a, b) => a - b);
  }

  protected create(labels: Labels | undefined): BoundHistogram {
    return new BoundHistogram(labels, this.buckets);
  }

  /** A child for one label set whose `observe` allocates nothing (per-frame latency). */
  bind(labels?: Labels): BoundHistogram {
    const series = this.seriesFor(labels);
    series.bound = true;
    return series;
  }

  observe(labels: Labels | undefined, value: number): void {
    this.seriesFor(labels).observe(value);
  }

  /** Observation count and sum for one label set. */
  get(labels?: Labels): { count: number; sum: number } {
    const s = this.find(labels);
    return { count: s?.count ?? 0, sum: s?.sum ?? 0 };
  }

  /** Every series shown in the exposition, copied. */
  read(): HistogramSeries[] {
    return this.visible().map((s) => ({
      labels: Object.fromEntries(Object.entries(s.labels ?? {}).map(([k, v]) => [k, String(v)])),
      counts: [...s.counts],
      count: s.count,
      sum: s.sum,
    }));
  }

  render(): string {
    let text = familyHeader(this.name, this.help, "histogram");
    for (const series of this.visible()) {
      let cumulative = 0;
      for (let i = 0; i <= this.buckets.length; i++) {
        cumulative += series.counts[i]!;
        const le = i < this.buckets.length ? String(this.buckets[i]) : "+Inf";
        text += sampleLine(`${this.name}_bucket`, labelSet(this.labelNames, series.labels, ["le", le]), cumulative);
      }
      const labels = labelSet(this.labelNames, series.labels);
      text += sampleLine(`${this.name}_sum`, labels, series.sum);
      text += sampleLine(`${this.name}_count`, labels, series.count);
    }
    return text;
  }
}

type Metric = Counter | Gauge | Histogram;

export class Registry {
  readonly contentType: string = PROMETHEUS_CONTENT_TYPE;
  private readonly families = new Map<string, Family<Series>>();
  private readonly collectors: (() => void)[] = [];

  /** Adds a metric; a second metric with the same name is a programming error and throws at once. */
  register(family: Family<Series>): void {
    if (this.families.has(family.name)) throw new Error(`A metric with the name ${family.name} has already been registered`);
    this.families.set(family.name, family);
  }

  /** The metric declared under `name`, if any. */
  find(name: string): Metric | undefined {
    return this.families.get(name) as Metric | undefined;
  }

  /** Runs `collect` before each render (to read several values at once, e.g. one event-loop window). */
  onCollect(collect: () => void): void {
    this.collectors.push(collect);
  }

  /** The whole registry in the Prometheus text exposition format (version 0.0.4). */
  render(): string {
    for (const collect of this.collectors) collect();
    let text = "";
    for (const family of this.families.values()) text += family.render();
    return text;
  }

  /**
   * Sets an unlabelled gauge by name: the one its owner module declared, or a new one on first use.
   * For values read at scrape time (active calls) without importing the owner module.
   */
  setGauge(name: string, help: string, value: number): void {
    const existing = this.find(name) ?? new Gauge({ name, help, registry: this });
    if (existing instanceof Gauge) existing.set(undefined, value);
  }

  /** Every metric back to zero; labelled series nobody holds are forgotten. */
  resetAll(): void {
    for (const family of this.families.values()) family.reset();
  }
}

/** The process-wide registry every module declares its metrics in. */
export const metrics = new Registry();

/** Millisecond buckets for latencies from sub-millisecond to several seconds. */
export const LATENCY_BUCKETS_MS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;
