/** Campaign progress for people: a redrawn bar on a terminal, plain lines (every 5%) otherwise. */
import type { CampaignProgress } from "./campaign.ts";

export interface ProgressReporter {
  update(progress: CampaignProgress): void;
  /** Ends the bar's line (terminal) or prints the last line. */
  finish(progress: CampaignProgress): void;
}

const BAR_WIDTH = 30;
/** Redraws at most this often on a terminal. */
const REDRAW_MS = 100;

function counts(p: CampaignProgress): string {
  return `placed ${p.placed}, rejected ${p.rejected}, failed ${p.failed}${p.unknown ? `, unknown ${p.unknown}` : ""}, in flight ${p.inFlight}`;
}

export function createProgressReporter({ write, tty }: { write: (text: string) => void; tty: boolean }): ProgressReporter {
  let drawnAt = -Infinity;
  let lastStep = -1;

  if (tty) {
    const draw = (p: CampaignProgress) => {
      const ratio = p.total === 0 ? 1 : p.done / p.total;
      const filled = Math.round(ratio * BAR_WIDTH);
      write(`\r\x1b[2K[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${p.done}/${p.total} ${counts(p)}`);
    };
    return {
      update(p) {
        const now = performance.now();
        if (now - drawnAt < REDRAW_MS && p.done < p.total) return;
        drawnAt = now;
        draw(p);
      },
      finish(p) {
        draw(p);
        write("\n");
      },
    };
  }

  let lastLine = "";
  const line = (p: CampaignProgress) => {
    const text = `progress: ${p.done}/${p.total} done (${counts(p)})\n`;
    if (text !== lastLine) write(text);
    lastLine = text;
  };
  return {
    update(p) {
      const step = p.total === 0 ? 20 : Math.floor((p.done / p.total) * 20);
      if (step === lastStep) return;
      lastStep = step;
      line(p);
    },
    finish: line,
  };
}
