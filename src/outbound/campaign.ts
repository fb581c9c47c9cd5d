/** Runs a campaign: contacts dialed under a rate limit and a concurrency cap, every change journaled. */
import type { Logger } from "../log/logger.ts";
import type { OutboundAttemptStore } from "../store/outbound-attempts.ts";
import type { CampaignState, StateEntry } from "./campaign-state.ts";
import type { Contact } from "./contacts.ts";
import type { McubeApiClient } from "./mcube-api-client.ts";
import { newRefid, placeCall } from "./place-call.ts";
import type { RetryPolicy } from "./retry.ts";
import { createTokenBucket } from "./token-bucket.ts";

export interface CampaignProgress {
  total: number;
  /** Contacts with a final result (this run or an earlier one). */
  done: number;
  placed: number;
  rejected: number;
  failed: number;
  unknown: number;
  inFlight: number;
}

export interface CampaignOptions {
  contacts: readonly Contact[];
  did: string;
  state: CampaignState;
  store: OutboundAttemptStore;
  client: McubeApiClient;
  ratePerSecond: number;
  concurrency: number;
  retry: RetryPolicy;
  logger: Logger;
  /** Ctrl-C: no new contact is started; requests in flight finish and are recorded. */
  signal?: AbortSignal;
  onProgress?: (progress: CampaignProgress) => void;
}

export interface CampaignOutcome {
  progress: CampaignProgress;
  /** True when stopped (signal, or Mcube refused the token) before every contact had a final result. */
  interrupted: boolean;
  /** Why the campaign stopped by itself, when it did (the token was refused). */
  stoppedBecause?: string;
}

/** Error text for requests the previous run sent without learning the answer. */
export const LOST_ANSWER_ERROR = "the previous run stopped while this request was in flight; not dialed again so nobody is called twice";

/**
 * Dials every contact that has no final result in `state`, reusing recorded refids. Contacts whose
 * request was in flight when a previous run died are marked unknown, never re-sent.
 */
export async function runCampaign(options: CampaignOptions): Promise<CampaignOutcome> {
  const { contacts, did, state, store, client, ratePerSecond, concurrency, retry, logger, signal, onProgress } = options;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) stop.abort();
  let stoppedBecause: string | undefined;

  const progress: CampaignProgress = { total: contacts.length, done: 0, placed: 0, rejected: 0, failed: 0, unknown: 0, inFlight: 0 };
  const count = (entry: StateEntry | undefined) => {
    if (!entry || !state.isFinished(entry.number)) return;
    progress.done++;
    progress[entry.status as "placed" | "rejected" | "failed" | "unknown"]++;
  };

  for (const contact of contacts) {
    const entry = state.get(contact.number);
    if (entry?.status === "sending") {
      const settled: StateEntry = { ...entry, status: "unknown", error: LOST_ANSWER_ERROR };
      await store.update(entry.refid, { status: "unknown", error: LOST_ANSWER_ERROR });
      state.record(settled);
    }
    count(state.get(contact.number));
  }
  onProgress?.({ ...progress });

  const bucket = createTokenBucket({ perSecond: ratePerSecond });
  let next = 0;

  const dialOne = async (contact: Contact) => {
    const earlier = state.get(contact.number);
    const refid = earlier?.refid ?? newRefid();
    if (!earlier) {
      // The refid is on disk and in the store before anything is sent.
      await store.create({ refid, campaign: state.header.campaign, did, number: contact.number, name: contact.name, variables: contact.variables });
      state.record({ number: contact.number, refid, status: "pending", attempts: 0 });
    }
    const result = await placeCall(
      { refid, did, number: contact.number, attempts: earlier?.attempts },
      {
        client,
        store,
        retry,
        logger,
        signal: stop.signal,
        beforeSend: (s) => bucket.take(s),
        onChange: (r) => state.record({ ...r, number: contact.number }),
      },
    );
    if (result.fatal && !stop.signal.aborted) {
      stoppedBecause = result.error;
      stop.abort();
    }
    count(state.get(contact.number));
  };

  const worker = async () => {
    while (!stop.signal.aborted) {
      const contact = contacts[next++];
      if (!contact) return;
      if (state.isFinished(contact.number)) continue;
      progress.inFlight++;
      onProgress?.({ ...progress });
      try {
        await dialOne(contact);
      } catch (err) {
        // The store failed before a send: stop starting calls, let the others finish, then report it.
        stop.abort();
        throw err;
      } finally {
        progress.inFlight--;
        onProgress?.({ ...progress });
      }
    }
  };

  try {
    const workers = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(concurrency, contacts.length)) }, worker));
    const failed = workers.find((w) => w.status === "rejected");
    if (failed) throw failed.reason;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return { progress: { ...progress }, interrupted: progress.done < progress.total, stoppedBecause };
}
