// The 10p adder's contract written out from its spec, independently of the code under test: the
// prompt it reads and the digits it must write. Shared by the library tests that drive it.

/** a + b by BigInt, as its 11 digits least significant first (what the 10p writes). */
export function sumDigitsLsb(a: number, b: number): number[] {
  let s = BigInt(a) + BigInt(b);
  return Array.from({ length: 11 }, () => {
    const d = Number(s % 10n);
    s /= 10n;
    return d;
  });
}

/** The 10p prompt from its spec: 0, a's 10 digits LSB first, nine 0s, b's digits, 0. */
export function prompt10p(a: number, b: number): number[] {
  const lsb = (n: number) => Array.from({ length: 10 }, (_, i) => Math.floor(n / 10 ** i) % 10);
  return [0, ...lsb(a), ...new Array<number>(9).fill(0), ...lsb(b), 0];
}
