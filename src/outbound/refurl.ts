/** The status-webhook URL sent to Mcube with each call (MCUBE_REFURL, carrying the gateway token when one is set). */
import type { Config } from "../config/index.ts";

/**
 * MCUBE_REFURL as Mcube should call it. When MCUBE_AUTH_TOKEN is set, the webhook (which hands out
 * WebSocket URLs carrying that token) requires it too, so it is added as ?token= unless already present.
 * Returns "" when MCUBE_REFURL is unset (Mcube then uses the status URL set in its own panel).
 */
export function statusWebhookUrl(config: Config): string {
  const { refUrl, authToken } = config.mcube;
  if (!refUrl) return "";
  if (!authToken) return refUrl;
  const url = new URL(refUrl);
  if (!url.searchParams.has("token")) url.searchParams.set("token", authToken);
  return url.toString();
}
