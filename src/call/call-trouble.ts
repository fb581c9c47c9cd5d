/**
 * What a call reports about trouble: agent failures (counted, kept for the record, logged with the fix)
 * and unusable frames (counted always, logged once per kind, and only so many kinds: a kind may carry a
 * name the peer chose, and a peer inventing names must not flood the log).
 */
import type { HomebookError } from "../base/errors.ts";
import type { Logger } from "../log/logger.ts";
import { callErrors, ignoredFrames } from "./call-metrics.ts";

/** Kinds of unusable frames a call logs; later kinds are only counted. */
export const MAX_LOGGED_IGNORED_KINDS = 20;

export class CallTrouble {
  private readonly ignoredKinds = new Set<string>();
  /** The last error, as the call's record keeps it ("code: message"). */
  errorDetail: string | undefined;

  /** `log` is read at each report: the call's logger gains its call_id at Mcube's start. */
  constructor(private readonly log: () => Logger) {}

  /** Counts the error and keeps it for the record, without a log line (the caller logs it its own way). */
  note(error: HomebookError): void {
    callErrors.inc({ kind: error.code });
    this.errorDetail = `${error.code}: ${error.message}`;
  }

  /** An agent connection failed: noted, and logged as a warning when retryable, else as an error naming the fix. */
  agentFailed(error: HomebookError): void {
    this.note(error);
    const fields = { code: error.code, detail: error.message, retryable: error.retryable, fix: error.fix };
    if (error.retryable) this.log().warn("agent connection failed", fields);
    else this.log().error(`agent connection failed and will not be retried; fix: ${error.fix ?? "see detail"}`, fields);
  }

  /** A frame the bridge cannot use. */
  ignored(leg: "mcube" | "agent", kind: string): void {
    ignoredFrames.inc({ leg, kind: kind.split(":")[0]! });
    const key = `${leg}:${kind}`;
    if (this.ignoredKinds.has(key) || this.ignoredKinds.size > MAX_LOGGED_IGNORED_KINDS) return;
    this.ignoredKinds.add(key);
    if (this.ignoredKinds.size <= MAX_LOGGED_IGNORED_KINDS) return this.log().warn("ignoring a frame the bridge cannot use (logged once per kind)", { leg, kind });
    this.log().warn("many kinds of unusable frames in this call; further ones are only counted (homebook_ignored_frames_total)", { leg, kinds_logged: MAX_LOGGED_IGNORED_KINDS });
  }
}
