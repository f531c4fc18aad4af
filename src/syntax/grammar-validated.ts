// Chevrotain validates the grammar (ambiguities, left recursion, token patterns) every time a lexer
// or parser is built: ~50 ms of every CLI start. The grammar is fixed when the package is built,
// and every test run and every tsx run validates it, so the published bundle skips it.
import { IN_BUNDLE } from '../build-flags.ts';

export const SKIP_GRAMMAR_VALIDATION: boolean = IN_BUNDLE;
