// Softmax and the attention mix (softmax weights @ values), bounded together.
//
// Softmax: the weight of entry i is smallest when its own score is at its low end and every other
// score at its high end, so each weight is bounded from the score intervals directly:
//     w_i ≥ 1 / (1 + Σ_{j≠i} exp(hi_j − lo_i)),   w_i ≤ 1 / (1 + Σ_{j≠i} exp(lo_j − hi_i)).
// This avoids the dependency problem of evaluating exp / Σ exp as separate intervals.
//
// Mix: the exact weights also sum to 1, so Σ_j w_j·v_j is bounded by a small linear program over
// {lo ≤ w ≤ hi, Σ w = 1} (fill the lower bounds, then give the remaining mass to the largest values
// first), and the runtime's deviation from the exact softmax is added on top.
import { AffineTensor, ProofLimit, attachErrors, emptyTensor, type SoftmaxInfo } from '../domains/affine-tensor.ts';
import type { OpContext } from './affine-ops.ts';
import { matmulLayout } from './affine-linear.ts';
import { accumulationError, softmaxArithmeticError, softmaxExponentError } from './float-model.ts';
import { down, up } from '../domains/interval.ts';

const U64 = 2 ** -52;

function sumUp(x: number, n: number): number {
  return x * (1 + (n + 4) * U64) + 1e-300;
}

function sumDown(x: number, n: number): number {
  return Math.max(0, x * (1 - (n + 4) * U64));
}

/** Softmax over the last axis. Exactly −∞ scores (masked keys) get weight 0. */
export function softmaxLastAxis(x: AffineTensor, ctx: OpContext): AffineTensor {
  const n = x.shape[x.shape.length - 1]!;
  const groups = x.size / n;
  const out = emptyTensor(x.shape, new Int32Array(0), Int32Array.from(x.row));
  const realLo = new Float64Array(x.size);
  const realHi = new Float64Array(x.size);
  const relErr = new Float64Array(x.size);
  const model = ctx.model;
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  const live = new Uint8Array(n);
  const prefix = new Float64Array(n + 1);
  const suffix = new Float64Array(n + 1);
  const eUp = new Float64Array(n);
  const gDown = new Float64Array(n);
  for (let g = 0; g < groups; g++) {
    const base = g * n;
    let count = 0;
    for (let j = 0; j < n; j++) {
      const e = base + j;
      if (x.isInfinite(e)) {
        if (x.center[e]! > 0) throw new ProofLimit('softmax of +∞');
        live[j] = 0;
        continue;
      }
      live[j] = 1;
      count++;
      lo[j] = x.lo(e);
      hi[j] = x.hi(e);
      if (!Number.isFinite(lo[j]!) || !Number.isFinite(hi[j]!)) throw new ProofLimit('softmax of an unbounded score');
    }
    if (count === 0) throw new ProofLimit('softmax of a fully masked row (NaN in the runtime)');
    let maxHi = -Infinity;
    for (let j = 0; j < n; j++) if (live[j]) maxHi = Math.max(maxHi, hi[j]!);
    // With E_j = exp(hi_j − maxHi) and G_j = exp(lo_j − maxHi) (each rounded the safe way):
    //   w_i ≥ G_i / (G_i + Σ_{j≠i} E_j),   w_i ≤ E_i / (E_i + Σ_{j≠i} G_j).
    // Shifting by maxHi keeps every exponent ≤ 0 (no overflow); an underflowed G only loosens.
    for (let j = 0; j < n; j++) {
      if (!live[j]) {
        eUp[j] = 0;
        gDown[j] = 0;
        continue;
      }
      const e = Math.exp(Math.min(0, hi[j]! - maxHi));
      const g = Math.exp(Math.min(0, lo[j]! - maxHi));
      // exp's own error and the rounding of the exponent (relative |x|·2^-52).
      const de = (Math.abs(hi[j]!) + Math.abs(maxHi)) * 2 ** -51;
      const dg = (Math.abs(lo[j]!) + Math.abs(maxHi)) * 2 ** -51;
      eUp[j] = up(e * (1 + 2 * de));
      gDown[j] = Math.max(0, down(g * (1 - 2 * dg)));
    }
    fillSums(prefix, suffix, n, eUp);
    for (let i = 0; i < n; i++) {
      if (!live[i]) continue;
      const rest = sumUp(prefix[i]! + suffix[i + 1]!, n);
      const own = gDown[i]!;
      realLo[base + i] = own === 0 ? 0 : Math.max(0, down(own / up(own + rest)));
    }
    fillSums(prefix, suffix, n, gDown);
    for (let i = 0; i < n; i++) {
      if (!live[i]) continue;
      const rest = sumDown(prefix[i]! + suffix[i + 1]!, n);
      const own = eUp[i]!;
      realHi[base + i] = Math.min(1, up(own / Math.max(down(own + rest), Number.MIN_VALUE)));
    }
    // The runtime's deviation from the exact softmax: each weight's exponent error, the row sum's
    // error (a weighted average of the terms' errors, weights ≤ realHi) and the arithmetic.
    const arith = softmaxArithmeticError(model, n);
    let sumErr = arith;
    for (let j = 0; j < n; j++) if (live[j]) sumErr += realHi[base + j]! * softmaxExponentError(model, n, maxHi - lo[j]!);

    if (!(sumErr < 0.5)) throw new ProofLimit('softmax rounding error bound too large');
    for (let i = 0; i < n; i++) {
      const e = base + i;
      if (!live[i]) {
        relErr[e] = 0;
        out.center[e] = model.eta / 2;
        out.err[e] = model.eta / 2;
        continue;
      }
      const own = softmaxExponentError(model, n, maxHi - lo[i]!);
      const rel = up(((1 + own) * (1 + arith)) / (1 - sumErr) - 1);
      relErr[e] = rel;
      const fl = Math.max(0, down(realLo[e]! * (1 - rel)) - model.eta);
      const fh = up(realHi[e]! * (1 + rel)) + model.eta;
      out.center[e] = (fl + fh) / 2;
      out.err[e] = up((fh - fl) / 2) + out.center[e]! * U64;
    }
  }
  out.softmax = { realLo, realHi, relErr, absErr: model.eta, axisLength: n } satisfies SoftmaxInfo;
  return out;
}

