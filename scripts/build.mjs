// `npm run build`: src/ → dist/, the JavaScript the published package runs.
// - esbuild bundles the CLI and the library entry as ES modules, split into chunks so each command
//   loads only what it uses. Bundling is for start-up time: chevrotain's ES module graph is
//   hundreds of small files (lodash-es) and costs ~300 ms to load, its bundle ~25 ms.
//   onnxruntime-node (a native addon) stays an ordinary dependency.
// - tsc writes the type declarations (dist/**/*.d.ts) for library users.
// Plain JavaScript, so it runs before anything is built. `--js-only` skips the declarations (the
// test suite's setup uses that: it only needs runnable code).
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const jsOnly = process.argv.includes('--js-only');

// src/check/mathjs.ts requires mathjs's CommonJS entry, which builds a default instance with every
// function at load (~0.5 s). In the bundle it requires dist/chunks/mathjs.cjs instead: mathjs's own
// `create` and function factories in one file (one file loads fast; `create` builds functions on use).
const mathjsEsm = join(dirname(createRequire(import.meta.url).resolve('mathjs')), '..', 'esm');
const MATHJS_SHIM = `import { createRequire } from 'node:module';
export function loadMathjs() { return createRequire(import.meta.url)('./mathjs.cjs'); }
`;
const mathjsFactories = {
  name: 'mathjs-factories',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]check[\\/]mathjs\.ts$/ }, () => ({ loader: 'js', contents: MATHJS_SHIM }));
  },
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const cli = await build({
  absWorkingDir: root,
  metafile: true,
  // The decode worker is a script of its own: worker threads start from a file.
  entryPoints: ['src/cli/main.ts', 'src/index.ts', 'src/runtime/decode-worker.ts'],
  outbase: 'src',
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['onnxruntime-node'],
  plugins: [mathjsFactories],
  // Grammar validation is done by every test and tsx run; the bundle skips it (src/syntax/grammar-validated.ts).
  define: { __HANDWIRE_BUNDLE__: 'true' },
  minify: true,
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'eof',
  // Bundled CommonJS packages (commander) call require(), which ES modules lack; give every chunk one.
  banner: { js: "import { createRequire as __handwireCreateRequire } from 'node:module'; const require = __handwireCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
const math = await build({
  absWorkingDir: root,
  metafile: true,
  stdin: {
    contents: "export { create } from './core/create.js';\nimport * as all from './factoriesAny.js';\nexport { all };\n",
    resolveDir: mathjsEsm,
    loader: 'js',
  },
  outfile: join(root, 'dist', 'chunks', 'mathjs.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
// The shim's './mathjs.cjs' is relative to the chunk it lands in, and the decoder pool finds its
// worker at '../runtime/decode-worker.js' from its chunk: make sure both live in dist/chunks/.
const shimHomes = readdirSync(join(root, 'dist'), { recursive: true, encoding: 'utf8' }).filter(
  (f) => f.endsWith('.js') && readFileSync(join(root, 'dist', f), 'utf8').includes('./mathjs.cjs'),
);
if (shimHomes.length === 0 || shimHomes.some((f) => dirname(f) !== 'chunks')) {
  throw new Error(`the mathjs loader landed in ${shimHomes.join(', ') || 'no file'}, not in dist/chunks/`);
}
const poolHomes = readdirSync(join(root, 'dist'), { recursive: true, encoding: 'utf8' }).filter(
  (f) => f.endsWith('.js') && readFileSync(join(root, 'dist', f), 'utf8').includes('runtime/decode-worker.js'),
);
if (poolHomes.length === 0 || poolHomes.some((f) => dirname(f) !== 'chunks')) {
  throw new Error(`the decoder pool landed in ${poolHomes.join(', ') || 'no file'}, not in dist/chunks/`);
}

writeThirdPartyLicenses([cli.metafile, math.metafile]);

if (!jsOnly) {
  execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}

/** The bundles carry other people's code; their licences (MIT, Apache-2.0, BSD) ask that the
 * licence texts travel with it. One file lists every bundled package with its licence text. */
function writeThirdPartyLicenses(metafiles) {
  const packages = new Set();
  for (const meta of metafiles) {
    for (const input of Object.keys(meta.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m) packages.add(m[1]);
    }
  }
  const sections = [...packages].sort().map((name) => {
    const dir = join(root, 'node_modules', name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const licenseFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying|notice)(\.|$)/i.test(f));
    const text = licenseFile ? readFileSync(join(dir, licenseFile), 'utf8').trim() : `(no licence file in the package; package.json says ${pkg.license})`;
    return `${name}@${pkg.version} (${pkg.license})\n\n${text}\n`;
  });
  const header = 'handwire bundles the following packages into dist/. Their licences follow.\n';
  writeFileSync(join(root, 'dist', 'THIRD-PARTY-LICENSES.txt'), [header, ...sections].join('\n' + '-'.repeat(72) + '\n\n'));
}
