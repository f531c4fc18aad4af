// Chevrotain validates the grammar (ambiguities, left recursion, token patterns) every time a lexer
// or parser is built: ~50 ms of every CLI start. The grammar is fixed when the package is built,
// and every test run and every tsx run validates it, so the published bundle skips it:
// scripts/build.mjs defines __HANDWIRE_BUNDLE__ as true there; everywhere else it is undefined.
declare const __HANDWIRE_BUNDLE__: boolean | undefined;

export const SKIP_GRAMMAR_VALIDATION: boolean = typeof __HANDWIRE_BUNDLE__ !== 'undefined' && __HANDWIRE_BUNDLE__;
