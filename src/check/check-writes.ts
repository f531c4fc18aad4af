// The writes of an attention or MLP block: each `write targets += formula` is a linear map from the
// block's output into some residual channels, and all of them together are one map into the whole
// residual. Writes inside `for k in a..b { … }` are unrolled here, one write per value of k, with
// their channel indices (`x[k + 1]`) resolved to concrete channels, so later stages only ever see
// the summed matrix.
import type { ComponentAst, WriteStmt } from '../syntax/ast.ts';
import { diag } from '../diagnostics.ts';
import type { Scope } from './evaluate.ts';
import { affineMap, type InputNames } from './linear-map.ts';
import type { AffineMap } from './model.ts';
import type { CheckContext } from './context.ts';
import { NO_PARAMS, unionParams, type ParamSet } from './dependencies.ts';

/** How many writes the loops around one `write` may unroll into: a block's map is a matrix of at
 * most LIMITS.channels rows, so far more writes than that can only be a mistake. */
export const MAX_UNROLLED_WRITES = 100_000;

/** All `write targets += formula` of a block, summed (in source order) into one map from the
 * block's output to the residual. */
export function writeMap(c: CheckContext, writes: WriteStmt[], inputs: InputNames, span: ComponentAst['span'], block: string): AffineMap | undefined {
  const d = c.channels.length;
  const weight = new Float64Array(d * inputs.size);
  const bias = new Float64Array(d);
  const log = c.ev.log;
  const weightDeps: ParamSet[] = log ? new Array(weight.length).fill(NO_PARAMS) : [];
  const biasDeps: ParamSet[] = log ? new Array(d).fill(NO_PARAMS) : [];
  if (writes.length === 0) {
    c.diags.push(diag('HW020', `this ${block} writes nothing to the residual`, span, { hint: 'add e.g. `write digit += out[0]`' }));
    return undefined;
  }
  let ok = true;
  for (const w of writes) {
    const scopes = loopScopes(c, w, inputs);
    if (!scopes) {
      ok = false;
      continue;
    }
    for (const { scope, at } of scopes) {
      const targets = targetIndices(c, w, scope, at);
      // One wrong index is reported once, not once per value of the loop variable.
      if (!targets) {
        ok = false;
        break;
      }
      const m = c.guard(() => c.markRead(() => affineMap(c.ev, w.value, scope, inputs, 'this write', targets.length)).value);
      if (!m) {
        ok = false;
        break;
      }
      const sign = w.op === '-=' ? -1 : 1;
      const mw = log?.get(m.weight.data);
      const mb = log?.get(m.bias);
      targets.forEach((ch, r) => {
        for (let j = 0; j < inputs.size; j++) weight[ch * inputs.size + j] += sign * m.weight.data[r * inputs.size + j];
        bias[ch] += sign * m.bias[r];
        // Writes to one channel add up: its entries come from what any of them came from.
        if (mw) for (let j = 0; j < inputs.size; j++) weightDeps[ch * inputs.size + j] = unionParams(weightDeps[ch * inputs.size + j], mw[r * inputs.size + j]);
        if (mb) biasDeps[ch] = unionParams(biasDeps[ch], mb[r]);
      });
    }
  }
  if (!ok) return undefined;
  log?.record(weight, weightDeps);
  log?.record(bias, biasDeps);
  return { weight: { rows: d, cols: inputs.size, data: weight }, bias, biasIsZero: bias.every((b) => b === 0), span };
}

/** One scope per combination of the values of the loops around `w` (outer loops vary slowest),
 * with `at` saying which values they are (`k = 2`) for diagnostics; a write in no loop has one,
 * the block's own scope. An inner loop's range may use the outer loops' variables. */
