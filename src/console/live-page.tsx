/** Live calls: the table the page renders first and the snapshot its server-sent events carry after. */
/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import type { LiveCall } from "../call/call-record.ts";
import { formatAddedLatency, formatDuration, latestLine, phone } from "./format.ts";
import { Layout } from "./layout.tsx";

export interface LiveRow {
  sessionId: string;
  href: string;
  cells: string[];
}

/** What the page shows of the live calls at one instant; the client script renders it as is. */
export interface LiveSnapshot {
  columns: string[];
  /** CSS class of each column's cells. */
  classes: string[];
  rows: LiveRow[];
  summary: string;
}

/** The console's link to one call. */
export function callHref(sessionId: string): string {
  return `/console/calls/${encodeURIComponent(sessionId)}`;
}

function speaking(call: LiveCall): string {
  if (call.agentSpeaking === undefined) return "";
  return call.agentSpeaking ? "Speaking" : "Listening";
}

/** Live calls as rows, oldest call first; `cluster` adds the gateway instance holding each. */
export function liveSnapshot(calls: readonly LiveCall[], nowMs: number, cluster: boolean): LiveSnapshot {
  const columns = ["Session", "DID", "Bot", "State", "Duration", "Latest line", "Agent", "Added latency", ...(cluster ? ["Instance"] : [])];
  const classes = ["", "", "", "", "num", "line", "", "", ""].slice(0, columns.length);
  const rows = [...calls]
    .sort((a, b) => a.startedAt - b.startedAt || a.sessionId.localeCompare(b.sessionId))
    .map((call) => ({
      sessionId: call.sessionId,
      href: callHref(call.sessionId),
      cells: [
        call.sessionId,
        phone(call.did),
        call.botId ?? "",
        call.state,
        formatDuration(nowMs - call.startedAt),
        latestLine(call.transcript),
        speaking(call),
        formatAddedLatency(call.addedLatencyMs),
        ...(cluster ? [call.instance ?? ""] : []),
      ],
    }));
  const summary = rows.length === 0 ? "No live calls" : rows.length === 1 ? "1 live call" : `${rows.length} live calls`;
  return { columns, classes, rows, summary };
}

/** The Live page: the table now, then kept current by /console/live/events. */
export const LivePage: FC<{ snapshot: LiveSnapshot }> = ({ snapshot }) => (
  <Layout title="Live calls" section="live" scripts={["live.js"]}>
    <h1>Live calls</h1>
    <p id="live-count" class="muted" role="status">
      {snapshot.summary}
    </p>
    <table id="live-calls" data-events="/console/live/events">
      <caption class="visually-hidden">Calls in progress, updated about twice a second</caption>
      <thead>
        <tr>
          {snapshot.columns.map((name, i) => (
            <th scope="col" class={snapshot.classes[i] || undefined}>
              {name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {snapshot.rows.length === 0 ? (
          <tr>
            <td colspan={snapshot.columns.length} class="muted">
              No live calls.
            </td>
          </tr>
        ) : (
          snapshot.rows.map((row) => (
            <tr>
              {row.cells.map((text, i) =>
                i === 0 ? (
                  <td>
                    <a href={row.href}>{text}</a>
                  </td>
                ) : (
                  <td class={snapshot.classes[i] || undefined}>{text}</td>
                ),
              )}
            </tr>
          ))
        )}
      </tbody>
    </table>
  </Layout>
);
