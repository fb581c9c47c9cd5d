/** The /metrics text as a Prometheus server reads it: HELP/TYPE lines, cumulative histogram buckets, escaping, values. */
import { describe, expect, test } from "bun:test";
import { Counter, Gauge, Histogram, Registry } from "../../src/metrics/registry.ts";

/** A sample line as the text format 0.0.4 defines it: name, optional {labels}, a value. */
const SAMPLE_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*",?)*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN)$/;

describe("exposition format", () => {
  test("a small registry renders exactly: headers, samples in first-use order, cumulative buckets with +Inf, _sum and _count", () => {
    const registry = new Registry();
    const calls = new Counter({ name: "x_calls_total", help: "Calls ended.", labelNames: ["end_reason"], registry });
    const active = new Gauge({ name: "x_active", help: "Live calls.", registry });
    const latency = new Histogram({ name: "x_latency_ms", help: "Added latency.", labelNames: ["direction"], buckets: [5, 1], registry });
    calls.inc({ end_reason: "transfer" });
    calls.inc({ end_reason: "agent_end_call" }, 2);
    active.set(undefined, 3);
    latency.observe({ direction: "uplink" }, 0.5);
    latency.observe({ direction: "uplink" }, 1);
    latency.observe({ direction: "uplink" }, 4);
    latency.observe({ direction: "uplink" }, 60);
    latency.observe({ direction: "downlink" }, 2);

    expect(registry.render()).toBe(
      [
        "# HELP x_calls_total Calls ended.",
        "# TYPE x_calls_total counter",
        'x_calls_total{end_reason="transfer"} 1',
        'x_calls_total{end_reason="agent_end_call"} 2',
        "# HELP x_active Live calls.",
        "# TYPE x_active gauge",
        "x_active 3",
        "# HELP x_latency_ms Added latency.",
        "# TYPE x_latency_ms histogram",
        'x_latency_ms_bucket{le="1",direction="uplink"} 2',
        'x_latency_ms_bucket{le="5",direction="uplink"} 3',
        'x_latency_ms_bucket{le="+Inf",direction="uplink"} 4',
        'x_latency_ms_sum{direction="uplink"} 65.5',
        'x_latency_ms_count{direction="uplink"} 4',
        'x_latency_ms_bucket{le="1",direction="downlink"} 0',
        'x_latency_ms_bucket{le="5",direction="downlink"} 1',
        'x_latency_ms_bucket{le="+Inf",direction="downlink"} 1',
        'x_latency_ms_sum{direction="downlink"} 2',
        'x_latency_ms_count{direction="downlink"} 1',
        "",
      ].join("\n"),
    );
  });

  test("unlabelled metrics show zero before first use; labelled series appear when first counted", () => {
    const registry = new Registry();
    new Counter({ name: "x_plain_total", help: "h", registry });
    new Histogram({ name: "x_wait_ms", help: "h", buckets: [10], registry });
    new Counter({ name: "x_by_kind_total", help: "h", labelNames: ["kind"], registry });
    const text = registry.render();
    expect(text).toContain("\nx_plain_total 0\n");
    expect(text).toContain('\nx_wait_ms_bucket{le="10"} 0\nx_wait_ms_bucket{le="+Inf"} 0\nx_wait_ms_sum 0\nx_wait_ms_count 0\n');
    expect(text).toContain("# TYPE x_by_kind_total counter\n");
    expect(text).not.toContain("x_by_kind_total{");
  });

  test("HELP text and label values are escaped; special values are spelled +Inf, -Inf and NaN", () => {
    const registry = new Registry();
    const odd = new Gauge({ name: "x_odd", help: "back\\slash and\nnewline", labelNames: ["path"], registry });
    odd.set({ path: 'C:\\temp\\"x"\nnext' }, Number.POSITIVE_INFINITY);
    odd.set({ path: "low" }, Number.NEGATIVE_INFINITY);
    odd.set({ path: "unknown" }, Number.NaN);
    const text = registry.render();
    expect(text).toContain("# HELP x_odd back\\\\slash and\\nnewline\n");
    expect(text).toContain('x_odd{path="C:\\\\temp\\\\\\"x\\"\\nnext"} +Inf\n');
    expect(text).toContain('x_odd{path="low"} -Inf\n');
    expect(text).toContain('x_odd{path="unknown"} NaN\n');
    for (const line of text.trimEnd().split("\n")) {
      if (!line.startsWith("# ")) expect(line).toMatch(SAMPLE_LINE);
    }
  });

  test("a label left out is left out of the series, and differs from an empty value", () => {
    const registry = new Registry();
    const errors = new Counter({ name: "x_errors_total", help: "h", labelNames: ["kind", "leg"], registry });
    errors.inc({ kind: "timeout" });
    errors.inc({ kind: "timeout", leg: "" });
    errors.inc({ kind: "timeout", leg: "" });
    const text = registry.render();
    expect(text).toContain('x_errors_total{kind="timeout"} 1\n');
    expect(text).toContain('x_errors_total{kind="timeout",leg=""} 2\n');
  });

  test("a bound child appears once it has counted, and after a reset it is hidden again until it counts", () => {
    const registry = new Registry();
    const frames = new Counter({ name: "x_frames_total", help: "h", labelNames: ["leg"], registry });
    const byHand = new Counter({ name: "x_by_hand_total", help: "h", labelNames: ["leg"], registry });
    const mcube = frames.bind({ leg: "mcube" });
    expect(frames.bind({ leg: "mcube" })).toBe(mcube);
    expect(registry.render()).not.toContain("x_frames_total{");
    mcube.inc();
    byHand.inc({ leg: "agent" });
    expect(registry.render()).toContain('x_frames_total{leg="mcube"} 1\n');
    registry.resetAll();
    const afterReset = registry.render();
    expect(afterReset).not.toContain("x_frames_total{");
    expect(afterReset).not.toContain("x_by_hand_total{");
    mcube.inc(3);
    expect(registry.render()).toContain('x_frames_total{leg="mcube"} 3\n');
  });

  test("counters never go down: a negative or non-finite increment is ignored", () => {
    const registry = new Registry();
    const calls = new Counter({ name: "x_total", help: "h", registry });
    calls.inc(undefined, 2);
    calls.inc(undefined, -1);
    calls.inc(undefined, Number.NaN);
    expect(calls.get()).toBe(2);
  });

  test("the console reads a histogram's series in-process, per bucket (not cumulative)", () => {
    const registry = new Registry();
    const latency = new Histogram({ name: "x_read_ms", help: "h", labelNames: ["direction"], buckets: [1, 5], registry });
    latency.observe({ direction: "uplink" }, 0.5);
    latency.observe({ direction: "uplink" }, 3);
    latency.observe({ direction: "uplink" }, 9);
    latency.bind({ direction: "downlink" });
    expect(registry.find("x_read_ms")).toBe(latency);
    expect(latency.read()).toEqual([{ labels: { direction: "uplink" }, counts: [1, 1, 1], count: 3, sum: 12.5 }]);
  });
});
