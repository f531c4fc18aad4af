// Links in the repository's documents: README.md, docs/**/*.md and the header comments of
// examples/**/*.hw. A user has only the repository (or the npm package), so every relative link
// must name a file inside it and every #anchor a heading that exists (test/helpers/links.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkFile, githubSlug, headingAnchors, hwHeaderLinks } from './helpers/links.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Files under `dir` (relative to the root) whose names end in `ext`, as root-relative paths. */
function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(ext))
    .map((f) => join(dir, f))
    .sort();
}

const DOCUMENTS = ['README.md', ...filesUnder('docs', '.md'), ...filesUnder('examples', '.hw')];

describe('the link checker', () => {
  it('slugs headings as GitHub does', () => {
    // Expected anchors are GitHub's, as its rendered pages show them.
    expect(githubSlug('How many parameters?')).toBe('how-many-parameters');
    expect(githubSlug('Step 1: a head that reads a parabola')).toBe('step-1-a-head-that-reads-a-parabola');
    expect(githubSlug('5. Why it works')).toBe('5-why-it-works');
    expect(githubSlug('Setup (Node 20)')).toBe('setup-node-20');
    expect(githubSlug('snake_case — and `code`')).toBe('snake_case--and-code');
    expect([...headingAnchors('# Notes\n\n## Notes\n\ntext\n\n### Notes\n\n## `x` y\n')]).toEqual(['notes', 'notes-1', 'notes-2', 'x-y']);
  });

  it('finds a broken link, a broken anchor and a link out of the repository in a small page', () => {
    const page = [
      '# Title', // line 1
      '## Title',
      '[same file](#title-1), [other file](tutorial.md#how-many-parameters), [web](https://example.com/#x)',
      '[folder](../examples/) and ![picture](inspect-10p.png)',
      '[missing](no-such-page.md)', // line 5
      '[bad anchor](#no-such-heading) and',
      '[bad anchor elsewhere](tutorial.md#no-such-heading)',
      '[outside](../../elsewhere/notes.md)',
      '`[in a code span](missing.md)`',
      '',
      '```',
      '[in a fence](missing.md)',
      '```',
    ].join('\n');
    // As if the page were docs/page.md: its links resolve from docs/.
    const problems = checkFile(ROOT, 'docs/page.md', page).map((p) => [p.line, p.target]);
    expect(problems).toEqual([
      [5, 'no-such-page.md'],
      [6, '#no-such-heading'],
      [7, 'tutorial.md#no-such-heading'],
      [8, '../../elsewhere/notes.md'],
    ]);
  });

  it('reads paths from a .hw header comment only, relative to the repository root', () => {
    const source = [
      '# after docs/designs/adder-10p-rope19.md#5-why-it-works and examples/adder/adder-6p-rope19.hw,',
      '# not ../elsewhere/notes.md nor docs/designs/none.md; 1/(i+2) is not a path',
      'model m {',
      '  # docs/not-a-header.md',
      '}',
    ].join('\n');
    expect(hwHeaderLinks(source).map((l) => l.target)).toEqual([
      'docs/designs/adder-10p-rope19.md#5-why-it-works',
      'examples/adder/adder-6p-rope19.hw',
      '../elsewhere/notes.md',
      'docs/designs/none.md',
    ]);
    const problems = checkFile(ROOT, 'examples/adder/x.hw', source).map((p) => p.target);
    expect(problems).toEqual(['../elsewhere/notes.md', 'docs/designs/none.md']);
  });
});

describe('documents', () => {
  it('are all found', () => {
    expect(DOCUMENTS).toContain('docs/tutorial.md');
    expect(DOCUMENTS).toContain('docs/designs/adder-10p-rope19.md');
    expect(DOCUMENTS).toContain(join('examples', 'adder', 'adder-10p-rope19.hw'));
  });

  it.each(DOCUMENTS)('%s has no broken link', (file) => {
    const problems = checkFile(ROOT, file, readFileSync(join(ROOT, file), 'utf8'));
    expect(problems.map((p) => `${p.file}:${p.line} ${p.target}: ${p.reason}`)).toEqual([]);
  });
});

describe('the repository stands alone', () => {
  // The workspace keeps reference material in a shared/ folder beside the repository; users of the
  // repo or the npm package do not have it, so nothing may point there, in prose or in code.
  const MENTIONS = [['..', 'shared', ''].join('/'), ['', 'work', 'shared', ''].join('/')];
  const TEXT = /\.(md|hw|ts|js|json|sh|html|ebnf)$/;
  const files = ['README.md', ...['docs', 'examples', 'src', 'test', 'scripts', 'bench', 'grammar'].flatMap((d) => filesUnder(d, ''))]
    .filter((f) => TEXT.test(f));

  it('no document, source, test or script refers to the shared folder', () => {
    expect(files.length).toBeGreaterThan(50);
    const offenders = files.filter((f) => MENTIONS.some((m) => readFileSync(join(ROOT, f), 'utf8').includes(m)));
    expect(offenders).toEqual([]);
  });
});
