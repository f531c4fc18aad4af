// Reading a decision off bounded logits. Greedy decoding takes the first maximal logit, so token t
// is certainly chosen when ℓ_t − ℓ_d > 0 for every other d. The difference is bounded as one affine
// form (the logits of a sequence share their symbols), which keeps the large common part of the
// logits (~1e5 in some designs) from swamping a gap of a few hundredths.
import type { AffineTensor } from '../domains/affine-tensor.ts';
import { down, up } from '../domains/interval.ts';
import type { FloatModel } from '../ops/float-model.ts';

/** Bounds on ℓ_t − ℓ_d for the logit elements et, ed of one tensor. */
export function differenceBounds(x: AffineTensor, et: number, ed: number): { lo: number; hi: number } {
  const ct = x.center[et]!;
  const cd = x.center[ed]!;
  if (!Number.isFinite(ct) || !Number.isFinite(cd)) {
    // Only exactly infinite logits are infinite centres (a head bias of −∞ ruling a token out):
    // a finite logit against one of those is decided; anything else is not.
    const v = ct - cd;
    return Number.isNaN(v) ? { lo: -Infinity, hi: Infinity } : { lo: v, hi: v };
  }
  const k = x.k;
  let rad = x.err[et]! + x.err[ed]!;
  if (x.row[et] === x.row[ed]) {
    for (let s = 0; s < k; s++) rad += Math.abs(x.coef[et * k + s]! - x.coef[ed * k + s]!);
  } else {
    rad += x.symbolic(et) + x.symbolic(ed);
  }
  rad = up(rad * (1 + (k + 4) * 2 ** -52));
  return { lo: down(down(ct - cd) - rad), hi: up(up(ct - cd) + rad) };
}

/**
 * The spacing of a grid that both computed logits et and ed lie on, or 0 if none is known. A float
 * of magnitude ≥ 2^a is a multiple of its ULP, 2u·2^a or a larger power of two; so when both
 * logits are bounded away from 0 by at least 2^a (a normal number), their computed difference is a
 * multiple of g = 2u·2^a.
 */
export function logitGrid(x: AffineTensor, et: number, ed: number, model: FloatModel): number {
  const away = (e: number) => {
    const lo = x.lo(e);
    const hi = x.hi(e);
    return lo > 0 ? lo : hi < 0 ? -hi : 0;
  };
  // Nudged down so that the float64 bound's own rounding cannot lift it past a power of two.
  const m = Math.min(away(et), away(ed)) * (1 - 2 ** -50);
  if (!(m >= model.eta) || !Number.isFinite(m)) return 0;
  let p = 2 ** Math.floor(Math.log2(m));
  if (p > m) p /= 2;
  else if (p * 2 <= m) p *= 2;
  return 2 * model.u * p;
}

export interface Decision {
  /** Lower bound on min over d ≠ t of (ℓ_t − ℓ_d); 0 where t can at worst tie with a later token. */
  margin: number;
  /** t is certainly chosen: ℓ_t > ℓ_d for every d < t and ℓ_t ≥ ℓ_d for every d > t. */
  chosen: boolean;
  /** A token certainly preferred to t (upper bound of ℓ_t − ℓ_d below 0), if any. */
  beaten?: number;
}

/**
 * The decision for sequence `b` of a [batch, 1, vocab] logits tensor, expected token t. Greedy
 * decoding takes the first maximal logit (runtime/greedy.ts, `greedyPick`), so t beats a later
 * token d on a tie. With the rounding model given, a difference whose lower bound lies in
 * (−g, 0] for the logits' grid g (`logitGrid`) is a multiple of g above −g, so it is ≥ 0: enough
 * against a later token, and counted as margin 0.
 */
export function decide(logits: AffineTensor, b: number, t: number, model?: FloatModel): Decision {
  const vocab = logits.shape[logits.shape.length - 1]!;
  const base = b * vocab;
  let margin = Infinity;
  let chosen = true;
  let beaten: number | undefined;
  for (let d = 0; d < vocab; d++) {
    if (d === t) continue;
    const { lo, hi } = differenceBounds(logits, base + t, base + d);
    let m = lo;
    if (!(lo > 0)) {
      const g = d > t && model ? logitGrid(logits, base + t, base + d, model) : 0;
      if (g > 0 && lo > -g) m = 0;
      else chosen = false;
    }
    if (m < margin) margin = m;
    if (hi < 0 && beaten === undefined) beaten = d;
  }
  return { margin, chosen, beaten };
}
