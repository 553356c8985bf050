#include "io/report_assets.h"

namespace biotwin::io {

const char* const kReportCss = R"css(
:root{--fg:#1d2330;--muted:#5b6475;--line:#d9dee7;--bg:#f5f6f8;--card:#fff;--accent:#1f5fbf}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:var(--bg);
  font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1600px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:22px;margin:0 0 14px;font-weight:600}
h2{font-size:16px;margin:26px 0 10px;font-weight:600;border-bottom:1px solid var(--line);
  padding-bottom:4px}
h3{font-size:14px;margin:0 0 6px;font-weight:600}
.banner{background:#c62828;color:#fff;padding:12px 16px;border-radius:6px;font-weight:600;
  margin:0 0 16px;white-space:pre-wrap}
.tables{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:16px 32px;
  align-items:start}
table{border-collapse:collapse;background:var(--card);border:1px solid var(--line);width:100%}
th,td{text-align:left;padding:4px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef1f5;font-weight:600;white-space:nowrap}
td.key{color:var(--muted);white-space:nowrap}
td.num{font-variant-numeric:tabular-nums;text-align:right;white-space:nowrap;width:1%}
.muted{color:var(--muted)}
.toolbar{position:sticky;top:0;z-index:3;background:var(--bg);display:flex;flex-wrap:wrap;
  align-items:center;gap:6px 14px;padding:8px 0;margin-top:18px;border-bottom:1px solid var(--line)}
.toolbar button{font:inherit;padding:3px 12px;border:1px solid #b7bfcc;border-radius:4px;
  background:var(--card);cursor:pointer}
.toolbar button:disabled{opacity:.5;cursor:default}
.grid{display:grid;grid-template-columns:minmax(0,1fr);gap:16px}
@media (min-width:1100px){.grid{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}}
.plot{margin:0;background:var(--card);border:1px solid var(--line);border-radius:6px;
  padding:8px 10px 4px;min-width:0}
.plot figcaption{display:flex;flex-wrap:wrap;align-items:baseline;gap:2px 12px;font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:2px 6px;font-weight:400}
.leg{font:inherit;font-size:12px;background:none;border:1px solid transparent;border-radius:4px;
  padding:0 6px;cursor:pointer;color:var(--fg);display:inline-flex;align-items:center;gap:6px}
.leg:hover{border-color:var(--line)}
.leg.off{opacity:.45;text-decoration:line-through}
.sw{display:inline-block;width:22px;height:0;border-top-width:2px}
.pbody{position:relative;user-select:none;-webkit-user-select:none}
.chart-host{width:100%;min-height:250px}
svg.chart{display:block;font-family:inherit;font-size:11px;overflow:visible}
svg .gl{stroke:#edf0f4;stroke-width:1}
svg .frame{fill:none;stroke:#b7bfcc}
svg .tick{fill:var(--muted)}
svg .axis-label{fill:var(--fg);font-size:12px}
svg .series{fill:none;stroke-width:1.6;stroke-linejoin:round;stroke-linecap:round}
svg .event{stroke:#8a6d3b;stroke-width:1;stroke-dasharray:4 3;opacity:.8}
svg .cross{stroke:#555;stroke-width:1;pointer-events:none}
svg .cross.other{stroke:#aaa;stroke-dasharray:2 2}
svg .sel{fill:rgba(31,95,191,.12);stroke:rgba(31,95,191,.55);pointer-events:none}
svg .overlay{fill:transparent;cursor:crosshair}
svg .empty{fill:var(--muted);font-size:12px}
.tip{position:absolute;top:0;left:0;pointer-events:none;background:rgba(255,255,255,.97);
  border:1px solid #b7bfcc;border-radius:4px;padding:4px 8px;font-size:12px;z-index:2;
  box-shadow:0 2px 6px rgba(0,0,0,.12);white-space:nowrap}
.tip .ev{color:#8a6d3b}
.tip .dot{display:inline-block;width:8px;height:8px;border-radius:50%;margin-right:5px}
footer{margin-top:30px;font-size:12px;color:var(--muted)}
@media print{.toolbar{display:none}.plot{break-inside:avoid}body{background:#fff}}
)css";

const char* const kReportJs = R"js(
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('bt-data').textContent);
  var PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2',
                 '#17becf', '#7f7f7f', '#bcbd22'];
  var HEIGHT = 250, MARGIN = {l: 62, r: 14, t: 10, b: 38};
  var full = [data.t_min, data.t_max];
  if (!(isFinite(full[0]) && isFinite(full[1]))) full = [0, 1];
  if (!(full[1] > full[0])) full = [full[0] - 1, full[0] + 1];
  var view = full.slice();
  var plots = [];
  var drag = null;
  var clipCounter = 0;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }
  function fmt(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return '\u2013';
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-4)) {
      return v.toExponential(digits - 1).replace(/\.?0+e/, 'e');
    }
    return String(parseFloat(v.toPrecision(digits)));
  }
  function niceStep(range, count) {
    var raw = range / Math.max(1, count);
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  }
  function ticks(lo, hi, count) {
    var step = niceStep(hi - lo, count);
    var values = [];
    for (var i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) {
      values.push(i * step);
    }
    var big = Math.max(Math.abs(lo), Math.abs(hi));
    var exp = big >= 1e6 || step < 1e-5;
    var dec = Math.max(0, Math.min(12, -Math.floor(Math.log10(step) + 1e-9)));
    return values.map(function (v) {
      return {v: v, s: exp ? (v === 0 ? '0' : fmt(v, 3)) : v.toFixed(dec)};
    });
  }
  // First index with t[i] >= x.
  function lowerBound(t, x) {
    var lo = 0, hi = t.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (t[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  function visibleRange(s) {
    var a = Math.max(0, lowerBound(s.t, view[0]) - 1);
    var b = Math.min(s.t.length - 1, lowerBound(s.t, view[1]));
    return [a, b];
  }
  function finite(v) { return v !== null && isFinite(v); }

  function yRange(plot) {
    var lo = Infinity, hi = -Infinity, loN = Infinity, hiN = -Infinity;
    plot.spec.series.forEach(function (s, k) {
      if (plot.hidden[k]) return;
      var r = visibleRange(s);
      for (var i = r[0]; i <= r[1]; i++) {
        var y = s.y[i];
        if (!finite(y)) continue;
        if (s.t[i] >= view[0] && s.t[i] <= view[1]) {
          if (y < lo) lo = y;
          if (y > hi) hi = y;
        } else {
          if (y < loN) loN = y;
          if (y > hiN) hiN = y;
        }
      }
    });
    if (lo > hi) { lo = loN; hi = hiN; }
    if (lo > hi) return [0, 1];
    var nonNegative = lo >= 0;
    var span = hi - lo;
    if (span <= 1e-12 * Math.max(Math.abs(lo), Math.abs(hi))) {
      var pad = lo !== 0 ? Math.abs(lo) * 0.1 : 1;
      lo -= pad; hi += pad;
    } else {
      lo -= 0.05 * span; hi += 0.05 * span;
    }
    if (nonNegative && lo < 0) lo = 0;
    return [lo, hi];
  }

  function seriesPath(s, sx, sy) {
    var r = visibleRange(s), d = [], dots = [], pen = false;
    for (var i = r[0]; i <= r[1]; i++) {
      var y = s.y[i];
      if (!finite(y)) { pen = false; continue; }
      var x = sx(s.t[i]).toFixed(1), yy = sy(y).toFixed(1);
      d.push((pen ? 'L' : 'M') + x + ' ' + yy);
      var prev = i > 0 && finite(s.y[i - 1]), next = i + 1 < s.y.length && finite(s.y[i + 1]);
      if (!prev && !next) dots.push([x, yy]);
      pen = true;
    }
    return {d: d.join(''), dots: dots};
  }

  function draw(plot) {
    var W = Math.max(280, Math.floor(plot.host.clientWidth || 600)), H = HEIGHT, m = MARGIN;
    var pw = W - m.l - m.r, ph = H - m.t - m.b;
    var yr = yRange(plot);
    var sx = function (t) { return m.l + (t - view[0]) / (view[1] - view[0]) * pw; };
    var sy = function (v) { return m.t + (1 - (v - yr[0]) / (yr[1] - yr[0])) * ph; };
    var clip = 'bt-clip-' + (++clipCounter);
    var h = [];
    h.push('<svg class="chart" width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + ' ' +
           H + '" role="img" aria-label="' + esc(plot.spec.title) + '">');
    h.push('<defs><clipPath id="' + clip + '"><rect x="' + m.l + '" y="' + m.t + '" width="' +
           pw + '" height="' + ph + '"></rect></clipPath></defs>');
    ticks(view[0], view[1], Math.max(2, Math.round(pw / 90))).forEach(function (tk) {
      var x = sx(tk.v).toFixed(1);
      h.push('<line class="gl" x1="' + x + '" x2="' + x + '" y1="' + m.t + '" y2="' +
             (m.t + ph) + '"></line>');
      h.push('<text class="tick" x="' + x + '" y="' + (m.t + ph + 14) +
             '" text-anchor="middle">' + tk.s + '</text>');
    });
    ticks(yr[0], yr[1], 5).forEach(function (tk) {
      var y = sy(tk.v).toFixed(1);
      h.push('<line class="gl" x1="' + m.l + '" x2="' + (m.l + pw) + '" y1="' + y + '" y2="' +
             y + '"></line>');
      h.push('<text class="tick" x="' + (m.l - 6) + '" y="' + y +
             '" text-anchor="end" dominant-baseline="middle">' + tk.s + '</text>');
    });
    h.push('<rect class="frame" x="' + m.l + '" y="' + m.t + '" width="' + pw + '" height="' +
           ph + '"></rect>');
    h.push('<text class="axis-label" x="' + (m.l + pw / 2) + '" y="' + (H - 4) +
           '" text-anchor="middle">' + esc(data.t_label) + '</text>');
    h.push('<text class="axis-label" text-anchor="middle" transform="translate(12,' +
           (m.t + ph / 2) + ') rotate(-90)">' + esc(plot.spec.title) + '</text>');
    data.events.forEach(function (ev) {
      if (ev.t < view[0] || ev.t > view[1]) return;
      var x = sx(ev.t).toFixed(1);
      h.push('<line class="event" x1="' + x + '" x2="' + x + '" y1="' + m.t + '" y2="' +
             (m.t + ph) + '"><title>' + esc(ev.label) + '</title></line>');
    });
    h.push('<g clip-path="url(#' + clip + ')">');
    var anyData = false;
    plot.spec.series.forEach(function (s, k) {
      if (plot.hidden[k]) return;
      var p = seriesPath(s, sx, sy);
      if (p.d) anyData = true;
      h.push('<path class="series" stroke="' + plot.colors[k] + '"' +
             (s.ref ? ' stroke-dasharray="6 4"' : '') + ' d="' + p.d + '"></path>');
      p.dots.forEach(function (q) {
        h.push('<circle cx="' + q[0] + '" cy="' + q[1] + '" r="2.5" fill="' + plot.colors[k] +
               '"></circle>');
      });
    });
    h.push('<g class="dots"></g></g>');
    if (!anyData) {
      h.push('<text class="empty" x="' + (m.l + pw / 2) + '" y="' + (m.t + ph / 2) +
             '" text-anchor="middle">no data in this range</text>');
    }
    h.push('<line class="cross" visibility="hidden" y1="' + m.t + '" y2="' + (m.t + ph) +
           '"></line>');
    h.push('<rect class="sel" visibility="hidden" y="' + m.t + '" height="' + ph + '"></rect>');
    h.push('<rect class="overlay" x="' + m.l + '" y="' + m.t + '" width="' + pw + '" height="' +
           ph + '"></rect>');
    h.push('</svg>');
    plot.host.innerHTML = h.join('');
    plot.svg = plot.host.firstChild;
    plot.geo = {W: W, pw: pw, ph: ph, sx: sx, sy: sy};
    plot.width = plot.host.clientWidth;
    var overlay = plot.svg.querySelector('.overlay');
    overlay.addEventListener('mousedown', function (e) { startDrag(plot, e); });
    overlay.addEventListener('mousemove', function (e) { hover(plot, e); });
    overlay.addEventListener('mouseleave', function () { if (!drag) clearHover(); });
    overlay.addEventListener('dblclick', function (e) { e.preventDefault(); setView(full); });
  }

  function pixelX(plot, e) {
    return e.clientX - plot.svg.getBoundingClientRect().left;
  }
  function timeAt(plot, px) {
    var f = (px - MARGIN.l) / plot.geo.pw;
    return view[0] + Math.min(1, Math.max(0, f)) * (view[1] - view[0]);
  }
  // Index of the finite point nearest to time t (within 8 px when the nearest point is a gap).
  function nearest(plot, s, t) {
    var n = s.t.length;
    if (!n) return -1;
    var i = lowerBound(s.t, t);
    if (i >= n || (i > 0 && t - s.t[i - 1] < s.t[i] - t)) i = i - 1;
    if (finite(s.y[i])) return i;
    var px = plot.geo.sx(t), best = -1, bestD = 8;
    for (var j = i - 1; j >= 0 && px - plot.geo.sx(s.t[j]) <= bestD; j--) {
      if (finite(s.y[j])) { best = j; bestD = px - plot.geo.sx(s.t[j]); break; }
    }
    for (var k = i + 1; k < n && plot.geo.sx(s.t[k]) - px <= bestD; k++) {
      if (finite(s.y[k])) { best = k; break; }
    }
    return best;
  }

  function hover(plot, e) {
    var px = pixelX(plot, e);
    if (drag) {
      if (drag.plot === plot) updateDrag(px);
      return;
    }
    var t = timeAt(plot, px);
    plots.forEach(function (p) { showCross(p, t, p === plot); });
    var rows = ['<div><b>' + esc(data.t_name) + ' = ' + fmt(t, 5) + ' ' + esc(data.t_unit) +
                '</b></div>'];
    var dots = [];
    plot.spec.series.forEach(function (s, k) {
      if (plot.hidden[k]) return;
      var i = nearest(plot, s, t);
      var v = i >= 0 ? s.y[i] : null;
      var name = plot.spec.series.length > 1 ? s.label : plot.spec.name;
      rows.push('<div><span class="dot" style="background:' + plot.colors[k] + '"></span>' +
                esc(name) + ': ' + (finite(v) ? fmt(v, 5) + ' ' + esc(s.unit) : '\u2013') +
                '</div>');
      if (i >= 0) {
        dots.push('<circle cx="' + plot.geo.sx(s.t[i]).toFixed(1) + '" cy="' +
                  plot.geo.sy(v).toFixed(1) + '" r="3.5" fill="' + plot.colors[k] +
                  '" stroke="#fff"></circle>');
      }
    });
    data.events.forEach(function (ev) {
      if (Math.abs(plot.geo.sx(ev.t) - px) <= 6) {
        rows.push('<div class="ev">\u25B2 ' + esc(ev.label) + ' (' + fmt(ev.t, 5) + ' ' +
                  esc(data.t_unit) + ')</div>');
      }
    });
    plot.svg.querySelector('.dots').innerHTML = dots.join('');
    plot.tip.innerHTML = rows.join('');
    plot.tip.hidden = false;
    var tipW = plot.tip.offsetWidth, y = e.clientY - plot.svg.getBoundingClientRect().top;
    var left = px + 14 + tipW > plot.geo.W ? px - 14 - tipW : px + 14;
    plot.tip.style.transform = 'translate(' + Math.max(0, left) + 'px,' +
                               Math.max(0, Math.min(y - 10, HEIGHT - plot.tip.offsetHeight)) +
                               'px)';
  }
  function showCross(plot, t, active) {
    if (!plot.svg) return;
    var line = plot.svg.querySelector('.cross');
    var x = plot.geo.sx(t).toFixed(1);
    line.setAttribute('x1', x);
    line.setAttribute('x2', x);
    line.setAttribute('class', active ? 'cross' : 'cross other');
    line.setAttribute('visibility', 'visible');
    if (!active) {
      plot.svg.querySelector('.dots').innerHTML = '';
      plot.tip.hidden = true;
    }
  }
  function clearHover() {
    plots.forEach(function (p) {
      if (!p.svg) return;
      p.svg.querySelector('.cross').setAttribute('visibility', 'hidden');
      p.svg.querySelector('.dots').innerHTML = '';
      p.tip.hidden = true;
    });
  }

  function startDrag(plot, e) {
    if (e.button !== 0) return;
    e.preventDefault();
    var px = pixelX(plot, e);
    drag = {plot: plot, x0: px, x1: px};
    plot.tip.hidden = true;
  }
  function updateDrag(px) {
    var g = drag.plot.geo;
    drag.x1 = Math.min(MARGIN.l + g.pw, Math.max(MARGIN.l, px));
    var sel = drag.plot.svg.querySelector('.sel');
    sel.setAttribute('x', Math.min(drag.x0, drag.x1));
    sel.setAttribute('width', Math.abs(drag.x1 - drag.x0));
    sel.setAttribute('visibility', 'visible');
  }
  window.addEventListener('mousemove', function (e) {
    if (drag) updateDrag(pixelX(drag.plot, e));
  });
  window.addEventListener('mouseup', function () {
    if (!drag) return;
    var d = drag;
    drag = null;
    d.plot.svg.querySelector('.sel').setAttribute('visibility', 'hidden');
    if (Math.abs(d.x1 - d.x0) < 5) return;
    var a = timeAt(d.plot, Math.min(d.x0, d.x1)), b = timeAt(d.plot, Math.max(d.x0, d.x1));
    setView([a, b]);
  });

  var resetButton = document.getElementById('bt-reset');
  var rangeLabel = document.getElementById('bt-range');
  function setView(v) {
    if (!(v[1] - v[0] > (full[1] - full[0]) * 1e-9)) return;
    view = [v[0], v[1]];
    var zoomed = view[0] > full[0] || view[1] < full[1];
    if (resetButton) resetButton.disabled = !zoomed;
    if (rangeLabel) {
      rangeLabel.textContent = zoomed ? 'showing ' + data.t_name + ' = ' + fmt(view[0], 5) +
                                        ' \u2026 ' + fmt(view[1], 5) + ' ' + data.t_unit : '';
    }
    clearHover();
    plots.forEach(draw);
  }
  if (resetButton) {
    resetButton.disabled = true;
    resetButton.addEventListener('click', function () { setView(full); });
  }

  function buildLegend(plot) {
    if (plot.spec.series.length < 2) return;
    var legend = plot.fig.querySelector('.legend');
    plot.spec.series.forEach(function (s, k) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'leg';
      b.title = 'show/hide ' + s.label;
      var sw = document.createElement('span');
      sw.className = 'sw';
      sw.style.borderTopStyle = s.ref ? 'dashed' : 'solid';
      sw.style.borderTopColor = plot.colors[k];
      b.appendChild(sw);
      b.appendChild(document.createTextNode(s.label));
      b.addEventListener('click', function () {
        plot.hidden[k] = !plot.hidden[k];
        b.classList.toggle('off', plot.hidden[k]);
        draw(plot);
      });
      legend.appendChild(b);
    });
  }

  document.querySelectorAll('figure.plot').forEach(function (fig) {
    var spec = data.plots[Number(fig.getAttribute('data-plot'))];
    if (!spec) return;
    var plot = {
      fig: fig, spec: spec, host: fig.querySelector('.chart-host'),
      tip: fig.querySelector('.tip'), hidden: spec.series.map(function () { return false; }),
      colors: spec.series.map(function (s, k) { return PALETTE[k % PALETTE.length]; })
    };
    buildLegend(plot);
    plots.push(plot);
    draw(plot);
  });
  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      plots.forEach(function (p) { if (p.host.clientWidth !== p.width) draw(p); });
    }, 150);
  });
})();
)js";

}  // namespace biotwin::io
