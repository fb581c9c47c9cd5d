/**
 * Runs a fast-check property for the fuzz tests: bounded by a case count and a time budget, prints
 * how many cases ran and the seed, and fails with fast-check's report (seed and path to replay).
 * FUZZ_SEED=<seed> replays a run; FUZZ_SCALE=<n> multiplies cases and budget for a longer local run.
 */
import fc from "fast-check";

export interface FuzzBudget {
  /** Cases to run (times FUZZ_SCALE). */
  numRuns: number;
  /** Wall-clock budget in ms (times FUZZ_SCALE): cases past it are skipped, not failed. */
  budgetMs: number;
}

const cut = (text: string, maxChars: number) => (text.length <= maxChars ? text : `${text.slice(0, maxChars)}… (${text.length - maxChars} more characters)`);

const scale = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1) || 1);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/**
 * Checks `predicate` over `arbitrary`; returns the number of cases that ran.
 * A case past the time budget is skipped (a predicate cannot be stopped mid-case, so none is cut short).
 * @example await fuzz("parseMcubeFrame: any text", fc.string(), (text) => { parseMcubeFrame(text); }, { numRuns: 500, budgetMs: 3000 });
 */
export async function fuzz<T>(name: string, arbitrary: fc.Arbitrary<T>, predicate: (value: T) => void | Promise<void>, budget: FuzzBudget): Promise<number> {
  const deadline = performance.now() + budget.budgetMs * scale;
  let ran = 0;
  let skipped = 0;
  const property = fc.asyncProperty(arbitrary, async (value) => {
    if (performance.now() > deadline) {
      skipped++;
      return;
    }
    ran++;
    await predicate(value);
  });
  const startedAt = performance.now();
  const details = await fc.check(property, { numRuns: budget.numRuns * scale, seed, endOnFailure: false });
  const tookMs = Math.round(performance.now() - startedAt);
  console.log(`fuzz ${name}: ${ran} cases in ${tookMs} ms${skipped > 0 ? ` (${skipped} skipped past the ${budget.budgetMs * scale} ms budget)` : ""}, seed ${details.seed}`);
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    // Counterexamples may hold giant frames: the report is cut to what a reader can use.
    const report = (await fc.asyncDefaultReportMessage(details)) ?? "";
    throw new Error(`fuzz ${name} failed (replay with FUZZ_SEED=${details.seed})\n${cut(report, 6000)}\n${cut(cause, 3000)}`);
  }
  return ran;
}
