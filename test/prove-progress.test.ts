// prove's progress bar moves: the frames a real proof of the reverse task produces (onProgress fed to
// the CLI's frame function and bar, with a clock the test steps) show each step's regions counting
// up to the step's total, the share decided never going back, and no frame written twice. The
// region counts are worked out here from the task: the reverse design reads 8 digits and writes 8;
// step 0 must fix the digit it writes (10 regions; its last token is the separator), every later
// step also the digit written before it (10 × 10 = 100), so 10 + 7 × 100 = 710 regions.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { proveFrame, proveProgressBar, type ProveFrameInput } from '../src/cli/progress.ts';
import { compileSource } from '../src/compile.ts';
import { proofSpecFor, prove } from '../src/prove/prove.ts';

describe("prove's progress bar", () => {
  it('advances with the regions of each step, and never repeats a frame', async () => {
    const out = compileSource(readFileSync('examples/tasks/reverse-13p-sinpe32.hw', 'utf8'), { dtype: 'float64' });
    const events: ProveFrameInput[] = [];
    // Small batches, so that every step reports several times.
    const result = await prove(out.ir!, proofSpecFor(out.model!.task!), { onnx: out.onnx!, batchSize: 8, onProgress: (p) => events.push({ ...p }) });
    expect(result.status).toBe('proved');
    const steps = 8;
    const total = (step: number) => (step === 0 ? 10 : 100);

    for (let step = 0; step < steps; step++) {
      const own = events.filter((e) => e.step === step);
      // The first report of a step is its start: nothing bounded, no estimate yet.
      expect(own[0]).toMatchObject({ regions: 0, estimated: null, steps });
      // Regions bounded go up by the batch (8) until the step's total; the last report says the total.
      const counts = own.map((e) => e.regions);
      expect(counts).toEqual(Array.from({ length: Math.ceil(total(step) / 8) + 1 }, (_, i) => Math.min(total(step), 8 * i)));
      expect(own[own.length - 1]!.estimated).toBe(total(step));
      // Every region of this task holds the same share of the step's inputs, so the estimate is exact
      // from the first batch on.
      for (const e of own.slice(1)) expect(e.estimated).toBe(total(step));
    }
    const done = events.map((e) => e.done);
    for (let i = 1; i < done.length; i++) expect(done[i]!).toBeGreaterThanOrEqual(done[i - 1]!);
    expect(done[done.length - 1]).toBe(1);
    expect(events[events.length - 1]!.leaves).toBe(10 + 7 * 100);

    // The frames: a step's count and its total in words, the bar filled in proportion.
    const frames = events.map(proveFrame);
    expect(frames[0]).toBe(`[${'.'.repeat(30)}] 0.0% step 1/8: 0 regions, 0 certified`);
    expect(frames).toContain(`[${'#'.repeat(4)}${'.'.repeat(26)}] 12.5% step 1/8: 10 of 10 regions, 10 certified`);
    expect(frames[frames.length - 1]).toBe(`[${'#'.repeat(30)}] 100.0% step 8/8: 100 of 100 regions, 710 certified`);
    // Within a step every report changes the frame: the bar moves.
    for (let i = 1; i < events.length; i++) if (events[i]!.step === events[i - 1]!.step) expect(frames[i]).not.toBe(frames[i - 1]);

    // The bar itself, with a clock 100 ms apart per update: every frame is drawn, once each.
    const written: string[] = [];
    let clock = 0;
    const bar = proveProgressBar(
      (t) => written.push(t),
      () => (clock += 100),
    );
    for (const e of events) bar.update(e);
    bar.update(events[events.length - 1]!); // the same frame again: not redrawn
    bar.finish();
    const drawn = written.slice(0, -1).map((t) => t.replace('\r\x1b[2K', ''));
    expect(new Set(drawn).size).toBe(drawn.length);
    expect(drawn).toEqual(frames.filter((f, i) => i === 0 || f !== frames[i - 1]));
    expect(written[written.length - 1]).toBe('\r\x1b[2K');
  });

  it('draws at most one frame per 100 ms', () => {
    const written: string[] = [];
    let clock = 0;
    const bar = proveProgressBar(
      (t) => written.push(t),
      () => clock,
    );
    const p = (regions: number): ProveFrameInput => ({ step: 0, steps: 2, done: regions / 200, leaves: regions, regions, estimated: 100 });
    bar.update(p(1));
    clock = 50;
    bar.update(p(2)); // too soon
    clock = 150;
    bar.update(p(3));
    expect(written.map((t) => t.replace('\r\x1b[2K', ''))).toEqual([proveFrame(p(1)), proveFrame(p(3))]);
    expect(proveFrame(p(3))).toBe(`[${'#'.repeat(0)}${'.'.repeat(30)}] 1.5% step 1/2: 3 of ~100 regions, 3 certified`);
  });
});
