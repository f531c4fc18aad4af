// The loop trace (`run --trace`, inspect's loop iterations): the residual after each iteration of a
// `repeat`, from the trace build (Loop scan outputs), against values computed here from the models'
// math: a counter that adds 1 per application until count reaches its token, a loop whose
// positions interact through attention, and the maze, whose distance counters must equal an
// independent breadth-first search. The inspect page's slider is driven in headless Chromium.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';
import type { CheckedModel } from '../src/check/model.ts';
import { modelToIr, modelToTraceIr } from '../src/ir/model-to-ir.ts';
import { irToOnnx } from '../src/onnx/ir-to-onnx.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';
import { openTrace, type TraceResult } from '../src/runtime/trace.ts';
import { framesShown, LOOP_CELL_BUDGET } from '../src/inspect/loops.ts';
import { launchChromium, openPage } from './helpers/chromium.ts';
import { runCli } from './helpers/cli.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const COUNTER = join(ROOT, 'test/fixtures/counter-loop.hw');
const MAZE = join(ROOT, 'examples/maze/maze.hw');
const TMP = mkdtempSync(join(tmpdir(), 'handwire-trace-'));
const cli = (args: string[]) => runCli(args, { cwd: TMP });
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

function model(source: string): CheckedModel {
  const out = compileSource(source);
  if (!out.model) throw new Error('does not compile');
  return out.model;
}

async function trace(m: CheckedModel, ids: number[]): Promise<TraceResult> {
  const t = await openTrace(m, { dtype: m.dtype });
  try {
    return await t.run(ids);
  } finally {
    await t.release();
  }
}

/** The counter's state after t applications, from its comment: count = min(t, tok), halted once
 * count + 0.5 > tok, i.e. from t = tok on. Rows [tok, one, count]. */
function counterAt(tokens: number[], t: number): number[][] {
  return tokens.map((tok) => [tok, 1, Math.min(t, tok)]);
}

function rows(data: Float64Array, d: number): number[][] {
  return Array.from({ length: data.length / d }, (_, p) => Array.from(data.subarray(p * d, (p + 1) * d)));
}

const counter = model(readFileSync(COUNTER, 'utf8'));

