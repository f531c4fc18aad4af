// The two panels that set another run against the plain one: --compare (a second input, side by
// side, differences highlighted) and --ablate (the same input with a head or a channel zeroed).
// Differences are always "other − plain", drawn on a diverging scale: white where nothing changed.
import type { AblationFigure } from './ablation.ts';
import { logitBars } from './bars.ts';
import type { Inspection } from './collect.ts';
import { tokenLabels } from './collect.ts';
import { DIVERGING_CSS, divergingColour, maxAbs } from './colour.ts';
import { attr, escapeHtml, fmt } from './format.ts';
import { heatmap } from './heatmap.ts';

export interface VariantOptions {
  svgCellLimit?: number;
}

function legend(limit: number, note: string): string {
  return `<div class="legend"><span>−${escapeHtml(fmt(limit, 3))}</span><span class="ramp" style="background:${DIVERGING_CSS}"></span><span>+${escapeHtml(
    fmt(limit, 3),
  )}</span><span>(white = no change)</span><span>${escapeHtml(note)}</span></div>`;
}

function answerText(ins: Inspection, answer: number | undefined, generated: number[]): string {
  const names = tokenLabels(ins);
  if (answer !== undefined) return Number.isNaN(answer) ? 'not a number' : String(answer);
  return generated.map((t) => names[t]).join(' ');
}

/** a − b elementwise; 0 where both are the same, so a logit that is −∞ in both runs (a masked
 * token) reads as unchanged, not NaN. */
function sub(a: Float64Array, b: Float64Array): Float64Array {
  return Float64Array.from(a, (v, i) => (v === b[i] ? 0 : v - b[i]!));
}

function cell(n: number, budget: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.floor(budget / Math.max(n, 1))));
}

// ---- compare ----

export function compareSection(a: Inspection, b: Inspection, opts: VariantOptions): string {
  const names = tokenLabels(a);
  const side = (ins: Inspection, which: 'a' | 'b') => {
    const ops = ins.task ? Object.entries(ins.task.operands).map(([k, v]) => `${escapeHtml(k)} = ${v}`).join(', ') : `${ins.promptLength} prompt tokens`;
    const answer = ins.task?.answer;
    return `<tr data-side="${which}"><th>${which === 'a' ? 'input' : '--compare'}</th><td>${escapeHtml(ops)}</td><td class="mono" data-generated="${attr(
      ins.generated.join(','),
    )}">${escapeHtml(ins.generated.map((t) => names[t]).join(' '))}</td><td class="mono answer">${escapeHtml(answerText(ins, answer, ins.generated))}</td></tr>`;
  };
  const runs = `<table class="params compare-runs"><thead><tr><th></th><th>input</th><th>generated</th><th>answer</th></tr></thead><tbody>${side(a, 'a')}${side(b, 'b')}</tbody></table>`;

  // Step by step: both sides' logits, the step marked when the chosen tokens differ.
  const steps = a.steps.map((sa, k) => {
    const sb = b.steps[k];
    if (!sb) return '';
    const differs = sa.chosen !== sb.chosen;
    const bars = (s: typeof sa, which: string) =>
      `<figure data-side="${which}" data-step="${s.step}"><figcaption>${which === 'a' ? 'input' : 'compare'} → <span class="tokbig">${escapeHtml(names[s.chosen]!)}</span></figcaption>${logitBars({
        logits: s.logits, chosen: s.chosen, tokenLabels: names, label: `logits at step ${s.step} (${which})`, kind: 'compare-logits',
      })}</figure>`;
    return `<figure class="fig${differs ? ' differs' : ''}" data-step="${k}"><figcaption>step ${k}${differs ? ' <span class="bad">different token</span>' : ' <span class="ok">same token</span>'}</figcaption><div class="heads">${bars(sa, 'a')}${bars(sb, 'b')}</div></figure>`;
  });

  const sameLength = a.sequence.length === b.sequence.length;
  let maps = '<p class="lede">The two sequences differ in length, so attention and residual maps are not set side by side.</p>';
  if (sameLength) {
    const n = a.sequence.length;
    const rows = a.sequence.map((t, p) => `${p} · ${names[t]}${b.sequence[p] !== t ? `/${names[b.sequence[p]!]}` : ''}`);
    const c = cell(n, 400, 2, 12);
    const attn = a.attention.map((at, i) => {
      const figs = at.heads.map((w, h) => {
        const d = sub(b.attention[i]!.heads[h]!, w);
        const limit = maxAbs(d) || 1;
        return `<figure><figcaption>head ${h} · largest change ${fmt(maxAbs(d), 3)}</figcaption>${heatmap(
          {
            kind: 'compare-attention', rows: n, cols: n, data: d, colour: (v) => divergingColour(v, limit),
            rowLabels: c >= 7 ? rows : undefined, colLabels: c >= 7 ? rows : undefined, rowAxis: 'query', colAxis: 'key', cellW: c, cellH: c,
            label: `${at.label} head ${h} attention, compare − input`,
          },
          opts.svgCellLimit,
        )}${legend(limit, 'compare − input')}</figure>`;
      });
      return `<figure class="fig"><figcaption><b>${escapeHtml(at.label)}</b><span class="sub">attention weight change (compare − input); rows: query position · token (input/compare where they differ)</span></figcaption><div class="heads">${figs.join('')}</div></figure>`;
    });
    const last = a.residual.length - 1;
    const d = sub(b.residual[last]!.data, a.residual[last]!.data);
    const limit = maxAbs(d) || 1;
    const ch = a.channels.length;
    const resid = `<figure class="fig"><figcaption><b>residual stream ${escapeHtml(a.residual[last]!.label)}</b><span class="sub">compare − input, per position and channel</span></figcaption>${heatmap(
      {
        kind: 'compare-residual', rows: n, cols: ch, data: d, colour: (v) => divergingColour(v, limit),
        rowLabels: rows, colLabels: a.channels, rowAxis: 'position', colAxis: 'channel', cellW: cell(ch, 300, 3, 16), cellH: cell(n, 640, 7, 15),
        label: 'residual stream change, compare − input',
      },
      opts.svgCellLimit,
    )}${legend(limit, 'compare − input')}</figure>`;
    maps = `<div class="grid">${attn.join('')}${resid}</div>`;
  }
  return `${runs}<div class="steps">${steps.join('')}</div>${maps}`;
}

