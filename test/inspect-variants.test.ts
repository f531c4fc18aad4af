// `handwire inspect --compare` and `--ablate`, on the 10p adder and on the induction zoo model: the
// page is loaded in headless Chromium (no console errors, no requests, the panels exist) and the
// numbers it shows are checked against runs made here, independently of the inspect code:
//   compare   the plain compiled graph run in onnxruntime on the second input, decoded greedily
//             by the test's own loop;
//   ablation  a graph built by the test that has the ablated part removed from the weights
//             instead of masked: a head's rows of the output projection zeroed, or a channel's
//             column zeroed in every weight that writes the residual stream (embedding, position
//             table, o_proj, down_proj and their biases). Neither model has post-norms, so
//             nothing else writes the residual and both constructions zero the same values.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckedModel } from '../src/check/model.ts';
import { inspectAblation, inspectModel } from '../src/cli/commands/inspect.ts';
import { compileSource } from '../src/compile.ts';
import { parseAblation } from '../src/inspect/ablate.ts';
import { resolveInspectInput, type InspectInputOptions } from '../src/inspect/input.ts';
import { probeGraph } from '../src/inspect/probe.ts';
import { renderInspection } from '../src/inspect/page.ts';
import type { IrGraph } from '../src/ir/types.ts';
import { irToOnnx } from '../src/onnx/ir-to-onnx.ts';
import { launchChromium, openPage } from './helpers/chromium.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');

function compile(rel: string) {
  const out = compileSource(readFileSync(join(ROOT, rel), 'utf8'), { dtype: 'float64' });
  if (!out.model || !out.ir) throw new Error(`${rel} does not compile`);
  return { model: out.model, ir: out.ir };
}

// ---------------------------------------------------------------- independent runs

async function session(ir: IrGraph): Promise<InferenceSession> {
  return InferenceSession.create(Buffer.from(irToOnnx(ir)), { graphOptimizationLevel: 'basic', executionMode: 'sequential' });
}

/** Last-position logits on each prefix of a greedy decode, by the test's own loop. */
async function decode(s: InferenceSession, vocab: number, prompt: number[], steps: number): Promise<{ generated: number[]; logits: Float64Array[] }> {
  const seq = [...prompt];
  const generated: number[] = [];
  const logits: Float64Array[] = [];
  for (let k = 0; k < steps; k++) {
    const out = await s.run({ input_ids: new Tensor('int64', BigInt64Array.from(seq, BigInt), [1, seq.length]) });
    const row = (out['logits']!.data as Float64Array).slice((seq.length - 1) * vocab, seq.length * vocab);
    let best = 0;
    for (let t = 1; t < vocab; t++) if (row[t]! > row[best]!) best = t;
    logits.push(row);
    generated.push(best);
    seq.push(best);
  }
  return { generated, logits };
}

/** Last-position logits of each given prefix. */
async function prefixLogits(s: InferenceSession, vocab: number, prefixes: number[][]): Promise<Float64Array[]> {
  const rows: Float64Array[] = [];
  for (const p of prefixes) {
    const out = await s.run({ input_ids: new Tensor('int64', BigInt64Array.from(p, BigInt), [1, p.length]) });
    rows.push((out['logits']!.data as Float64Array).slice((p.length - 1) * vocab, p.length * vocab));
  }
  return rows;
}

function withConsts(ir: IrGraph, edit: (name: string, shape: number[], data: Float64Array) => void): IrGraph {
  return {
    ...ir,
    consts: ir.consts.map((c) => {
      if (!(c.data instanceof Float64Array)) return c;
      const data = Float64Array.from(c.data);
      edit(c.name, c.shape, data);
      return { ...c, data };
    }),
  };
}