describe('trace build', () => {
  it('gives the counter residual after every iteration, and where it halted', async () => {
    const tokens = [2, 0, 5, 3, 1];
    const r = await trace(counter, tokens);
    expect(r.loops).toHaveLength(1);
    const l = r.loops[0]!;
    expect(l).toMatchObject({ line: 9, col: 3, times: 8, halting: true, iterations: 5, stopped: 'halted', positions: 5, channels: ['tok', 'one', 'count'] });
    expect(l.residuals).toHaveLength(6);
    l.residuals.forEach((res, t) => expect(rows(res, 3)).toEqual(counterAt(tokens, t)));
    l.halted!.forEach((h, t) => expect(h).toEqual(tokens.map((tok) => t >= tok)));
    expect(l.haltedAt).toEqual(tokens);
  });

  it('says when a loop stops at its maximum, and when it runs no iteration at all', async () => {
    const never = (await trace(counter, [9, 9, 1])).loops[0]!;
    expect(never).toMatchObject({ iterations: 8, stopped: 'maximum' });
    expect(never.haltedAt).toEqual([null, null, 1]);
    expect(rows(never.residuals[8]!, 3)).toEqual(counterAt([9, 9, 1], 8));
    const none = (await trace(counter, [0, 0])).loops[0]!;
    expect(none).toMatchObject({ iterations: 0, stopped: 'halted', haltedAt: [0, 0] });
    expect(rows(none.residuals[0]!, 3)).toEqual(counterAt([0, 0], 0));
  });

  // Positions interact: acc += 0.5 · (causal mean of acc), then acc += relu(0.5 tok) − relu(acc − 3).
  const mixing = (until: string) => `model mixing {
  vocab 10
  dtype float64
  residual [tok, acc]
  embed E[d] = [d, 0]
  repeat 6${until} {
    layer {
      attention { heads 1, dim 1, q = [0], k = [0], v = [acc], causal, write acc += 0.5 out[0] }
      mlp {
        act relu
        in = [0.5 tok, acc - 3]
        write acc += h[0] - h[1]
      }
    }
  }
  head = [(d + 1) acc - d tok for d in 0..9]
  context 8
}`;
  function mixingReference(tokens: number[], times: number, halt?: number): number[][] {
    const states = [tokens.map(() => 0)];
    for (let t = 0; t < times; t++) {
      const acc = states[t]!;
      if (halt !== undefined && acc.every((a) => a > halt)) break;
      const mixed = acc.map((a, p) => a + 0.5 * (acc.slice(0, p + 1).reduce((s, x) => s + x, 0) / (p + 1)));
      const next = mixed.map((a, p) => a + Math.max(0, 0.5 * tokens[p]!) - Math.max(0, a - 3));
      states.push(acc.map((a, p) => (halt !== undefined && a > halt ? a : next[p]!)));
    }
    return states;
  }

  it.each([
    ['repeat 6', '', undefined],
    ['repeat 6 until acc > 2', ' until acc > 2', 2],
  ] as const)('traces a loop whose positions attend to each other (%s)', async (_name, until, halt) => {
    const tokens = [1, 4, 0, 7, 2];
    const r = (await trace(model(mixing(until)), tokens)).loops[0]!;
    const want = mixingReference(tokens, 6, halt);
    expect(r.iterations).toBe(want.length - 1);
    expect(r.stopped).toBe(halt === undefined ? 'count' : want.length - 1 < 6 ? 'halted' : 'maximum');
    r.residuals.forEach((res, t) => {
      rows(res, 2).forEach(([tok, acc], p) => {
        expect(tok).toBe(tokens[p]);
        expect(Math.abs(acc! - want[t]![p]!)).toBeLessThan(1e-12);
      });
    });
    if (halt !== undefined) r.halted!.forEach((h, t) => expect(h).toEqual(want[t]!.map((a) => a > halt)));
  });

  it('leaves the logits as they are, and the normal build without any trace node', async () => {
    const m = model(readFileSync(COUNTER, 'utf8'));
    const normal = irToOnnx(modelToIr(m));
    const traced = irToOnnx(modelToTraceIr(m).graph);
    expect(Buffer.from(normal).includes(Buffer.from('trace.'))).toBe(false);
    expect(Buffer.from(traced).includes(Buffer.from('trace.'))).toBe(true);
    const ids = BigInt64Array.from([3, 1, 4, 1, 5], BigInt);
    const a = await runLogits((await openSession(normal, { dtype: 'float64' })).session, ids, 1, 5);
    const b = await runLogits((await openSession(traced, { dtype: 'float64' })).session, ids, 1, 5);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });
});

