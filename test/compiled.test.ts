// compiled/ holds every example's ONNX exactly as the compiler builds it today: CI rebuilds each one
// in memory and fails on any byte of difference (run `npm run build:examples` after a change).
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';

const root = new URL('../', import.meta.url);

function examples(): { name: string; source: string }[] {
  return ['examples/adder/', 'examples/tasks/', 'examples/scan/', 'examples/zoo/', 'examples/maze/'].flatMap((dir) =>
    readdirSync(new URL(dir, root))
      .filter((f) => f.endsWith('.hw'))
      .map((f) => ({ name: f.slice(0, -3), source: readFileSync(new URL(dir + f, root), 'utf8') })),
  );
}

describe.each(examples())('compiled/$name', ({ name, source }) => {
  it('is byte-identical to a fresh build in the file\'s dtype (and float64 for float32 files)', () => {
    const own = compileSource(source);
    expect(own.onnx).toBeDefined();
    const committed = readFileSync(new URL(`compiled/${name}.onnx`, root));
    expect(Buffer.compare(Buffer.from(own.onnx!), committed), `compiled/${name}.onnx is stale: npm run build:examples`).toBe(0);
    if (own.model!.dtype === 'float32') {
      const f64 = compileSource(source, { dtype: 'float64' }).onnx!;
      const committed64 = readFileSync(new URL(`compiled/${name}.f64.onnx`, root));
      expect(Buffer.compare(Buffer.from(f64), committed64), `compiled/${name}.f64.onnx is stale: npm run build:examples`).toBe(0);
    }
  });
});

it('the same source always gives the same bytes', () => {
  const { source } = examples()[0]!;
  expect(Buffer.compare(Buffer.from(compileSource(source).onnx!), Buffer.from(compileSource(source).onnx!))).toBe(0);
});
