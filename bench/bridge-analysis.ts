/** Merges what the callers and the agent stamped into added latency per direction and lost audio. */
import type { AgentReport } from "./bridge-agent.ts";
import type { CallersReport } from "./bridge-callers.ts";
import { bytesPerMulawByte, spread, type Spread } from "./bridge-common.ts";

const FRAME_BYTES = 160;

export interface Loss {
  /** Audio sent that never arrived, in μ-law bytes, and as whole 20 ms frames. */
  bytes: number;
  frames: number;
}

export interface TrafficFigures {
  /** Caller frame sent → the user_audio_chunk carrying its start received by the agent. Frames sent in the window. */
  uplink: Spread;
  /** Agent chunk sent → the playAudio carrying its start received by the caller. Every chunk sent in the window. */
  downlink: Spread;
  lostUp: Loss;
  lostDown: Loss;
  /** Calls that did not end as the callers ended them, or that got commands a clean call never gets. */
  problems: string[];
  checkpoints: number;
}

/** Adds one call's shortfall (μ-law bytes sent minus bytes arrived) to `total`. */
function addLoss(total: Loss, deficitMulawBytes: number): void {
  const missing = Math.max(0, Math.round(deficitMulawBytes));
  total.bytes += missing;
  // Less than half a frame is resampler rounding at the end of the stream, not a lost frame.
  total.frames += Math.round(missing / FRAME_BYTES);
}

export function analyzeTraffic(callers: CallersReport, agent: AgentReport): TrafficFigures {
  const conversations = new Map(agent.conversations.map((c) => [c.sessionId, c]));
  const { windowBeginMs: begin, windowEndMs: end } = callers;
  const uplink: number[] = [];
  const downlink: number[] = [];
  const problems: string[] = [];
  const lostUp: Loss = { bytes: 0, frames: 0 };
  const lostDown: Loss = { bytes: 0, frames: 0 };
  let checkpoints = 0;

  for (const call of callers.calls) {
    checkpoints += call.checkpoints;
    if (call.error || (call.closeCode !== 1000 && call.closeCode !== 1005)) {
      problems.push(`${call.sessionId}: ${call.error ?? "closed"} (code ${call.closeCode ?? "none"})`);
    }
    for (const [event, count] of Object.entries(call.otherEvents)) problems.push(`${call.sessionId}: ${count}× ${event}`);
    const conv = conversations.get(call.sessionId);
    if (!conv) {
      problems.push(`${call.sessionId}: never reached the agent`);
      addLoss(lostUp, call.sentAtMs.length * FRAME_BYTES);
      continue;
    }
    const ratio = bytesPerMulawByte(conv.format);
    addLoss(lostUp, call.sentAtMs.length * FRAME_BYTES - conv.inBytes / ratio);
    addLoss(lostDown, conv.outBytes / ratio - call.playBytes);

    // Uplink: frame k starts at μ-law byte 160·k, i.e. agent byte 160·k·ratio.
    let j = 0;
    for (let k = 0; k < call.sentAtMs.length; k++) {
      const sentAt = call.sentAtMs[k]!;
      if (sentAt < begin || sentAt > end) continue;
      const offset = k * FRAME_BYTES * ratio;
      while (j < conv.inEnd.length && conv.inEnd[j]! <= offset) j++;
      if (j < conv.inEnd.length) uplink.push(conv.inAtMs[j]! - sentAt);
    }
    // Downlink: agent chunk starting at agent byte b starts at μ-law byte b / ratio.
    let p = 0;
    for (let c = 0; c < conv.outAtMs.length; c++) {
      const sentAt = conv.outAtMs[c]!;
      if (sentAt < begin || sentAt > end) continue;
      const offset = conv.outStart[c]! / ratio;
      while (p < call.playEnd.length && call.playEnd[p]! <= offset) p++;
      if (p < call.playEnd.length) downlink.push(call.playAtMs[p]! - sentAt);
    }
  }
  for (const conv of agent.conversations) {
    if (!callers.calls.some((c) => c.sessionId === conv.sessionId)) problems.push(`agent conversation for unknown session "${conv.sessionId}"`);
  }
  return { uplink: spread(uplink), downlink: spread(downlink), lostUp, lostDown, problems, checkpoints };
}
