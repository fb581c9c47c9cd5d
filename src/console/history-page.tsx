/** History: one Search field (a DID or a number's last digits, or a session id), filters for bot, end reason and date, paging. */
/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import { END_REASONS, type CallRecord, type EndReason } from "../call/call-record.ts";
import type { CallListFilter } from "../store/call-records-sql.ts";
import { endReasonLabel, formatDuration, formatTime } from "./format.ts";
import { Layout } from "./layout.tsx";
import { callHref } from "./live-page.tsx";

export const HISTORY_PAGE_SIZE = 50;
const DAY_MS = 86_400_000;

/** The form's fields as the operator left them (echoed back into the form and the paging links). */
export interface HistoryQuery {
  q: string;
  bot: string;
  reason: string;
  date: string;
  /** The browser's UTC offset in minutes (the page's script fills it; absent: the date is UTC). */
  tz: string;
  cursor: string;
}

/** The store filter for a query, or the message that says what to correct. */
export function historyFilter(query: HistoryQuery): { filter: CallListFilter } | { error: string } {
  const filter: CallListFilter = { limit: HISTORY_PAGE_SIZE };
  if (query.q.trim()) filter.search = query.q.trim();
  if (query.bot.trim()) filter.botId = query.bot.trim();
  if (query.reason) {
    if (!END_REASONS.includes(query.reason as EndReason)) return { error: `End reason must be one of ${END_REASONS.join(", ")}.` };
    filter.endReason = query.reason as EndReason;
  }
  if (query.date) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(query.date);
    const dayMs = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
    if (!Number.isFinite(dayMs)) return { error: "Date must be a day like 2026-01-31." };
    const tzMinutes = /^-?\d{1,4}$/.test(query.tz) && Math.abs(Number(query.tz)) <= 14 * 60 ? Number(query.tz) : 0;
    filter.since = dayMs - tzMinutes * 60_000;
    filter.until = filter.since + DAY_MS;
  }
  if (query.cursor) filter.cursor = query.cursor;
  return { filter };
}

/** A history URL for the same query, on another page. */
function historyHref(query: HistoryQuery, cursor?: string): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...query, cursor: cursor ?? "" })) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `/console/history?${text}` : "/console/history";
}

export interface HistoryPageProps {
  query: HistoryQuery;
  calls: readonly CallRecord[];
  nextCursor?: string;
  error?: string;
  botIds: readonly string[];
}

const Filters: FC<{ query: HistoryQuery; botIds: readonly string[] }> = ({ query, botIds }) => (
  <form class="filters" method="get" action="/console/history" role="search">
    <div>
      <label for="q">Search</label>
      <input id="q" name="q" type="search" value={query.q} aria-describedby="q-hint" size={28} />
    </div>
    <div>
      <label for="bot">Bot</label>
      <input id="bot" name="bot" list="bot-ids" value={query.bot} size={16} />
      <datalist id="bot-ids">
        {botIds.map((id) => (
          <option value={id}></option>
        ))}
      </datalist>
    </div>
    <div>
      <label for="reason">End reason</label>
      <select id="reason" name="reason">
        <option value="">Any</option>
        {END_REASONS.map((reason) => (
          <option value={reason} selected={reason === query.reason}>
            {endReasonLabel(reason)}
          </option>
        ))}
      </select>
    </div>
    <div>
      <label for="date">Date</label>
      <input id="date" name="date" type="date" value={query.date} />
      <input type="hidden" name="tz" value={query.tz} />
    </div>
    <div>
      <button type="submit">Show calls</button> <a href="/console/history">Clear</a>
    </div>
  </form>
);

const SearchHint: FC = () => (
  <p id="q-hint" class="muted hint">
    Search takes a DID or customer number, its last digits (at least 3), or a session or call id.
  </p>
);

export const HistoryPage: FC<HistoryPageProps> = ({ query, calls, nextCursor, error, botIds }) => (
  <Layout title="History" section="history" scripts={["local-time.js"]}>
    <h1>History</h1>
    <Filters query={query} botIds={botIds} />
    <SearchHint />
    {error && (
      <p class="error" role="alert">
        {error}
      </p>
    )}
    <table>
      <caption>{calls.length === 0 ? "No calls match." : `Finished calls, newest first (${calls.length} on this page)`}</caption>
      <thead>
        <tr>
          <th scope="col">Ended</th>
          <th scope="col">Session</th>
          <th scope="col">DID</th>
          <th scope="col">Customer</th>
          <th scope="col">Bot</th>
          <th scope="col" class="num">
            Duration
          </th>
          <th scope="col">End reason</th>
          <th scope="col">Recording</th>
        </tr>
      </thead>
      <tbody>
        {calls.map((call) => (
          <tr>
            <td>
              <time datetime={new Date(call.endedAt).toISOString()}>{formatTime(call.endedAt)}</time>
            </td>
            <td>
              <a href={callHref(call.sessionId)}>{call.sessionId}</a>
            </td>
            <td>{call.did ?? ""}</td>
            <td>{call.customerNumber ?? ""}</td>
            <td>{call.botId ?? ""}</td>
            <td class="num">{formatDuration(call.durationMs)}</td>
            <td>{endReasonLabel(call.endReason)}</td>
            <td>{call.recorded ? "Yes" : ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
    <nav class="pager" aria-label="Pages">
      {query.cursor && <a href={historyHref(query)}>Newest calls</a>}
      {nextCursor && <a href={historyHref(query, nextCursor)}>Older calls</a>}
    </nav>
  </Layout>
);
