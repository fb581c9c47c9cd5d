/** The Prometheus text exposition format, version 0.0.4: escaping, numbers, label sets, HELP/TYPE headers. */

/** What `/metrics` answers with. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "counter" | "gauge" | "histogram";

/** Label values as callers pass them (numbers are written as they print). */
export type Labels = Record<string, string | number>;

/** HELP text: backslash and newline are escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A label value: backslash, double quote and newline are escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A sample value or bucket bound: `+Inf`, `-Inf` and `NaN` spelled as Prometheus reads them. */
export function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Number.isNaN(value)) return "NaN";
  return String(value);
}

/**
 * `{a="x",b="y"}` for the labels present, in `names` order, after an optional leading pair (a histogram's `le`);
 * empty when there are none.
 * @example labelSet(["direction"], { direction: "uplink" }, ["le", "+Inf"]) // '{le="+Inf",direction="uplink"}'
 */
export function labelSet(names: readonly string[], labels: Labels | undefined, first?: readonly [string, string]): string {
  const pairs: string[] = first ? [`${first[0]}="${escapeLabelValue(first[1])}"`] : [];
  if (labels) {
    for (const name of names) {
      const value = labels[name];
      if (value !== undefined) pairs.push(`${name}="${escapeLabelValue(String(value))}"`);
    }
  }
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

/** The two header lines every metric family starts with. */
export function familyHeader(name: string, help: string, type: MetricType): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

/** One sample line. */
export function sampleLine(name: string, labels: string, value: number): string {
  return `${name}${labels} ${formatValue(value)}\n`;
}
