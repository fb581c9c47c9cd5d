/** Which number a transfer goes to. */
import { normalizePhoneNumber } from "../base/phone-number.ts";
import type { Logger } from "../log/logger.ts";

/**
 * The tool's number when it is a 10-digit number, else the configured one (the bot's), else
 * AGENT_PHONE_NUMBER. A tool number that is not usable is logged (without the number) and skipped.
 *
 * @example transferNumber("+91 98765 43210", undefined, "9000000000", log) // "9876543210"
 */
export function transferNumber(requested: string | undefined, configured: string | undefined, agentPhoneNumber: string, log: Logger): string {
  const fromTool = normalizePhoneNumber(requested);
  if (requested !== undefined && !fromTool) log.warn("transfer number from the agent is not a 10-digit number; using the configured one");
  return fromTool ?? normalizePhoneNumber(configured) ?? agentPhoneNumber;
}
