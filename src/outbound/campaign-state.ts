/** A campaign's state file: an append-only JSON-lines journal of every attempt change, read back by --resume. */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { UsageError } from "../base/errors.ts";
import { ATTEMPT_STATUSES, FINAL_ATTEMPT_STATUSES } from "../store/outbound-attempts.ts";
import type { AttemptResult } from "./place-call.ts";

export interface CampaignHeader {
  campaign: string;
  did: string;
  /** Absolute paths, so --resume alone finds them again. */
  csv: string;
  out: string;
  createdAt: string;
}

const headerSchema = z.object({
  type: z.literal("campaign"),
  version: z.literal(1),
  campaign: z.string().min(1),
  did: z.string(),
  csv: z.string(),
  out: z.string(),
  createdAt: z.string(),
});

const entrySchema = z.object({
  type: z.literal("attempt"),
  number: z.string(),
  refid: z.string(),
  status: z.enum(ATTEMPT_STATUSES),
  callid: z.string().optional(),
  error: z.string().optional(),
  attempts: z.number().int(),
});

export type StateEntry = AttemptResult & { number: string };

export class CampaignState {
  private readonly entries = new Map<string, StateEntry>();

  private constructor(
    readonly path: string,
    readonly header: CampaignHeader,
  ) {}

  /** Throws when a state file is already at `path` (that campaign may need --resume, not a fresh start). */
  static assertAbsent(path: string): void {
    if (existsSync(path)) {
      throw new UsageError(
        `outbound: the state file ${path} already exists from an earlier run`,
        `continue that campaign with --resume ${path}, or pass a different --out`,
      );
    }
  }

  /** Starts a new state file; refuses to overwrite one. */
  static create(path: string, header: CampaignHeader): CampaignState {
    CampaignState.assertAbsent(path);
    writeFileSync(path, `${JSON.stringify({ type: "campaign", version: 1, ...header })}\n`, { flag: "wx" });
    return new CampaignState(path, header);
  }

  /**
   * Reads a state file written by `create` and `record`. A torn last line (the process died while
   * writing it) is ignored; anything else unreadable is an error naming the line.
   */
  static open(path: string): CampaignState {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      throw new UsageError(`outbound: cannot read the state file ${path}`, "pass the .state.jsonl file an earlier 'homebook outbound' run wrote beside its results");
    }
    const lines = text.split("\n");
    const parse = (i: number) => {
      try {
        return JSON.parse(lines[i]!) as unknown;
      } catch {
        return undefined;
      }
    };
    const header = headerSchema.safeParse(parse(0));
    if (!header.success) {
      throw new UsageError(`outbound: ${path} is not a campaign state file`, "pass the .state.jsonl file an earlier 'homebook outbound' run wrote beside its results");
    }
    const { type: _type, version: _version, ...fields } = header.data;
    const state = new CampaignState(path, fields);
    for (let i = 1; i < lines.length; i++) {
      if (lines[i]!.trim() === "") continue;
      const entry = entrySchema.safeParse(parse(i));
      if (!entry.success) {
        if (i >= lines.length - 2) break; // torn final write
        throw new UsageError(`outbound: line ${i + 1} of the state file ${path} is damaged`, "restore the file from a backup, or remove that line by hand");
      }
      const { type: _t, ...rest } = entry.data;
      state.entries.set(rest.number, rest);
    }
    return state;
  }

  get(number: string): StateEntry | undefined {
    return this.entries.get(number);
  }

  /** True when `number` reached a final status: it is never dialed again. */
  isFinished(number: string): boolean {
    const entry = this.entries.get(number);
    return entry !== undefined && FINAL_ATTEMPT_STATUSES.has(entry.status);
  }

  /** Appends one change synchronously, so it is on disk before the request it announces is sent. */
  record(entry: StateEntry): void {
    const { fatal: _fatal, ...fields } = entry;
    appendFileSync(this.path, `${JSON.stringify({ type: "attempt", ...fields })}\n`);
    this.entries.set(entry.number, entry);
  }

  all(): StateEntry[] {
    return [...this.entries.values()];
  }
}
