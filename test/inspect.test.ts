// `handwire inspect`: the values the page shows are checked against the independent float64
// references and the design specs; the page is loaded in headless Chromium (no console errors, no
// requests, every figure drawn, counted against the compiled model); docs/syntax.html is checked
// to be what the grammar generates today and to draw one diagram per rule.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';
import { inspectModel } from '../src/cli/commands/inspect.ts';
import type { Inspection } from '../src/inspect/collect.ts';
import { resolveInspectInput, type InspectInputOptions } from '../src/inspect/input.ts';
import { renderInspection } from '../src/inspect/page.ts';
import { parserInstance } from '../src/syntax/parser.ts';
import { SYNTAX_PAGE, syntaxDiagramsHtml } from '../scripts/syntax-diagrams.ts';
import { greedyDecode as referenceDecode } from './reference/common.ts';
import { E as E10, design as design10 } from './reference/adder-10p-rope19.ts';
import { launchChromium, openPage } from './helpers/chromium.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');

function compileExample(rel: string) {
  const out = compileSource(readFileSync(join(ROOT, rel), 'utf8'), { dtype: 'float64' });
  if (!out.model || !out.ir) throw new Error(`${rel} does not compile`);
  return { model: out.model, ir: out.ir };
}

async function inspectExample(rel: string, opts: InspectInputOptions = {}) {
  const { model, ir } = compileExample(rel);
  const input = resolveInspectInput(model, opts);
  if (!input.ok) throw new Error(input.message);
  return { model, ir, ins: await inspectModel(model, ir, input.input) };
}

const ADDER_10P = 'examples/adder/adder-10p-rope19.hw';
const ADDER_130P = 'examples/adder/adder-130p-nanogpt-sinpe11.hw';
const ADDER_36P = 'examples/adder/adder-36p-alibi-2layer.hw';