function fillSums(prefix: Float64Array, suffix: Float64Array, n: number, term: Float64Array): void {
  prefix[0] = 0;
  for (let j = 0; j < n; j++) prefix[j + 1] = prefix[j]! + term[j]!;
  suffix[n] = 0;
  for (let j = n - 1; j >= 0; j--) suffix[j] = suffix[j + 1]! + term[j]!;
}

/**
 * weights @ values where `weights` came from softmaxLastAxis. Each output element is bounded as an
 * interval (linear program over the weight simplex, plus the runtime's softmax deviation and the
 * MatMul accumulation error) and given fresh symbols at the weights' row.
 */
export function attentionMix(w: AffineTensor, v: AffineTensor, ctx: OpContext): AffineTensor {
  const info = w.softmax;
  if (!info) throw new Error('attentionMix needs softmax weights');
  const L = matmulLayout(w.shape, v.shape);
  const { m, kk, n } = L;
  const total = L.shape.reduce((a, b) => a * b, 1);
  const out = emptyTensor(L.shape, new Int32Array(0), new Int32Array(total));
  const radius = new Float64Array(total);
  const vlo = new Float64Array(kk);
  const vhi = new Float64Array(kk);
  const used = new Uint8Array(kk);
  let o = 0;
  for (let bt = 0; bt < L.aOff.length; bt++) {
    const ao = L.aOff[bt]!;
    const bo = L.bOff[bt]!;
    for (let i = 0; i < m; i++) {
      const wRow = ao + i * kk;
      let loSum = 0;
      let hiSum = 0;
      for (let q = 0; q < kk; q++) {
        loSum += info.realLo[wRow + q]!;
        hiSum += info.realHi[wRow + q]!;
      }
      // The exact weights sum to 1, so the bounds must admit it (they do, up to their rounding).
      const slack = (kk + 4) * U64;
      if (loSum > 1 + slack || hiSum < 1 - slack) throw new ProofLimit('softmax bounds exclude the simplex');
      for (let j = 0; j < n; j++, o++) {
        let deviation = 0;
        let absSum = 0;
        for (let q = 0; q < kk; q++) {
          const ve = bo + q * n + j;
          if (v.isInfinite(ve)) throw new ProofLimit('attention over an infinite value');
          vlo[q] = v.lo(ve);
          vhi[q] = v.hi(ve);
          const vmag = Math.max(Math.abs(vlo[q]!), Math.abs(vhi[q]!));
          const wHi = info.realHi[wRow + q]!;
          deviation += (wHi * info.relErr[wRow + q]! + info.absErr) * vmag;
          absSum += (wHi * (1 + info.relErr[wRow + q]!) + info.absErr) * vmag;
        }
        // Two bounds on the exact Σ w_q·v_q, both valid; the tighter of each is taken. The
        // simplex bound uses Σ w = 1 but charges the rounding of 1 − Σ lo at the largest values
        // (about n·2^-52·max|v|); the box bound ignores Σ w = 1 but its error is relative to the
        // weighted terms, which is what keeps a row with tiny weights next to a weight-1 anchor
        // (the 33p's e^−80 gather) exact enough to be scaled back up by e^80.
        const box = boxBound(info.realLo, info.realHi, wRow, vlo, vhi);
        const top = Math.min(simplexBound(info.realLo, info.realHi, wRow, vhi, used, 'max'), box.hi);
        const bottom = Math.max(simplexBound(info.realLo, info.realHi, wRow, vlo, used, 'min'), box.lo);
        const extra = sumUp(deviation, kk) + accumulationError(ctx.model, kk, absSum) + absSum * (kk + 8) * U64;
        const hiB = up(top) + extra;
        const loB = down(bottom) - extra;
        out.center[o] = (loB + hiB) / 2;
        radius[o] = up((hiB - loB) / 2) + Math.abs(out.center[o]!) * U64;
        out.row[o] = w.row[wRow]!;
      }
    }
  }
  return attachErrors(out, radius, new Float64Array(total), ctx.alloc);
}

