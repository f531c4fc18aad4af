// The hand-wired maze solver (examples/maze/maze.hw) against a breadth-first search written here,
// on real onnxruntime in float32 and float64, and the maze generator (scripts/maze.ts) against the
// same search. The right labels of a grid are computed only here: a cell is on a shortest path when
// its distance from S plus its distance from G is the distance from S to G (so on a grid with
// several shortest paths every cell of every one of them is labelled, which is what the circuit
// claims). The bench (bench/maze.ts) runs 1,000 generated mazes; CI runs a seeded few.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSource } from '../src/compile.ts';
import type { CheckedModel } from '../src/check/model.ts';
import type { FloatDType } from '../src/ir/types.ts';
import { parseDataset } from '../src/verify/dataset.ts';
import type { DatasetCase } from '../src/runtime/tasks/dataset.ts';
import { verifyModel } from '../src/verify/verify-model.ts';
import { mulberry32 } from '../src/util/rng.ts';
import { generateMazes } from '../scripts/maze.ts';

const root = new URL('../', import.meta.url);
const source = readFileSync(new URL('examples/maze/maze.hw', root), 'utf8');
const W = 30;

/** Distances from `from` over the cells that are not 'W', by breadth-first search; -1 unreached. */
function distances(cells: readonly string[], from: number): number[] {
  const dist = cells.map(() => -1);
  dist[from] = 0;
  const queue = [from];
  while (queue.length > 0) {
    const cell = queue.shift()!;
    const [r, c] = [Math.floor(cell / W), cell % W];
    const steps: [number, number][] = [[r - 1, c], [r + 1, c], [r, c - 1], [r, c + 1]];
    for (const [a, b] of steps) {
      if (a < 0 || a >= W || b < 0 || b >= W) continue;
      const next = a * W + b;
      if (cells[next] !== 'W' && dist[next] === -1) {
        dist[next] = dist[cell]! + 1;
        queue.push(next);
      }
    }
  }
  return dist;
}

/** '*' on some shortest path from S to G (both included), '_' elsewhere; all '_' when G is cut off. */
function rightLabels(cells: readonly string[]): { labels: string[]; steps: number } {
  const fromS = distances(cells, cells.indexOf('S'));
  const fromG = distances(cells, cells.indexOf('G'));
  const steps = fromS[cells.indexOf('G')]!;
  const labels = cells.map((_, i) => (steps >= 0 && fromS[i]! >= 0 && fromG[i]! >= 0 && fromS[i]! + fromG[i]! === steps ? '*' : '_'));
  return { labels, steps };
}

/** A random grid: each cell a wall with probability `density`, S and G on two open cells that
 * connect; open cells that S cannot reach are walled up, so that every open cell halts early. */
function randomGrid(rand: () => number, density: number): string[] {
  for (;;) {
    const cells: string[] = Array.from({ length: W * W }, () => (rand() < density ? 'W' : '.'));
    const open = cells.flatMap((t, i) => (t === '.' ? [i] : []));
    const s = open.splice(Math.floor(rand() * open.length), 1)[0]!;
    const g = open[Math.floor(rand() * open.length)]!;
    cells[s] = 'S';
    cells[g] = 'G';
    const reach = distances(cells, s);
    if (reach[g]! < 0) continue;
    return cells.map((t, i) => (reach[i]! < 0 ? 'W' : t));
  }
}

/** G walled in: no path. Nothing is on it, and the cells around G never halt, so the loop runs
 * to its maximum of 900 applications. */
function cutOff(): string[] {
  const cells: string[] = Array.from({ length: W * W }, () => '.');
  const g = 15 * W + 15;
  for (const d of [-W, W, -1, 1]) cells[g + d] = 'W';
  cells[g] = 'G';
  cells[0] = 'S';
  return cells;
}

/** Rows 0 and 1 open, the rest walls; S at the end of row 0, G at the start of row 1: adjacent in
 * the token order but 30 steps apart on the grid (a wave must not wrap from one row to the next). */
function wrapTrap(): string[] {
  const cells: string[] = Array.from({ length: W * W }, (_, i) => (i < 2 * W ? '.' : 'W'));
  cells[W - 1] = 'S';
  cells[W] = 'G';
  return cells;
}

