/**
 * Child process for the crash test: records a call into argv[2] without ever closing it, prints
 * "written <bytes>" once that much is on disk, then idles until the test kills it with SIGKILL.
 */
import { statSync } from "node:fs";
import { FileRecordings } from "../../src/recording/recordings.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { agentBurst, callerFrames, play } from "./signals.ts";

const [dir, sessionId, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? "3.5");
const recordings = new FileRecordings({ enabled: true, dir: dir!, logger: silentLogger });
const recording = recordings.open(sessionId!, undefined)!;
play(recording, [...callerFrames(0, seconds * 1000), ...agentBurst(500, 1000)]);

const path = recordings.pathOf(sessionId!)!;
// The caller's audio reaches the latest frame, so it is all committed, in 250 ms blocks of 4-byte frames.
const expectedBytes = 44 + Math.floor((seconds * 1000) / 250) * 250 * 8 * 4;
const poll = setInterval(() => {
  if (statSync(path).size >= expectedBytes) {
    clearInterval(poll);
    console.log(`written ${statSync(path).size}`);
  }
}, 5);
setInterval(() => undefined, 1000); // stay alive until killed
