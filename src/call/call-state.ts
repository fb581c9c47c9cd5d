/**
 * The states of one call and the only transitions between them. A state a reader can name holds
 * exactly what is true in it (the agent leg exists only while an agent is attached), and `transition`
 * accepts only the moves this table allows: an illegal one does not compile.
 *
 *   awaiting_start ──start──▶ connecting ──agent ready──▶ live ◀──────────┐
 *        │                       │                         │  agent lost    │ new conversation
 *        │                       │                         ▼                │
 *        │                       │                   reconnecting ──────────┘
 *        │                       ▼                         │
 *        └────────────────▶  ending (settle → drain → command) ◀──────────┘
 *                                  │
 *   any state ── hang-up ──▶   closed
 */
import type { AgentLeg } from "../agent/agent-leg.ts";
import type { HomebookError } from "../base/errors.ts";
import type { EndReason } from "./call-record.ts";

/** Why and how a call is being ended by the gateway. */
export type EndPlan =
  /** The agent ended the conversation: play its last words, then `terminate`. */
  | { kind: "end"; reason: "agent_end_call" | "max_duration"; source: string }
  /** Hand the caller to a person: play what is queued, then `transfer`. */
  | { kind: "transfer"; reason: "transfer" | "drain"; number: string; source: string }
  /** The agent failed or never came: the caller goes to the fallback number quickly. */
  | { kind: "fallback"; number: string; error: HomebookError };

/** Where an ending is: waiting for the agent to finish, for Mcube to play it out, or for Mcube to act on the command. */
export type EndingStep = "settling" | "draining" | "commanded";

export type CallState =
  | { name: "awaiting_start" }
  | { name: "connecting" }
  | { name: "live"; agent: AgentLeg }
  | { name: "reconnecting"; attempt: number }
  | { name: "ending"; plan: EndPlan; step: EndingStep; agent: AgentLeg | undefined }
  | { name: "closed"; reason: EndReason };

export type StateName = CallState["name"];

const NEXT = {
  awaiting_start: ["connecting", "ending", "closed"],
  connecting: ["live", "ending", "closed"],
  live: ["reconnecting", "ending", "closed"],
  reconnecting: ["live", "ending", "closed"],
  ending: ["ending", "closed"],
  closed: [],
} as const satisfies Record<StateName, readonly StateName[]>;

type NextName<S extends StateName> = (typeof NEXT)[S][number];
export type StateOf<N extends StateName> = Extract<CallState, { name: N }>;

/**
 * Checks a move against the table (at compile time through the types, and at run time) and returns
 * the new state. `from` must be narrowed to its state first.
 * @example if (state.name === "live") this.state = transition(state, { name: "ending", plan, step: "settling", agent: state.agent });
 */
export function transition<S extends CallState, N extends StateOf<NextName<S["name"]>>>(from: S, to: N): N {
  if (!(NEXT[from.name] as readonly StateName[]).includes(to.name)) throw new Error(`illegal call transition ${from.name} → ${to.name}`);
  return to;
}

/** The agent leg attached in this state, if any. */
export function agentOf(state: CallState): AgentLeg | undefined {
  return state.name === "live" || state.name === "ending" ? state.agent : undefined;
}

/** The state as the admin API and console show it: an ending toward a transfer reads "transferring". */
export function describeState(state: CallState): string {
  if (state.name !== "ending") return state.name;
  return state.plan.kind === "end" ? "ending" : "transferring";
}
