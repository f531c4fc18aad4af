import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PythonRandom } from '../src/verify/python-random.ts';
import {
  ADDERBOARD_EDGE_CASES,
  casesSha256,
  protocolCases,
  randomPairs,
} from '../src/verify/adderboard-cases.ts';

// The reference list lives beside the repository, in the workspace's shared/ folder.
const CSV_PATH = fileURLToPath(
  new URL('../../shared/adderboard/seed2025_random_pairs.csv', import.meta.url),
);

function readCsvPairs(): Array<[number, number]> {
  const lines = readFileSync(CSV_PATH, 'utf8').split('\n').filter((l) => l.length > 0);
  expect(lines[0]).toBe('a,b');
  return lines.slice(1).map((line) => {
    const [a, b] = line.split(',');
    return [Number(a), Number(b)];
  });
}

function python(script: string, args: string[]): string {
  return execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
}

describe('seed 2025 AdderBoard pairs', () => {
  const pairs = randomPairs(2025, 10_000);

  it('matches the published check values', () => {
    expect(pairs.slice(0, 3)).toEqual([
      [2395527356, 9334186774],
      [4296888873, 8475224721],
      [2446880696, 4577514554],
    ]);
    expect(pairs[9_999]).toEqual([4210807827, 8038206893]);
  });

  it('matches the reference CSV pair for pair', () => {
    const csv = readCsvPairs();
    expect(csv).toHaveLength(10_000);
    expect(pairs).toHaveLength(10_000);
    for (let i = 0; i < csv.length; i++) {
      if (pairs[i]![0] !== csv[i]![0] || pairs[i]![1] !== csv[i]![1]) {
        expect.fail(`pair ${i}: got ${pairs[i]}, CSV has ${csv[i]}`);
      }
    }
  });

  it('a bigint seed gives the same stream as the equal number seed', () => {
    expect(randomPairs(2025n, 50)).toEqual(pairs.slice(0, 50));
  });
});

// Python prints every integer as a string so values beyond 2^53 survive JSON,
// and floats via repr, whose shortest round-trip form parses back to the same double.
const PY_STREAM = String.raw`
import json, random, sys
out = {}
for s in sys.argv[1:]:
    r = random.Random(int(s))
    d = {}
    d["bits"] = [str(r.getrandbits(k)) for k in [0, 1, 31, 32, 33, 34, 53, 54, 64, 100]]
    d["big"] = [str(r.randint(0, 9_999_999_999)) for _ in range(6)]
    d["die"] = [str(r.randint(0, 6)) for _ in range(6)]
    d["float"] = [repr(r.random()) for _ in range(4)]
    d["huge"] = [str(r.randint(0, 2**100)) for _ in range(3)]
    d["signed"] = [str(r.randint(-5, 5)) for _ in range(5)]
    d["one"] = [str(r.randint(7, 7)) for _ in range(2)]
    # Long enough to cross several state regenerations (624 words each).
    d["tail"] = "".join(str(r.randint(0, 6)) for _ in range(3000))
    d["after"] = [str(r.getrandbits(32)), repr(r.random()), str(r.getrandbits(65))]
    out[s] = d
print(json.dumps(out))
`;

interface PyStream {
  bits: string[];
  big: string[];
  die: string[];
  float: string[];
  huge: string[];
  signed: string[];
  one: string[];
  tail: string;
  after: [string, string, string];
}

function tsStream(seed: number | bigint): PyStream {
  const r = new PythonRandom(seed);
  const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);
  return {
    bits: [0, 1, 31, 32, 33, 34, 53, 54, 64, 100].map((k) => String(r.getrandbits(k))),
    big: times(6, () => String(r.randint(0, 9_999_999_999))),
    die: times(6, () => String(r.randint(0, 6))),
    // JS String(number) is shortest round-trip like repr; compared as doubles below.
    float: times(4, () => String(r.random())),
    huge: times(3, () => String(r.randint(0n, 2n ** 100n))),
    signed: times(5, () => String(r.randint(-5, 5))),
    one: times(2, () => String(r.randint(7, 7))),
    tail: times(3000, () => String(r.randint(0, 6))).join(''),
    after: [String(r.getrandbits(32)), String(r.random()), String(r.getrandbits(65))],
  };
}

