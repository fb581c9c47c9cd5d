/** Prometheus metrics of outbound calling: Mcube requests by result, webhook posts by dial status. */
import { Counter } from "../metrics/registry.ts";

export const mcubeRequestsTotal = new Counter({
  name: "homebook_outbound_requests_total",
  help: "Outbound-call requests sent to Mcube's REST API, by result (placed, rejected, retryable_error, failed).",
  labelNames: ["result"],
});

export const statusWebhooksTotal = new Counter({
  name: "homebook_outbound_status_webhooks_total",
  help: "Status webhook posts from Mcube, by dial status (CONNECTING, ANSWER, BUSY, …, other, invalid) and whether an attempt matched.",
  labelNames: ["dial_status", "matched"],
});