/** Bounds of Σ_q w_q·v_q over 0 ≤ lo_q ≤ w_q ≤ hi_q and vlo_q ≤ v_q ≤ vhi_q (no Σ w = 1): each
 * term at its own extremes, the float sums widened by their rounding error relative to the terms. */
export function boxBound(lo: Float64Array, hi: Float64Array, base: number, vlo: Float64Array, vhi: Float64Array): { lo: number; hi: number } {
  const n = vlo.length;
  let sLo = 0;
  let sHi = 0;
  let mag = 0;
  for (let q = 0; q < n; q++) {
    const wl = lo[base + q]!;
    const wh = hi[base + q]!;
    if (wh === 0) continue;
    const a = vlo[q]!;
    const b = vhi[q]!;
    const tLo = a >= 0 ? wl * a : wh * a;
    const tHi = b >= 0 ? wh * b : wl * b;
    sLo += tLo;
    sHi += tHi;
    mag += Math.max(Math.abs(tLo), Math.abs(tHi));
  }
  // n products and n additions, each rounded: within (2n + 4)·2^-52 of the terms' magnitudes,
  // plus an absolute allowance for products that underflowed.
  const r = (2 * n + 4) * U64 * mag + n * 2 ** -1070;
  return { lo: sLo - r, hi: sHi + r };
}

/** max (or min) of Σ_q w_q·val_q over lo ≤ w ≤ hi, Σ w = 1: start from the lower bounds and give
 * the remaining mass to the best values first (exact for this linear program). The remaining mass
 * is usually tiny, so the best values are picked one by one rather than sorting. */
function simplexBound(lo: Float64Array, hi: Float64Array, base: number, val: Float64Array, used: Uint8Array, which: 'max' | 'min'): number {
  const n = val.length;
  const sign = which === 'max' ? 1 : -1;
  let mass = 1;
  let total = 0;
  let mag = 0;
  let worst = 0;
  for (let q = 0; q < n; q++) {
    const l = lo[base + q]!;
    const v = val[q]!;
    mass -= l;
    total += l * v;
    const a = Math.abs(v);
    mag += a;
    if (a > worst) worst = a;
    used[q] = 0;
  }
  const roundoff = (2 * n + 4) * U64 * mag;
  // Bounds are rounded outward, so Σlo may exceed 1 by a few ULPs: charge that at the worst value.
  if (mass < 0) return total + sign * (-mass * worst + roundoff);
  while (mass > 0) {
    let best = -1;
    let bestV = -Infinity;
    for (let q = 0; q < n; q++) {
      if (used[q]) continue;
      const v = sign * val[q]!;
      if (v > bestV) {
        bestV = v;
        best = q;
      }
    }
    if (best < 0) {
      // Σhi < 1 by rounding: charge the rest at the worst value.
      total += sign * mass * worst;
      break;
    }
    used[best] = 1;
    const give = Math.min(hi[base + best]! - lo[base + best]!, mass);
    total += give * val[best]!;
    mass -= give;
  }
  return total + sign * roundoff;
}
