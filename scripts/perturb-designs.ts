// Seeded perturbations of a design (issue #16): each variant nudges one or two numeric literals of
// the design's arithmetic (thresholds, scales, slopes, biases, periods) by a seeded relative amount.
// Small nudges (under 1%) usually leave a design correct, large ones (a factor of 1.1 to 10, up or
// down) often break it, so a
// batch holds both outcomes. The literals are found through the real parser's AST and replaced at
// their spans; structural numbers (head counts and widths, ranges of comprehensions, indices,
// exponents, the tests of conditionals, the task) are never touched. A variant that no longer
// passes `check` is skipped and counted, not returned.
//
// Library: perturbDesign(source, { seed, count }). CLI:
//   npx tsx scripts/perturb-designs.ts DESIGN.hw [--seed N] [--count N] [--out DIR]
// prints each variant's edits (and writes the variants to DIR when given).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkSource } from '../src/check/check-source.ts';
import type { Expr, ModelAst, Setting } from '../src/syntax/ast.ts';
import { parse } from '../src/syntax/parse.ts';
import { mulberry32 } from '../src/util/rng.ts';

/** A numeric literal that may be nudged: where it is in the source, and what it says. */
export interface Site {
  /** Offsets of the literal's text: [start, end). */
  start: number;
  end: number;
  text: string;
  value: number;
  /** Where it sits, for reports: `param gain`, `layer 0 attention scale`, … */
  where: string;
  line: number;
}

export interface Edit {
  where: string;
  line: number;
  from: string;
  to: string;
  /** The relative change: to = from × (1 + relative). */
  relative: number;
}

export interface Variant {
  /** The variant's own seed: perturbDesign(source, { seed }) and this index reproduce it. */
  seed: number;
  index: number;
  /** 'small' nudges (|r| < 1%) or 'large' ones (a factor of 1.1 to 10, up or down). */
  size: 'small' | 'large';
  edits: Edit[];
  source: string;
}

export interface PerturbResult {
  sites: Site[];
  variants: Variant[];
  /** Variants drawn but dropped because `check` rejected them, with the first diagnostic. */
  skipped: { index: number; edits: Edit[]; reason: string }[];
}

/** Settings whose numbers are structure, not arithmetic (sizes, counts, flags). */
const STRUCTURAL_SETTINGS = new Set(['heads', 'dim', 'value_dim', 'kv_heads', 'groups', 'window', 'causal', 'width', 'context']);

/** Every numeric literal of the design's arithmetic, in source order. */
export function perturbationSites(source: string): Site[] {
  const { ast } = parse(source);
  if (!ast) throw new Error('the design does not parse');
  return collectSites(ast);
}

function collectSites(ast: ModelAst): Site[] {
  const sites: Site[] = [];
  const walk = (e: Expr | undefined, where: string): void => {
    if (!e) return;
    switch (e.kind) {
      case 'num':
        // Zero has no relative nudge; a literal whose span does not hold its text is not ours to edit.
        if (e.value !== 0 && Number.isFinite(e.value)) sites.push({ start: e.span.offset, end: e.span.endOffset + 1, text: e.text, value: e.value, where, line: e.span.line });
        return;
      case 'str':
      case 'name':
        return;
      case 'call':
        // A norm's eps only guards a division by zero: nudging it tests nothing.
        for (const a of e.args) if (a.name !== 'eps') walk(a.value, a.name ? `${where} ${e.callee}(${a.name})` : where);
        return;
      case 'unary':
        walk(e.operand, where);
        return;
      case 'binary':
        walk(e.left, where);
        // An exponent is structure (the prover knows powers 2, 1 and ½ only); so are comparisons.
        if (e.op !== '^' && !['==', '!=', '<', '<=', '>', '>=', 'and', 'or', '%'].includes(e.op)) walk(e.right, where);
        return;
      case 'cond':
        walk(e.then, where);
        walk(e.else, where);
        return;
      case 'index':
        walk(e.target, where);
        return;
      case 'vector':
        for (const item of e.items) walk(item, where);
        return;
      case 'comprehension':
        walk(e.body, where);
        return;
    }
  };
  const settings = (list: Setting[], where: string) => {
    for (const s of list) if (!STRUCTURAL_SETTINGS.has(s.name.name)) walk(s.value, `${where} ${s.name.name}`);
  };
  for (const d of ast.decls) walk(d.value, `${d.kind} ${d.name.name}`);
  walk(ast.embed?.value, 'embed');
  walk(ast.position?.value, 'position');
  let layer = 0;
  const layers = ast.body.flatMap((b) => ('layers' in b ? b.layers : [b]));
  for (const l of layers) {
    for (const c of l.components) {
      const where = `layer ${layer} ${c.kind}`;
      settings(c.settings, where);
      for (const w of c.writes) walk(w.value, `${where} write`);
    }
    layer++;
  }
  walk(ast.final?.value, 'final');
  walk(ast.head?.value, 'head');
  return sites;
}

