/** Token checks in constant time, for Mcube upgrades and the admin API. */
import { createHash, timingSafeEqual } from "node:crypto";

/** Compares two secrets in time independent of where they differ (and of their lengths). */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/** The token from `Authorization: Bearer …`, or undefined. */
export function bearerToken(headers: Headers): string | undefined {
  const header = headers.get("authorization");
  const match = header?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim();
}