// ---- ablation ----

export function ablationSection(ins: Inspection, figs: AblationFigure[], opts: VariantOptions): string {
  const names = tokenLabels(ins);
  return figs
    .map((f) => {
      const plain = answerText(ins, ins.task?.answer, ins.generated);
      const ablated = answerText(ins, f.answer, f.generated);
      const changed = plain !== ablated;
      const head = `<p class="run ablation-answer"><span>zeroed: <b>${escapeHtml(f.ablation.text)}</b></span><span>plain answer <b class="mono">${escapeHtml(plain)}</b></span><span>ablated answer <b class="mono" data-answer="${attr(
        ablated,
      )}" data-generated="${attr(f.generated.join(','))}">${escapeHtml(ablated)}</b> ${changed ? '<span class="bad">changed</span>' : '<span class="ok">unchanged</span>'}</span></p>`;
      const rows = f.steps.map((s) => {
        const d = sub(s.ablated, s.base);
        return `<tr data-step="${s.step}"${s.chosenAblated !== s.chosenBase ? ' class="differs"' : ''}><td class="num">${s.step}</td><td class="num">${s.position}</td><td class="mono">${escapeHtml(
          names[s.chosenBase]!,
        )}</td><td class="mono" data-token="${s.chosenAblated}">${escapeHtml(names[s.chosenAblated]!)}</td><td class="num">${escapeHtml(fmt(maxAbs(d), 4))}</td></tr>`;
      });
      const table = `<table class="params ablation-steps"><thead><tr><th>step</th><th>position</th><th>plain token</th><th>ablated token (same prefix)</th><th>largest |Δ logit|</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
      const vocab = ins.vocab;
      const delta = new Float64Array(f.steps.length * vocab);
      f.steps.forEach((s, k) => delta.set(sub(s.ablated, s.base), k * vocab));
      const limit = maxAbs(delta) || 1;
      const map = heatmap(
        {
          kind: 'ablation-delta', rows: f.steps.length, cols: vocab, data: delta, colour: (v) => divergingColour(v, limit),
          rowLabels: f.steps.map((s) => `step ${s.step} · ${s.position}`), colLabels: names, rowAxis: 'step', colAxis: 'token',
          cellW: vocab <= 12 ? 46 : cell(vocab, 420, 4, 30), cellH: 16, showValues: vocab <= 12, label: `logit change with ${f.ablation.text} zeroed`,
        },
        opts.svgCellLimit,
      );
      return `<figure class="fig ablation" data-target="${attr(f.ablation.text)}"><figcaption><b>${escapeHtml(f.ablation.text)} zeroed</b><span class="sub">logits of the ablated graph on the plain run's prefixes, minus the plain logits (rows: decode step · position; columns: token)</span></figcaption>${head}${map}${legend(
        limit,
        'ablated − plain logit',
      )}${table}</figure>`;
    })
    .join('');
}

