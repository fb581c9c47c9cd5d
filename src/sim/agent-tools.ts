/** Tool flows of the fake agent: client tools, system tools (end_call, transfer_to_number, keypad), MCP approvals, DTMF requests. */
import type { Clock } from "../base/clock.ts";
import type { TurnStreamer } from "./agent-turns.ts";
import {
  agentToolResponseFrame,
  agentToolResponseFullPayloadFrame,
  clientToolCallFrame,
  dtmfRequestFrame,
  mcpToolCallFrame,
  type McpCallFields,
  type ToolIdentity,
} from "./agent-wire.ts";
import type {
  EndCallOptions,
  FullPayloadOrder,
  McpToolCallOptions,
  McpToolOutcome,
  SystemToolOptions,
  TransferToNumberOptions,
} from "./fake-agent-types.ts";

/** What the tool flows need from their conversation. */
export interface ToolHost {
  readonly clock: Clock;
  readonly isOpen: boolean;
  readonly turns: TurnStreamer;
  sendFrame(frame: object): void;
  nextEventId(): number;
  waitForMessage(predicate: (m: any) => boolean, timeoutMs: number): Promise<any>;
  close(code: number, reason?: string): void;
}

/** The service's default wait for an MCP approval. */
const MCP_APPROVAL_TIMEOUT_SECS = 300;

/** A tool_call_id like the service's: the tool name and 24 hex digits. */
export function newToolCallId(toolName: string): string {
  return `${toolName}_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

export function clientToolCall(host: ToolHost, toolName: string, parameters: Record<string, unknown>): string {
  const toolCallId = newToolCallId(toolName);
  host.sendFrame(clientToolCallFrame(toolName, toolCallId, parameters, host.turns.lastEventId));
  return toolCallId;
}

function respond(host: ToolHost, tool: ToolIdentity, { fullPayload, order = "response_first", isError = false }: SystemToolOptions): void {
  const plain = agentToolResponseFrame(tool, isError);
  if (fullPayload === undefined) {
    host.sendFrame(plain);
    return;
  }
  const full = agentToolResponseFullPayloadFrame(tool, fullPayload, isError);
  for (const frame of order === "full_payload_first" ? [full, plain] : [plain, full]) host.sendFrame(frame);
}

/** agent_tool_response{tool_type:"system"} (and its full payload when given); returns the tool_call_id. */
export function systemToolResponse(host: ToolHost, toolName: string, options: SystemToolOptions = {}, eventId = host.turns.lastEventId): string {
  const toolCallId = newToolCallId(toolName);
  respond(host, { toolName, toolCallId, toolType: "system", eventId }, options);
  return toolCallId;
}

/**
 * The system end_call after the turns queued before it: the goodbye and the tool response (sharing the goodbye's
 * event_id) in the chosen order, then close 1000 as soon as the last audio is out (the caller has not heard it yet).
 */
export function endCall(host: ToolHost, { goodbye, toolResponse, fullPayload = false, reason = "The caller's request is complete" }: EndCallOptions): Promise<void> {
  return host.turns.then(async () => {
    const eventId = goodbye?.eventId ?? host.nextEventId();
    const options: SystemToolOptions = fullPayload ? { fullPayload: { status: "success", reason } } : {};
    if (toolResponse === "before_audio") systemToolResponse(host, "end_call", options, eventId);
    await host.turns.final(goodbye && { ...goodbye, eventId });
    if (toolResponse === "after_audio") systemToolResponse(host, "end_call", options, eventId);
    host.close(1000, "Conversation ended by the agent");
  });
}

/** The system transfer_to_number: full_tool_result carries transfer_number; the two responses in the chosen order. */
export function transferToNumber(host: ToolHost, { number, order, reason = "The caller asked for a person" }: TransferToNumberOptions): string {
  const fullPayload = { status: "success", transfer_number: number, reason, client_message: "Transferring you now.", agent_message: "Incoming transfer." };
  return systemToolResponse(host, "transfer_to_number", { fullPayload, order });
}

/** The system play_keypad_touch_tone: the tones (0-9 * # w W) in full_tool_result.dtmf_tones. */
export function playKeypadTouchTone(host: ToolHost, tones: string, order: FullPayloadOrder = "full_payload_first"): string {
  return systemToolResponse(host, "play_keypad_touch_tone", { fullPayload: { status: "success", dtmf_tones: tones, reason: "Navigating the menu" }, order });
}

/** dtmf_request (payload unconfirmed) in the current turn; returns its event_id. */
export function dtmfRequest(host: ToolHost, digits: string): number {
  const eventId = host.turns.lastEventId || host.nextEventId();
  host.sendFrame(dtmfRequestFrame(digits, eventId));
  return eventId;
}

/**
 * mcp_tool_call awaiting_approval; later turns wait for the client's mcp_tool_approval_result (or the timeout),
 * then the call is sent again as loading → success, or failure. Rejects if the conversation ends first.
 */
export function mcpToolCall(
  host: ToolHost,
  { toolName = "lookup_booking", serviceId = "mcp_fake_service", parameters = {}, approvalTimeoutSecs = MCP_APPROVAL_TIMEOUT_SECS }: McpToolCallOptions = {},
): Promise<McpToolOutcome> {
  const call: McpCallFields = { serviceId, toolCallId: newToolCallId(toolName), toolName, parameters, timestamp: new Date(host.clock.epochMs()).toISOString() };
  host.sendFrame(mcpToolCallFrame(call, { state: "awaiting_approval", approval_timeout_secs: approvalTimeoutSecs }));
  const answered = (m: any) => m?.type === "mcp_tool_approval_result" && m.tool_call_id === call.toolCallId;
  type Decision = McpToolOutcome["decision"];
  const decided = host.waitForMessage(answered, approvalTimeoutSecs * 1000).then(
    (m): Decision => (m.is_approved === true ? "approved" : "rejected"),
    (err: unknown): Decision => {
      if (!host.isOpen) throw err;
      return "timed_out";
    },
  );
  const outcome = decided.then((decision): McpToolOutcome => {
    if (decision === "approved") {
      host.sendFrame(mcpToolCallFrame(call, { state: "loading" }));
      host.sendFrame(mcpToolCallFrame(call, { state: "success", result: [{ type: "text", text: "Booking 42 is confirmed." }] }));
    } else {
      const message = decision === "rejected" ? "The tool call was rejected by the user" : "Timed out waiting for approval";
      host.sendFrame(mcpToolCallFrame(call, { state: "failure", error_message: message }));
    }
    return { toolCallId: call.toolCallId, decision };
  });
  host.turns.hold(outcome);
  return outcome;
}
