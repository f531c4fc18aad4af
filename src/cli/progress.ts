// A one-line progress bar on stderr, redrawn at most every 100 ms and erased when done. Commands
// draw it only when stderr is a terminal and the output is not --json.
import type { ProveProgress } from '../prove/search/options.ts';

const int = (n: number) => n.toLocaleString('en-US');

export function progressBar(label: string, unit = 'cases'): { update(done: number, total: number): void; finish(): void } {
  let last = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = performance.now();
      if (done < total && now - last < 100) return;
      last = now;
      const width = 30;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      process.stderr.write(`\r${label}[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${int(done)}/${int(total)} ${unit}`);
      drawn = true;
    },
    finish() {
      if (drawn) process.stderr.write('\r\x1b[2K');
    },
  };
}

/** What prove reports after each batch: the prover's own progress record. */
export type ProveFrameInput = ProveProgress;

/** One frame of prove's bar: the share of (step, input) pairs decided, then the step's regions
 * bounded against the regions it is expected to take, then the regions certified overall. Pure, so
 * that tests can read the frames a real proof produces. */
export function proveFrame(p: ProveFrameInput): string {
  const width = 30;
  const done = Math.max(0, Math.min(1, p.done));
  const filled = Math.round(done * width);
  const of = p.estimated === null ? '' : ` of ${p.estimated === p.regions ? '' : '~'}${int(p.estimated)}`;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(done * 100).toFixed(1)}% step ${p.step + 1}/${p.steps}: ${int(p.regions)}${of} regions, ${int(p.leaves)} certified`;
}

/** prove's bar on `write` (stderr in the CLI): a frame at most every 100 ms, never the frame already
 * on screen, erased by finish. */
export function proveProgressBar(write: (text: string) => void, now: () => number = () => performance.now()): { update(p: ProveFrameInput): void; finish(): void } {
  let last = -Infinity;
  let shown = '';
  return {
    update(p) {
      const t = now();
      if (t - last < 100) return;
      const text = proveFrame(p);
      if (text === shown) return;
      last = t;
      write(`\r\x1b[2K${text}`);
      shown = text;
    },
    finish() {
      if (shown) write('\r\x1b[2K');
    },
  };
}
