// A seeded generator of hard 30×30 mazes for the hand-wired maze solver (examples/maze/maze.hw), the
// tests (test/maze.test.ts) and the bench (bench/maze.ts). As a command it writes a dataset file:
//   npx tsx scripts/maze.ts --seed 1 --count 20 > examples/maze/mazes.txt
//
// A maze is 900 cells, row by row: 'W' wall, '.' open, 'S' start, 'G' goal. Every maze is "hard" in
// the Maze-Hard sense (the shortest path from S to G takes at least MIN_STEPS steps) and its shortest
// path is unique, so "the cells on the shortest path" is one well-defined label per cell.
//
// How: a perfect maze (every pair of rooms joined by exactly one corridor) carved by a randomised
// depth-first search over 15×15 rooms at even coordinates 0..28 leaves one spare line (row 29 and
// column 29). A few extra walls are knocked out to make loops, and a few dead-end stubs are opened
// into the spare line, so open cells sit on all four borders (the circuit must not let a wave wrap
// from the end of one row to the start of the next). The grid is then flipped at random. S and G
// are drawn until their shortest path is long enough and the only one (counted by breadth-first
// search); a maze with no such pair is thrown away and carved again.
import { mulberry32 } from '../src/util/rng.ts';

export const SIDE = 30;
export const CELLS = SIDE * SIDE;
/** Maze-Hard's bar: the shortest path from start to goal has at least this many steps. */
export const MIN_STEPS = 110;

export const WALL = 'W';
export const OPEN = '.';
export const START = 'S';
export const GOAL = 'G';

export interface Maze {
  /** 900 characters, row by row. */
  cells: string[];
  start: number;
  goal: number;
  /** Length of the (unique) shortest path, in steps. */
  steps: number;
}

export interface MazeOptions {
  /** Walls between rooms knocked out after carving, making loops (default 6). */
  loops?: number;
  /** Dead ends opened into the spare row and column (default 8). */
  stubs?: number;
}

