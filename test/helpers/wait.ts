/** Bounded polling for tests: wait for a condition without assuming how fast the machine is. */

/** Polls `check` every 20 ms until it is truthy or `timeoutMs` passes; returns the truthy value. */
export async function until<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}
