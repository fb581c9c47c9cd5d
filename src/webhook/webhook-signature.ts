/** The Homebook-Signature header of post-call webhooks: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "Homebook-Signature";

/** The header value for `body` sent at `unixSeconds`. */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  const v1 = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
  return `t=${t},v1=${v1}`;
}

/**
 * What a receiver does: true when `header` signs `rawBody` with `secret` and its time is within
 * `toleranceSeconds` of `nowSeconds` (a replayed old request is refused). Compared in constant time.
 * @example verifyWebhook(secret, req.headers.get("homebook-signature"), await req.text(), Date.now() / 1000)
 */
export function verifyWebhook(secret: string, header: string | null | undefined, rawBody: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = new Map((header ?? "").split(",").map((p) => p.trim().split("=", 2) as [string, string]));
  const t = Number(parts.get("t"));
  const v1 = parts.get("v1") ?? "";
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, "hex"));
}
