// Issue #21: checking must cost time linear in the source size. A timed assertion on wall time fails
// on a busy machine, so this compares two sizes measured in the same process by CPU time (what this
// process spent, not what other processes took from it), fastest of three runs each. Four times the
// source should take about four times as long; a quadratic checker would take sixteen times. The
// bound (9) sits between the two, far enough from 4 that noise from garbage collection does not
// trip it (measured ratios on a loaded 2-core machine: 3.3 to 4.9).
import { describe, expect, it } from 'vitest';
import { manyLets } from '../bench/large-source.ts';
import { checkSource } from '../src/check/check-source.ts';

function fastestCpuSeconds(source: string, runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const before = process.cpuUsage();
    const result = checkSource(source, { audit: false });
    const spent = process.cpuUsage(before);
    expect(result.diagnostics).toEqual([]);
    best = Math.min(best, (spent.user + spent.system) / 1e6);
  }
  return best;
}

describe('check scales linearly with the source size', () => {
  it('four times the `let` lines costs well under sixteen times the CPU time', () => {
    const small = manyLets(250_000);
    const large = manyLets(1_000_000);
    fastestCpuSeconds(small, 1); // warm-up: the first run loads and compiles the checker
    const ratio = fastestCpuSeconds(large) / fastestCpuSeconds(small);
    expect(ratio).toBeGreaterThan(1.5); // the large source really is more work
    expect(ratio).toBeLessThan(9);
  }, 180_000);
});
