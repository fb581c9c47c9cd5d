/**
 * The offline agent's "echo" persona: greets, plays the caller's words back after they pause,
 * yields when the caller talks over it, ends the call on `#` and asks for a transfer on `0`.
 * Its agent_response and user_transcript lines say what it did, so call records show the flow.
 */
import type { Logger } from "../log/logger.ts";
import { convertRate, decodeAgentAudio, formatInfo } from "./agent-audio.ts";
import type { EchoPrompts, Pcm } from "./echo-prompts.ts";
import { PROMPT_TEXT } from "./echo-prompts.ts";
import type { FakeConversationSession } from "./fake-conversation.ts";
import { SpeechDetector } from "./speech-detector.ts";

/** How long the persona waits for the client_tool_result of transfer_call. */
const TOOL_RESULT_TIMEOUT_MS = 10_000;

/** The digit in a DTMF user_message ("The caller pressed #"; the template is configurable, the digit comes last). */
export function digitOf(text: unknown): string | undefined {
  if (typeof text !== "string") return undefined;
  const match = /([0-9*#])[\s.!]*$/.exec(text.trim());
  return match?.[1];
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

export function startEchoPersona(conv: FakeConversationSession, { prompts, logger }: { prompts: EchoPrompts; logger?: Logger }): void {
  const log = logger?.child({ conversation_id: conv.id });
  const inputRate = formatInfo(conv.inputFormat).sampleRate;
  const outputRate = formatInfo(conv.outputFormat).sampleRate;
  const toOutput = (pcm: Pcm) => convertRate(pcm.samples, pcm.sampleRate, outputRate);
  let leaving = false;

  void conv.speakSamples(toOutput(prompts.greeting), PROMPT_TEXT.greeting);

  const detector = new SpeechDetector({ sampleRate: inputRate }, {
    onStart() {
      if (leaving || !conv.isSpeaking) return;
      log?.info("echo agent: caller spoke over it, yielding");
      void conv.interrupt();
    },
    onEnd(samples, durationMs) {
      if (leaving) return;
      conv.userTranscript(`(${seconds(durationMs)} s of speech)`);
      void conv.speakSamples(convertRate(samples, inputRate, outputRate), `Echo: playing back your ${seconds(durationMs)} seconds.`);
    },
  });
  conv.onUserAudio((bytes) => detector.push(decodeAgentAudio(bytes, conv.inputFormat)));

  const endCall = async () => {
    leaving = true;
    if (conv.isSpeaking) await conv.interrupt();
    log?.info("echo agent: ending the call on the caller's request");
    await conv.speakSamples(toOutput(prompts.goodbye), `You pressed hash. ${PROMPT_TEXT.goodbye} Ending the call.`);
    conv.systemToolResponse("end_call");
    conv.close(1000, "Conversation ended by the agent");
  };

  const transfer = async () => {
    leaving = true;
    if (conv.isSpeaking) await conv.interrupt();
    log?.info("echo agent: asking for a transfer on the caller's request");
    await conv.speakSamples(toOutput(prompts.transfer), `You pressed zero. ${PROMPT_TEXT.transfer}`);
    const toolCallId = await conv.clientToolCall("transfer_call", { reason: "The caller pressed 0" });
    try {
      const result = await conv.waitForMessage((m) => m?.type === "client_tool_result" && m.tool_call_id === toolCallId, TOOL_RESULT_TIMEOUT_MS);
      log?.info("echo agent: transfer_call answered", { is_error: result.is_error === true });
    } catch {
      // A gateway that transfers may close the conversation instead of answering: only silence on an open one is a problem.
      if (conv.isOpen) log?.warn("echo agent: no client_tool_result for transfer_call", { timeout_ms: TOOL_RESULT_TIMEOUT_MS });
    }
  };

  conv.onClientFrame((frame) => {
    if (frame?.type !== "user_message" || leaving) return;
    const digit = digitOf(frame.text);
    if (digit === "#") void endCall();
    else if (digit === "0") void transfer();
  });
}
