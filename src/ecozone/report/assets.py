"""Style sheet and script of the HTML report (kept here so the package ships them).

The script decodes the shared shapes once per level, draws every figure with
plotly.js (inlined in the page) and wires the year / level / indicator
selectors. Figures are drawn when they come near the viewport and, after the
first paint, one after another in the background; ``window.ECOZONE_STATUS``
counts them (``done`` is true when every figure is drawn).

Plotly's geo subplots fetch a world topojson from a CDN even when the base
map is hidden; ``window.PlotlyGeoAssets`` supplies an empty one so the page
never makes a network request.
"""

CSS = r"""
:root { --ink:#1d2733; --muted:#5b6773; --line:#d9dee4; --accent:#1f5f8b; --bg:#f6f8fa; }
* { box-sizing: border-box; }
html { scroll-behavior: smooth; }
body { margin:0; color:var(--ink); background:#fff;
  font-family: "Segoe UI", "Helvetica Neue", Arial, "Noto Sans CJK SC", "Source Han Sans SC",
    "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; font-size:15px; line-height:1.5; }
header.report-header { background:#12344d; color:#fff; padding:22px 32px 18px; }
header.report-header h1 { margin:0 0 4px; font-size:26px; font-weight:600; }
header.report-header .meta { color:#c9d6e2; font-size:13px; }
.banner-synthetic { background:#fff3cd; color:#6b4e00; border-bottom:2px solid #e0b030; padding:10px 32px;
  font-weight:600; letter-spacing:.02em; }
nav.toc { position:sticky; top:0; z-index:10; background:#fff; border-bottom:1px solid var(--line); padding:8px 32px; }
nav.toc a { color:var(--accent); text-decoration:none; margin-right:18px; font-size:14px; }
nav.toc a:hover { text-decoration:underline; }
main { max-width:1280px; margin:0 auto; padding:8px 32px 40px; }
section.report-section { margin-top:28px; }
section.report-section > h2 { font-size:22px; border-bottom:2px solid var(--accent); padding-bottom:4px; margin-bottom:10px; }
.method { background:var(--bg); border-left:4px solid var(--accent); padding:10px 14px; font-size:14px; color:#2c3844; }
details { margin:10px 0; }
details > summary { cursor:pointer; color:var(--accent); font-weight:600; font-size:14px; }
table.kv, table.data { border-collapse:collapse; font-size:13px; margin:8px 0; }
table.kv td, table.kv th, table.data td, table.data th { border:1px solid var(--line); padding:3px 8px; text-align:left; vertical-align:top; }
table.data th, table.kv th { background:var(--bg); font-weight:600; }
table.data td.num { text-align:right; font-variant-numeric: tabular-nums; }
td.hash { font-family: ui-monospace, Menlo, Consolas, monospace; font-size:11px; word-break:break-all; }
figure.report-figure { margin:26px 0 10px; border:1px solid var(--line); border-radius:6px; padding:12px 14px 10px; background:#fff;
  page-break-inside: avoid; }
figure.report-figure figcaption { font-weight:600; font-size:16px; margin-bottom:6px; }
figure.report-figure figcaption .fig-no { color:var(--accent); margin-right:6px; }
.controls { display:flex; flex-wrap:wrap; gap:14px; margin:4px 0 6px; font-size:13px; color:var(--muted); }
.controls label { display:flex; align-items:center; gap:6px; }
.controls select { font:inherit; color:var(--ink); padding:2px 6px; border:1px solid #b8c2cc; border-radius:4px; background:#fff; }
.plot { width:100%; min-height:200px; }
.plot .loading { color:var(--muted); font-size:13px; padding:20px; }
.fig-note { color:var(--muted); font-size:12.5px; margin:6px 0 0; }
.img-row { display:flex; flex-wrap:wrap; gap:16px; }
.img-panel { flex:1 1 480px; min-width:320px; }
.img-panel .img-title { font-weight:600; font-size:14px; margin-bottom:4px; }
.img-wrap { position:relative; width:100%; }
.img-wrap img { width:100%; height:auto; display:block; image-rendering:pixelated; background:#fff; border:1px solid #e5e8eb; }
.img-wrap svg { position:absolute; left:0; top:0; width:100%; height:100%; pointer-events:none; }
.cbar { margin-top:6px; font-size:12px; color:var(--muted); }
.cbar .ramp { height:12px; border:1px solid #999; border-radius:2px; }
.cbar .ticks { display:flex; justify-content:space-between; }
.fig-error { color:#a00; font-size:13px; }
footer { color:var(--muted); font-size:12px; border-top:1px solid var(--line); padding:14px 32px; }
@media print { nav.toc, .controls, .modebar { display:none !important; } figure.report-figure { border:none; } }
"""

