/** The metrics module: call signatures, get() agreeing with the exposition text, bound children, reset. */
import { describe, expect, test } from "bun:test";
import { Counter, Gauge, Histogram, Registry } from "../../src/metrics/registry.ts";

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("metrics registry", () => {
  test("counters, gauges and histograms: get() agrees with the exposition text", async () => {
    const registry = new Registry();
    const calls = new Counter({ name: "t_calls_total", help: "calls", labelNames: ["end_reason"], registry });
    const plain = new Counter({ name: "t_plain_total", help: "plain", registry });
    const level = new Gauge({ name: "t_level", help: "level", labelNames: ["leg"], registry });
    const latency = new Histogram({ name: "t_latency_ms", help: "latency", labelNames: ["direction"], buckets: [10, 1, 5], registry });

    calls.inc({ end_reason: "transfer" });
    calls.inc({ end_reason: "transfer", not_declared: "dropped" }, 2);
    plain.inc();
    plain.inc(undefined, 4);
    level.set({ leg: "agent" }, 7);
    level.dec({ leg: "agent" }, 2);
    latency.observe({ direction: "uplink" }, 3);
    latency.observe({ direction: "uplink" }, 7);

    expect(calls.get({ end_reason: "transfer" })).toBe(3);
    expect(calls.get({ end_reason: "drain" })).toBe(0);
    expect(plain.get()).toBe(5);
    expect(level.get({ leg: "agent" })).toBe(5);
    expect(latency.get({ direction: "uplink" })).toEqual({ count: 2, sum: 10 });
    expect(latency.buckets).toEqual([1, 5, 10]);

    const text = await registry.render();
    expect(text).toContain("# TYPE t_calls_total counter");
    expect(sample(text, 't_calls_total{end_reason="transfer"}')).toBe(3);
    expect(sample(text, "t_plain_total")).toBe(5);
    expect(sample(text, 't_level{leg="agent"}')).toBe(5);
    expect(sample(text, 't_latency_ms_bucket{le="1",direction="uplink"}')).toBe(0);
    expect(sample(text, 't_latency_ms_bucket{le="5",direction="uplink"}')).toBe(1);
    expect(sample(text, 't_latency_ms_bucket{le="+Inf",direction="uplink"}')).toBe(2);
    expect(sample(text, 't_latency_ms_sum{direction="uplink"}')).toBe(10);
    expect(text).not.toContain("not_declared");
    expect(registry.contentType).toContain("text/plain");

    registry.resetAll();
    expect(calls.get({ end_reason: "transfer" })).toBe(0);
  });

  test("a collected gauge and setGauge read their value at scrape time", async () => {
    const registry = new Registry();
    let live = 2;
    const active = new Gauge({ name: "t_active", help: "active", registry });
    active.collect(() => live);
    expect(sample(await registry.render(), "t_active")).toBe(2);
    live = 5;
    expect(sample(await registry.render(), "t_active")).toBe(5);

    registry.setGauge("t_active", "ignored: already declared", 9);
    registry.setGauge("t_new", "declared on first use", 4);
    const text = await registry.render();
    expect(sample(text, "t_new")).toBe(4);
    expect(text).toContain("# HELP t_active active");
  });

  test("label values are escaped in the exposition", async () => {
    const registry = new Registry();
    const errors = new Counter({ name: "t_errors_total", help: "errors", labelNames: ["kind"], registry });
    errors.inc({ kind: 'quote " and \\ and\nnewline' });
    expect(await registry.render()).toContain('t_errors_total{kind="quote \\" and \\\\ and\\nnewline"} 1');
  });

  test("declaring the same metric name twice fails at once", () => {
    const registry = new Registry();
    new Counter({ name: "t_twice_total", help: "x", registry });
    expect(() => new Counter({ name: "t_twice_total", help: "x", registry })).toThrow(/already been registered/);
  });
});

describe("bound children (the per-frame path)", () => {
  test("a bound counter and histogram reach the exposition and get() at read time, and a reset drops what they held", async () => {
    const registry = new Registry();
    const frames = new Counter({ name: "t_bound_frames_total", help: "h", labelNames: ["leg"], registry });
    const latency = new Histogram({ name: "t_bound_latency_ms", help: "h", labelNames: ["direction"], buckets: [1, 5], registry });
    const framesIn = frames.bind({ leg: "mcube" });
    const uplink = latency.bind({ direction: "uplink" });
    framesIn.inc();
    framesIn.inc(2);
    uplink.observe(0.5);
    uplink.observe(3);
    uplink.observe(9);
    const text = await registry.render();
    expect(text).toContain('t_bound_frames_total{leg="mcube"} 3');
    expect(text).toContain('t_bound_latency_ms_bucket{le="1",direction="uplink"} 1');
    expect(text).toContain('t_bound_latency_ms_bucket{le="5",direction="uplink"} 2');
    expect(text).toContain('t_bound_latency_ms_bucket{le="+Inf",direction="uplink"} 3');
    expect(latency.get({ direction: "uplink" })).toEqual({ count: 3, sum: 12.5 });
    framesIn.inc(5);
    expect(frames.get({ leg: "mcube" })).toBe(8);
    framesIn.inc(4);
    registry.resetAll();
    expect(frames.get({ leg: "mcube" })).toBe(0);
  });
});