/** Head h of `label` removed from the weights: its rows of the output projection are zero. */
function withoutHead(ir: IrGraph, model: CheckedModel, label: string, h: number): IrGraph {
  const spec = model.layers.flatMap((l) => l.components).filter((c) => c.kind === 'attention')[probeGraph(ir, model).attentions.findIndex((a) => a.label === label)]!;
  if (spec.kind !== 'attention') throw new Error('not an attention');
  let edited = 0;
  const out = withConsts(ir, (name, shape, data) => {
    if (name !== `${label}.o_proj.weight`) return;
    const cols = shape[1]!;
    for (let r = h * spec.valueDim; r < (h + 1) * spec.valueDim; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = 0;
    edited++;
  });
  expect(edited).toBe(1);
  return out;
}

/** Channel c written by nothing: its column is zero in every weight that writes the residual. */
function withoutChannel(ir: IrGraph, model: CheckedModel, c: number): IrGraph {
  const d = model.dModel;
  expect(model.layers.flatMap((l) => l.components).every((x) => x.post.kind === 'none')).toBe(true);
  const writers = /^(embed\.|position\.table$|.*\.(o_proj|down_proj)\.(weight|bias)$)/;
  let edited = 0;
  const out = withConsts(ir, (name, shape, data) => {
    if (!writers.test(name) || shape[shape.length - 1] !== d) return;
    for (let i = c; i < data.length; i += d) data[i] = 0;
    edited++;
  });
  expect(edited).toBeGreaterThan(1);
  return out;
}

// ---------------------------------------------------------------- the page

/** The logit in a bar's tooltip ("token 3: logit −1.5, 2 below the top"), − read as minus. */
function tipNumber(text: string): number {
  const m = /: logit (\S+?)(?: \(chosen\)|,|$)/.exec(text);
  if (!m) throw new Error(`no logit in '${text}'`);
  return pageNumber(m[1]!);
}

function pageNumber(text: string): number {
  const t = text.replaceAll('−', '-');
  return t === '∞' ? Infinity : t === '-∞' ? -Infinity : Number(t);
}

function expectClose(shown: number[], want: number[]): void {
  expect(shown).toHaveLength(want.length);
  const scale = Math.max(1, ...want.filter(Number.isFinite).map(Math.abs));
  shown.forEach((v, i) => expect(v === want[i] ? 0 : Math.abs(v - want[i]!), `value ${i}: shown ${v}, runtime ${want[i]}`).toBeLessThan(1e-9 * scale));
}

interface Case {
  name: string;
  file: string;
  input: InspectInputOptions;
  compare: InspectInputOptions;
  head: string;
  channel: string;
  /** Reads the answer from generated tokens, or undefined for a model without a task. */
  answer?: (generated: number[]) => number;
}

const CASES: Case[] = [
  {
    name: 'adder-10p',
    file: 'examples/adder/adder-10p-rope19.hw',
    input: { a: '9999999999', b: '1' },
    compare: { a: '1234', b: '5678' },
    head: 'layer0.0',
    channel: 'digit',
    // The 10p writes the sum's digits least significant first.
    answer: (g) => g.reduce((n, t, i) => n + t * 10 ** i, 0),
  },
  {
    name: 'induction (zoo)',
    file: 'examples/zoo/induction.hw',
    input: { tokens: 'BOS,a,b,c,a', steps: '3' },
    compare: { tokens: 'BOS,b,a,c,b', steps: '3' },
    head: 'layer1.0',
    channel: 'prev_a',
  },
];

describe.each(CASES)('inspect --compare and --ablate on $name', (c) => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the second input, its logits and its answer as the runtime gives them', async () => {
    const { model, ir } = compile(c.file);
    const [ra, rb] = [resolveInspectInput(model, c.input), resolveInspectInput(model, c.compare)];
    if (!ra.ok || !rb.ok) throw new Error('bad input');
    const ins = await inspectModel(model, ir, ra.input);
    const other = await inspectModel(model, ir, rb.input);
    const { page, log } = await openPage(browser, renderInspection(ins, { compare: other }));

    const plain = await session(ir);
    const want = await decode(plain, model.vocab, rb.input.prompt, rb.input.steps);
    const wantA = await decode(plain, model.vocab, ra.input.prompt, ra.input.steps);
    await plain.release();

    expect(await page.locator('#compare').count()).toBe(1);
    const generated = await page.locator('table.compare-runs tr[data-side=b] td[data-generated]').getAttribute('data-generated');
    expect(generated).toBe(want.generated.join(','));
    if (c.answer) expect(await page.locator('table.compare-runs tr[data-side=b] td.answer').textContent()).toBe(String(c.answer(want.generated)));
    for (let k = 0; k < want.logits.length; k++) {
      const tips = await page.$$eval(`#compare figure[data-side=b][data-step="${k}"] svg[data-kind=compare-logits] rect.bar`, (els) => els.map((e) => e.getAttribute('data-tip')!));
      expectClose(tips.map(tipNumber), [...want.logits[k]!]);
    }
    // A step is marked different exactly where the two decodes chose different tokens.
    const differs = await page.$$eval('#compare .steps > figure.fig', (els) => els.map((e) => e.classList.contains('differs')));
    expect(differs).toEqual(want.generated.map((t, k) => t !== wantA.generated[k]));
    // One attention-change map per head, and the final residual change.
    const heads = probeGraph(ir, model).attentions.reduce((n, a) => n + a.heads, 0);
    expect(await page.locator('#compare [data-kind=compare-attention]').count()).toBe(heads);
    expect(await page.locator('#compare [data-kind=compare-residual]').count()).toBe(1);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('#compare').screenshot({ path: join(ARTIFACTS, `inspect-compare-${c.name.split(' ')[0]}.png`) });
    expect(log).toEqual({ errors: [], requests: [] });
  });

  it.each(['head', 'channel'] as const)('shows what zeroing a %s changes, as a graph without it gives', async (kind) => {
    const { model, ir } = compile(c.file);
    const r = resolveInspectInput(model, c.input);
    if (!r.ok) throw new Error(r.message);
    const probed = probeGraph(ir, model);
    const parsed = parseAblation(model, probed, kind === 'head' ? c.head : c.channel);
    if (!parsed.ok) throw new Error(parsed.message);
    const ins = await inspectModel(model, ir, r.input);
    const fig = await inspectAblation(model, ir, ins, parsed.ablation);
    const { page, log } = await openPage(browser, renderInspection(ins, { ablations: [fig] }));

    const ablatedIr =
      kind === 'head'
        ? withoutHead(ir, model, parsed.ablation.kind === 'head' ? parsed.ablation.component : '', parsed.ablation.kind === 'head' ? parsed.ablation.head : -1)
        : withoutChannel(ir, model, model.channels.indexOf(c.channel));
    const plain = await session(ir);
    const base = await decode(plain, model.vocab, r.input.prompt, r.input.steps);
    await plain.release();
    const ablated = await session(ablatedIr);
    const own = await decode(ablated, model.vocab, r.input.prompt, r.input.steps);
    const prefixes = base.generated.map((_, k) => [...r.input.prompt, ...base.generated.slice(0, k)]);
    const onPlainPrefixes = await prefixLogits(ablated, model.vocab, prefixes);
    await ablated.release();

    const panel = page.locator(`#ablation figure.ablation[data-target="${parsed.ablation.text}"]`);
    expect(await panel.count()).toBe(1);
    expect(await panel.locator('[data-generated]').getAttribute('data-generated')).toBe(own.generated.join(','));
    if (c.answer) expect(await panel.locator('[data-answer]').getAttribute('data-answer')).toBe(String(c.answer(own.generated)));
    // The change map holds ablated − plain for every step and token, row by row.
    // The page script moves each SVG <title> to data-tip (its own fast tooltip).
    const tips = await panel.locator('svg[data-kind=ablation-delta] g.cells > rect').evaluateAll((els) => els.map((e) => e.getAttribute('data-tip')!));
    // A logit that is −∞ in both runs (a token the head never lets through) counts as unchanged.
    const want = onPlainPrefixes.flatMap((row, k) => [...row].map((v, t) => (v === base.logits[k]![t] ? 0 : v - base.logits[k]![t]!)));
    expectClose(
      tips.map((t) => pageNumber(t.slice(t.lastIndexOf(': ') + 2))),
      want,
    );
    // The table names the token the ablated graph picks on each plain prefix.
    const picked = await panel.locator('table.ablation-steps td[data-token]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-token'))));
    expect(picked).toEqual(onPlainPrefixes.map((row) => row.indexOf(Math.max(...row))));
    // The ablation must change something, or the check above could pass with the mask missing.
    expect(want.some((v) => Math.abs(v) > 1e-6)).toBe(true);
    mkdirSync(ARTIFACTS, { recursive: true });
    await panel.screenshot({ path: join(ARTIFACTS, `inspect-ablate-${kind}-${c.name.split(' ')[0]}.png`) });
    expect(log).toEqual({ errors: [], requests: [] });
  });
});

describe('--ablate targets', () => {
  const { model, ir } = compile('examples/adder/adder-10p-rope19.hw');
  const probed = probeGraph(ir, model);
  it.each([
    ['layer0.0', 'layer0.attn head 0'],
    ['layer0.attn.0', 'layer0.attn head 0'],
    ['digit', 'channel digit'],
    ['0', 'channel big (#0)'],
  ])('reads %s', (spec, text) => {
    const r = parseAblation(model, probed, spec);
    expect(r.ok && r.ablation.text).toBe(text);
  });
  it.each([
    ['layer0.1', /layer0.attn has 1 head \(0 to 0\)/],
    ['7', /2 channels \(0 to 1\)/],
    ['nope', /not a head .* nor a residual channel/],
  ])('refuses %s', (spec, message) => {
    const r = parseAblation(model, probed, spec);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});
