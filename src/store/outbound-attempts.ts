/** The outbound_attempts table: one row per call attempt (refid), its Mcube result and the call's outcome. */
import { z } from "zod";
import { HomebookError } from "../base/errors.ts";
import type { SqlDatabase } from "./sql.ts";

/**
 * pending: refid recorded, nothing sent yet · sending: a request is in flight · retrying: the last send
 * failed in a retryable way · placed: Mcube returned a callid · rejected: Mcube's business error ·
 * failed: final HTTP error or retries exhausted · unknown: the result of a sent request was lost.
 */
export const ATTEMPT_STATUSES = ["pending", "sending", "retrying", "placed", "rejected", "failed", "unknown"] as const;
export type OutboundAttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/** Statuses after which the contact is never dialed again. */
export const FINAL_ATTEMPT_STATUSES: ReadonlySet<OutboundAttemptStatus> = new Set(["placed", "rejected", "failed", "unknown"]);

export interface NewOutboundAttempt {
  refid: string;
  campaign?: string;
  did: string;
  number: string;
  name?: string;
  variables: Record<string, string>;
}

/** What Mcube's status webhook reported for the call. */
export interface OutboundOutcome {
  dialStatus: string;
  callDirection?: string;
  startTime?: string;
  endTime?: string;
  answeredTime?: string;
  recordingFilename?: string;
}

export interface OutboundAttempt extends NewOutboundAttempt {
  status: OutboundAttemptStatus;
  callid?: string;
  error?: string;
  attempts: number;
  createdAt: number;
  updatedAt: number;
  outcome?: OutboundOutcome & { at: number };
}

export interface AttemptUpdate {
  status: OutboundAttemptStatus;
  callid?: string;
  /** null clears a previous error. */
  error?: string | null;
  attempts?: number;
}

export interface OutboundAttemptStore {
  /** Records an attempt before anything is sent; recording the same refid again changes nothing. */
  create(attempt: NewOutboundAttempt): Promise<void>;
  update(refid: string, change: AttemptUpdate): Promise<void>;
  findByRefid(refid: string): Promise<OutboundAttempt | undefined>;
  findByCallId(callid: string): Promise<OutboundAttempt | undefined>;
  /**
   * Gives `callid` to the newest attempt for one of `numbers` that has none yet, created since `sinceMs`
   * (a CONNECTING webhook that outran Mcube's REST answer). Returns that attempt, or undefined.
   */
  claimCallId(callid: string, numbers: string[], sinceMs: number): Promise<OutboundAttempt | undefined>;
  /** Stores the webhook's outcome on the attempt with `callid`; false when no attempt has it. */
  recordOutcome(callid: string, outcome: OutboundOutcome): Promise<boolean>;
  listCampaign(campaign: string): Promise<OutboundAttempt[]>;
}

const text = z.string().nullish().transform((v) => (v === null || v === undefined || v === "" ? undefined : String(v)));
const epochMs = z.coerce.number().int();

const rowSchema = z.object({
  refid: z.string(),
  campaign: text,
  did: z.string(),
  number: z.string(),
  name: text,
  variables: z.string().transform((v, ctx) => {
    try {
      const parsed = JSON.parse(v) as unknown;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
        return Object.fromEntries(Object.entries(parsed).map(([k, val]) => [k, String(val)]));
      }
    } catch {
      // reported below
    }
    ctx.addIssue({ code: "custom", message: "variables is not a JSON object" });
    return z.NEVER;
  }),
  status: z.enum(ATTEMPT_STATUSES),
  callid: text,
  error: text,
  attempts: z.coerce.number().int(),
  created_at: epochMs,
  updated_at: epochMs,
  dial_status: text,
  call_direction: text,
  start_time: text,
  end_time: text,
  answered_time: text,
  recording_filename: text,
  outcome_at: epochMs.nullish(),
});

const COLUMNS =
  "refid, campaign, did, number, name, variables, status, callid, error, attempts, created_at, updated_at, " +
  "dial_status, call_direction, start_time, end_time, answered_time, recording_filename, outcome_at";

