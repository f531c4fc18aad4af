// Python source text for values: identifiers made from IR names, exact float literals, nested
// list literals for tensors, and string literals. Everything here is a pure string function, so the
// numpy export is reproducible byte for byte.

/** Python's keywords and soft keywords, plus builtins a generated name must never shadow. */
const RESERVED: ReadonlySet<string> = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue',
  'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in',
  'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with',
  'yield', 'match', 'case', 'type', '_',
  'abs', 'all', 'any', 'bool', 'dict', 'float', 'input', 'int', 'len', 'list', 'max', 'min', 'object',
  'pow', 'print', 'range', 'round', 'set', 'str', 'sum', 'tuple', 'zip',
]);

/**
 * Hands out Python identifiers for IR names: `layer0.attn.q_proj` → `layer0_attn_q_proj`. Names
 * that would collide (after the punctuation is replaced), start with a digit or are reserved get a
 * suffix or prefix; the same IR name always maps to the same identifier.
 */
export class IdentifierTable {
  private readonly byIrName = new Map<string, string>();
  private readonly taken = new Set<string>(RESERVED);

  /** Identifiers the generated module defines itself (helpers, module constants). */
  reserve(...names: string[]): void {
    for (const n of names) this.taken.add(n);
  }

  get(irName: string): string {
    const known = this.byIrName.get(irName);
    if (known !== undefined) return known;
    let base = irName.replace(/[^A-Za-z0-9_]/g, '_');
    if (base === '' || /^[0-9]/.test(base)) base = `v_${base}`;
    let id = base;
    for (let i = 2; this.taken.has(id); i++) id = `${base}_${i}`;
    this.taken.add(id);
    this.byIrName.set(irName, id);
    return id;
  }
}

/**
 * A float64 as a Python expression that evaluates to exactly the same double. JavaScript's
 * `String(number)` is the shortest decimal that round-trips, and Python's float parser rounds
 * correctly, so the value survives; the special values need numpy's names, and −0 its sign.
 */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'np.nan';
  if (v === Infinity) return 'np.inf';
  if (v === -Infinity) return '-np.inf';
  if (Object.is(v, -0)) return '-0.0';
  const s = String(v);
  // A bare integer would be a Python int (arbitrary precision); keep every entry a float literal.
  return /^-?\d+$/.test(s) ? `${s}.0` : s;
}

export function pyInt(v: bigint | number): string {
  return String(v);
}

/** A str literal. JSON string syntax is a subset of Python's (JSON.stringify never writes `\/`). */
export function pyString(s: string): string {
  return JSON.stringify(s);
}

export const LINE_WIDTH = 100;

/**
 * Row-major `values` of the given shape as a nested list literal, one innermost row per line
 * (wrapped at about 100 characters), indented by `indent` spaces.
 */
export function nestedList(values: readonly string[], shape: readonly number[], indent: number): string {
  if (shape.length === 0) return values[0]!;
  const pad = ' '.repeat(indent);
  const walk = (offset: number, axis: number, depth: number): string => {
    const size = shape[axis]!;
    const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    if (axis === shape.length - 1) return wrapRow(values.slice(offset, offset + size), pad + ' '.repeat(depth + 1));
    const inner = Array.from({ length: size }, (_, i) => walk(offset + i * stride, axis + 1, depth + 1));
    const sep = `,\n${pad}${' '.repeat(depth + 1)}`;
    return `[${inner.join(sep)}]`;
  };
  return walk(0, 0, 0);
}

/** `[a, b, c]`, continued on further lines under the first entry when it gets too wide. */
function wrapRow(entries: readonly string[], continuation: string): string {
  const lines: string[] = [];
  let line = '';
  for (const e of entries) {
    const piece = line === '' ? e : `, ${e}`;
    if (line !== '' && continuation.length + line.length + piece.length > LINE_WIDTH) {
      lines.push(line + ',');
      line = e;
    } else {
      line += piece;
    }
  }
  lines.push(line);
  return `[${lines.join(`\n${continuation}`)}]`;
}

/** A `# ...` comment block, each line wrapped at about 100 characters on word boundaries. */
export function comment(text: string, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line !== '' && pad.length + 2 + line.length + 1 + word.length > LINE_WIDTH) {
        out.push(`${pad}# ${line}`);
        line = word;
      } else {
        line = line === '' ? word : `${line} ${word}`;
      }
    }
    out.push(line === '' ? `${pad}#` : `${pad}# ${line}`);
  }
  return out;
}
