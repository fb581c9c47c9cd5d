/** Outbound HTTP routes in one mount: the Mcube status webhook and the single-call API. */
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import type { RouteMount } from "../http/app.ts";
import type { OutboundAttemptStore } from "../store/outbound-attempts.ts";
import type { McubeApiClient } from "./mcube-api-client.ts";
import { outboundApiRoute } from "./outbound-api.ts";
import { statusWebhookRoute } from "./status-webhook.ts";


/**
 * POST /mcube/refurl and POST /api/outbound, for startGateway({ routes: [outboundRoutes(…)] }).
 * @example outboundRoutes({ config, logger, store: createOutboundAttemptStore(dbs.cluster) })
 */
export function outboundRoutes(options: { config: Config; logger: Logger; store: OutboundAttemptStore; client?: McubeApiClient }): RouteMount {
  const webhook = statusWebhookRoute(options);
  const api = outboundApiRoute(options);
  return (app) => {
    webhook(app);
    api(app);
  };
}
