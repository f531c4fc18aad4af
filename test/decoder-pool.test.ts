// Decoding on several worker threads gives exactly what one thread gives: the same tokens, and the
// same margins and winning logits bit for bit, in the same order, for the incremental decode graph
// and for full recompute, in float32 and float64. Prompts of several lengths are mixed in so that the
// slices' batches differ from the single thread's.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileDecodeGraph, compileSource } from '../src/compile.ts';
import { openDecoderPool } from '../src/runtime/decoder-pool.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { incrementalDecode } from '../src/runtime/incremental.ts';
import { openSession } from '../src/runtime/session.ts';
import { operandsFromPair, promptFor } from '../src/runtime/task.ts';
import { protocolCases } from '../src/runtime/tasks/adderboard-cases.ts';
import { runCli } from './helpers/cli.ts';

const SOURCE = readFileSync(new URL('../examples/adder/adder-10p-rope19.hw', import.meta.url), 'utf8');

describe('DecoderPool', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const incremental of [true, false]) {
      it(`${incremental ? 'incremental' : 'full recompute'}, ${dtype}: 2 and 3 threads equal 1`, async () => {
        const { model, onnx } = compileSource(SOURCE, { dtype });
        const bytes = incremental ? (compileDecodeGraph(model!, { dtype }) as { onnx: Uint8Array }).onnx : onnx!;
        const task = model!.task!;
        const n = incremental ? 1501 : 201;
        const prompts = protocolCases({ seed: 7, tests: n, edge: true }).map((pair) => promptFor(task, operandsFromPair(task, pair)));
        // Shorter prompts in the middle (a prompt without its last token): other batch shapes.
        for (let i = 100; i < 140; i++) prompts[i] = prompts[i]!.slice(0, -1);
        const steps = task.decode;

        const single = await openSession(bytes, { dtype, threads: 1 });
        const reference = incremental ? await incrementalDecode(single.session, prompts, steps) : await greedyDecode(single.session, prompts, steps);
        await single.session.release();

        for (const threads of [2, 3]) {
          const pool = await openDecoderPool(bytes, { threads, dtype, incremental });
          try {
            const out = await pool.decode(prompts, steps);
            expect(out.tokens).toEqual(reference.tokens);
            expect(Buffer.from(out.margins.buffer).equals(Buffer.from(reference.margins.buffer)), 'margins bit for bit').toBe(true);
            expect(Buffer.from(out.top1Logit.buffer).equals(Buffer.from(reference.top1Logit.buffer)), 'top-1 logits bit for bit').toBe(true);
          } finally {
            await pool.close();
          }
        }
      });
    }
  }

  it('reports a worker failure as an error, not a hang', async () => {
    await expect(openDecoderPool(new Uint8Array([1, 2, 3]), { threads: 2, dtype: 'float32', incremental: true })).rejects.toThrow();
  });

  it('handwire verify --threads 2 reports exactly what --threads 1 reports (but the timing)', async () => {
    const file = new URL('../examples/adder/adder-6p-rope19.hw', import.meta.url).pathname;
    const reports = await Promise.all(
      ['1', '2'].map(async (threads) => {
        const r = await runCli(['verify', file, '--tests', '3000', '--threads', threads, '--json'], { cwd: process.cwd() });
        expect(r.code, r.stderr).toBe(0);
        const { seconds: _s, additions_per_second: _a, ...rest } = JSON.parse(r.stdout) as Record<string, unknown>;
        return rest;
      }),
    );
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[0]!['total']).toBe(3010);
  });
});
