// Small inline-SVG charts for the Commander Throne (no library, no external request): bar charts
// (signals per hour, fire-to-fill latency buckets, win rate per day) and line charts (cumulative
// P&L, P&L per user). Exposes window.BittenCharts.render(chartsJson).
'use strict';

(() => {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 480;
  const H = 180;
  const M = { l: 44, r: 8, t: 8, b: 22 };
  const COLORS = ['#ff5a36', '#2ecc71', '#4da3ff', '#f1c40f', '#bb86fc', '#1abc9c', '#e67e22', '#ec407a'];

  function svg(tag, attrs = {}, text) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function frame(container, label) {
    const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'chart-svg' });
    container.replaceChildren(s);
    return s;
  }
  function empty(container, text) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = text;
    container.replaceChildren(p);
  }
  function axisY(s, lo, hi, fmt) {
    const labels = new Set();
    for (const v of [lo, (lo + hi) / 2, hi]) {
      if (labels.has(fmt(v))) continue;  // e.g. 0, 0.5, 1 as whole numbers
      labels.add(fmt(v));
      const y = M.t + (H - M.t - M.b) * (1 - (v - lo) / (hi - lo || 1));
      s.append(svg('line', { x1: M.l, x2: W - M.r, y1: y, y2: y, class: 'grid' }));
      s.append(svg('text', { x: M.l - 4, y: y + 4, 'text-anchor': 'end', class: 'tick' }, fmt(v)));
    }
  }

  // points: [{label, v, title}]
  function bars(container, points, label, fmt = (v) => String(Math.round(v))) {
    if (!points.length) return empty(container, 'No data yet.');
    const s = frame(container, label);
    const hi = Math.max(1, ...points.map((p) => p.v));
    axisY(s, 0, hi, fmt);
    const bw = (W - M.l - M.r) / points.length;
    points.forEach((p, i) => {
      const h = ((H - M.t - M.b) * p.v) / hi;
      const r = svg('rect', { x: M.l + i * bw + 1, y: H - M.b - h, width: Math.max(1, bw - 2), height: h, class: 'bar' });
      r.append(svg('title', {}, p.title ?? `${p.label}: ${p.v}`));
      s.append(r);
      const every = Math.ceil(points.length / 8);
      if (i % every === 0) {
        s.append(svg('text', { x: M.l + i * bw + bw / 2, y: H - 6, 'text-anchor': 'middle', class: 'tick' }, p.label));
      }
    });
  }

  // series: [{name, points: [{t, v}]}]
  function lines(container, series, label) {
    const all = series.flatMap((x) => x.points);
    if (!all.length) return empty(container, 'No closed trades yet.');
    const s = frame(container, label);
    let t0 = Math.min(...all.map((p) => p.t));
    let t1 = Math.max(...all.map((p) => p.t));
    if (t1 === t0) t1 = t0 + 1;
    const lo = Math.min(0, ...all.map((p) => p.v));
    const hi = Math.max(0, ...all.map((p) => p.v));
    axisY(s, lo, hi === lo ? lo + 1 : hi, (v) => v.toFixed(0));
    const x = (t) => M.l + ((W - M.l - M.r) * (t - t0)) / (t1 - t0);
    const y = (v) => M.t + (H - M.t - M.b) * (1 - (v - lo) / ((hi - lo) || 1));
    series.forEach((ser, i) => {
      const color = COLORS[i % COLORS.length];
      const pts = ser.points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
      const line = svg('polyline', { points: pts, fill: 'none', stroke: color, 'stroke-width': 2 });
      line.append(svg('title', {}, `${ser.name}: ${ser.points[ser.points.length - 1].v}`));
      s.append(line);
      s.append(svg('text', { x: W - M.r - 4, y: M.t + 12 + 14 * i, 'text-anchor': 'end', fill: color, class: 'legend' },
        `${ser.name} ${ser.points[ser.points.length - 1].v}`));
    });
    const day = (t) => new Date(t).toISOString().slice(5, 10);
    s.append(svg('text', { x: M.l, y: H - 6, class: 'tick' }, day(t0)));
    s.append(svg('text', { x: W - M.r, y: H - 6, 'text-anchor': 'end', class: 'tick' }, day(t1)));
  }

  const hour = (t) => `${String(new Date(t).getUTCHours()).padStart(2, '0')}h`;
  const ms = (v) => (v === null ? '∞' : v >= 1000 ? `${v / 1000}s` : `${v}ms`);

  function render(c) {
    bars(document.getElementById('chart-signals'),
      c.signals_per_hour.map((p) => ({ label: hour(p.t), v: p.n, title: `${new Date(p.t).toISOString().slice(0, 13)}h UTC: ${p.n}` })),
      'Signals per hour');
    const f = c.fire_to_fill;
    document.getElementById('latency-pct').textContent = f.fills
      ? `(${f.fills} fill${f.fills === 1 ? '' : 's'}; p50 ${f.p50_ms} ms, p90 ${f.p90_ms} ms, p99 ${f.p99_ms} ms)` : '';
    bars(document.getElementById('chart-latency'),
      f.fills ? f.buckets.map((b) => ({ label: `<${ms(b.to_ms)}`, v: b.n, title: `${ms(b.from_ms)}–${ms(b.to_ms)}: ${b.n}` })) : [],
      'Fire to fill latency');
    bars(document.getElementById('chart-winrate'),
      c.daily.map((d) => ({ label: new Date(d.t).toISOString().slice(5, 10), v: d.win_rate, title: `${new Date(d.t).toISOString().slice(0, 10)}: ${d.wins}/${d.trades} won` })),
      'Win rate per day', (v) => `${Math.round(v)}%`);
    lines(document.getElementById('chart-pnl'),
      c.daily.length ? [{ name: 'all', points: c.daily.map((d) => ({ t: d.t, v: d.cumulative_pnl })) }] : [],
      'Cumulative P&L');
    // The server sends the users with the largest P&L either way, out of pnl_per_user_total.
    const shown = c.pnl_per_user.length;
    document.getElementById('equity-note').textContent = c.pnl_per_user_total > shown
      ? `(the ${shown} largest P&L, up or down, of ${c.pnl_per_user_total} traders)` : '';
    lines(document.getElementById('chart-equity'),
      c.pnl_per_user.map((u) => ({ name: u.name, points: u.points })), 'P&L per user');
  }

  window.BittenCharts = { render, bars, lines };
})();
