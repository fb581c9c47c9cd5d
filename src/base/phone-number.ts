/** The one phone-number normalization used wherever Homebook stores, compares or sends a number. */

/**
 * Normalizes an Indian number to its 10 national digits, as Mcube expects them.
 * Removes spaces, dashes, dots and brackets, then a leading "+91", a "91" on a 12-digit number,
 * and a leading "0"; longer inputs match on their last 10 digits.
 * Returns undefined when fewer than 10 digits remain or other characters are present.
 *
 * @example normalizePhoneNumber("+91 98765-43210") // "9876543210"
 */
export function normalizePhoneNumber(input: string | number | undefined | null): string | undefined {
  if (input === undefined || input === null) return undefined;
  let digits = String(input).trim().replace(/[\s\-().]/g, "");
  if (digits.startsWith("+91")) digits = digits.slice(3);
  else if (digits.startsWith("+")) return undefined;
  if (!/^\d+$/.test(digits)) return undefined;
  if (digits.length === 12 && digits.startsWith("91")) digits = digits.slice(2);
  if (digits.length === 11 && digits.startsWith("0")) digits = digits.slice(1);
  if (digits.length < 10) return undefined;
  return digits.slice(-10);
}

/** Masks a phone number to its last 4 digits for logs: "******3210". */
export function maskPhoneNumber(input: string | undefined | null): string {
  if (!input) return "";
  const digits = String(input).replace(/\D/g, "");
  if (digits.length <= 4) return "*".repeat(digits.length);
  return "*".repeat(digits.length - 4) + digits.slice(-4);
}