describe('run --trace', () => {
  it('prints each iteration as JSON, the numbers the counter math gives', async () => {
    const r = await cli(['run', COUNTER, '--tokens', '2,0,5,3', '--steps', '1', '--trace', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    // One step generated: the trace follows the forward pass over the prompt.
    expect(json.trace.sequence).toEqual([2, 0, 5, 3]);
    const l = json.trace.loops[0];
    expect(l).toMatchObject({ line: 9, col: 3, times: 8, halting: true, iterations: 5, stopped: 'halted', positions: [0, 1, 2, 3], tokens: ['2', '0', '5', '3'], halted_at: [2, 0, 5, 3] });
    expect(l.trace.map((x: { iteration: number }) => x.iteration)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const x of l.trace) {
      expect(x.residual).toEqual(counterAt([2, 0, 5, 3], x.iteration));
      expect(x.halted).toEqual([2, 0, 5, 3].map((tok) => x.iteration >= tok));
    }
  });

  it('narrows positions and iterations on request, and prints a table per iteration in text', async () => {
    const j = await cli(['run', COUNTER, '--tokens', '2,0,5,3', '--steps', '1', '--trace', '--json', '--trace-positions', '2-3', '--trace-iterations', '1,4,99']);
    const l = JSON.parse(j.stdout).trace.loops[0];
    expect(l.positions).toEqual([2, 3]);
    expect(l.trace.map((x: { iteration: number; residual: number[][] }) => [x.iteration, x.residual])).toEqual([
      [1, counterAt([5, 3], 1)],
      [4, counterAt([5, 3], 4)],
    ]);
    const t = await cli(['run', COUNTER, '--tokens', '2,0,5,3', '--steps', '1', '--trace']);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('trace: repeat at line 9:3 (at most 8, until its halting test holds): every position halted after iteration 5');
    expect(t.stdout).toContain('halted at iteration: 0→2, 1→0, 2→5, 3→3');
    // Iteration 3: count = min(3, tok) = 2, 0, 3, 3; positions 0, 1 and 3 have halted.
    const it3 = t.stdout.split('iteration 3;')[1]!.split('iteration 4')[0]!;
    expect(it3).toContain('3 of 4 positions halted');
    const table = it3.trim().split('\n').slice(2).map((line) => line.trim().split(/\s+/));
    expect(table).toEqual([
      ['0', '2', '2', '1', '2', 'yes'],
      ['1', '0', '0', '1', '0', 'yes'],
      ['2', '5', '5', '1', '3', 'no'],
      ['3', '3', '3', '1', '3', 'yes'],
    ]);
  });

  it.each([
    [['run', join(ROOT, 'examples/adder/adder-10p-rope19.hw'), '--a', '1', '--b', '2', '--trace'], /this model has none/],
    [['run', COUNTER, '--tokens', '2', '--trace-positions', '1'], /need --trace/],
    [['run', COUNTER, '--tokens', '2', '--trace', '--trace-positions', '3-1'], /runs backwards/],
    [['run', COUNTER, '--tokens', '2', '--trace', '--trace-iterations', 'x'], /'x' is not a number/],
  ])('refuses %j with exit 2', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('traces the maze: distance counters equal breadth-first search, and the text stays short', async () => {
    const line = readFileSync(join(ROOT, 'examples/maze/mazes.txt'), 'utf8').split('\n').find((l) => l && !l.startsWith('#'))!;
    const cells = line.split('->')[0]!.trim().split(/\s+/);
    expect(cells).toHaveLength(900);
    const dS = bfs(cells, cells.indexOf('S'));
    const dG = bfs(cells, cells.indexOf('G'));
    // A cell halts when it is a wall or both waves reached it: after max(dS, dG) applications.
    const haltAt = cells.map((c, p) => (c === 'W' ? 0 : dS[p]! < 0 || dG[p]! < 0 ? null : Math.max(dS[p]!, dG[p]!)));
    expect(haltAt).not.toContain(null); // the generator's mazes are connected
    const T = Math.max(...(haltAt as number[]));
    const input = cells.join(' ');
    const j = await cli(['run', MAZE, input, '--trace', '--json', '--trace-iterations', `0,${T}`]);
    expect(j.code).toBe(0);
    const json = JSON.parse(j.stdout);
    expect(json.match).toBe(true);
    const l = json.trace.loops[0];
    expect(l).toMatchObject({ times: 900, iterations: T, stopped: 'halted' });
    expect(l.halted_at).toEqual(haltAt);
    const ch = (name: string) => l.channels.indexOf(name);
    const last = l.trace[1];
    expect(last.iteration).toBe(T);
    cells.forEach((c, p) => {
      const res = last.residual[p];
      if (c === 'W') {
        expect([res[ch('rs')], res[ch('ds')], res[ch('dg')]]).toEqual([0, 0, 0]);
      } else {
        expect([res[ch('rs')], res[ch('rg')], res[ch('ds')], res[ch('dg')]]).toEqual([1, 1, dS[p], dG[p]]);
      }
      expect([res[ch('row')], res[ch('col')]]).toEqual([Math.floor(p / 30), p % 30]);
    });
    const t = await cli(['run', MAZE, input, '--trace']);
    expect(t.code).toBe(0);
    expect(t.stdout.split('\n').length).toBeLessThan(150);
    expect(t.stdout).toContain(`every position halted after iteration ${T}`);
    expect(t.stdout).toContain(`showing positions 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 of 900; iterations 0, 1, 2, ${T - 2}, ${T - 1}, ${T} of 0–${T}`);
  }, 180_000);
});

/** Breadth-first distances over the non-wall cells of a 30×30 grid (4 neighbours, no wrap); -1 unreached. */
function bfs(cells: readonly string[], from: number): number[] {
  const dist = cells.map(() => -1);
  dist[from] = 0;
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const cell = queue[i]!;
    const r = Math.floor(cell / 30);
    const c = cell % 30;
    for (const [a, b] of [[r - 1, c], [r + 1, c], [r, c - 1], [r, c + 1]] as const) {
      const next = a * 30 + b;
      if (a >= 0 && a < 30 && b >= 0 && b < 30 && cells[next] !== 'W' && dist[next] === -1) {
        dist[next] = dist[cell]! + 1;
        queue.push(next);
      }
    }
  }
  return dist;
}

describe('inspect loop frames', () => {
  it('keeps every iteration of a small loop, and evenly spaced ones (first and last among them) of a big one', () => {
    expect(framesShown(5, 12)).toEqual([0, 1, 2, 3, 4, 5]);
    const cells = 900 * 14;
    const big = framesShown(900, cells);
    const most = Math.floor(LOOP_CELL_BUDGET / cells);
    expect(big).toHaveLength(most);
    expect(big.length * cells).toBeLessThanOrEqual(LOOP_CELL_BUDGET);
    expect([big[0], big[big.length - 1]]).toEqual([0, 900]);
    const gaps = big.slice(1).map((t, i) => t - big[i]!);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
    // A frame bigger than the whole budget still shows the first and the last iteration.
    expect(framesShown(10, LOOP_CELL_BUDGET * 2)).toEqual([0, 10]);
  });
});

describe('inspect loop iterations in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('has a slider whose iterations show the counter values the math gives', async () => {
    const out = join(TMP, 'counter.html');
    const r = await cli(['inspect', COUNTER, '--tokens', '2,0,5,3', '--steps', '1', '-o', out]);
    expect(r.code).toBe(0);
    const { page, log } = await openPage(browser, readFileSync(out, 'utf8'));
    const slider = page.locator('#loops .loop-slider');
    expect(await slider.count()).toBe(1);
    expect(await slider.getAttribute('max')).toBe('5');
    expect(await page.locator('#loops figure.loop').getAttribute('data-stopped')).toBe('halted');
    const shown = () =>
      page.evaluate(() => {
        const frames = [...document.querySelectorAll('#loops .loop-frame')].filter((f) => !(f as HTMLElement).hidden);
        const cells = [...frames[0]!.querySelectorAll('g.cells rect')].map((c) => c.getAttribute('data-tip')!);
        return {
          frames: frames.length,
          caption: document.querySelector('#loops .loop-caption')!.textContent,
          values: cells.map((tip) => Number(tip.slice(tip.lastIndexOf(': ') + 2).replace(/−/g, '-'))),
          current: [...document.querySelectorAll('#loops .loop-bar')].findIndex((b) => b.classList.contains('current')),
        };
      });
    const tokens = [2, 0, 5, 3];
    const before = await shown();
    expect(before).toEqual({ frames: 1, caption: 'iteration 0 of 5 (entering the loop) · 1 of 4 positions halted', values: counterAt(tokens, 0).flat(), current: 0 });
    for (const t of [3, 5, 1]) {
      await slider.fill(String(t));
      const now = await shown();
      const halted = tokens.filter((tok) => t >= tok).length;
      expect(now).toEqual({ frames: 1, caption: `iteration ${t} of 5 · ${halted} of 4 positions halted`, values: counterAt(tokens, t).flat(), current: t });
    }
    expect(log).toEqual({ errors: [], requests: [] });
    await page.close();
  });
});