describe('inspect input', () => {
  const { model } = compileExample(ADDER_10P);

  it('builds the task prompt from --a/--b and defaults to carry-heavy operands', () => {
    const given = resolveInspectInput(model, { a: '57', b: '68' });
    expect(given.ok && given.input.operands).toEqual({ a: 57, b: 68 });
    // The 10p prompt (spec §2): [0, a lsb ×10, 0 ×9, b lsb ×10, 0].
    expect(given.ok && given.input.prompt).toEqual([0, 7, 5, 0, 0, 0, 0, 0, 0, 0, 0, ...Array(9).fill(0), 8, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(given.ok && given.input.steps).toBe(11);
    const dflt = resolveInspectInput(model, {});
    expect(dflt.ok && dflt.input.operands).toEqual({ a: 9876543210, b: 1234567890 });
  });

  it('reads operands back from a raw prompt in the task layout', () => {
    const prompt = [0, 3, ...Array(9).fill(0), ...Array(9).fill(0), 4, ...Array(9).fill(0), 0];
    const r = resolveInspectInput(model, { tokens: prompt.join(',') });
    expect(r.ok && r.input.operands).toEqual({ a: 3, b: 4 });
  });

  it.each([
    [{ a: '1', tokens: '0' }, /either --tokens or task inputs/],
    [{ a: '1' }, /no value for the task input `b`/],
    [{ a: '1', b: '99999999999' }, /more than 10 base-10 digits/],
    [{ input: ['c=1'] }, /has no input `c`/],
    [{ tokens: '0,12' }, /'12' is not a token id/],
    [{ tokens: '0', steps: '99' }, /context is 41/],
    [{ a: '-1', b: '2' }, /non-negative whole number/],
  ] as [InspectInputOptions, RegExp][])('refuses %o', (opts, message) => {
    const r = resolveInspectInput(model, opts);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('inspect values', () => {
  let ten: Inspection;
  beforeAll(async () => {
    ten = (await inspectExample(ADDER_10P, { a: '9999999999', b: '1' })).ins;
  });

  it('decodes what the independent 10p reference decodes, with the same step logits', () => {
    const ref = referenceDecode(design10, 9999999999, 1);
    expect(ten.generated).toEqual(ref.generated);
    expect(ten.task).toMatchObject({ answer: 10000000000, expected: 10000000000 });
    ten.steps.forEach((s, k) => {
      expect(s.chosen).toBe(ref.generated[k]);
      s.logits.forEach((v, t) => expect(Math.abs(v - ref.stepLogits[k]![t]!)).toBeLessThan(1e-9 * Math.abs(ref.stepLogits[k]![t]!)));
    });
  });

  it('shows the embedding rows E[d] = [1000 − 0.001 d², −d] as the first residual panel', () => {
    const d = ten.channels.length;
    expect(ten.residual[0]!.label).toBe('after embedding');
    ten.sequence.forEach((tok, p) => {
      expect(ten.residual[0]!.data[p * d]).toBeCloseTo(E10[tok]![0]!, 12);
      expect(ten.residual[0]!.data[p * d + 1]).toBeCloseTo(E10[tok]![1]!, 12);
    });
  });

  it('gives causal attention rows that sum to 1', () => {
    const n = ten.sequence.length;
    for (const head of ten.attention.flatMap((a) => a.heads)) {
      for (let q = 0; q < n; q++) {
        let sum = 0;
        for (let k = 0; k < n; k++) {
          const w = head[q * n + k]!;
          if (k > q) expect(w).toBe(0);
          sum += w;
        }
        expect(sum).toBeCloseTo(1, 12);
      }
    }
  });

  it('shows pre-softmax scores whose softmax, computed here, is the attention shown', () => {
    const n = ten.sequence.length;
    ten.attention.forEach((a) =>
      a.heads.forEach((w, h) => {
        const s = a.scores[h]!;
        for (let q = 0; q < n; q++) {
          const row = Array.from({ length: n }, (_, k) => s[q * n + k]!);
          const m = Math.max(...row);
          const e = row.map((v) => Math.exp(v - m));
          const z = e.reduce((x, y) => x + y, 0);
          e.forEach((v, k) => expect(Math.abs(v / z - w[q * n + k]!)).toBeLessThan(1e-12));
        }
      }),
    );
  });

  it('shows MLP units before and after a ReLU: post = max(pre, 0), and pre = x · W + b from the residual', async () => {
    const { model, ir, ins } = await inspectExample('examples/zoo/sort-unique.hw', { tokens: '0,3,1,2', steps: '2' });
    expect(ins.mlp.map((m) => m.label)).toEqual(['layer0.mlp']);
    const m = ins.mlp[0]!;
    const w = ir.consts.find((c) => c.name === 'layer0.mlp.in_proj.weight')!.data as Float64Array;
    const b = ir.consts.find((c) => c.name === 'layer0.mlp.in_proj.bias')!.data as Float64Array;
    const d = model.dModel;
    // The MLP reads the residual after the attention (the second residual panel; no pre-norm).
    const x = ins.residual[1]!.data;
    expect(m.width).toBe(b.length);
    for (let p = 0; p < ins.sequence.length; p++) {
      for (let u = 0; u < m.width; u++) {
        let pre = b[u]!;
        for (let c = 0; c < d; c++) pre += x[p * d + c]! * w[c * m.width + u]!;
        expect(m.pre[p * m.width + u]).toBeCloseTo(pre, 9);
        expect(m.post[p * m.width + u]).toBe(Math.max(m.pre[p * m.width + u]!, 0));
      }
    }
  });

  it('ends the logit lens at the model logits, one stage per residual panel', () => {
    expect(ten.lens.map((l) => l.label)).toEqual(ten.residual.map((r) => r.label));
    const v = ten.vocab;
    for (const s of ten.steps) {
      const last = ten.lens[ten.lens.length - 1]!.logits.slice(s.position * v, (s.position + 1) * v);
      last.forEach((x, t) => expect(Math.abs(x - s.logits[t]!)).toBeLessThan(1e-9 * Math.abs(s.logits[t]!)));
    }
  });

  it('gives the logit lens of a model without a final norm as residual · head + bias, computed here', async () => {
    const { model, ir, ins } = await inspectExample('examples/zoo/induction.hw', { tokens: 'BOS,a,b,c,a', steps: '2' });
    expect(model.final.kind).toBe('none');
    const w = ir.consts.find((c) => c.name === 'head.weight')!.data as Float64Array;
    const b = ir.consts.find((c) => c.name === 'head.bias')!.data as Float64Array;
    const [d, v, n] = [model.dModel, model.vocab, ins.sequence.length];
    expect(ins.lens).toHaveLength(model.layers.length + 1);
    ins.lens.forEach((l, k) => {
      const x = ins.residual[k]!.data;
      for (let p = 0; p < n; p++) {
        for (let t = 0; t < v; t++) {
          let z = b[t]!;
          for (let c = 0; c < d; c++) z += x[p * d + c]! * w[c * v + t]!;
          const shown = l.logits[p * v + t]!;
          if (z === -Infinity) expect(shown).toBe(-Infinity);
          else expect(Math.abs(shown - z)).toBeLessThan(1e-9 * Math.max(1, Math.abs(z)));
        }
      }
    });
  });

  it('shows the 130p routing: head 0 averages a_k and b_k 50/50 at answer step k', async () => {
    const { ins } = await inspectExample(ADDER_130P, { a: '4096', b: '8191' });
    const n = ins.sequence.length;
    const head0 = ins.attention[0]!.heads[0]!;
    // Spec §2/§5: positions 0..9 hold a (9−i holds a_i), 11..20 hold b; query 21+k reads 9−k and 20−k.
    for (let k = 0; k < 10; k++) {
      const q = 21 + k;
      expect(head0[q * n + 9 - k]).toBeCloseTo(0.5, 6);
      expect(head0[q * n + 20 - k]).toBeCloseTo(0.5, 6);
    }
    expect(ins.task).toMatchObject({ answer: 12287, expected: 12287 });
  });
});

// ---------------------------------------------------------------- in the browser

/** Figures by data-kind that have a nonzero drawn size. */
async function drawnFigures(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const counts: Record<string, number> = {};
    document.querySelectorAll('svg[data-kind], canvas[data-kind]').forEach((el) => {
      const r = el.getBoundingClientRect();
      const kind = el.getAttribute('data-kind')!;
      if (r.width > 0 && r.height > 0) counts[kind] = (counts[kind] ?? 0) + 1;
    });
    return counts;
  });
}

describe('inspect page in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('draws every figure of a two-layer model, offline and without errors', async () => {
    const { model, ir, ins } = await inspectExample(ADDER_36P);
    const { page, log } = await openPage(browser, renderInspection(ins));
    // Expected counts from the compiled model, not from the inspection.
    const components = model.layers.flatMap((l) => l.components);
    const heads = components.reduce((n, c) => n + (c.kind === 'attention' ? c.heads : 0), 0);
    const weights = ir.consts.filter((c) => c.role === 'weight' && c.shape.length === 2).length;
    expect(model.layers.length).toBe(2);
    const mlps = components.filter((c) => c.kind === 'mlp' && c.act !== 'identity').length;
    expect(await drawnFigures(page)).toEqual({
      attention: heads,
      scores: heads,
      ...(mlps ? { 'mlp-pre': mlps, 'mlp-post': mlps } : {}),
      residual: components.length + 1,
      logits: model.task!.decode,
      lens: model.task!.decode,
      weight: weights,
      param: model.values.filter((v) => v.kind === 'param').length,
    });
    // SVG heatmaps have one rect per cell: an attention map is seq × seq.
    const n = ins.sequence.length;
    const cells = await page.$$eval('svg[data-kind=attention]', (els) => els.map((e) => e.querySelectorAll('g.cells > rect').length));
    expect(cells).toEqual(Array(heads).fill(n * n));
    // The chosen token is the one highlighted in each step's bar chart.
    const chosen = await page.$$eval('svg[data-kind=logits]', (els) => els.map((e) => e.querySelectorAll('rect.chosen').length));
    expect(chosen).toEqual(Array(model.task!.decode).fill(1));
    // Hovering shows values at once: a residual cell and a channel name (its colour scale).
    await page.locator('svg[data-kind=residual] g.cells > rect').first().hover();
    await expect.poll(() => page.locator('#tip').textContent()).toMatch(/^position 0 · <bos>, channel EQ: /);
    await page.locator('svg[data-kind=residual] text[data-tip]').first().hover();
    await expect.poll(() => page.locator('#tip').textContent()).toMatch(/^EQ: colours span ±/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'inspect-36p.png'), fullPage: true });
    expect(log).toEqual({ errors: [], requests: [] });
  });

  it('paints large heatmaps on canvas, with a tooltip that shows the value', async () => {
    const { ins } = await inspectExample(ADDER_10P);
    // A low SVG limit turns the 41 × 41 attention map and the residual panels into canvases.
    const { page, log } = await openPage(browser, renderInspection(ins, { svgCellLimit: 60 }));
    const canvases = await page.$$eval('canvas[data-kind]', (els) =>
      els.map((el) => {
        const c = el as HTMLCanvasElement;
        const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const colours = new Set<number>();
        for (let i = 0; i < px.length; i += 4) colours.add((px[i]! << 24) | (px[i + 1]! << 16) | (px[i + 2]! << 8) | px[i + 3]!);
        return { kind: c.dataset.kind, colours: colours.size, opaque: px[3] === 255 };
      }),
    );
    expect(canvases.filter((c) => c.kind === 'attention')).toHaveLength(1);
    expect(canvases.filter((c) => c.kind === 'residual')).toHaveLength(3);
    for (const c of canvases) {
      expect(c.opaque).toBe(true);
      expect(c.colours).toBeGreaterThan(1);
    }
    // Hover the attention cell (query 0, key 0): causal self-attention at position 0 is exactly 1.
    const canvas = page.locator('canvas[data-kind=attention]');
    const box = (await canvas.boundingBox())!;
    const n = ins.sequence.length;
    await canvas.hover({ position: { x: box.width / n / 2, y: box.height / n / 2 } });
    await expect.poll(() => page.locator('#tip').textContent()).toMatch(/^query 0 · 0, key 0 · 0: 1$/);
    expect(log).toEqual({ errors: [], requests: [] });
  });

  it('docs/syntax.html is what the grammar generates, and draws one diagram per rule', async () => {
    const html = syntaxDiagramsHtml();
    // A plain equality check: a diff of two 100 kB pages helps nobody, the message does.
    expect(readFileSync(SYNTAX_PAGE, 'utf8') === html, 'docs/syntax.html is out of date: run npx tsx scripts/syntax-diagrams.ts').toBe(true);
    // The page loads chevrotain's diagram scripts from ../node_modules (nothing third-party is
    // copied into docs/), so it is opened as the file it is; only local files may be requested.
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const errors: string[] = [];
    const remote: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('request', (r) => {
      if (!r.url().startsWith('file://')) remote.push(r.url());
    });
    page.on('requestfailed', (r) => errors.push(`failed ${r.url()}`));
    await page.goto(pathToFileURL(SYNTAX_PAGE).href, { waitUntil: 'load' });
    const rules = parserInstance.getSerializedGastProductions().length;
    await expect.poll(() => page.locator('svg.railroad-diagram').count()).toBe(rules);
    expect({ errors, remote }).toEqual({ errors: [], remote: [] });
  });
});