EMPTY_TOPOJSON_JS = (
    "window.PlotlyGeoAssets={topojson:(function(){var e={type:'GeometryCollection',geometries:[]};"
    "var t={type:'Topology',objects:{land:e,coastlines:e,countries:e,ocean:e,lakes:e,rivers:e,subunits:e},arcs:[]};"
    "var o={};['world_110m','world_50m'].forEach(function(k){o[k]=t;});return o;})()};"
)

JS = r"""
(function () {
'use strict';
var R = JSON.parse(document.getElementById('ecozone-data').textContent);
Object.keys(R.cols).forEach(function (k) { if (R.cols[k].same) R.cols[k] = R.cols[R.cols[k].same]; });
var STATUS = window.ECOZONE_STATUS = {total: 0, rendered: 0, failed: 0, done: false, errors: []};
var GEO = {};
var CONFIG = {displaylogo: false, responsive: true, modeBarButtonsToRemove: ['select2d', 'lasso2d'],
              toImageButtonOptions: {format: 'png', scale: 2}};
var FONT = {family: getComputedStyle(document.body).fontFamily, size: 12, color: '#1d2733'};

function geojson(level) {
  if (GEO[level]) return GEO[level];
  var e = R.geo[level], feats = [];
  for (var i = 0; i < e.ids.length; i++) {
    var polys = e.f[i].map(function (rings) {
      return rings.map(function (d) {
        var out = [], x = 0, y = 0;
        for (var k = 0; k < d.length; k += 2) { x += d[k]; y += d[k + 1]; out.push([x / e.scale, y / e.scale]); }
        return out;
      });
    });
    feats.push({type: 'Feature', id: e.ids[i], properties: {}, geometry: {type: 'MultiPolygon', coordinates: polys}});
  }
  GEO[level] = {type: 'FeatureCollection', features: feats};
  return GEO[level];
}

function fmt(v, digits) {
  if (v === null || v === undefined || (typeof v === 'number' && !isFinite(v))) return R.ui.no_data;
  if (typeof v !== 'number') return String(v);
  var a = Math.abs(v), d = (digits === undefined) ? 3 : digits;
  if (a !== 0 && (a >= 1e15 || a < 1e-3)) return v.toExponential(d);
  if (a >= 1000) return v.toLocaleString(R.locale, {maximumFractionDigits: 0});
  return Number(v.toPrecision(Math.max(d, 1))).toLocaleString(R.locale, {maximumFractionDigits: 6});
}

function column(key, level, year) {
  var c = R.cols[key];
  if (!c || !c.v[level]) return null;
  var a = c.v[level][String(year)];
  if (a === undefined) a = c.v[level]['all'];
  return a === undefined ? null : a;
}

function catLabel(key, idx) {
  var c = R.cols[key];
  return (idx === null || idx === undefined) ? R.ui.no_data : c.cats[idx].label;
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  var i = (sorted.length - 1) * p, lo = Math.floor(i), hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

function range(v, level) {
  // colour range of a numeric indicator at one level: the same for every year (robust 2-98 %)
  var c = R.cols[v.col], vals = [];
  var lv = c.v[level] || {};
  Object.keys(lv).forEach(function (y) {
    lv[y].forEach(function (x) {
      if (x === null) return;
      if (v.log) { if (x > 0) vals.push(Math.log10(x)); } else vals.push(x);
    });
  });
  vals.sort(function (a, b) { return a - b; });
  if (!vals.length) return [0, 1];
  var lo = percentile(vals, 0.02), hi = percentile(vals, 0.98);
  if (v.mid !== null && v.mid !== undefined) {
    var m = v.log ? Math.log10(v.mid) : v.mid, w = Math.max(Math.abs(hi - m), Math.abs(m - lo)) || 1;
    return [m - w, m + w];
  }
  if (v.zmin !== null && v.zmin !== undefined) lo = v.log ? Math.log10(v.zmin) : v.zmin;
  if (hi === lo) hi = lo + 1;
  return [lo, hi];
}

function logTicks(lo, hi) {
  var vals = [], text = [];
  for (var e = Math.floor(lo) - 1; e <= Math.ceil(hi) + 1; e++) {
    [1, 2, 5].forEach(function (m) {
      var v = m * Math.pow(10, e), l = Math.log10(v);
      if (l >= lo - 1e-9 && l <= hi + 1e-9) { vals.push(l); text.push(fmt(v, 2)); }
    });
  }
  return {tickvals: vals, ticktext: text};
}

function hoverLines(v, level, year, i) {
  var s = '';
  (v.hover || []).forEach(function (h) {
    var a = column(h.col, level, year); if (!a) return;
    var x = a[i];
    if (R.cols[h.col].cats) { if (x === null) return; s += '<br>' + h.label + ': ' + catLabel(h.col, x); }
    else { if (x === null) return; s += '<br>' + h.label + ': ' + fmt(x, h.digits) + (h.unit && h.unit !== '–' && h.unit !== 'count' && h.unit !== '个' ? ' ' + h.unit : ''); }
  });
  return s;
}

function mapTraces(spec, st) {
  var v = spec.vars[st['var'] || spec.defaultVar], level = st.level, year = st.year;
  var e = R.geo[level], gj = geojson(level), vals = column(v.col, level, year), traces = [];
  var lw = e.ids.length > 400 ? 0.3 : 0.7;
  var line = {color: '#ffffff', width: lw};
  if (v.type === 'cat') {
    var cats = R.cols[v.col].cats, groups = cats.map(function () { return {ids: [], cd: []}; });
    var missing = {ids: [], cd: []};
    for (var i = 0; i < e.ids.length; i++) {
      var x = vals ? vals[i] : null;
      var text = '<b>' + e.names[i] + '</b><br>' + v.label + ': ' + catLabel(v.col, x) + hoverLines(v, level, year, i);
      var g = (x === null) ? missing : groups[x];
      g.ids.push(e.ids[i]); g.cd.push(text);
    }
    groups.forEach(function (g, k) {
      if (!g.ids.length) return;
      traces.push({type: 'choropleth', geojson: gj, featureidkey: 'id', locations: g.ids,
        z: g.ids.map(function () { return 1; }), zmin: 0, zmax: 1, customdata: g.cd,
        colorscale: [[0, cats[k].color], [1, cats[k].color]], showscale: false, showlegend: true,
        name: cats[k].label, hovertemplate: '%{customdata}<extra></extra>', marker: {line: line}});
    });
    if (missing.ids.length) traces.push({type: 'choropleth', geojson: gj, featureidkey: 'id', locations: missing.ids,
      z: missing.ids.map(function () { return 1; }), zmin: 0, zmax: 1, customdata: missing.cd,
      colorscale: [[0, '#f0f0f0'], [1, '#f0f0f0']], showscale: false, showlegend: true, name: R.ui.no_data,
      hovertemplate: '%{customdata}<extra></extra>', marker: {line: {color: '#cccccc', width: lw}}});
  } else {
    var rg = range(v, level), ids = [], z = [], cd = [], nd = [], ndcd = [];
    for (var j = 0; j < e.ids.length; j++) {
      var y = vals ? vals[j] : null;
      var t = '<b>' + e.names[j] + '</b><br>' + v.label + ': ' + fmt(y, v.digits) + (y !== null && v.unit && v.unit !== '–' ? ' ' + v.unit : '') + hoverLines(v, level, year, j);
      var ok = y !== null && (!v.log || y > 0);
      if (ok) { ids.push(e.ids[j]); z.push(v.log ? Math.log10(y) : y); cd.push(t); } else { nd.push(e.ids[j]); ndcd.push(t); }
    }
    var cb = {title: {text: v.label + (v.unit ? '<br>(' + v.unit + ')' : ''), side: 'top'}, thickness: 14, len: 0.8};
    if (v.log) { var tk = logTicks(rg[0], rg[1]); cb.tickvals = tk.tickvals; cb.ticktext = tk.ticktext; }
    traces.push({type: 'choropleth', geojson: gj, featureidkey: 'id', locations: ids, z: z, zmin: rg[0], zmax: rg[1],
      colorscale: v.colorscale, reversescale: !!v.reverse, customdata: cd, colorbar: cb, showlegend: false,
      hovertemplate: '%{customdata}<extra></extra>', marker: {line: line}});
    if (nd.length) traces.push({type: 'choropleth', geojson: gj, featureidkey: 'id', locations: nd,
      z: nd.map(function () { return 1; }), zmin: 0, zmax: 1, customdata: ndcd, colorscale: [[0, '#f0f0f0'], [1, '#f0f0f0']],
      showscale: false, showlegend: true, name: R.ui.no_data, hovertemplate: '%{customdata}<extra></extra>',
      marker: {line: {color: '#cccccc', width: lw}}});
  }
  return traces;
}

function mapLayout(spec, st) {
  return {margin: {l: 0, r: 0, t: 8, b: 0}, height: spec.height || 560, font: FONT, dragmode: 'pan',
    legend: {x: 1.0, y: 0.5, xanchor: 'left', yanchor: 'middle', bgcolor: 'rgba(255,255,255,0.9)', bordercolor: '#d9dee4', borderwidth: 1},
    geo: {visible: false, fitbounds: 'locations', projection: {type: 'conic equal area', parallels: spec.parallels || [25, 47]},
          bgcolor: 'rgba(0,0,0,0)'},
    uirevision: st.level};
}

function state(fig) {
  var st = {};
  fig.querySelectorAll('.controls select').forEach(function (s) { st[s.dataset.ctl] = s.value; });
  return st;
}

function draw(fig) {
  var spec = R.figs[fig.dataset.fig], st = state(fig), div = fig.querySelector('.plot');
  if (spec.kind === 'map') {
    return Plotly.react(div, mapTraces(spec, st), mapLayout(spec, st), CONFIG);
  }
  if (spec.kind === 'plotly') {
    var key = spec.keys.map(function (k) { return st[k]; }).join('|');
    var f = spec.variants[key] || spec.variants[Object.keys(spec.variants)[0]];
    var layout = Object.assign({}, f.layout, {font: FONT, template: R.template});
    var data = f.data.map(function (t) {  // "@level": the shared shapes of that level
      return (typeof t.geojson === 'string' && t.geojson.charAt(0) === '@') ? Object.assign({}, t, {geojson: geojson(t.geojson.slice(1))}) : t;
    });
    return Plotly.react(div, data, layout, CONFIG);
  }
  if (spec.kind === 'img') {
    var srcs = spec.variants[st.year] || [];
    fig.querySelectorAll('img[data-panel]').forEach(function (img) {
      var s = srcs[+img.dataset.panel]; if (s) img.src = s;
    });
    return Promise.resolve();
  }
  return Promise.resolve();
}

function fail(fig, err) {
  STATUS.failed += 1; STATUS.errors.push(fig.dataset.fig + ': ' + err);
  var div = fig.querySelector('.plot');
  if (div) div.innerHTML = '<p class="fig-error">' + String(err) + '</p>';
  console.error('ecozone report: figure ' + fig.dataset.fig + ' failed: ' + err);
}

var figs = Array.prototype.slice.call(document.querySelectorAll('figure.report-figure[data-fig]'))
  .filter(function (f) { return R.figs[f.dataset.fig]; });
STATUS.total = figs.length;
var pending = figs.slice();

function renderOne(fig) {
  if (fig.dataset.rendered) return Promise.resolve();
  fig.dataset.rendered = '1';
  var i = pending.indexOf(fig); if (i >= 0) pending.splice(i, 1);
  var p;
  try { p = draw(fig); } catch (e) { fail(fig, e); p = Promise.resolve(); }
  return Promise.resolve(p).then(function () {
    var l = fig.querySelector('.loading'); if (l) l.remove();
    STATUS.rendered += 1; STATUS.done = STATUS.rendered >= STATUS.total;
  }, function (e) { fail(fig, e); STATUS.rendered += 1; STATUS.done = STATUS.rendered >= STATUS.total; });
}

function background() {
  if (!pending.length) return;
  renderOne(pending[0]).then(function () { setTimeout(background, 0); });
}

figs.forEach(function (fig) {
  fig.querySelectorAll('.controls select').forEach(function (s) {
    s.addEventListener('change', function () {
      if (!fig.dataset.rendered) { renderOne(fig); return; }
      Promise.resolve(draw(fig)).catch(function (e) { fail(fig, e); });
    });
  });
});

if ('IntersectionObserver' in window) {
  var io = new IntersectionObserver(function (entries) {
    entries.forEach(function (en) { if (en.isIntersecting) { io.unobserve(en.target); renderOne(en.target); } });
  }, {rootMargin: '400px'});
  figs.forEach(function (f) { io.observe(f); });
}
window.ecozoneRenderAll = function () { return Promise.all(figs.map(renderOne)); };
window.ecozoneGeo = geojson;  // the decoded shapes of a level (used by the tests)
setTimeout(background, 50);
if (!figs.length) STATUS.done = true;
})();
"""
