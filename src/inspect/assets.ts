// The page's inline style sheet and script. Everything is inline so the page opens offline, from a
// file, with no request leaving it.

export const PAGE_CSS = `
:root { --ink:#1d1f24; --muted:#6b6f7a; --rule:#e4e4e8; --paper:#fcfcfd; --card:#fff; --accent:#d9480f; --accent-soft:#fff0e6; --prompt:#eef1f8; --gen:#fff0e6; }
* { box-sizing: border-box; }
html { background: var(--paper); }
body { margin: 0 auto; max-width: 1280px; padding: 28px 36px 60px; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans", "DejaVu Sans", Arial, sans-serif; }
h1 { font-size: 28px; margin: 0 0 2px; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 44px 0 4px; padding-top: 10px; border-top: 1px solid var(--rule); }
h3 { font-size: 14px; margin: 20px 0 6px; color: var(--muted); font-weight: 600; }
p.lede { margin: 0 0 14px; color: var(--muted); max-width: 80ch; }
code, .mono, td.num, .values { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12px; }
a { color: #2b5fb4; text-decoration: none; } a:hover { text-decoration: underline; }
nav.toc { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 14px 0 0; font-size: 13px; }
.byline { color: var(--muted); margin: 0 0 10px; }
.arch { margin: 0 0 10px; max-width: 90ch; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; padding: 0; margin: 8px 0; }
.chips li { background: #f0f1f4; border-radius: 11px; padding: 1px 10px; font-size: 12.5px; }
.chips.channels li { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; background: #e9eefb; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0; }
.card { flex: 1 1 130px; background: var(--card); border: 1px solid var(--rule); border-radius: 8px; padding: 9px 12px; }
.card .k { font-size: 11.5px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
.card .v { font-size: 20px; font-weight: 600; }
.card .s { font-size: 12px; color: var(--muted); }
.card.wide { flex: 3 1 320px; }
.grid.weights figcaption { max-width: 330px; }
.layers { margin: 4px 0 0; padding-left: 18px; }
.run { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 28px; margin: 10px 0; font-size: 15px; }
.run .ok { color: #2f8a3c; font-weight: 600; } .run .bad { color: #c92a2a; font-weight: 600; }
.seq { display: flex; flex-wrap: wrap; gap: 2px; margin: 8px 0 4px; }
.seq .tok { display: flex; flex-direction: column; align-items: center; min-width: 22px; border-radius: 4px; padding: 2px 3px 1px;
  background: var(--prompt); font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 13px; }
.seq .tok i { font-style: normal; font-size: 8.5px; color: var(--muted); }
.seq .tok.gen { background: var(--gen); color: var(--accent); font-weight: 600; }
.seq .tok.unfed { background: none; border: 1px dashed var(--accent); }
table.params { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
table.params th { text-align: left; font-weight: 600; color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: .04em; padding: 4px 12px 4px 0; border-bottom: 1px solid var(--rule); }
table.params td { padding: 5px 12px 5px 0; border-bottom: 1px solid #f0f0f3; vertical-align: middle; }
table.params td.values { max-width: 520px; color: #444; }
table.params tfoot td { font-weight: 600; border-bottom: none; }
.strip { vertical-align: middle; margin-right: 8px; }
.grid { display: flex; flex-wrap: wrap; gap: 18px 26px; align-items: flex-start; }
figure.fig { margin: 0; background: var(--card); border: 1px solid var(--rule); border-radius: 8px; padding: 10px 12px 10px; }
figure.fig figcaption { font-size: 12.5px; margin-bottom: 6px; max-width: 560px; }
figure.fig figcaption b { font-weight: 600; }
figure.fig figcaption .sub { color: var(--muted); display: block; font-size: 11.5px; }
.legend { display: flex; align-items: center; gap: 6px; font-size: 11px; color: var(--muted); margin: 6px 0 0; }
.legend .ramp { width: 120px; height: 9px; border-radius: 2px; border: 1px solid #ddd; }
.legend .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; vertical-align: -1px; }
.legend-row { display: flex; flex-wrap: wrap; gap: 6px 22px; margin: 4px 0 12px; }
svg { display: block; overflow: visible; }
svg text { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace; fill: #444; }
svg .cell-values text { fill: #222; } svg .cell-values text.on-dark { fill: #fff; }
svg .axis-labels text.em { fill: var(--accent); font-weight: 700; }
svg line.break { stroke: var(--accent); stroke-width: 1.2; stroke-dasharray: 3 2; }
svg .bar { fill: #b7bcc8; } svg .bar.chosen { fill: var(--accent); }
svg .baseline { stroke: #999; stroke-width: 1; }
svg text.tick { font-size: 10px; } svg text.tick.chosen { fill: var(--accent); font-weight: 700; }
svg text.note { font-size: 10px; fill: var(--muted); }
.heads { display: flex; flex-wrap: wrap; gap: 16px 22px; }
.heads figure { margin: 0; }
.heads figcaption { font-size: 12px; color: var(--muted); margin-bottom: 3px; }
.steps { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; }
.steps figure.fig { padding: 8px 10px 6px; }
.steps figcaption .tokbig { color: var(--accent); font-weight: 700; font-size: 15px; }
#tip { position: fixed; pointer-events: none; z-index: 10; background: #222; color: #fff; font: 12px/1.3 ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace;
  padding: 4px 7px; border-radius: 4px; white-space: nowrap; display: none; }
.loop-controls { display: flex; align-items: center; gap: 14px; margin: 4px 0 6px; }
.loop-slider { width: 340px; accent-color: var(--accent); }
.loop-caption { font-size: 13px; font-weight: 600; }
svg.loop-halting { margin: 0 0 8px; } svg .loop-bar { fill: #b7bcc8; } svg .loop-bar.current { fill: var(--accent); }
footer { margin-top: 48px; color: var(--muted); font-size: 12px; }
`;

