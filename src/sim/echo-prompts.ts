/** The echo persona's spoken prompts: μ-law WAVs made by assets/make-greeting.sh, embedded in the binary. */
import { readWav, wavToPcm16 } from "../audio/wav.ts";
import greetingPath from "./assets/greeting.wav" with { type: "file" };
import goodbyePath from "./assets/goodbye.wav" with { type: "file" };
import transferPath from "./assets/transfer.wav" with { type: "file" };

export interface Pcm {
  sampleRate: number;
  samples: Int16Array;
}

export interface EchoPrompts {
  greeting: Pcm;
  goodbye: Pcm;
  transfer: Pcm;
}

/** What each prompt says (the agent_response text that goes with it). */
export const PROMPT_TEXT = {
  greeting: "Hello from Homebook. Say something, and I will say it back.",
  goodbye: "Goodbye.",
  transfer: "Transferring you now.",
} as const;

async function load(path: string): Promise<Pcm> {
  return wavToPcm16(readWav(new Uint8Array(await Bun.file(path).arrayBuffer())));
}

let cached: Promise<EchoPrompts> | undefined;

/** Reads and decodes the prompts once per process. */
export function loadEchoPrompts(): Promise<EchoPrompts> {
  cached ??= Promise.all([load(greetingPath), load(goodbyePath), load(transferPath)]).then(([greeting, goodbye, transfer]) => ({
    greeting,
    goodbye,
    transfer,
  }));
  return cached;
}
