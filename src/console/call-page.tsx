/** Call detail: facts, the recording with a player, the timeline, and the transcript as a chat. */
/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import type { CallEvent, CallRecord, LiveCall, TranscriptTurn } from "../call/call-record.ts";
import { endReasonLabel, eventLabel, formatDuration, formatOffset, formatTime, phone, speaker } from "./format.ts";
import { Layout } from "./layout.tsx";

export type CallView =
  | { status: "live"; call: LiveCall; nowMs: number }
  | { status: "finished"; call: CallRecord & { transcript?: TranscriptTurn[] }; recordingUrl?: string };

const Time: FC<{ ms: number }> = ({ ms }) => <time datetime={new Date(ms).toISOString()}>{formatTime(ms)}</time>;

/** The facts worth a line each, skipping what the call does not have. */
function facts(view: CallView): [string, unknown][] {
  const call = view.call;
  const rows: [string, unknown][] = [
    ["Status", view.status === "live" ? `Live (${view.call.state})` : "Finished"],
    ["DID", phone(call.did)],
    ["Customer number", phone(call.customerNumber)],
    ["Bot", call.botId],
    ["Agent", call.agentId],
    ["Mcube call id", call.callId],
    ["Conversation", (call.conversationIds ?? (call.conversationId ? [call.conversationId] : [])).join(", ") || undefined],
    ["Started", <Time ms={call.startedAt} />],
  ];
  if (view.status === "finished") {
    const done = view.call;
    rows.push(
      ["Ended", <Time ms={done.endedAt} />],
      ["Duration", formatDuration(done.durationMs)],
      ["End reason", endReasonLabel(done.endReason)],
      ["Transferred to", phone(done.transferTo)],
      ["Error", done.errorDetail],
    );
  } else {
    rows.push(["Duration so far", formatDuration(view.nowMs - call.startedAt)]);
  }
  rows.push(["Barge-ins", call.interruptions], ["Agent reconnects", call.reconnects || undefined], ["Instance", call.instance]);
  return rows.filter(([, value]) => value !== undefined && value !== "");
}

const Recording: FC<{ view: CallView }> = ({ view }) => {
  if (view.status === "live") return <p class="muted">The recording is available when the call ends.</p>;
  if (view.recordingUrl) {
    return (
      <>
        <audio id="recording" controls preload="metadata" src={view.recordingUrl} aria-label="Call recording: caller on the left channel, what the caller heard on the right"></audio>
        <p class="muted">
          Left: the caller. Right: what the caller heard. <a href={view.recordingUrl}>Download the WAV</a>
        </p>
      </>
    );
  }
  return <p class="muted">{view.call.recorded ? "The recording is no longer available (deleted after RECORDING_RETENTION_DAYS, or kept on another gateway)." : "This call was not recorded."}</p>;
};

const Timeline: FC<{ events: readonly CallEvent[] }> = ({ events }) =>
  events.length === 0 ? (
    <p class="muted">No timeline was kept for this call.</p>
  ) : (
    <ol class="timeline">
      {events.map((event) => (
        <li>
          <span class="at">{formatOffset(event.atMs)}</span>
          <span>
            {eventLabel(event.kind)}
            {event.detail ? <span class="muted"> · {event.detail}</span> : ""}
          </span>
        </li>
      ))}
    </ol>
  );

const Transcript: FC<{ turns: readonly TranscriptTurn[] }> = ({ turns }) =>
  turns.length === 0 ? (
    <p class="muted">Nothing was said yet.</p>
  ) : (
    <ol class="chat" aria-label="Transcript">
      {turns.map((turn) => (
        <li class={turn.role}>
          <span class="who">{speaker(turn.role)}</span>
          <span class="at">{formatDuration(turn.offsetMs)}</span>
          <p>{turn.text}</p>
        </li>
      ))}
    </ol>
  );

export const CallPage: FC<{ view: CallView }> = ({ view }) => (
  <Layout title={`Call ${view.call.sessionId}`} section="call" scripts={["local-time.js"]}>
    <h1>Call {view.call.sessionId}</h1>
    <section aria-labelledby="facts-heading" class="panel">
      <h2 id="facts-heading" class="visually-hidden">
        Details
      </h2>
      <dl class="facts">
        {facts(view).map(([name, value]) => (
          <>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </>
        ))}
      </dl>
    </section>
    <h2>Recording</h2>
    <Recording view={view} />
    <h2>Timeline</h2>
    <Timeline events={view.call.timeline ?? []} />
    <h2>Transcript</h2>
    <Transcript turns={view.call.transcript ?? []} />
  </Layout>
);