/** A number as a .hw literal: plain decimal, 10 significant digits, never negative (a sign in the
 * source stays where it is). */
export function formatLiteral(x: number): string {
  const s = String(Number(Math.abs(x).toPrecision(10)));
  if (!s.includes('e')) return s;
  // Exponent form is a valid literal (`1e-6`), but keep the mantissa's sign out of it.
  return s.replace('e+', 'e');
}

export interface PerturbOptions {
  seed: number;
  /** Variants to draw (skipped ones included). */
  count: number;
  /** Literals nudged per variant: 1 or 2 (default: 1 for 3 variants of 4, else 2). */
  editsPerVariant?: 1 | 2;
}

/** `count` seeded variants of `source`, alternating small and large nudges. */
export function perturbDesign(source: string, opts: PerturbOptions): PerturbResult {
  // Only literals whose span holds exactly their text (the replacement is made there).
  const sites = perturbationSites(source).filter((s) => source.slice(s.start, s.end) === s.text);
  const result: PerturbResult = { sites, variants: [], skipped: [] };
  if (sites.length === 0) return result;
  for (let index = 0; index < opts.count; index++) {
    // One generator per variant, so a variant depends on (seed, index) only.
    const rand = mulberry32((opts.seed * 1000003 + index * 7919) >>> 0);
    const size: Variant['size'] = index % 2 === 0 ? 'small' : 'large';
    const edits = opts.editsPerVariant ?? (rand() < 0.75 ? 1 : 2);
    const chosen = new Set<number>();
    while (chosen.size < Math.min(edits, sites.length)) chosen.add(Math.floor(rand() * sites.length));
    const picked = [...chosen].sort((a, b) => sites[b]!.start - sites[a]!.start).map((i) => sites[i]!);
    let text = source;
    const made: Edit[] = [];
    for (const site of picked) {
      // small: a relative change log-uniform in [1e-5, 1e-2), either sign; large: a factor
      // log-uniform in [1.1, 10), multiplying or dividing.
      const up = rand() < 0.5;
      const relative = size === 'small' ? (up ? 1 : -1) * 10 ** (-5 + 3 * rand()) : Math.exp((up ? 1 : -1) * Math.log(1.1) + (up ? 1 : -1) * Math.log(10 / 1.1) * rand()) - 1;
      const to = formatLiteral(site.value * (1 + relative));
      text = text.slice(0, site.start) + to + text.slice(site.end);
      made.push({ where: site.where, line: site.line, from: site.text, to, relative });
    }
    made.reverse();
    const checked = checkSource(text);
    const error = checked.diagnostics.find((d) => d.severity === 'error');
    if (!checked.model || error) {
      result.skipped.push({ index, edits: made, reason: error ? `${error.code} ${error.message}` : 'check failed' });
      continue;
    }
    result.variants.push({ seed: opts.seed, index, size, edits: made, source: text });
  }
  return result;
}

/** One line per edit: `line 42 param gain: 2000 → 2013.7 (+0.69%)`. */
export function describeEdits(edits: readonly Edit[]): string {
  return edits.map((e) => `line ${e.line} ${e.where}: ${e.from} → ${e.to} (${e.relative >= 0 ? '+' : ''}${(100 * e.relative).toPrecision(3)}%)`).join('; ');
}

function main(argv: string[]): number {
  const args = [...argv];
  const option = (name: string): string | undefined => {
    const at = args.indexOf(name);
    return at >= 0 ? args.splice(at, 2)[1] : undefined;
  };
  const seed = Number(option('--seed') ?? 1);
  const count = Number(option('--count') ?? 8);
  const out = option('--out');
  const file = args[0];
  if (!file || args.length !== 1 || !Number.isSafeInteger(seed) || !Number.isSafeInteger(count) || count < 1) {
    console.error('usage: npx tsx scripts/perturb-designs.ts DESIGN.hw [--seed N] [--count N] [--out DIR]');
    return 2;
  }
  const r = perturbDesign(readFileSync(file, 'utf8'), { seed, count });
  console.log(`${file}: ${r.sites.length} literals that may be nudged; seed ${seed}: ${r.variants.length} variants, ${r.skipped.length} skipped (check failed)`);
  if (out) mkdirSync(out, { recursive: true });
  for (const v of r.variants) {
    console.log(`  #${v.index} ${v.size}: ${describeEdits(v.edits)}`);
    if (out) writeFileSync(join(out, `${basename(file, '.hw')}-s${seed}-${v.index}.hw`), v.source);
  }
  for (const s of r.skipped) console.log(`  #${s.index} skipped: ${describeEdits(s.edits)} (${s.reason})`);
  return 0;
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) process.exitCode = main(process.argv.slice(2));
