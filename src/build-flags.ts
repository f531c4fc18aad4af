// What differs between the published bundle and the TypeScript sources run by tsx or vitest.
// scripts/build.mjs defines __HANDWIRE_BUNDLE__ as true in the bundle; everywhere else it is
// undefined. A leaf module: every stage may read it.
declare const __HANDWIRE_BUNDLE__: boolean | undefined;

export const IN_BUNDLE: boolean = typeof __HANDWIRE_BUNDLE__ !== 'undefined' && __HANDWIRE_BUNDLE__;