describe('the maze generator', () => {
  const mazes = generateMazes(11, 200);

  it('makes hard 30×30 mazes with one shortest path of at least 110 steps, found by the search here', () => {
    for (const m of mazes) {
      expect(m.cells).toHaveLength(900);
      expect(m.cells.every((t) => ['W', '.', 'S', 'G'].includes(t))).toBe(true);
      expect(m.cells.filter((t) => t === 'S')).toHaveLength(1);
      expect(m.cells.filter((t) => t === 'G')).toHaveLength(1);
      const { labels, steps } = rightLabels(m.cells);
      expect(steps).toBe(m.steps);
      expect(steps).toBeGreaterThanOrEqual(110);
      // The cells of all shortest paths together are one path's steps + 1 cells: the path is unique.
      expect(labels.filter((l) => l === '*')).toHaveLength(steps + 1);
    }
  });

  it('repeats exactly from its seed, and different seeds give different mazes', () => {
    expect(generateMazes(11, 5)).toEqual(mazes.slice(0, 5));
    expect(generateMazes(12, 1)[0]!.cells).not.toEqual(mazes[0]!.cells);
  });

  it('puts open cells on all four borders (the no-wrap rule of the circuit is exercised)', () => {
    const border = (m: { cells: string[] }, pick: (k: number) => number) => Array.from({ length: W }, (_, k) => m.cells[pick(k)]).some((t) => t !== 'W');
    const sides = [(k: number) => k, (k: number) => 29 * W + k, (k: number) => k * W, (k: number) => k * W + 29];
    for (const side of sides) expect(mazes.some((m) => border(m, side))).toBe(true);
  });
});

describe('examples/maze/maze.hw', () => {
  let model: CheckedModel;
  beforeAll(() => {
    const checked = checkSource(source);
    expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    model = checked.model!;
  });
  const ids = (cells: readonly string[]) => cells.map((t) => model.tokenNames!.indexOf(t));
  const asCase = (cells: readonly string[], line: number): DatasetCase => ({ input: ids(cells), output: ids(rightLabels(cells).labels), line });

  it('its dataset file mazes.txt has the labels of the search here', () => {
    const parsed = parseDataset(readFileSync(new URL('examples/maze/mazes.txt', root), 'utf8'), model);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.cases).toHaveLength(20);
    for (const c of parsed.cases) {
      const cells = c.input.map((t) => model.tokenNames![t]!);
      expect(rightLabels(cells).steps).toBeGreaterThanOrEqual(110);
      expect(c.output).toEqual(ids(rightLabels(cells).labels));
    }
  });

  // Seeded hard mazes, random grids with many shortest paths (and cells on the borders), and the
  // wrap trap; a batch runs until its slowest maze halts.
  const rand = mulberry32(2026);
  const grids = [
    ...generateMazes(2026, 3).map((m) => m.cells),
    ...Array.from({ length: 2 }, () => randomGrid(rand, 0.3)),
    wrapTrap(),
  ];

  it.each<FloatDType>(['float32', 'float64'])('labels every cell of every grid right in %s', async (dtype) => {
    expect(rightLabels(wrapTrap())).toMatchObject({ steps: 30 });
    // Random grids have many shortest paths: more labelled cells than one path has.
    expect(grids.slice(3, 5).some((g) => rightLabels(g).labels.filter((l) => l === '*').length > rightLabels(g).steps + 1)).toBe(true);
    const cases = grids.map(asCase);
    const r = await verifyModel(model, { dtype, dataset: { cases, source: 'test grids' } });
    expect(r.failures).toEqual([]);
    expect(r).toMatchObject({ mode: 'dataset', cases: cases.length, passed: cases.length });
    // "*" scores 2 y - 1 against 0 with y = 1 on a path and y <= 0 elsewhere: every margin is >= 1.
    expect(r.minMargin).toBeGreaterThan(0.99);
  }, 600_000);

  // 900 applications: float32 only (float64 takes minutes on a loaded 2-core machine).
  it('labels nothing when G is cut off (the loop stops at its maximum) in float32', async () => {
    const dtype: FloatDType = 'float32';
    const grid = cutOff();
    expect(rightLabels(grid)).toMatchObject({ steps: -1 });
    expect(rightLabels(grid).labels.every((l) => l === '_')).toBe(true);
    const r = await verifyModel(model, { dtype, dataset: { cases: [asCase(grid, 1)], source: 'cut off' } });
    expect(r.failures).toEqual([]);
    expect(r.passed).toBe(1);
  }, 600_000);
});