function loopScopes(c: CheckContext, w: WriteStmt, inputs: InputNames): { scope: Scope; at: string }[] | undefined {
  let out: { scope: Scope; at: string }[] = [{ scope: c.scope, at: '' }];
  const blockNames = new Set([...inputs.scalars, ...inputs.vectors.map((v) => v.name)]);
  for (const loop of w.loops) {
    const name = loop.variable.name;
    if (blockNames.has(name)) {
      c.diags.push(diag('HW011', `\`${name}\` is the block's output: the loop variable needs another name`, loop.variable.span, { hint: 'e.g. `for k in 0..3 { … }`' }));
      return undefined;
    }
    const next: { scope: Scope; at: string }[] = [];
    for (const outer of out) {
      const range = c.guard(() => c.markRead(() => [
        c.ev.selectorInteger(loop.from, outer.scope, 'the start of a range'),
        c.ev.selectorInteger(loop.to, outer.scope, 'the end of a range'),
      ]).value);
      if (!range) return undefined;
      const [from, to] = range;
      // Past 2^53, k + 1 === k: a range there would never end.
      const unsafe = [loop.from, loop.to].find((_, i) => !Number.isSafeInteger(range[i]));
      if (unsafe) {
        c.diags.push(diag('HW016', `the range ${from}..${to} runs past the whole numbers a loop can count (±${Number.MAX_SAFE_INTEGER})`, unsafe.span));
        return undefined;
      }
      if (next.length + Math.max(0, to - from + 1) > MAX_UNROLLED_WRITES) {
        c.diags.push(diag('HW016', `these loops unroll into over ${MAX_UNROLLED_WRITES} writes`, loop.span, { hint: `the range ${from}..${to} is the one that runs over` }));
        return undefined;
      }
      for (let k = from; k <= to; k++) {
        const scope = outer.scope.child();
        scope.set(name, k);
        next.push({ scope, at: `${outer.at}${outer.at ? ', ' : ''}${name} = ${k}` });
      }
    }
    out = next;
  }
  return out;
}

/** The residual channels one write adds to, in the order of the formula's outputs; undefined (and
 * a diagnostic) for an unknown channel, an index that is not a whole number or is out of range,
 * or a channel named twice. */
function targetIndices(c: CheckContext, w: WriteStmt, scope: Scope, at: string): number[] | undefined {
  const out: number[] = [];
  const when = at ? ` (at ${at})` : '';
  for (const t of w.targets) {
    if (t.name.name === 'all' && !c.channelGroups.has('all')) {
      out.push(...c.channels.map((_, i) => i));
      continue;
    }
    const g = c.channelGroups.get(t.name.name);
    if (!g) {
      const hint = c.channelGroups.size ? `channels: ${[...c.channelGroups.keys()].join(', ')}, or \`all\`` : undefined;
      c.diags.push(diag('HW010', `unknown channel \`${t.name.name}\``, t.name.span, { hint }));
      return undefined;
    }
    if (t.index === undefined) {
      for (let i = 0; i < g.length; i++) out.push(g.start + i);
      continue;
    }
    const { index: indexExpr, end: endExpr } = t;
    const bounds = c.guard(() => {
      const index = c.ev.selectorInteger(indexExpr, scope, `a channel index${when}`);
      return { index, end: endExpr ? c.ev.selectorInteger(endExpr, scope, `the end of a channel range${when}`) : index + 1 };
    });
    if (!bounds) return undefined;
    const { index, end } = bounds;
    if (index < 0 || end > g.length || index >= end) {
      const which = endExpr !== undefined ? `${index}:${end}` : `${index}`;
      c.diags.push(diag('HW024', `\`${t.name.name}\` has ${g.length} channel${g.length === 1 ? '' : 's'}; ${which} is outside it${when}`, t.span, {
        hint: g.length === 1 ? `the only index is 0` : `indices run from 0 to ${g.length - 1}${endExpr !== undefined ? `; a range i:j needs i < j <= ${g.length}` : ''}`,
      }));
      return undefined;
    }
    for (let i = index; i < end; i++) out.push(g.start + i);
  }
  const seen = new Set<number>();
  for (const i of out) {
    if (seen.has(i)) {
      c.diags.push(diag('HW025', `channel \`${c.channels[i]}\` is written twice in one write${when}`, w.span));
      return undefined;
    }
    seen.add(i);
  }
  return out;
}
