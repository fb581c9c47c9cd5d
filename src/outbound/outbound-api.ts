/** POST /api/outbound: places one call (admin bearer token) and answers with its refid and callid. */
import { z } from "zod";
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import type { RouteMount } from "../http/app.ts";
import { adminAuth } from "../http/admin-routes.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import type { OutboundAttemptStore } from "../store/outbound-attempts.ts";
import { createMcubeApiClient, type McubeApiClient } from "./mcube-api-client.ts";
import { newRefid, placeCall } from "./place-call.ts";
import { statusWebhookUrl } from "./refurl.ts";
import type { RetryPolicy } from "./retry.ts";
import { describeIssues } from "../base/errors.ts";


export interface OutboundApiOptions {
  config: Config;
  logger: Logger;
  store: OutboundAttemptStore;
  /** Defaults to a client built from MCUBE_API_URL, MCUBE_OUTBOUND_PATH, MCUBE_API_TOKEN and MCUBE_REFURL. */
  client?: McubeApiClient;
  /** An HTTP caller waits for the answer, so retries stay short. */
  retry?: RetryPolicy;
}

const phone = (field: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = normalizePhoneNumber(v);
    if (!n) {
      ctx.addIssue({ code: "custom", message: `${field} must be a 10-digit Indian phone number` });
      return z.NEVER;
    }
    return n;
  });

const requestSchema = z.object({
  did: phone("did"),
  number: phone("number"),
  name: z.string().max(255).optional(),
  variables: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "variable names are letters, digits and underscores"), z.union([z.string().max(2000), z.number(), z.boolean()]).transform(String))
    .refine((v) => Object.keys(v).length <= 100, "at most 100 variables")
    .optional(),
});

export function outboundApiRoute({ config, logger, store, client, retry = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2000 } }: OutboundApiOptions): RouteMount {
  const log = logger.child({ component: "outbound_api" });
  const mcube =
    client ??
    (config.mcube.apiToken
      ? createMcubeApiClient({ apiUrl: config.mcube.apiUrl, outboundPath: config.mcube.outboundPath, token: config.mcube.apiToken, refUrl: statusWebhookUrl(config) })
      : undefined);

  return (app) => {
    app.post("/api/outbound", adminAuth(config.adminToken), async (c) => {
      if (!mcube) return c.json({ error: "outbound calls are off: set MCUBE_API_TOKEN (the token from Mcube's API settings) and restart" }, 503);
      let raw: unknown;
      try {
        raw = await c.req.json();
      } catch {
        return c.json({ error: "expected a JSON body like {\"did\":\"8000000000\",\"number\":\"9876543210\",\"name\":\"Asha\",\"variables\":{}}" }, 400);
      }
      const parsed = requestSchema.safeParse(raw);
      if (!parsed.success) {
        return c.json({ error: describeIssues(parsed.error, "body") }, 400);
      }
      const { did, number, name, variables = {} } = parsed.data;
      const refid = newRefid();
      try {
        await store.create({ refid, did, number, name, variables });
      } catch (err) {
        log.error("outbound attempt not recorded; nothing was sent", { err });
        return c.json({ error: "store unavailable: the call was not placed" }, 503);
      }
      let result;
      try {
        result = await placeCall({ refid, did, number }, { client: mcube, store, retry, logger: log });
      } catch (err) {
        log.error("outbound attempt could not be marked as sending; nothing was sent", { err, refid });
        return c.json({ refid, error: "store unavailable: the call was not placed" }, 503);
      }
      const body = { refid, callid: result.callid ?? null, status: result.status, attempts: result.attempts, ...(result.error ? { error: result.error } : {}) };
      if (result.status === "placed") return c.json(body);
      return c.json(body, result.status === "rejected" ? 422 : 502);
    });
  };
}
