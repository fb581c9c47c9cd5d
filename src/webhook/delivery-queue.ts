/** The durable queue the post-call webhook dispatcher needs; the store implements it (store/webhook-deliveries.ts). */

/** One pending delivery: the body every attempt sends, and where its retries stand. */
export interface WebhookDelivery {
  sessionId: string;
  body: string;
  /** Attempts made so far. */
  attempts: number;
  /** Epoch ms the delivery was queued (retries stop 24 h later). */
  createdAt: number;
  /** Epoch ms of the next attempt (also the version a claim checks). */
  nextAttemptAt: number;
}

/** How an attempt left a delivery. */
export type DeliverySettlement =
  | { state: "delivered"; attempts: number; at: number; status: number }
  | { state: "pending"; attempts: number; at: number; nextAttemptAt: number; status?: number; error: string }
  | { state: "failed"; attempts: number; at: number; status?: number; error: string };

export interface DeliveryQueue {
  /** Pending deliveries due at `nowMs`, the longest-waiting first, at most `limit`. */
  due(nowMs: number, limit: number): Promise<WebhookDelivery[]>;
  /**
   * Takes `delivery` for one attempt until `leaseUntilMs`: true when this gateway got it (no other
   * gateway sends it meanwhile; after a crash it is due again once the lease passes).
   */
  claim(delivery: WebhookDelivery, leaseUntilMs: number): Promise<boolean>;
  settle(sessionId: string, settlement: DeliverySettlement): Promise<void>;
  /** Epoch ms of the earliest pending attempt, or undefined when nothing is pending. */
  nextDueAt(): Promise<number | undefined>;
  /** Deliveries still pending. */
  pending(): Promise<number>;
}

/** A call's webhook delivery as GET /calls/{id} shows it. Times are epoch ms. */
export interface WebhookStatus {
  status: "pending" | "delivered" | "failed";
  attempts: number;
  queuedAt: number;
  lastAttemptAt?: number;
  /** HTTP status of the receiver's last answer. */
  lastStatus?: number;
  lastError?: string;
  nextAttemptAt?: number;
  deliveredAt?: number;
}
