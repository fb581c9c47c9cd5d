/** Prometheus metrics: counters, gauges and histograms with labels, rendered in the text exposition format. */

export type Labels = Record<string, string | number>;

interface Metric {
  readonly name: string;
  render(): string;
  reset(): void;
}

function labelKey(labelNames: readonly string[], labels: Labels | undefined): string {
  if (labelNames.length === 0) return "";
  return labelNames.map((n) => String(labels?.[n] ?? "")).join("\u0000");
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatLabels(labelNames: readonly string[], key: string, extra?: [string, string]): string {
  const values = key === "" ? [] : key.split("\u0000");
  const pairs = labelNames.map((n, i) => `${n}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return pairs.length ? `{${pairs.join(",")}}` : "";
}

function formatNumber(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
  registry?: Registry;
}

abstract class LabelledMetric implements Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected abstract readonly type: string;

  constructor(options: MetricOptions) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
    (options.registry ?? metrics).register(this);
  }

  protected header(): string {
    return `# HELP ${this.name} ${this.help.replace(/\n/g, " ")}\n# TYPE ${this.name} ${this.type}\n`;
  }

  abstract render(): string;
  abstract reset(): void;
}

export class Counter extends LabelledMetric {
  protected readonly type = "counter";
  private readonly values = new Map<string, number>();

  /** Adds `value` (default 1). */
  inc(labels?: Labels, value = 1): void {
    const key = labelKey(this.labelNames, labels);
    this.values.set(key, (this.values.get(key) ?? 0) + value);
  }

  get(labels?: Labels): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }

  render(): string {
    let out = this.header();
    if (this.values.size === 0 && this.labelNames.length === 0) out += `${this.name} 0\n`;
    for (const [key, v] of this.values) out += `${this.name}${formatLabels(this.labelNames, key)} ${formatNumber(v)}\n`;
    return out;
  }

  reset(): void {
    this.values.clear();
  }
}

export class Gauge extends LabelledMetric {
  protected readonly type = "gauge";
  private readonly values = new Map<string, number>();
  private collector: (() => number) | undefined;

  set(labels: Labels | undefined, value: number): void {
    this.values.set(labelKey(this.labelNames, labels), value);
  }

  inc(labels?: Labels, value = 1): void {
    const key = labelKey(this.labelNames, labels);
    this.values.set(key, (this.values.get(key) ?? 0) + value);
  }

  dec(labels?: Labels, value = 1): void {
    this.inc(labels, -value);
  }

  get(labels?: Labels): number {
    if (this.collector) return this.collector();
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }

  /** Reads the value at scrape time instead (unlabelled gauges only). */
  collect(read: () => number): void {
    this.collector = read;
  }

  render(): string {
    let out = this.header();
    if (this.collector) return `${out}${this.name} ${formatNumber(this.collector())}\n`;
    if (this.values.size === 0 && this.labelNames.length === 0) out += `${this.name} 0\n`;
    for (const [key, v] of this.values) out += `${this.name}${formatLabels(this.labelNames, key)} ${formatNumber(v)}\n`;
    return out;
  }

  reset(): void {
    this.values.clear();
  }
}

interface HistogramOptions extends MetricOptions {
  /** Upper bounds, ascending. */
  buckets: readonly number[];
}

export class Histogram extends LabelledMetric {
  protected readonly type = "histogram";
  readonly buckets: readonly number[];
  private readonly series = new Map<string, { counts: Float64Array; sum: number; count: number }>();

  constructor(options: HistogramOptions) {
    super(options);
    this.buckets = [...options.buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels | undefined, value: number): void {
    const key = labelKey(this.labelNames, labels);
    let s = this.series.get(key);
    if (!s) {
      s = { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  /** Observation count and sum for one label set. */
  get(labels?: Labels): { count: number; sum: number } {
    const s = this.series.get(labelKey(this.labelNames, labels));
    return { count: s?.count ?? 0, sum: s?.sum ?? 0 };
  }

  render(): string {
    let out = this.header();
    for (const [key, s] of this.series) {
      this.buckets.forEach((b, i) => {
        out += `${this.name}_bucket${formatLabels(this.labelNames, key, ["le", formatNumber(b)])} ${s.counts[i]}\n`;
      });
      out += `${this.name}_bucket${formatLabels(this.labelNames, key, ["le", "+Inf"])} ${s.count}\n`;
      out += `${this.name}_sum${formatLabels(this.labelNames, key)} ${formatNumber(s.sum)}\n`;
      out += `${this.name}_count${formatLabels(this.labelNames, key)} ${s.count}\n`;
    }
    return out;
  }

  reset(): void {
    this.series.clear();
  }
}

export class Registry {
  private readonly byName = new Map<string, Metric>();

  register(metric: Metric): void {
    if (this.byName.has(metric.name)) throw new Error(`metric ${metric.name} is registered twice`);
    this.byName.set(metric.name, metric);
  }

  /** The whole registry in the Prometheus text exposition format (version 0.0.4). */
  render(): string {
    return [...this.byName.values()].map((m) => m.render()).join("");
  }

  resetAll(): void {
    for (const m of this.byName.values()) m.reset();
  }

  readonly contentType = "text/plain; version=0.0.4; charset=utf-8";
}

/** The process-wide registry every module declares its metrics in. */
export const metrics = new Registry();

/** Millisecond buckets for latencies from sub-millisecond to several seconds. */
export const LATENCY_BUCKETS_MS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;
