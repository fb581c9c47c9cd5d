/** Typed, classified errors: `code` says what failed, `retryable` whether trying again can help. */

export type ErrorCode =
  | "config"
  | "usage"
  | "upstream_auth"
  | "upstream_agent_not_found"
  | "upstream_override"
  | "upstream_dynamic_variable"
  | "upstream_unavailable"
  | "upstream_protocol"
  | "capacity"
  | "store_unavailable"
  | "store_invalid_row"
  | "cluster_unavailable"
  | "not_found"
  | "conflict"
  | "invalid_input"
  | "timeout"
  | "internal";

export class HomebookError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** What the operator should change, when the fix is known (a setting, an agent option). */
  readonly fix?: string;
  /** For retryable errors: how long to wait before the next try (e.g. a busy upstream queue). */
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; fix?: string; cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = "HomebookError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.fix = options.fix;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Bad command-line input: printed as one line with how to fix it, exit code 2. */
export class UsageError extends HomebookError {
  constructor(message: string, fix?: string) {
    super("usage", message, { fix });
    this.name = "UsageError";
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof HomebookError ? err.retryable : true;
}

/**
 * One line naming each invalid field of a zod error: "did: Required; number: expected a string".
 * `whole` names the value itself when an issue has no path (e.g. "body", "row").
 */
export function describeIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }, whole = "value"): string {
  return error.issues.map((i) => `${i.path.map(String).join(".") || whole}: ${i.message}`).join("; ");
}
