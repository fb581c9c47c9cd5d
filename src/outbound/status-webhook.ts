/** POST /mcube/refurl: Mcube's status webhook. CONNECTING gets the wss_url; final statuses are recorded. */
import type { Context } from "hono";
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { mcubeAccessRefusal } from "../http/auth.ts";
import type { RouteMount } from "../http/app.ts";
import { SESSION_ID_PATTERN } from "../telephony/mcube-socket.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import type { OutboundAttemptStore } from "../store/outbound-attempts.ts";
import { finalDialStatus, isConnectingStatus, mcubeStatusWebhookSchema, type McubeStatusWebhook } from "../telephony/mcube-api-protocol.ts";
import { statusWebhooksTotal } from "./outbound-metrics.ts";
import { describeIssues } from "../base/errors.ts";


export interface StatusWebhookOptions {
  config: Config;
  logger: Logger;
  store: OutboundAttemptStore;
  /** How far back a webhook that outran Mcube's REST answer may match an attempt by number. */
  claimWindowMs?: number;
}

/** Reads a JSON or form-encoded body; undefined when it is neither. */
async function readBody(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  try {
    if (type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data")) return await c.req.parseBody();
    return JSON.parse(await c.req.text()) as unknown;
  } catch {
    return undefined;
  }
}


/** The webhook route as a mount for startGateway({ routes }). */
export function statusWebhookRoute({ config, logger, store, claimWindowMs = 15 * 60_000 }: StatusWebhookOptions): RouteMount {
  const log = logger.child({ component: "mcube_refurl" });
  let warnedDerivedBase = false;

  /** PUBLIC_WS_BASE_URL, or ws(s)://<the host this request came to> (warned once). */
  const wsBase = (c: Context): string => {
    if (config.mcube.publicWsBaseUrl) return config.mcube.publicWsBaseUrl;
    const url = new URL(c.req.url);
    const proto = (c.req.header("x-forwarded-proto") ?? url.protocol.replace(":", "")).split(",")[0]!.trim();
    const host = (c.req.header("x-forwarded-host") ?? c.req.header("host") ?? url.host).split(",")[0]!.trim();
    const base = `${proto === "https" || proto === "wss" ? "wss" : "ws"}://${host}`;
    if (!warnedDerivedBase) {
      warnedDerivedBase = true;
      log.warn("PUBLIC_WS_BASE_URL is unset: wss_url is derived from the webhook request's host; set PUBLIC_WS_BASE_URL=wss://your.public.host", { ws_base_url: base });
    }
    return base;
  };

  const wssUrl = (c: Context, callId: string): string => {
    const url = `${wsBase(c)}/ws/${encodeURIComponent(callId)}`;
    // The /ws route requires MCUBE_AUTH_TOKEN when it is set; Mcube can only carry it in the URL.
    return config.mcube.authToken ? `${url}?token=${encodeURIComponent(config.mcube.authToken)}` : url;
  };

  /** The attempt for this call: by callid, else the newest one for its numbers that has no callid yet. */
  const matchAttempt = async (body: McubeStatusWebhook) => {
    const found = await store.findByCallId(body.callId);
    if (found) return found;
    const numbers = [body.toNumber, body.fromNumber].map((n) => normalizePhoneNumber(n)).filter((n): n is string => n !== undefined);
    return store.claimCallId(body.callId, numbers, Date.now() - claimWindowMs);
  };

  return (app) => {
    app.post("/mcube/refurl", async (c) => {
      const remote = c.env?.requestIP?.(c.req.raw)?.address ?? "";
      const refusal = mcubeAccessRefusal(config.mcube, { url: new URL(c.req.url), headers: c.req.raw.headers, remoteAddress: remote });
      if (refusal === "ip_not_allowed") {
        log.warn("status webhook refused: address not in MCUBE_ALLOWED_IPS", { remote });
        return c.json({ error: "forbidden" }, 403);
      }
      if (refusal === "bad_token") {
        log.warn("status webhook refused: missing or wrong token");
        return c.json({ error: "unauthorized: put ?token=<MCUBE_AUTH_TOKEN> in the refurl" }, 401);
      }
      const raw = await readBody(c);
      if (raw === undefined) {
        statusWebhooksTotal.inc({ dial_status: "invalid", matched: "no" });
        return c.json({ error: "expected a JSON (or form-encoded) body" }, 400);
      }
      const parsed = mcubeStatusWebhookSchema.safeParse(raw);
      if (!parsed.success) {
        statusWebhooksTotal.inc({ dial_status: "invalid", matched: "no" });
        return c.json({ error: `invalid status webhook: ${describeIssues(parsed.error, "body")}` }, 400);
      }
      const body = parsed.data;
      if (!SESSION_ID_PATTERN.test(body.callId)) {
        statusWebhooksTotal.inc({ dial_status: "invalid", matched: "no" });
        return c.json({ error: "invalid status webhook: callId must be 1-128 characters of A-Z a-z 0-9 . _ : -" }, 400);
      }
      const callLog = log.child({ call_id: body.callId });

      if (isConnectingStatus(body.dialStatus)) {
        // The call must connect even when the store is down: the lookup failing only costs the variables.
        let matched = false;
        try {
          matched = (await matchAttempt(body)) !== undefined;
        } catch (err) {
          callLog.warn("status webhook: attempt lookup failed", { err });
        }
        statusWebhooksTotal.inc({ dial_status: "CONNECTING", matched: matched ? "yes" : "no" });
        callLog.info("outbound call connecting", { matched });
        return c.json({ wss_url: wssUrl(c, body.callId) });
      }

      const dialStatus = body.dialStatus!.trim();
      const label = finalDialStatus(dialStatus) ?? "other";
      try {
        const attempt = await matchAttempt(body);
        const recorded =
          attempt !== undefined &&
          (await store.recordOutcome(body.callId, {
            dialStatus,
            callDirection: body.callDirection,
            startTime: body.startTime,
            endTime: body.endTime,
            answeredTime: body.answeredTime,
            recordingFilename: body.filename,
          }));
        statusWebhooksTotal.inc({ dial_status: label, matched: recorded ? "yes" : "no" });
        if (recorded) callLog.info("outbound call outcome recorded", { dial_status: dialStatus, refid: attempt.refid });
        else callLog.info("status webhook for a call with no outbound attempt", { dial_status: dialStatus });
      } catch (err) {
        callLog.error("status webhook: outcome not stored", { err, dial_status: dialStatus });
        return c.json({ error: "store unavailable, try again" }, 503);
      }
      return c.json({ status: "ok" });
    });
  };
}
