/** Mcube REST wire types: the outbound-call request and answer, and the status webhook body. No behaviour. */
import { z } from "zod";

/** Body of `POST {MCUBE_API_URL}/{MCUBE_OUTBOUND_PATH}`. Numbers are 10 national digits. */
export interface McubeOutboundRequest {
  HTTP_AUTHORIZATION: string;
  exenumber: string;
  custnumber: string;
  refurl: string;
  refid: string;
}

export const mcubeOutboundRequestSchema = z.object({
  HTTP_AUTHORIZATION: z.string(),
  exenumber: z.string(),
  custnumber: z.string(),
  refurl: z.string().optional().default(""),
  refid: z.string().optional().default(""),
});

/**
 * Mcube's answer. Success carries `callid`; a business error is `{status:false, msg}`.
 * `status` has been seen as a boolean and as "true"/"false" strings, and callid as a number: parse leniently.
 */
export const mcubeOutboundResponseSchema = z.looseObject({
  status: z.union([z.boolean(), z.string(), z.number()]).optional(),
  callid: z.union([z.string(), z.number()]).optional(),
  msg: z.string().optional(),
  message: z.string().optional(),
});

export type McubeOutboundResponse = z.infer<typeof mcubeOutboundResponseSchema>;

/** True when Mcube accepted the call. */
export function outboundAccepted(response: McubeOutboundResponse): boolean {
  const s = response.status;
  return s === true || s === 1 || (typeof s === "string" && /^(true|1|success)$/i.test(s));
}

/** Dial statuses Mcube reports once a call has ended (or failed to connect). */
export const FINAL_DIAL_STATUSES = ["ANSWER", "BUSY", "CANCEL", "NOANSWER", "Executive Busy"] as const;
export type FinalDialStatus = (typeof FINAL_DIAL_STATUSES)[number];

const optionalText = z.union([z.string(), z.number()]).transform(String).optional();

/** Body of the status webhook (`refurl`) Mcube posts while an outbound call progresses. */
export const mcubeStatusWebhookSchema = z.object({
  callId: z.union([z.string().min(1).max(128), z.number()]).transform(String),
  callDirection: optionalText,
  fromNumber: optionalText,
  toNumber: optionalText,
  dialStatus: z.string().max(64).optional(),
  startTime: optionalText,
  endTime: optionalText,
  answeredTime: optionalText,
  filename: optionalText,
});

export type McubeStatusWebhook = z.infer<typeof mcubeStatusWebhookSchema>;

/** What the webhook answers while the call connects: where Mcube opens the media stream. */
export interface McubeConnectAnswer {
  wss_url: string;
}

/** "CONNECTING" or no status at all means Mcube is asking where to stream the call. */
export function isConnectingStatus(dialStatus: string | undefined): boolean {
  return dialStatus === undefined || dialStatus.trim() === "" || dialStatus.trim().toUpperCase() === "CONNECTING";
}

/** The known final status matching `dialStatus` (case-insensitive), or undefined. */
export function finalDialStatus(dialStatus: string | undefined): FinalDialStatus | undefined {
  const wanted = dialStatus?.trim().toUpperCase();
  return FINAL_DIAL_STATUSES.find((s) => s.toUpperCase() === wanted);
}
