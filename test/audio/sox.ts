/** Runs Debian's `sox` for reference comparisons (CI installs it; tests skip with a message when absent). */

export const SOX_PATH = Bun.which("sox");

/** Call at module level: tells the reader why sox tests were skipped. */
export function noteIfSoxMissing(suite: string): void {
  if (!SOX_PATH) console.warn(`[${suite}] sox is not installed: skipping sox comparisons (apt-get install -y sox)`);
}

/** Run sox with arguments and stdin bytes; return stdout bytes or throw with stderr. */
export function runSox(args: string[], stdin?: Uint8Array): Uint8Array {
  if (!SOX_PATH) throw new Error("sox is not installed");
  const result = Bun.spawnSync([SOX_PATH, ...args], { stdin: stdin ?? "ignore", stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`sox ${args.join(" ")} failed: ${result.stderr.toString()}`);
  return new Uint8Array(result.stdout);
}

const RAW_PCM16 = ["-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1", "-L"];

/** `sox -D … rate -v`: very-high-quality resampling without dither (so its output is comparable). */
export function soxResample(samples: Int16Array, inputRate: number, outputRate: number): Int16Array {
  const input = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = runSox(["-D", ...RAW_PCM16, "-r", String(inputRate), "-", ...RAW_PCM16, "-r", String(outputRate), "-", "rate", "-v", String(outputRate)], input);
  return new Int16Array(out.buffer, out.byteOffset, out.byteLength >> 1);
}