/**
 * Paints canvas heatmaps (palette-indexed cells, see heatmap.ts) and shows one fast tooltip for
 * every cell and bar. SVG cells carry <title> so the page reads without script; with script the
 * titles move to data-tip, so the browser's slow native tooltip does not show on top of this one.
 */
export const PAGE_SCRIPT = `
(function () {
  var tip = document.getElementById('tip');
  function show(text, e) { tip.textContent = text; tip.style.display = 'block';
    var x = e.clientX + 14, y = e.clientY + 12, r = tip.getBoundingClientRect();
    if (x + r.width > innerWidth - 4) x = e.clientX - r.width - 10;
    if (y + r.height > innerHeight - 4) y = e.clientY - r.height - 10;
    tip.style.left = x + 'px'; tip.style.top = y + 'px'; }
  function hide() { tip.style.display = 'none'; }
  document.querySelectorAll('svg title').forEach(function (t) {
    var p = t.parentNode; p.setAttribute('data-tip', t.textContent); p.removeChild(t);
  });
  document.addEventListener('mousemove', function (e) {
    var el = e.target.closest ? e.target.closest('[data-tip]') : null;
    if (el) show(el.getAttribute('data-tip'), e); else if (!(e.target.dataset && e.target.dataset.heatmap)) hide();
  });
  var CH = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  document.querySelectorAll('canvas[data-heatmap]').forEach(function (cv) {
    var m = JSON.parse(cv.dataset.heatmap), ctx = cv.getContext('2d');
    for (var r = 0; r < m.rows; r++) for (var c = 0; c < m.cols; c++) {
      ctx.fillStyle = m.palette[CH.indexOf(m.cells[r * m.cols + c])];
      ctx.fillRect(c * m.cellW, r * m.cellH, m.cellW, m.cellH);
    }
    cv.addEventListener('mousemove', function (e) {
      var b = cv.getBoundingClientRect();
      var c = Math.floor((e.clientX - b.left) / b.width * m.cols), r = Math.floor((e.clientY - b.top) / b.height * m.rows);
      if (r < 0 || c < 0 || r >= m.rows || c >= m.cols) return hide();
      var rl = m.rowLabels ? m.rowLabels[r] : r, cl = m.colLabels ? m.colLabels[c] : c;
      show(m.rowAxis + ' ' + rl + ', ' + m.colAxis + ' ' + cl + ': ' + m.values[r * m.cols + c], e);
    });
    cv.addEventListener('mouseleave', hide);
  });
  document.querySelectorAll('figure.loop').forEach(function (fig) {
    var s = fig.querySelector('.loop-slider'), out = fig.querySelector('.loop-caption');
    var frames = fig.querySelectorAll('.loop-frame'), bars = fig.querySelectorAll('.loop-bar');
    function showFrame() {
      var k = Number(s.value);
      frames.forEach(function (f, i) { f.hidden = i !== k; if (i === k) out.textContent = f.dataset.caption; });
      bars.forEach(function (b, i) { b.classList.toggle('current', i === k); });
    }
    s.addEventListener('input', showFrame);
    showFrame();
  });
})();
`;
