// The list of commands, light enough to load on every start: a name, its arguments and a one-line
// summary for the top-level help. Each command's module (options, action and everything the action
// imports: the compiler, onnxruntime, …) is loaded only when that command runs, so `handwire check`
// never pays for onnxruntime and `handwire --help` pays for nothing.
//
// Adding a command: one entry here and its module in ./commands/. test/cli-startup.test.ts checks
// that each entry's summary and arguments are what its module registers.
import type { Command } from 'commander';

export interface CommandEntry {
  /** Arguments as Commander writes them in usage lines, e.g. '<file>' or '<files...>'. */
  args: string;
  summary: string;
  load: () => Promise<(program: Command) => void>;
}

export const COMMAND_INDEX: Readonly<Record<string, CommandEntry>> = {
  check: {
    args: '<file>',
    summary: 'check a .hw file and print its diagnostics (exit 1 on errors)',
    load: async () => (await import('./commands/check.ts')).registerCheck,
  },
  compile: {
    args: '<file>',
    summary: 'compile a .hw file to ONNX',
    load: async () => (await import('./commands/compile.ts')).registerCompile,
  },
  run: {
    args: '<file> [input]',
    summary: "run a .hw model on one prompt and compare its answer with the task's",
    load: async () => (await import('./commands/run.ts')).registerRun,
  },
  verify: {
    args: '<file>',
    summary: 'run the task over the AdderBoard protocol (or a sweep) and report accuracy and logit margins',
    load: async () => (await import('./commands/verify.ts')).registerVerify,
  },
  prove: {
    args: '<file>',
    summary: 'prove that the model answers its task for every input, or find a counterexample (exit 1 unless proved)',
    load: async () => (await import('./commands/prove.ts')).registerProve,
  },
  params: {
    args: '<file>',
    summary: 'audit where every number of a .hw model comes from; count its parameters',
    load: async () => (await import('./commands/params.ts')).registerParams,
  },
  inspect: {
    args: '<file>',
    summary: 'write an HTML page that shows the model: weights, attention, residual stream and logits on one input',
    load: async () => (await import('./commands/inspect.ts')).registerInspect,
  },
  export: {
    args: '<files...>',
    summary: 'export .hw designs as Python: an AdderBoard submission (numpy) or a PyTorch module, self-contained',
    load: async () => (await import('./commands/export.ts')).registerExport,
  },
  fmt: {
    args: '<files...>',
    summary: 'format .hw files (or every .hw file in a folder) in the canonical layout, comments kept',
    load: async () => (await import('./commands/fmt.ts')).registerFmt,
  },
  'build-examples': {
    args: '',
    summary: 'compile every examples/**/*.hw to compiled/ (run from the repository root)',
    load: async () => (await import('./commands/build-examples.ts')).registerBuildExamples,
  },
  explain: {
    args: '<code>',
    summary: 'explain a diagnostic code (e.g. HW013): what it means and how to fix it; without a code, list them',
    load: async () => (await import('./commands/explain.ts')).registerExplain,
  },
};

/** The command a command line names: the first word that is not an option (after `help`, the
 * word after it, as in `handwire help verify`). Commander's own options come before it. */
export function commandNamed(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  const first = words[0] === 'help' ? words[1] : words[0];
  return first !== undefined && Object.hasOwn(COMMAND_INDEX, first) ? first : undefined;
}
