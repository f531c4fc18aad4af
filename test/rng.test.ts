// The shared seeded generator (src/util/rng.ts). The tests, benches and prove draw their random
// inputs from it, and several tests were written against the sequences of the copies it replaced:
// these values pin those sequences, so a change to the generator cannot quietly change what the
// other tests test. (mulberry32(1)'s first value, 0.6270739405881613, is the one published with the
// generator.)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mulberry32, mulberry32Uint32 } from '../src/util/rng.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const draws = (next: () => number, n: number) => Array.from({ length: n }, next);

describe('mulberry32', () => {
  it('gives the same 32-bit sequences as the copies it replaced, for the seeds the tests use', () => {
    expect(draws(mulberry32Uint32(1), 4)).toEqual([2693262067, 11749833, 2265367787, 4213581821]);
    expect(draws(mulberry32Uint32(7), 4)).toEqual([50271532, 266108690, 4195786334, 3002305430]);
    expect(draws(mulberry32Uint32(20250601), 4)).toEqual([1570748327, 3357646281, 4017472135, 3385542284]);
  });

  it('takes the seed modulo 2^32', () => {
    expect(draws(mulberry32Uint32(-1), 4)).toEqual([3850105811, 813802916, 3073704848, 4054706436]);
    expect(draws(mulberry32Uint32(2 ** 32 + 7), 4)).toEqual(draws(mulberry32Uint32(7), 4));
  });

  it('the uniform form is the 32-bit draw over 2^32, in [0, 1)', () => {
    expect(mulberry32(1)()).toBe(0.6270739405881613);
    const u = draws(mulberry32(7), 1000);
    expect(u.slice(0, 4)).toEqual(draws(mulberry32Uint32(7), 4).map((x) => x / 2 ** 32));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
  });
});

it('is the only copy: no other file of src, test, bench or scripts writes the generator out', () => {
  const own = fileURLToPath(import.meta.url);
  const copies: string[] = [];
  for (const folder of ['src', 'test', 'bench', 'scripts']) {
    for (const name of readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })) {
      const path = join(ROOT, folder, name);
      if (!/\.(ts|js|mjs)$/.test(name) || path === own || path === join(ROOT, 'src/util/rng.ts')) continue;
      // The generator's increment: every copy of mulberry32 has it.
      if (/0x6d2b79f5/i.test(readFileSync(path, 'utf8'))) copies.push(`${folder}/${name}`);
    }
  }
  expect(copies).toEqual([]);
});
