// Dataset files: one case a line, `input -> output` (or `→`), or `IN: input OUT: output` as SCAN
// writes it; tokens by name, separated by spaces; blank lines and `#` comments skipped. A line that
// is not a case of the task is a HW027 diagnostic at its file:line:col, and no case is returned, so
// a run never starts on a half-read file.
import { diag, type Diagnostic, type Span } from '../diagnostics.ts';
import type { CheckedModel } from '../check/model.ts';
import type { DatasetCase } from '../runtime/tasks/dataset.ts';

/** More lines than this are refused (the whole file is held in memory as cases). */
export const MAX_DATASET_LINES = 5_000_000;
/** Diagnostics listed before the rest are only counted. */
const MAX_LISTED = 20;

export interface ParsedDataset {
  cases: DatasetCase[];
  diagnostics: Diagnostic[];
  /** Malformed lines beyond those listed. */
  unlisted: number;
}

export function parseDataset(text: string, model: CheckedModel): ParsedDataset {
  const task = model.stringTask;
  const names = model.tokenNames ?? [];
  const cases: DatasetCase[] = [];
  const diagnostics: Diagnostic[] = [];
  let unlisted = 0;
  const fail = (d: Diagnostic) => (diagnostics.length < MAX_LISTED ? diagnostics.push(d) : unlisted++);
  if (!task || task.inputs.length !== 1) {
    fail(diag('HW027', 'a dataset gives the answers of a task with one token-string input; this model has none', at(1, 1, 1, 0)));
    return { cases: [], diagnostics, unlisted };
  }
  const input = task.inputs[0]!;
  const lines = text.split('\n');
  if (lines.length > MAX_DATASET_LINES) {
    fail(diag('HW027', `the dataset has ${lines.length.toLocaleString('en-US')} lines (limit ${MAX_DATASET_LINES.toLocaleString('en-US')})`, at(1, 1, 1, 0)));
    return { cases: [], diagnostics, unlisted };
  }
  let offset = 0;
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const lineStart = offset;
    offset += raw.length + 1;
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const whole = at(lineNo, 1, line.length + 1, lineStart);
    const split = splitLine(line);
    if (!split) {
      fail(diag('HW027', 'a dataset line is `input -> output` or `IN: input OUT: output`', whole, { hint: 'tokens by name, separated by spaces' }));
      return;
    }
    const read = (part: { text: string; col: number }, what: string, allowed?: number[]): number[] | undefined => {
      const ids: number[] = [];
      const re = /\S+/g;
      for (let m = re.exec(part.text); m; m = re.exec(part.text)) {
        const id = names.indexOf(m[0]);
        if (id < 0 || (allowed && !allowed.includes(id))) {
          const col = part.col + m.index;
          const where = allowed ? `the alphabet of \`${input.name}\` (${allowed.map((t) => names[t]).join(' ')})` : 'the vocabulary';
          fail(diag('HW027', `unknown ${what} token '${m[0]}': not in ${where}`, at(lineNo, col, col + m[0].length, lineStart + col - 1)));
          return undefined;
        }
        ids.push(id);
      }
      return ids;
    };
    const inp = read(split.input, 'input', input.alphabet);
    if (!inp) return;
    const out = read(split.output, 'output');
    if (!out) return;
    if (inp.length < input.minLength || inp.length > input.maxLength) {
      fail(diag('HW027', `the input has ${inp.length} tokens; the task takes ${input.minLength}..${input.maxLength}`, whole));
      return;
    }
    const shape =
      task.readout === 'class' && out.length !== 1 ? `\`answer class\` reads one token, this output has ${out.length}` :
      task.readout === 'each' && out.length !== inp.length ? `\`answer each\` reads one label per input token (${inp.length}), this output has ${out.length}` :
      task.readout === 'tokens' && out.length > task.decode ? `the output has ${out.length} tokens but the task generates at most ${task.decode}` :
      undefined;
    if (shape) {
      fail(diag('HW027', shape, whole));
      return;
    }
    cases.push({ input: inp, output: out, line: lineNo });
  });
  if (cases.length === 0 && diagnostics.length === 0) fail(diag('HW027', 'the dataset has no cases', at(1, 1, 1, 0)));
  return diagnostics.length > 0 ? { cases: [], diagnostics, unlisted } : { cases, diagnostics, unlisted };
}

function at(line: number, col: number, endCol: number, offset: number): Span {
  return { line, col, endLine: line, endCol, offset, endOffset: offset + Math.max(0, endCol - col) };
}

/** The input and output parts of a line with the column each starts at (1-based). */
function splitLine(line: string): { input: { text: string; col: number }; output: { text: string; col: number } } | undefined {
  const scan = /^(\s*IN:\s*)(.*?)(\s+OUT:)(.*)$/.exec(line);
  if (scan) return { input: { text: scan[2]!, col: scan[1]!.length + 1 }, output: { text: scan[4]!, col: scan[1]!.length + scan[2]!.length + scan[3]!.length + 1 } };
  const arrow = /->|→/.exec(line);
  if (!arrow || /->|→/.test(line.slice(arrow.index + arrow[0].length))) return undefined;
  return { input: { text: line.slice(0, arrow.index), col: 1 }, output: { text: line.slice(arrow.index + arrow[0].length), col: arrow.index + arrow[0].length + 1 } };
}
