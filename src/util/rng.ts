// The one seeded random generator of the project: mulberry32 (Tommy Ettinger's 32-bit generator).
// Used where runs must repeat exactly: prove's sampled inputs, and the tests' random models, prompts
// and operands. It is not for anything that needs statistical quality beyond that, nor for secrets.
// A leaf module: it imports nothing, so any stage, test or bench may import it.

/** Successive 32-bit unsigned integers from `seed` (taken modulo 2^32). */
export function mulberry32Uint32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Successive uniform numbers in [0, 1) from `seed`: each 32-bit draw divided by 2^32. */
export function mulberry32(seed: number): () => number {
  const next = mulberry32Uint32(seed);
  return () => next() / 4294967296;
}