function toAttempt(row: unknown): OutboundAttempt {
  const parsed = rowSchema.safeParse(row);
  if (!parsed.success) {
    throw new HomebookError("store_invalid_row", `outbound_attempts row is invalid: ${parsed.error.issues[0]?.message ?? "unknown problem"}`);
  }
  const r = parsed.data;
  return {
    refid: r.refid,
    campaign: r.campaign,
    did: r.did,
    number: r.number,
    name: r.name,
    variables: r.variables,
    status: r.status,
    callid: r.callid,
    error: r.error,
    attempts: r.attempts,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    outcome:
      r.dial_status === undefined
        ? undefined
        : {
            dialStatus: r.dial_status,
            callDirection: r.call_direction,
            startTime: r.start_time,
            endTime: r.end_time,
            answeredTime: r.answered_time,
            recordingFilename: r.recording_filename,
            at: r.outcome_at ?? r.updated_at,
          },
  };
}

/** Keeps stored text within its column (error VARCHAR(1024), outcome fields VARCHAR(64)). */
function clip(value: string | undefined, max: number): string | undefined {
  return value === undefined ? undefined : value.slice(0, max);
}

/** The repository over the cluster database (either dialect). */
export function createOutboundAttemptStore(db: SqlDatabase, now: () => number = Date.now): OutboundAttemptStore {
  const insertIgnore = db.dialect === "mysql" ? "INSERT IGNORE" : "INSERT OR IGNORE";

  const findOne = async (where: string, params: unknown[]) => {
    const rows = await db.query(`SELECT ${COLUMNS} FROM outbound_attempts WHERE ${where} ORDER BY created_at DESC LIMIT 1`, params);
    return rows[0] === undefined ? undefined : toAttempt(rows[0]);
  };

  return {
    async create({ refid, campaign, did, number, name, variables }) {
      const t = now();
      await db.execute(
        `${insertIgnore} INTO outbound_attempts (refid, campaign, did, number, name, variables, status, attempts, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
        [refid, campaign, did, number, clip(name, 255), JSON.stringify(variables), t, t],
      );
    },

    async update(refid, { status, callid, error, attempts }) {
      const sets = ["status = ?", "updated_at = ?"];
      const params: unknown[] = [status, now()];
      if (callid !== undefined) {
        sets.push("callid = ?");
        params.push(callid);
      }
      if (error !== undefined) {
        sets.push("error = ?");
        params.push(error === null ? null : clip(error, 1024));
      }
      if (attempts !== undefined) {
        sets.push("attempts = ?");
        params.push(attempts);
      }
      await db.execute(`UPDATE outbound_attempts SET ${sets.join(", ")} WHERE refid = ?`, [...params, refid]);
    },

    findByRefid: (refid) => findOne("refid = ?", [refid]),
    findByCallId: (callid) => findOne("callid = ?", [callid]),

    async claimCallId(callid, numbers, sinceMs) {
      if (numbers.length === 0) return undefined;
      const marks = numbers.map(() => "?").join(", ");
      const candidate = await findOne(`callid IS NULL AND number IN (${marks}) AND created_at >= ? AND status IN ('pending', 'sending', 'retrying', 'placed')`, [...numbers, sinceMs]);
      if (!candidate) return undefined;
      const { affectedRows } = await db.execute("UPDATE outbound_attempts SET callid = ?, updated_at = ? WHERE refid = ? AND callid IS NULL", [callid, now(), candidate.refid]);
      return affectedRows > 0 ? { ...candidate, callid } : undefined;
    },

    async recordOutcome(callid, o) {
      const t = now();
      const { affectedRows } = await db.execute(
        `UPDATE outbound_attempts SET dial_status = ?, call_direction = ?, start_time = ?, end_time = ?, answered_time = ?,
         recording_filename = ?, outcome_at = ?, updated_at = ? WHERE callid = ?`,
        [clip(o.dialStatus, 32), clip(o.callDirection, 32), clip(o.startTime, 64), clip(o.endTime, 64), clip(o.answeredTime, 64), clip(o.recordingFilename, 512), t, t, callid],
      );
      return affectedRows > 0;
    },

    async listCampaign(campaign) {
      const rows = await db.query(`SELECT ${COLUMNS} FROM outbound_attempts WHERE campaign = ? ORDER BY created_at, refid`, [campaign]);
      return rows.map(toAttempt);
    },
  };
}
