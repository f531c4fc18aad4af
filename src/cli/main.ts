// The `handwire` command line: the only code that touches files, terminals and processes.
// Each command lives in ./commands/ and registers itself on the program; adding one is one line
// in COMMANDS (plus its import).
//
// Exit codes: 0 success; 1 the input has errors or a check failed (diagnostics, a wrong answer,
// out-of-date compiled files); 2 the command could not do its job (bad usage, unreadable file,
// internal error).
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { UserError } from './io.ts';
import { registerBuildExamples } from './commands/build-examples.ts';
import { registerCheck } from './commands/check.ts';
import { registerCompile } from './commands/compile.ts';
import { registerExplain } from './commands/explain.ts';
import { registerExport } from './commands/export.ts';
import { registerInspect } from './commands/inspect.ts';
import { registerParams } from './commands/params.ts';
import { registerProve } from './commands/prove.ts';
import { registerRun } from './commands/run.ts';
import { registerVerify } from './commands/verify.ts';

const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerCheck,
  registerCompile,
  registerRun,
  registerVerify,
  registerProve,
  registerParams,
  registerInspect,
  registerExport,
  registerBuildExamples,
  registerExplain,
];

const EXIT_FAILURE = 2;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function buildProgram(): Command {
  const program = new Command('handwire')
    .description('a language and compiler for hand-coded transformer circuits: .hw source to checked ONNX')
    .version(packageVersion())
    // Throw instead of exiting, so main() decides the exit code and output is never cut short.
    // Commander copies this to the subcommands created after it.
    .exitOverride()
    .showHelpAfterError('(run handwire --help, or handwire COMMAND --help, for usage)');
  for (const register of COMMANDS) register(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  // `handwire … | head` closes stdout early; that is the reader's choice, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    process.exitCode = report(e);
  }
}

/** Prints what went wrong (nothing for Commander's own messages, already printed) and picks the exit code. */
function report(e: unknown): number {
  if (e instanceof CommanderError) {
    // --help and --version end by "throwing" with exit code 0; usage errors carry 1, which here
    // would read as "your model has errors", so they become 2.
    return e.exitCode === 0 ? 0 : EXIT_FAILURE;
  }
  if (e instanceof UserError) {
    process.stderr.write(`handwire: ${e.message}\n`);
    return EXIT_FAILURE;
  }
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`internal error: ${message}\n`);
  if (process.env.HANDWIRE_DEBUG === '1') {
    process.stderr.write(`${e instanceof Error && e.stack ? e.stack : String(e)}\n`);
  } else {
    process.stderr.write('This is a bug in handwire. Run again with HANDWIRE_DEBUG=1 for the stack trace, and please report it.\n');
  }
  return EXIT_FAILURE;
}

await main(process.argv);
