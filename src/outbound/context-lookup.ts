/** OutboundContextLookup over the attempts store: the call bridge gets a campaign's name and variables by callId. */
import type { OutboundCallContext, OutboundContextLookup } from "../call/call-record.ts";
import type { Logger } from "../log/logger.ts";
import type { OutboundAttempt, OutboundAttemptStore } from "../store/outbound-attempts.ts";
import { BREAKER_OPENED, boundedLookup, LOOKUP_TIMED_OUT, type StoreBreaker } from "../store/store-breaker.ts";
import { systemClock, type Clock } from "../base/clock.ts";

function toContext(a: OutboundAttempt): OutboundCallContext {
  return { refid: a.refid, customerNumber: a.number, customerName: a.name, did: a.did, variables: { ...a.variables } };
}

export interface OutboundContextLookupOptions {
  store: OutboundAttemptStore;
  logger: Logger;
  /** While open, every lookup answers "no campaign context" at once; a timeout or outage here opens it. */
  breaker?: StoreBreaker;
  /** Longest a lookup waits for the store (BOT_LOOKUP_TIMEOUT_MS); unbounded when absent. */
  timeoutMs?: number;
  clock?: Clock;
}

/**
 * Finds the attempt whose Mcube callid is `callId` (or, failing that, whose refid is `callId`).
 * A store failure, a timeout or an open breaker is answered with undefined: the call goes ahead
 * without campaign variables.
 */
export function createOutboundContextLookup({ store, logger, breaker, timeoutMs, clock = systemClock }: OutboundContextLookupOptions): OutboundContextLookup {
  const query = async (callId: string) => (await store.findByCallId(callId)) ?? (await store.findByRefid(callId));
  return {
    async find(callId) {
      if (breaker?.shortCircuit("outbound")) return undefined;
      const askedAt = breaker?.now();
      try {
        const attempt = await boundedLookup(breaker, query(callId), timeoutMs, clock);
        if (attempt === LOOKUP_TIMED_OUT) {
          logger.warn("outbound context lookup exceeded BOT_LOOKUP_TIMEOUT_MS; the call continues without campaign variables", { call_id: callId, timeout_ms: timeoutMs });
          breaker?.failure("outbound", LOOKUP_TIMED_OUT, askedAt);
        } else if (attempt !== BREAKER_OPENED) return attempt ? toContext(attempt) : undefined;
      } catch (err) {
        logger.warn("outbound context lookup failed; the call continues without campaign variables", { call_id: callId, err });
        breaker?.failure("outbound", err, askedAt);
      }
      return undefined;
    },
  };
}
