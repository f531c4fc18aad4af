// A link checker for the repository's own documents, with no network: every relative link must
// name a file that exists inside the repository, and every #anchor must match a heading of the
// Markdown file it points into, by GitHub's heading-slug rules.
//
// Markdown is parsed with markdown-it, so links inside code spans and fenced blocks are not links
// and reference-style links are resolved, as GitHub renders them. In a .hw header comment (the
// `#` lines before the first line of code) any word that contains a '/' and ends in a file
// extension is a link, resolved from the repository root, since that is how the headers name files.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import MarkdownIt from 'markdown-it';

export interface Link {
  /** 1-based line of the link in its file. */
  line: number;
  /** The target as written (after markdown-it's URL normalisation). */
  target: string;
}

export interface LinkProblem extends Link {
  file: string;
  reason: string;
}

const md = new MarkdownIt();

/** GitHub's slug of a heading's text: lowercase, drop everything but letters, digits, marks,
 * underscores, hyphens and spaces, then spaces → '-'. */
export function githubSlug(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors a Markdown file's headings get on GitHub; a repeated slug gets -1, -2, … */
export function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const tokens = md.parse(markdown, {});
  tokens.forEach((t, i) => {
    if (t.type !== 'heading_open') return;
    // GitHub slugs the heading's rendered text: plain text and code spans, without markup.
    const text = (tokens[i + 1]!.children ?? [])
      .filter((c) => c.type === 'text' || c.type === 'code_inline')
      .map((c) => c.content)
      .join('');
    const base = githubSlug(text);
    let slug = base;
    while (out.has(slug)) {
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      slug = `${base}-${n}`;
    }
    out.add(slug);
  });
  return out;
}

/** The links and images of a Markdown text, with their lines. */
export function markdownLinks(markdown: string): Link[] {
  const out: Link[] = [];
  for (const block of md.parse(markdown, {})) {
    if (block.type !== 'inline' || !block.map) continue;
    let line = block.map[0] + 1;
    for (const t of block.children ?? []) {
      if (t.type === 'softbreak' || t.type === 'hardbreak') line++;
      const target = t.type === 'link_open' ? t.attrGet('href') : t.type === 'image' ? t.attrGet('src') : null;
      if (target !== null) out.push({ line, target: String(target) });
    }
  }
  return out;
}

/** The path-like words of a .hw file's header comment. */
export function hwHeaderLinks(source: string): Link[] {
  const out: Link[] = [];
  const lines = source.split('\n');
  for (let i = 0; i < lines.length && lines[i]!.startsWith('#'); i++) {
    for (const m of lines[i]!.matchAll(/[\w.-]*(?:\/[\w.-]+)+\.(?:md|hw|ts|js|json|onnx|html|png|csv|py)(?:#[\w-]+)?/g)) {
      out.push({ line: i + 1, target: m[0] });
    }
  }
  return out;
}

/** What is wrong with one link of `file` (a path relative to `root`, with the text `text`), or
 * undefined if nothing. A .hw header's links are relative to the root, a Markdown file's to its own
 * folder. */
export function linkProblem(root: string, file: string, text: string, target: string): string | undefined {
  // Absolute URLs (http:, https:, mailto:, …) are outside this check: it has no network.
  if (/^[a-z][a-z\d+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  const hash = target.indexOf('#');
  const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  if (path === '') {
    // A same-file anchor: the file's own headings (of the text given, which need not be on disk).
    return anchor === undefined || headingAnchors(text).has(anchor) ? undefined : `no heading #${anchor} here`;
  }
  const base = file.endsWith('.hw') || path.startsWith('/') ? root : dirname(join(root, file));
  const resolved = resolve(base, path.replace(/^\//, ''));
  const inside = relative(root, resolved);
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return `${path} is outside the repository`;
  if (!existsSync(resolved)) return `${inside} does not exist`;
  // Anchors are checked where GitHub makes them from headings: in Markdown files.
  if (anchor === undefined || extname(resolved) !== '.md' || statSync(resolved).isDirectory()) return undefined;
  if (!headingAnchors(readFileSync(resolved, 'utf8')).has(anchor)) return `${inside} has no heading #${anchor}`;
  return undefined;
}

/** Every broken link of `file` (relative to `root`), whose text is `text`. */
export function checkFile(root: string, file: string, text: string): LinkProblem[] {
  const links = file.endsWith('.hw') ? hwHeaderLinks(text) : markdownLinks(text);
  return links.flatMap((l) => {
    const reason = linkProblem(root, file, text, l.target);
    return reason ? [{ file, ...l, reason }] : [];
  });
}
