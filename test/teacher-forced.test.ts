// The teacher-forced check (src/ir/teacher-forced-ir.ts, src/runtime/teacher-forced.ts) against
// greedy decoding by full recompute on the main graph: where the expected answers are right, the
// same tokens and, in both dtypes, the same margins and top-1 logits bit for bit; a wrong expected
// answer leaves the case undecided and completeDecode gives greedy's own answer; 2 worker threads
// give what one gives; verify reports the same with and without --stepwise.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSource, compileTeacherForcedGraph } from '../src/compile.ts';
import { openDecoderPool } from '../src/runtime/decoder-pool.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { openSession } from '../src/runtime/session.ts';
import { completeDecode, teacherForcedCheck } from '../src/runtime/teacher-forced.ts';
import { operandsFromPair, promptFor } from '../src/runtime/task.ts';
import { protocolCases } from '../src/runtime/tasks/adderboard-cases.ts';
import { runCli } from './helpers/cli.ts';

const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('teacher-forced check', () => {
  for (const name of ['adder-10p-rope19', 'adder-6p-rope19']) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${name}, ${dtype}: greedy's tokens and margins bit for bit; wrong answers decoded`, async () => {
        const { model, onnx } = compileSource(readFileSync(new URL(`../examples/adder/${name}.hw`, import.meta.url), 'utf8'), { dtype });
        const task = model!.task!;
        const steps = task.decode;
        const pairs = protocolCases({ seed: 11, tests: 150, edge: true });
        const prompts = pairs.map((pair) => promptFor(task, operandsFromPair(task, pair)));
        const full = await openSession(onnx!, { dtype, threads: 1 });
        const reference = await greedyDecode(full.session, prompts, steps);
        // The expected answers: a + b written out here with BigInt, least significant digit first
        // or last as the task's answer order says.
        const expected = pairs.map(([a, b]) => {
          const digits = (BigInt(a) + BigInt(b!)).toString().padStart(steps, '0').split('').map(Number);
          return task.answer === 'lsb' ? digits.reverse() : digits;
        });
        expect(reference.tokens).toEqual(expected); // the designs are right on these
        // Two cases given a wrong expected answer, one given none.
        expected[3] = expected[3]!.map((d, i) => (i === 2 ? (d + 1) % 10 : d));
        expected[40] = expected[40]!.map((d, i) => (i === steps - 1 ? (d + 5) % 10 : d));
        const given: (number[] | undefined)[] = [...expected];
        given[77] = undefined;
        const graph = compileTeacherForcedGraph(model!, { dtype, answer: steps }) as { onnx: Uint8Array };
        const tf = await openSession(graph.onnx, { dtype, threads: 1 });
        try {
          const checked = await teacherForcedCheck(tf.session, prompts, given, steps, { batchSize: 64 });
          expect(checked.undecided).toEqual([3, 40, 77]);
          for (const p of checked.undecided) expect(checked.tokens[p]).toEqual([]);
          const pool = await openDecoderPool(graph.onnx, { threads: 2, dtype, incremental: false, teacherForced: true });
          try {
            const two = await pool.check(prompts, steps, given);
            expect(two.undecided).toEqual(checked.undecided);
            expect(two.tokens).toEqual(checked.tokens);
            expect(bits(two.margins).equals(bits(checked.margins)), '2 threads: margins bit for bit').toBe(true);
            expect(bits(two.top1Logit).equals(bits(checked.top1Logit)), '2 threads: top-1 bit for bit').toBe(true);
          } finally {
            await pool.close();
          }
          let asked: number[][] = [];
          const out = await completeDecode(checked, prompts, steps, async (p, n) => {
            asked = p;
            return greedyDecode(full.session, p, n);
          });
          expect(asked).toEqual([prompts[3], prompts[40], prompts[77]]);
          expect(out.tokens).toEqual(reference.tokens);
          expect(bits(out.margins).equals(bits(reference.margins)), 'margins bit for bit').toBe(true);
          expect(bits(out.top1Logit).equals(bits(reference.top1Logit)), 'top-1 logits bit for bit').toBe(true);
        } finally {
          await tf.session.release();
          await full.session.release();
        }
      });
    }
  }

  it('handwire verify reports the same with --stepwise and with --threads 2 (but the timing)', async () => {
    const file = new URL('../examples/adder/adder-10p-rope19.hw', import.meta.url).pathname;
    const reports = await Promise.all(
      [['--threads', '1'], ['--threads', '2'], ['--stepwise']].map(async (extra) => {
        const r = await runCli(['verify', file, '--tests', '2000', '--dtype', 'float64', ...extra, '--json'], { cwd: process.cwd() });
        expect(r.code, r.stderr).toBe(0);
        const { seconds: _s, additions_per_second: _a, ...rest } = JSON.parse(r.stdout) as Record<string, unknown>;
        return rest;
      }),
    );
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).toEqual(reports[0]);
    expect(reports[0]!['total']).toBe(2010);
  });
});
