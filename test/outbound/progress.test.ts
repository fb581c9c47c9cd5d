import { expect, test } from "bun:test";
import { createProgressReporter } from "../../src/outbound/progress.ts";
import type { CampaignProgress } from "../../src/outbound/campaign.ts";

const at = (done: number, total = 40): CampaignProgress => ({ total, done, placed: done, rejected: 0, failed: 0, unknown: 0, inFlight: 1 });

test("off a terminal: plain lines, one per 5% step, the last line once", () => {
  const out: string[] = [];
  const progress = createProgressReporter({ write: (t) => out.push(t), tty: false });
  for (let done = 0; done <= 40; done++) progress.update(at(done));
  progress.finish(at(40));
  expect(out).toHaveLength(21);
  expect(out.every((l) => l.startsWith("progress: ") && l.endsWith("\n") && !l.includes("\r"))).toBe(true);
  expect(out.at(-1)).toBe("progress: 40/40 done (placed 40, rejected 0, failed 0, in flight 1)\n");
});

test("on a terminal: one bar redrawn in place, ended with a newline", () => {
  const out: string[] = [];
  const progress = createProgressReporter({ write: (t) => out.push(t), tty: true });
  progress.update(at(10));
  progress.finish(at(40));
  expect(out[0]).toStartWith("\r\x1b[2K[");
  expect(out[0]).toContain("10/40");
  expect(out.at(-2)).toContain(`[${"#".repeat(30)}] 40/40`);
  expect(out.at(-1)).toBe("\n");
});
