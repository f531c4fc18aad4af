// Block settings (`heads 2`, `q = …`, `causal`, `rope(p) = …`) are parsed generically; this module
// checks each against the block's schema: known name, given once, in the right form.
import type { Setting } from '../syntax/ast.ts';
import { diag, didYouMean, type Diagnostic } from '../diagnostics.ts';

/** flag: bare name; value: `name expr`; assign: `name = expr`; function: `name(a, b) = expr`. */
export type SettingForm = 'flag' | 'value' | 'assign' | { params: string[] };

export type Schema = Record<string, { form: SettingForm; help: string }>;

export function collectSettings(settings: Setting[], schema: Schema, block: string, diags: Diagnostic[]): Map<string, Setting> {
  const out = new Map<string, Setting>();
  for (const s of settings) {
    const entry = schema[s.name.name];
    if (!entry) {
      const hint = didYouMean(s.name.name, Object.keys(schema)) ?? `${block} settings are: ${Object.keys(schema).join(', ')}`;
      diags.push(diag('HW019', `unknown ${block} setting \`${s.name.name}\``, s.name.span, { hint }));
      continue;
    }
    if (out.has(s.name.name)) {
      diags.push(diag('HW003', `\`${s.name.name}\` is set twice in this ${block}`, s.span, {
        related: [{ message: 'first set here', span: out.get(s.name.name)!.span }],
      }));
      continue;
    }
    const problem = formProblem(s, entry.form);
    if (problem) {
      diags.push(diag('HW021', `\`${s.name.name}\` ${problem}`, s.span, { hint: entry.help }));
      continue;
    }
    out.set(s.name.name, s);
  }
  return out;
}

function formProblem(s: Setting, form: SettingForm): string | undefined {
  if (form === 'flag') return s.value || s.params ? 'takes no value' : undefined;
  if (form === 'value') {
    if (!s.value) return 'needs a value';
    if (s.assigned) return 'is written without `=`';
    return undefined;
  }
  if (form === 'assign') {
    if (!s.value || !s.assigned) return 'is written as `= formula`';
    if (s.params) return 'takes no parameters';
    return undefined;
  }
  if (!s.value || !s.params) return `is written as \`(${form.params.join(', ')}) = formula\``;
  return undefined;
}
