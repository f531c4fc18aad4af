// Screenshots of the inspect panels for docs/inspect.md: builds the pages in this process (the same
// code `handwire inspect` runs), opens them in headless Chromium and saves one PNG per panel under
// docs/img/. Run: npx tsx scripts/inspect-screenshots.ts [NAME.png …] (needs /usr/bin/chromium);
// with names, only those images are written.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { inspectAblation, inspectLoops, inspectModel } from '../src/cli/commands/inspect.ts';
import { compileSource } from '../src/compile.ts';
import { parseAblation } from '../src/inspect/ablate.ts';
import { resolveInspectInput, type InspectInputOptions } from '../src/inspect/input.ts';
import { renderInspection } from '../src/inspect/page.ts';
import { probeGraph } from '../src/inspect/probe.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'docs', 'img');

async function page(file: string, input: InspectInputOptions, compare: InspectInputOptions, ablate: string[]): Promise<string> {
  const { model, ir } = compileSource(readFileSync(join(ROOT, file), 'utf8'), { dtype: 'float64' });
  if (!model || !ir) throw new Error(`${file} does not compile`);
  const [a, b] = [resolveInspectInput(model, input), resolveInspectInput(model, compare)];
  if (!a.ok || !b.ok) throw new Error('bad input');
  const ins = await inspectModel(model, ir, a.input);
  const other = await inspectModel(model, ir, b.input);
  const probed = probeGraph(ir, model);
  const ablations = [];
  for (const spec of ablate) {
    const p = parseAblation(model, probed, spec);
    if (!p.ok) throw new Error(p.message);
    ablations.push(await inspectAblation(model, ir, ins, p.ablation));
  }
  const loops = model.loops?.length ? await inspectLoops(model, ins) : undefined;
  return renderInspection(ins, { compare: other, ablations, loops });
}

const ONLY = process.argv.slice(2);

/** The element, cut to at most `maxHeight` pixels (a long panel's top shows what it is). */
async function shot(p: Page, selector: string, name: string, maxHeight = 900): Promise<void> {
  if (ONLY.length > 0 && !ONLY.includes(name)) return;
  const box = await p.locator(selector).first().boundingBox();
  if (!box) throw new Error(`no ${selector}`);
  await p.screenshot({ path: join(OUT, name), clip: { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, maxHeight) }, fullPage: true });
  console.log(`wrote docs/img/${name}`);
}

mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const tab = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  await tab.setContent(await page('examples/adder/adder-10p-rope19.hw', { a: '9999999999', b: '1' }, { a: '1234', b: '5678' }, ['layer0.0', 'digit']), { waitUntil: 'load' });
  await shot(tab, '#compare', 'inspect-compare.png', 1000);
  await shot(tab, '#ablation figure.ablation', 'inspect-ablation.png');
  await tab.setContent(await page('examples/adder/adder-36p-alibi-2layer.hw', { a: '9999999999', b: '1' }, { a: '1', b: '2' }, []), { waitUntil: 'load' });
  await shot(tab, '#lens', 'inspect-lens.png', 700);
  await tab.setContent(await page('examples/zoo/induction.hw', { tokens: 'BOS,a,b,c,a,b', steps: '2' }, { tokens: 'BOS,b,a,c,b,a', steps: '2' }, ['layer1.0']), { waitUntil: 'load' });
  await shot(tab, '#attention figure.fig', 'inspect-scores.png');
  await shot(tab, '#ablation figure.ablation', 'inspect-ablation-induction.png');
  await tab.setContent(await page('examples/zoo/sort-unique.hw', { tokens: '0,3,1,2', steps: '3' }, { tokens: '0,2,1,3', steps: '3' }, []), { waitUntil: 'load' });
  await shot(tab, '#mlp figure.fig', 'inspect-mlp.png');
  // A looped model: the counter of test/fixtures/counter-loop.hw, its slider moved to iteration 3.
  await tab.setContent(await page('test/fixtures/counter-loop.hw', { tokens: '2,0,5,3', steps: '1' }, { tokens: '1,1', steps: '1' }, []), { waitUntil: 'load' });
  await tab.locator('#loops .loop-slider').first().fill('3');
  await tab.evaluate(() => window.scrollTo(0, 0)); // the clip below is in page coordinates from the top
  await shot(tab, '#loops figure.loop', 'inspect-loop.png');
} finally {
  await browser.close();
}
