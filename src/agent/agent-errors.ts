/** Classifies ElevenLabs failures (REST status, handshake status, error frames, closes) into HomebookError codes. */
import { HomebookError } from "../base/errors.ts";

const AGENT_SETTING = "the bot's agent_id (or ELEVENLABS_AGENT_ID for DIDs without a bot)";

/**
 * A failed REST request about an agent (`request`: get-signed-url, or reading the agent): an HTTP status
 * (`statusCode`, as the request and the SDK report it) or a network error.
 */
export function classifyRestFailure(err: unknown, agentId: string, request = "get-signed-url"): HomebookError {
  if (err instanceof HomebookError) return err;
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  const detail = `${request} for agent ${agentId} failed${typeof status === "number" ? ` with HTTP ${status}` : ""}`;
  if (status === 401 || status === 403) {
    return new HomebookError("upstream_auth", `${detail}: the API key was refused`, {
      fix: "ELEVENLABS_API_KEY: set a valid key with Agents (convai) access",
      cause: err,
    });
  }
  if (status === 404 || status === 422) {
    return new HomebookError("upstream_agent_not_found", `${detail}: unknown agent`, { fix: AGENT_SETTING, cause: err });
  }
  return new HomebookError("upstream_unavailable", detail, { retryable: true, cause: err });
}

/** The HTTP status in Bun's handshake error ("Expected 101 status code: 401"), if any. */
export function handshakeStatus(message: string | undefined): number | undefined {
  const match = message?.match(/status code:?\s*(\d{3})/i);
  return match ? Number(match[1]) : undefined;
}

/** A WebSocket upgrade the agent service refused with an HTTP status. */
export function classifyHandshake(status: number | undefined, agentId: string, signed: boolean): HomebookError {
  const detail = `agent ${agentId} refused the WebSocket upgrade${status ? ` with HTTP ${status}` : ""}`;
  if (status === 401 || status === 403) {
    // A refused signed URL is worth one fresh URL; a refused public URL means the agent needs a key.
    return new HomebookError("upstream_auth", detail, {
      retryable: signed,
      fix: signed ? "ELEVENLABS_API_KEY: check the key can start conversations with this agent" : "ELEVENLABS_API_KEY: the agent has authentication enabled; set a key",
    });
  }
  if (status === 404) return new HomebookError("upstream_agent_not_found", detail, { fix: AGENT_SETTING });
  return new HomebookError("upstream_unavailable", detail, { retryable: true });
}

/** An `error` frame (or a close reason) from the conversation. Fatal types are about settings, never retried. */
export function classifyAgentError(errorType: string | undefined, message: string | undefined, code: number | undefined): HomebookError {
  const type = errorType ?? "";
  const detail = `agent error ${type || "unknown"}${code ? ` (${code})` : ""}`;
  const text = `${type} ${message ?? ""}`.toLowerCase();
  if (type === "override_error") {
    return new HomebookError("upstream_override", detail, {
      fix: "enable the overrides this bot sets (prompt, first_message, language, voice_id) in the agent's Security tab, or clear them on the bot",
    });
  }
  if (type.startsWith("missing_dynamic_variable")) {
    return new HomebookError("upstream_dynamic_variable", detail, {
      fix: "add the missing variable to the bot's dynamic variables, or remove the {{variable}} from the agent's prompt",
    });
  }
  if (/agent.*(not found|does not exist|unknown)|(unknown|invalid) agent/.test(text)) {
    return new HomebookError("upstream_agent_not_found", detail, { fix: AGENT_SETTING });
  }
  if (type === "telephony_agent_error" || type === "invalid_message" || type === "missing_fields" || type === "value_error") {
    return new HomebookError("upstream_protocol", detail, { fix: "check the agent's configuration in ElevenLabs (see the error type)" });
  }
  return new HomebookError("upstream_unavailable", detail, { retryable: true });
}

/** How long to wait before trying again after "too many concurrent conversations" (3008). */
export const BUSY_RETRY_AFTER_MS = 500;

/**
 * Why a conversation socket closed without an error frame. 3000 is the service cancelling the request
 * (the official client treats it as a generic server-side cancel): worth one more try. 3008 ("too many
 * concurrent connections", after `queue_status: timed_out`) is worth another try after a short wait.
 */
export function classifyClose(code: number, reason: string, initiated: boolean): HomebookError {
  const fromReason = classifyAgentError(undefined, reason, code);
  if (!fromReason.retryable) return fromReason;
  const detail = `${code}${reason ? ` ${reason.slice(0, 80)}` : ""}`;
  if (code === 3008) {
    return new HomebookError("upstream_unavailable", `the agent service has too many concurrent conversations (${detail})`, {
      retryable: true,
      retryAfterMs: BUSY_RETRY_AFTER_MS,
      fix: "raise the ElevenLabs plan's concurrency, or lower ELEVENLABS_MAX_CONNECTIONS to what the plan allows",
    });
  }
  if (code === 3000) {
    return new HomebookError("upstream_unavailable", `the agent service cancelled the conversation ${initiated ? "" : "before it started "}(${detail})`, { retryable: true });
  }
  return new HomebookError("upstream_unavailable", `agent socket closed with ${detail}`, { retryable: true });
}
