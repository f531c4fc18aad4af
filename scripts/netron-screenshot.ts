// A screenshot of a compiled model in Netron, for the docs: node names (layer0.attn.scores, …) and
// doc strings with the source line:col show in its properties panel. A docs tool, not a test.
//
//   npx tsx scripts/netron-screenshot.ts NETRON_SOURCE_DIR [MODEL.onnx] [OUT.png] [NODE_NAME]
//
// NETRON_SOURCE_DIR is the `source/` folder of a local Netron checkout (github.com/lutzroeder/netron;
// its index.html is a static web app); nothing of Netron is kept in this repository. Defaults:
// compiled/adder-10p-rope19.onnx, docs/img/netron-10p.png, node layer0.attn.scores. The folder and
// the model are served from 127.0.0.1 by a small static server that answers GET only, inside the
// folder only, stops after 120 s or 5,000 requests whatever happens, and is closed when the shot is
// taken; the page may request nothing but that server (anything else is aborted). Needs
// /usr/bin/chromium.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const [netronArg, modelArg, outArg, nodeArg] = process.argv.slice(2);
if (!netronArg) {
  process.stderr.write('usage: npx tsx scripts/netron-screenshot.ts NETRON_SOURCE_DIR [MODEL.onnx] [OUT.png] [NODE_NAME]\n');
  process.exit(2);
}
const NETRON = resolve(netronArg);
const MODEL = resolve(modelArg ?? join(ROOT, 'compiled/adder-10p-rope19.onnx'));
const OUT = resolve(outArg ?? join(ROOT, 'docs/img/netron-10p.png'));
const NODE = nodeArg ?? 'layer0.attn.scores';
if (!existsSync(join(NETRON, 'index.html'))) {
  process.stderr.write(`${NETRON} has no index.html: give Netron's source/ folder\n`);
  process.exit(2);
}

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.png': 'image/png', '.ico': 'image/x-icon', '.svg': 'image/svg+xml',
};
const MODEL_PATH = `/model/${encodeURIComponent(basename(MODEL))}`;

function serve(): Promise<Server> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    if (requests > 5000) server.close();
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = path === MODEL_PATH ? MODEL : resolve(NETRON, `.${path}`);
    const inside = file === MODEL || file.startsWith(NETRON + sep);
    if (req.method !== 'GET' || !inside || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  setTimeout(() => server.close(), 120_000).unref();
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

const server = await serve();
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
try {
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  // Netron asks once for consent to its telemetry; the cookie answers that the dialog was seen.
  await context.addCookies([{ name: 'consent', value: String(Date.now()), url: origin }]);
  const page = await context.newPage();
  const blocked: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`)) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  await page.goto(`${origin}/index.html?url=${encodeURIComponent(origin + MODEL_PATH)}`);
  const node = page.locator(`[id="node-name-${NODE}"]`);
  await node.waitFor({ timeout: 60_000 });
  // Show the node names on the graph itself (Netron's View > Show Names), then wait for the redraw.
  await page.keyboard.press('Control+U');
  await page.locator('#canvas text', { hasText: NODE }).first().waitFor({ timeout: 20_000 });
  await node.scrollIntoViewIfNeeded();
  await node.locator('.node-item').first().click();
  await page.locator('#sidebar-content').getByText(NODE).first().waitFor({ timeout: 10_000 });
  await page.waitForTimeout(500); // the sidebar slides in
  await page.screenshot({ path: OUT });
  process.stdout.write(`wrote ${OUT}${blocked.length ? ` (blocked ${blocked.length} requests off the local server: ${[...new Set(blocked.map((u) => new URL(u).host))].join(', ')})` : ''}\n`);
} finally {
  await browser.close();
  server.close();
}
