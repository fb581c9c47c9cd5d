/** Token checks in constant time, for Mcube upgrades, the Mcube webhook and the admin API. */
import { createHash, timingSafeEqual } from "node:crypto";
import { ipAllowed } from "../config/cidr.ts";
import type { Config } from "../config/index.ts";

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

/**
 * Whether a request may act for Mcube: its address must be in MCUBE_ALLOWED_IPS (when set) and it
 * must carry MCUBE_AUTH_TOKEN as `?token=` or a bearer token (when set). Returns why it may not.
 */
export function mcubeAccessRefusal(
  mcube: Config["mcube"],
  request: { url: URL; headers: Headers; remoteAddress: string },
): "ip_not_allowed" | "bad_token" | undefined {
  if (mcube.allowedIps && !ipAllowed(request.remoteAddress, mcube.allowedIps)) return "ip_not_allowed";
  if (mcube.authToken) {
    const given = request.url.searchParams.get("token") ?? bearerToken(request.headers) ?? "";
    if (!safeEqual(given, mcube.authToken)) return "bad_token";
  }
  return undefined;
}
