// The `handwire` command line: the only code that touches files, terminals and processes.
// Each command lives in ./commands/ and registers itself on the program; ./command-index.ts lists
// them, and only the command being run is loaded (start-up time is the user's time).
//
// Exit codes: 0 success; 1 the input has errors or a check failed (diagnostics, a wrong answer,
// out-of-date compiled files); 2 the command could not do its job (bad usage, unreadable file,
// internal error).
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { UserError } from './io.ts';
import { COMMAND_INDEX, commandNamed } from './command-index.ts';

const EXIT_FAILURE = 2;

const EXIT_CODES_HELP = `
Exit codes:
  0  success (the check passed, the file was written, the model was proved)
  1  the input has errors or a check failed (diagnostics, a wrong answer, not proved, out of date)
  2  the command could not do its job (bad usage, unreadable file, internal error)
`;

function packageVersion(): string {
  // Two levels up from src/cli/ (tsx) and from dist/cli/ (the built package) alike.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The program with the named command fully registered (its module loaded), and every other
 * command as a stub that only lists itself in the top-level help. */
async function buildProgram(name: string | undefined): Promise<Command> {
  const program = new Command('handwire')
    .description('a language and compiler for hand-coded transformer circuits: .hw source to checked ONNX')
    .version(packageVersion())
    // Throw instead of exiting, so main() decides the exit code and output is never cut short.
    // Commander copies this to the subcommands created after it.
    .exitOverride()
    .showHelpAfterError('(run handwire --help, or handwire COMMAND --help, for usage)')
    .addHelpText('after', EXIT_CODES_HELP);
  for (const [command, entry] of Object.entries(COMMAND_INDEX)) {
    if (command === name) {
      (await entry.load())(program);
      program.commands.at(-1)?.addHelpText('after', EXIT_CODES_HELP);
    } else program.command(entry.args ? `${command} ${entry.args}` : command).description(entry.summary);
  }
  return program;
}

async function main(argv: string[]): Promise<void> {
  // `handwire … | head` closes stdout early; that is the reader's choice, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    await (await buildProgram(commandNamed(argv.slice(2)))).parseAsync(argv);
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
