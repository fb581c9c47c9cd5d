/**
 * Everything the bridge benchmark takes from Homebook's shipped simulators, in one place (the rest of
 * bench/bridge-*.ts speaks the wire protocols on its own, so internal rewrites leave it alone).
 */
export { toneMulaw } from "../src/sim/tones.ts";
/** The fake agent's irregular TTS-like chunk sizes (60 ms–1.5 s) and its seeded PRNG. */
export { chunkPlanMs, seededRandom } from "../src/sim/agent-audio.ts";