describe('PythonRandom against python3 at test time', () => {
  const seeds: Array<number | bigint> = [
    0,
    1,
    42,
    2 ** 32 + 5,
    2 ** 32,
    -1,
    -123_456_789,
    0xffff_ffff,
    2n ** 64n - 1n,
    0xdead_beef_cafe_f00d_1234_5678_9n, // 100 bits
    -(0xdead_beef_cafe_f00d_1234_5678_9n),
  ];
  const reference = JSON.parse(python(PY_STREAM, seeds.map(String))) as Record<string, PyStream>;

  it('the 100-bit seed really is 100 bits', () => {
    expect((0xdead_beef_cafe_f00d_1234_5678_9n).toString(2)).toHaveLength(100);
  });

  for (const seed of seeds) {
    it(`seed ${seed} reproduces Python's stream`, () => {
      const want = reference[String(seed)]!;
      const got = tsStream(seed);
      expect(got.bits).toEqual(want.bits);
      expect(got.big).toEqual(want.big);
      expect(got.die).toEqual(want.die);
      expect(got.huge).toEqual(want.huge);
      expect(got.signed).toEqual(want.signed);
      expect(got.one).toEqual(want.one);
      expect(got.tail).toBe(want.tail);
      expect(got.after[0]).toBe(want.after[0]);
      expect(got.after[2]).toBe(want.after[2]);
      const floats = [...got.float, got.after[1]].map(Number);
      const wantFloats = [...want.float, want.after[1]].map(Number);
      for (let i = 0; i < floats.length; i++) {
        expect(floats[i] === wantFloats[i], `float ${i}: ${floats[i]} vs ${wantFloats[i]}`).toBe(true);
      }
    });
  }

  it('randbelow keeps number and bigint paths in lockstep', () => {
    const a = new PythonRandom(99);
    const b = new PythonRandom(99);
    for (let i = 0; i < 500; i++) {
      expect(BigInt(a.randbelow(1_000_000_007))).toBe(b.randbelow(1_000_000_007n));
    }
  });

  it('rejects invalid arguments', () => {
    const r = new PythonRandom(0);
    expect(() => r.randbelow(0)).toThrow(RangeError);
    expect(() => r.randint(5, 4)).toThrow(RangeError);
    expect(() => r.getrandbits(-1)).toThrow(RangeError);
    expect(() => new PythonRandom(1.5)).toThrow(RangeError);
  });
});

describe('AdderBoard protocol cases', () => {
  it('edge cases come first, then the seeded pairs', () => {
    const cases = protocolCases({});
    expect(cases).toHaveLength(10_010);
    expect(cases.slice(0, 10)).toEqual(ADDERBOARD_EDGE_CASES.map(([a, b]) => [a, b]));
    expect(cases[10]).toEqual([2395527356, 9334186774]);
    expect(protocolCases({ edge: false, tests: 3 })).toEqual(randomPairs(2025, 3));
    expect(protocolCases({ seed: 7, tests: 2 }).slice(10)).toEqual(randomPairs(7, 2));
  });

  it('casesSha256 of the default protocol matches hashlib over edge cases + CSV', () => {
    const script = String.raw`
import hashlib, sys
edge = [(0, 0), (0, 1), (9999999999, 0), (9999999999, 1), (9999999999, 9999999999),
        (5000000000, 5000000000), (1111111111, 8888888889), (1234567890, 9876543210),
        (9999999999, 9999999999), (1, 9999999999)]
h = hashlib.sha256()
for a, b in edge:
    h.update(f"{a},{b}\n".encode())
with open(sys.argv[1]) as f:
    lines = f.read().splitlines()
assert lines[0] == "a,b", lines[0]
rows = [l for l in lines[1:] if l]
assert len(rows) == 10000, len(rows)
for l in rows:
    a, b = (int(x) for x in l.split(","))
    h.update(f"{a},{b}\n".encode())
print(h.hexdigest())
`;
    const want = python(script, [CSV_PATH]).trim();
    expect(want).toMatch(/^[0-9a-f]{64}$/);
    expect(casesSha256(protocolCases({}))).toBe(want);
  });
});
