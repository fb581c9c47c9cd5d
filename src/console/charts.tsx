/** Hand-written SVG charts for the overview: calls over time, labelled horizontal bars, and histograms. No script, no library. */
/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import type { HistogramBucket } from "./histograms.ts";

const WIDTH = 720;
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export interface TimeSeriesProps {
  id: string;
  /** Title read by screen readers; the figure's caption shows it too. */
  title: string;
  /** A sentence saying what the chart shows (the accessible description). */
  summary: string;
  fromMs: number;
  toMs: number;
  /** Width of one bar (e.g. a minute). */
  stepMs: number;
  points: readonly { atMs: number; value: number }[];
  /** Tick labels along the time axis. */
  ticks: readonly { atMs: number; label: string }[];
}

/** Bars over a time window (calls per minute over a day): one path, whatever the number of points. */
export const TimeSeriesChart: FC<TimeSeriesProps> = ({ id, title, summary, fromMs, toMs, stepMs, points, ticks }) => {
  const height = 180;
  const left = 36;
  const bottom = height - 22;
  const top = 10;
  const plotWidth = WIDTH - left - 8;
  const max = Math.max(1, ...points.map((p) => p.value));
  const x = (ms: number) => left + ((ms - fromMs) / (toMs - fromMs)) * plotWidth;
  const y = (value: number) => bottom - (value / max) * (bottom - top);
  // A minute of a day is under half a unit wide: a lone call would vanish, so bars are at least 2 units.
  const barWidth = Math.max(2, (stepMs / (toMs - fromMs)) * plotWidth);
  const d = points
    .filter((p) => p.value > 0 && p.atMs >= fromMs && p.atMs < toMs)
    .map((p) => `M${x(p.atMs).toFixed(2)} ${bottom}V${y(p.value).toFixed(2)}h${barWidth.toFixed(2)}V${bottom}Z`)
    .join("");
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
      <title id={`${id}-title`}>{title}</title>
      <desc id={`${id}-desc`}>{summary}</desc>
      <line class="axis" x1={left} y1={bottom} x2={WIDTH - 8} y2={bottom} />
      <text x={left - 4} y={top + 4} text-anchor="end">
        {fmt(max)}
      </text>
      <text x={left - 4} y={bottom} text-anchor="end">
        0
      </text>
      {d && <path class="bar" d={d} />}
      {ticks.map((t, i) => (
        <text x={x(t.atMs)} y={height - 6} text-anchor={i === 0 ? "start" : i === ticks.length - 1 ? "end" : "middle"}>
          {t.label}
        </text>
      ))}
    </svg>
  );
};

export interface BarListProps {
  id: string;
  title: string;
  summary: string;
  items: readonly { label: string; value: number }[];
}

/** One labelled horizontal bar per item, with its value (end reasons). */
export const BarList: FC<BarListProps> = ({ id, title, summary, items }) => {
  const row = 24;
  const labelWidth = 300;
  const height = Math.max(1, items.length) * row + 8;
  const max = Math.max(1, ...items.map((i) => i.value));
  const barSpace = WIDTH - labelWidth - 60;
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
      <title id={`${id}-title`}>{title}</title>
      <desc id={`${id}-desc`}>{summary}</desc>
      {items.length === 0 && (
        <text x={8} y={row}>
          No calls in this window.
        </text>
      )}
      {items.map((item, i) => {
        const yTop = 4 + i * row;
        const width = Math.max(1, (item.value / max) * barSpace);
        return (
          <>
            <text x={labelWidth - 8} y={yTop + 16} text-anchor="end">
              {item.label}
            </text>
            <rect class="bar" x={labelWidth} y={yTop + 4} width={width.toFixed(1)} height={row - 8} />
            <text class="value" x={labelWidth + width + 6} y={yTop + 16}>
              {fmt(item.value)}
            </text>
          </>
        );
      })}
    </svg>
  );
};

export interface HistogramChartProps {
  id: string;
  title: string;
  summary: string;
  buckets: readonly HistogramBucket[];
  unit: string;
}

/** A histogram: one bar per bucket, labelled with its upper bound. */
export const HistogramChart: FC<HistogramChartProps> = ({ id, title, summary, buckets, unit }) => {
  const height = 170;
  const bottom = height - 24;
  const top = 16;
  const left = 8;
  const slot = (WIDTH - left * 2) / Math.max(1, buckets.length);
  const max = Math.max(1, ...buckets.map((b) => b.count));
  // Bounds as the metric declares them (0.25 stays 0.25); a second and more in seconds, so 16 labels fit side by side.
  const bound = (value: number) => (unit === "ms" && value >= 1000 ? `${value / 1000}s` : String(value));
  const label = (le: number, i: number) => (Number.isFinite(le) ? `≤${bound(le)}` : `>${bound(buckets[i - 1]?.le ?? 0)}`);
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
      <title id={`${id}-title`}>{title}</title>
      <desc id={`${id}-desc`}>{summary}</desc>
      <line class="axis" x1={left} y1={bottom} x2={WIDTH - left} y2={bottom} />
      {buckets.map((b, i) => {
        const barHeight = (b.count / max) * (bottom - top);
        const x = left + i * slot;
        return (
          <>
            {b.count > 0 && <rect class="bar" x={(x + 3).toFixed(1)} y={(bottom - barHeight).toFixed(1)} width={(slot - 6).toFixed(1)} height={barHeight.toFixed(1)} />}
            {b.count > 0 && (
              <text class="value" x={(x + slot / 2).toFixed(1)} y={(bottom - barHeight - 3).toFixed(1)} text-anchor="middle">
                {fmt(b.count)}
              </text>
            )}
            <text x={(x + slot / 2).toFixed(1)} y={height - 8} text-anchor="middle">
              {label(b.le, i)}
            </text>
          </>
        );
      })}
      <text x={WIDTH - left} y={10} text-anchor="end">
        {unit}
      </text>
    </svg>
  );
};
