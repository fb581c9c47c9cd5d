/** OutboundContextLookup over the attempts store: the call bridge gets a campaign's name and variables by callId. */
import type { OutboundCallContext, OutboundContextLookup } from "../call/call-record.ts";
import type { Logger } from "../log/logger.ts";
import type { OutboundAttempt, OutboundAttemptStore } from "../store/outbound-attempts.ts";

function toContext(a: OutboundAttempt): OutboundCallContext {
  return { refid: a.refid, customerNumber: a.number, customerName: a.name, did: a.did, variables: { ...a.variables } };
}

/**
 * Finds the attempt whose Mcube callid is `callId` (or, failing that, whose refid is `callId`).
 * A store failure is logged and answered with undefined: the call goes ahead without campaign variables.
 */
export function createOutboundContextLookup({ store, logger }: { store: OutboundAttemptStore; logger: Logger }): OutboundContextLookup {
  return {
    async find(callId) {
      try {
        const attempt = (await store.findByCallId(callId)) ?? (await store.findByRefid(callId));
        return attempt ? toContext(attempt) : undefined;
      } catch (err) {
        logger.warn("outbound context lookup failed; the call continues without campaign variables", { call_id: callId, err });
        return undefined;
      }
    },
  };
}
