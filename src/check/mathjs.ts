// The one place that loads mathjs: its `create` and the factories of all its functions. Formulas
// are evaluated by an instance made from these (check/evaluate.ts), and so are task `expect`s.
// Loaded on first use, synchronously: a check whose formulas are all scalar arithmetic never
// needs mathjs, and its load is a large part of a CLI start.
//
// Under tsx and vitest the CommonJS build is required (it loads in about half the time of mathjs's
// ES module graph). The published build (scripts/build.mjs) replaces this file with one that
// requires a single-file bundle of mathjs's `create` and factories, which skips the ~0.5 s that
// mathjs's own entry spends creating a default instance with every function: `create` is lazy.
import { createRequire } from 'node:module';
import type * as MathJs from 'mathjs';

export interface MathjsFactories {
  create: typeof MathJs.create;
  all: typeof MathJs.all;
}

export function loadMathjs(): MathjsFactories {
  const { create, all } = createRequire(import.meta.url)('mathjs') as typeof MathJs;
  return { create, all };
}
