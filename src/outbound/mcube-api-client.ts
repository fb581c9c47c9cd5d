/** Mcube REST client: one outbound-call request per send, its failure classified for retry decisions. */
import { HomebookError } from "../base/errors.ts";
import { mcubeOutboundResponseSchema, outboundAccepted, type McubeOutboundRequest } from "../telephony/mcube-api-protocol.ts";

/** Why a send failed: network, timeout and server errors may be retried; the rest are final. */
export type McubeFailureKind = "network" | "timeout" | "server" | "http" | "auth" | "business" | "protocol";

const RETRYABLE_KINDS: ReadonlySet<McubeFailureKind> = new Set(["network", "timeout", "server"]);

export class McubeApiError extends HomebookError {
  constructor(
    readonly kind: McubeFailureKind,
    message: string,
    readonly httpStatus?: number,
    cause?: unknown,
  ) {
    super(kind === "auth" ? "upstream_auth" : kind === "business" ? "invalid_input" : RETRYABLE_KINDS.has(kind) ? "upstream_unavailable" : "upstream_protocol", message, {
      retryable: RETRYABLE_KINDS.has(kind),
      fix: kind === "auth" ? "check MCUBE_API_TOKEN" : undefined,
      cause,
    });
    this.name = "McubeApiError";
  }
}

export interface McubeApiClientOptions {
  apiUrl: string;
  outboundPath: string;
  /** MCUBE_API_TOKEN: sent in the body, never logged or put in an error. */
  token: string;
  /** Status webhook Mcube posts to (MCUBE_REFURL); empty leaves it to Mcube's own setting. */
  refUrl?: string;
  timeoutMs?: number;
}

export interface DialRequest {
  /** Mcube DID the call is placed from (exenumber), 10 digits. */
  did: string;
  /** Customer number (custnumber), 10 digits. */
  number: string;
  refid: string;
}

export interface McubeApiClient {
  readonly endpoint: string;
  /**
   * Sends one outbound-call request and returns Mcube's callid.
   * @throws McubeApiError (business errors carry Mcube's msg).
   */
  dial(request: DialRequest, signal?: AbortSignal): Promise<{ callid: string }>;
}

function describeBody(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 197)}...` : oneLine;
}

/** Removes the token wherever a message might echo it (an upstream error page quoting the request). */
function redact(text: string, token: string): string {
  return token ? text.split(token).join("[redacted]") : text;
}

export function createMcubeApiClient({ apiUrl, outboundPath, token, refUrl = "", timeoutMs = 10_000 }: McubeApiClientOptions): McubeApiClient {
  const endpoint = `${apiUrl.replace(/\/+$/, "")}/${outboundPath.replace(/^\/+/, "")}`;

  const dial = async ({ did, number, refid }: DialRequest, signal?: AbortSignal): Promise<{ callid: string }> => {
    const body: McubeOutboundRequest = { HTTP_AUTHORIZATION: token, exenumber: did, custnumber: number, refurl: refUrl, refid };
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      text = await res.text();
    } catch (err) {
      if (timeout.aborted) throw new McubeApiError("timeout", `Mcube did not answer within ${timeoutMs} ms`, undefined, err);
      throw new McubeApiError("network", `cannot reach Mcube: ${redact((err as Error).message, token)}`, undefined, err);
    }
    if (res.status >= 500) throw new McubeApiError("server", `Mcube answered HTTP ${res.status}`, res.status);
    if (res.status === 401 || res.status === 403) throw new McubeApiError("auth", `Mcube refused the token (HTTP ${res.status})`, res.status);
    if (res.status === 429) throw new McubeApiError("server", "Mcube is rate limiting (HTTP 429)", res.status);

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = mcubeOutboundResponseSchema.safeParse(json);
    if (!parsed.success) {
      const kind = res.ok ? "protocol" : "http";
      throw new McubeApiError(kind, `Mcube answered HTTP ${res.status} with an unexpected body: ${redact(describeBody(text), token)}`, res.status);
    }
    const answer = parsed.data;
    if (!outboundAccepted(answer)) {
      const msg = answer.msg ?? answer.message ?? (res.ok ? "no reason given" : `HTTP ${res.status}`);
      throw new McubeApiError("business", `Mcube refused the call: ${redact(msg, token)}`, res.status);
    }
    if (!res.ok) throw new McubeApiError("http", `Mcube answered HTTP ${res.status}`, res.status);
    if (answer.callid === undefined || String(answer.callid) === "") {
      throw new McubeApiError("protocol", "Mcube accepted the call but sent no callid", res.status);
    }
    return { callid: String(answer.callid) };
  };

  return { endpoint, dial };
}
