/**
 * Console sign-in sessions: a cookie signed with a key derived from ADMIN_TOKEN, so it survives a
 * restart and is valid on every gateway sharing the token, and rotating the token ends them all.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { systemClock, type Clock } from "../base/clock.ts";
import { bearerToken, safeEqual } from "../http/auth.ts";

export const SESSION_COOKIE = "homebook_console";
/** How long a sign-in lasts. */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** Signed-out sessions remembered until they expire; the oldest are forgotten past this many. */
const MAX_REVOKED = 10_000;

export interface ConsoleSessionsOptions {
  adminToken: string;
  clock?: Clock;
  ttlMs?: number;
}

/** Issues, checks and ends console sessions. Cookie values: `<expiresAtMs>.<nonce>.<signature>`. */
export class ConsoleSessions {
  private readonly key: Buffer;
  private readonly clock: Clock;
  readonly ttlMs: number;
  /** nonce → expiry of sessions signed out before they expired. */
  private readonly revoked = new Map<string, number>();

  constructor({ adminToken, clock = systemClock, ttlMs = SESSION_TTL_MS }: ConsoleSessionsOptions) {
    this.key = createHmac("sha256", adminToken).update("homebook console session v1").digest();
    this.clock = clock;
    this.ttlMs = ttlMs;
  }

  /** A new session's cookie value. */
  issue(): string {
    const body = `${this.clock.epochMs() + this.ttlMs}.${randomBytes(16).toString("base64url")}`;
    return `${body}.${this.sign(body)}`;
  }

  /** True for a value this gateway's token signed, not expired and not signed out. */
  valid(value: string | undefined): boolean {
    const parsed = this.parse(value);
    return parsed !== undefined && parsed.expiresAtMs > this.clock.epochMs() && !this.revoked.has(parsed.nonce);
  }

  /** Signs a session out (this process remembers it until it would have expired). */
  revoke(value: string | undefined): void {
    const parsed = this.parse(value);
    if (!parsed) return;
    const now = this.clock.epochMs();
    for (const [nonce, expiresAtMs] of this.revoked) if (expiresAtMs <= now) this.revoked.delete(nonce);
    if (this.revoked.size >= MAX_REVOKED) this.revoked.delete(this.revoked.keys().next().value!);
    this.revoked.set(parsed.nonce, parsed.expiresAtMs);
  }

  private sign(body: string): string {
    return createHmac("sha256", this.key).update(body).digest("base64url");
  }

  private parse(value: string | undefined): { expiresAtMs: number; nonce: string } | undefined {
    const match = /^(\d{1,16})\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$/.exec(value ?? "");
    if (!match || !safeEqual(match[3]!, this.sign(`${match[1]}.${match[2]}`))) return undefined;
    return { expiresAtMs: Number(match[1]), nonce: match[2]! };
  }
}

/** The session cookie of a request. */
export function sessionCookie(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

/** An operator's request: `Authorization: Bearer $ADMIN_TOKEN`, or a signed-in console session. */
export function isOperator(c: Context, adminToken: string, sessions: ConsoleSessions): boolean {
  const bearer = bearerToken(c.req.raw.headers);
  if (bearer !== undefined) return safeEqual(bearer, adminToken);
  return sessions.valid(sessionCookie(c));
}
