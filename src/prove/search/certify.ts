// Reading a decision off bounded logits. Greedy decoding takes the first maximal logit, so token t
// is certainly chosen when ℓ_t − ℓ_d > 0 for every other d. The difference is bounded as one affine
// form (the logits of a sequence share their symbols), which keeps the large common part of the
// logits (~1e5 in some designs) from swamping a gap of a few hundredths.
import type { AffineTensor } from '../domains/affine-tensor.ts';
import { down, up } from '../domains/interval.ts';

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

export interface Decision {
  /** Lower bound on min over d ≠ t of (ℓ_t − ℓ_d): positive means t is certainly chosen. */
  margin: number;
  /** A token certainly preferred to t (upper bound of ℓ_t − ℓ_d below 0), if any. */
  beaten?: number;
}

/** The decision for sequence `b` of a [batch, 1, vocab] logits tensor, expected token t. */
export function decide(logits: AffineTensor, b: number, t: number): Decision {
  const vocab = logits.shape[logits.shape.length - 1]!;
  const base = b * vocab;
  let margin = Infinity;
  let beaten: number | undefined;
  for (let d = 0; d < vocab; d++) {
    if (d === t) continue;
    const { lo, hi } = differenceBounds(logits, base + t, base + d);
    if (lo < margin) margin = lo;
    if (hi < 0 && beaten === undefined) beaten = d;
  }
  return { margin, beaten };
}
