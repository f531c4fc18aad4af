// Checking grows linearly with the source (issue #21): doubling a generated source of `let` lines
// should roughly double the time of checkSource. A ratio of two times measured in the same run, not
// an absolute time, so a slow or loaded machine does not fail it; a cost that grows with the square
// of the size (a scope copied per `let`, a rescan per line) gives about 4 and does. The absolute
// numbers for a 10 MB source are in the benchmark (bench/check-large.ts, docs/benchmarks.md).
import { describe, expect, it } from 'vitest';
import { manyLets } from '../bench/large-source.ts';
import { checkSource } from '../src/check/check-source.ts';

/** The fastest of a few runs: the least disturbed by other work on the machine. */
function fastestSeconds(source: string, runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = checkSource(source, { audit: false });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    expect(r.diagnostics).toEqual([]);
    best = Math.min(best, seconds);
  }
  return best;
}

describe('check time', () => {
  it('roughly doubles when the source doubles', () => {
    const small = manyLets(150_000);
    const large = manyLets(300_000);
    fastestSeconds(small, 1); // warm-up: the first run loads and compiles the checker
    const ratio = fastestSeconds(large) / fastestSeconds(small);
    expect(ratio).toBeGreaterThan(1.2);
    expect(ratio).toBeLessThan(3);
  });
});