/** `count` mazes from `seed`; the same arguments always give the same mazes. */
export function generateMazes(seed: number, count: number, opts: MazeOptions = {}): Maze[] {
  const rand = mulberry32(seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const mazes: Maze[] = [];
  while (mazes.length < count) {
    const maze = tryMaze(pick, opts);
    if (maze) mazes.push(maze);
  }
  return mazes;
}

function tryMaze(pick: (n: number) => number, opts: MazeOptions): Maze | undefined {
  const open = carve(pick);
  knockLoops(open, pick, opts.loops ?? 6);
  openStubs(open, pick, opts.stubs ?? 8);
  const grid = flip(open, pick(2) === 1, pick(2) === 1, pick(2) === 1);
  const openCells = grid.flatMap((o, i) => (o ? [i] : []));
  for (let attempt = 0; attempt < 20; attempt++) {
    const start = openCells[pick(openCells.length)]!;
    const { dist, ways } = countShortestPaths(grid, start);
    const far = openCells.filter((c) => dist[c]! >= MIN_STEPS && ways[c] === 1);
    if (far.length === 0) continue;
    const goal = far[pick(far.length)]!;
    const cells = grid.map((o, i) => (i === start ? START : i === goal ? GOAL : o ? OPEN : WALL));
    return { cells, start, goal, steps: dist[goal]! };
  }
  return undefined;
}

/** A perfect maze: rooms at even (row, col) in 0..28, corridors carved by depth-first search. */
function carve(pick: (n: number) => number): boolean[] {
  const open = new Array<boolean>(CELLS).fill(false);
  const rooms = SIDE / 2; // 15 per side
  const seen = new Array<boolean>(rooms * rooms).fill(false);
  const at = (r: number, c: number) => 2 * r * SIDE + 2 * c;
  const stack: [number, number][] = [[pick(rooms), pick(rooms)]];
  seen[stack[0]![0] * rooms + stack[0]![1]] = true;
  open[at(...stack[0]!)] = true;
  while (stack.length > 0) {
    const [r, c] = stack[stack.length - 1]!;
    const next = ([[r - 1, c], [r + 1, c], [r, c - 1], [r, c + 1]] as [number, number][]).filter(
      ([a, b]) => a >= 0 && a < rooms && b >= 0 && b < rooms && !seen[a * rooms + b],
    );
    if (next.length === 0) {
      stack.pop();
      continue;
    }
    const [a, b] = next[pick(next.length)]!;
    seen[a * rooms + b] = true;
    open[at(a, b)] = true;
    open[(r + a) * SIDE + (c + b)] = true; // the wall between the two rooms (midpoint)
    stack.push([a, b]);
  }
  return open;
}

/** Opens `n` walls that sit between two rooms (a loop each). */
function knockLoops(open: boolean[], pick: (n: number) => number, n: number): void {
  const between: number[] = [];
  for (let r = 0; r < SIDE - 1; r++) {
    for (let c = 0; c < SIDE - 1; c++) {
      if ((r + c) % 2 === 1 && !open[r * SIDE + c]) between.push(r * SIDE + c);
    }
  }
  for (let k = 0; k < n && between.length > 0; k++) open[between.splice(pick(between.length), 1)[0]!] = true;
}

/** Opens `n` cells of the spare row 29 / column 29 next to a room: dead ends on the border. */
function openStubs(open: boolean[], pick: (n: number) => number, n: number): void {
  const spare: number[] = [];
  for (let k = 0; k < SIDE - 1; k += 2) spare.push((SIDE - 1) * SIDE + k, k * SIDE + SIDE - 1);
  for (let k = 0; k < n; k++) open[spare.splice(pick(spare.length), 1)[0]!] = true;
}

function flip(open: boolean[], rows: boolean, cols: boolean, transpose: boolean): boolean[] {
  const out = new Array<boolean>(CELLS);
  for (let r = 0; r < SIDE; r++) {
    for (let c = 0; c < SIDE; c++) {
      let [a, b] = [rows ? SIDE - 1 - r : r, cols ? SIDE - 1 - c : c];
      if (transpose) [a, b] = [b, a];
      out[a * SIDE + b] = open[r * SIDE + c]!;
    }
  }
  return out;
}

/** Breadth-first distances from `from` over open cells, and how many shortest paths reach each
 * (capped at 2: only "one" or "more than one" matters). Unreached cells have distance Infinity. */
function countShortestPaths(open: boolean[], from: number): { dist: number[]; ways: number[] } {
  const dist = new Array<number>(CELLS).fill(Infinity);
  const ways = new Array<number>(CELLS).fill(0);
  dist[from] = 0;
  ways[from] = 1;
  const queue = [from];
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q]!;
    const r = Math.floor(i / SIDE);
    const c = i % SIDE;
    const around = [r > 0 ? i - SIDE : -1, r < SIDE - 1 ? i + SIDE : -1, c > 0 ? i - 1 : -1, c < SIDE - 1 ? i + 1 : -1];
    for (const j of around) {
      if (j < 0 || !open[j]) continue;
      if (dist[j] === Infinity) {
        dist[j] = dist[i]! + 1;
        queue.push(j);
      }
      if (dist[j] === dist[i]! + 1) ways[j] = Math.min(2, ways[j]! + ways[i]!);
    }
  }
  return { dist, ways };
}

/** A dataset line without labels' right-hand side: the 900 cells separated by spaces. */
export function mazeText(m: Maze): string {
  return m.cells.join(' ');
}

/** Parses `--name value` pairs. */
function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const v = Number(args[at + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} takes a whole number, got ${args[at + 1]}`);
  return v;
}

// As a command: a dataset for examples/maze/maze.hw, one maze a line, `cells -> labels`, where the
// label of a cell is '*' on the shortest path (S and G included) and '_' elsewhere.
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const seed = option(args, 'seed', 1);
  const count = option(args, 'count', 20);
  console.log(`# ${count} hard 30×30 mazes (shortest path >= ${MIN_STEPS} steps, unique) from: npx tsx scripts/maze.ts --seed ${seed} --count ${count}`);
  for (const m of generateMazes(seed, count)) {
    const onPath = pathCells(m);
    console.log(`${mazeText(m)} -> ${m.cells.map((_, i) => (onPath.has(i) ? '*' : '_')).join(' ')}`);
  }
}

/** The cells of the unique shortest path (S and G included), by walking back down the distances. */
export function pathCells(m: Maze): Set<number> {
  const open = m.cells.map((t) => t !== WALL);
  const { dist } = countShortestPaths(open, m.start);
  const path = new Set<number>([m.goal]);
  let at = m.goal;
  while (at !== m.start) {
    const r = Math.floor(at / SIDE);
    const c = at % SIDE;
    const around = [r > 0 ? at - SIDE : -1, r < SIDE - 1 ? at + SIDE : -1, c > 0 ? at - 1 : -1, c < SIDE - 1 ? at + 1 : -1];
    at = around.find((j) => j >= 0 && dist[j] === dist[at]! - 1)!;
    path.add(at);
  }
  return path;
}
