/** The start-up warning for a /ws endpoint anyone can reach. */
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";

/**
 * Logs one warning when neither MCUBE_AUTH_TOKEN nor MCUBE_ALLOWED_IPS is set. Call once at gateway start.
 * @returns true when the warning was logged.
 */
export function warnIfOpen(config: Config, logger: Logger): boolean {
  if (config.mcube.authToken || (config.mcube.allowedIps && config.mcube.allowedIps.length > 0)) return false;
  logger.warn("/ws is open to anyone: set MCUBE_AUTH_TOKEN or MCUBE_ALLOWED_IPS to restrict who can open calls", {
    fix: "MCUBE_AUTH_TOKEN=$(openssl rand -hex 16) with ?token= in Mcube's socket URL, or MCUBE_ALLOWED_IPS=<Mcube's addresses>",
  });
  return true;
}
