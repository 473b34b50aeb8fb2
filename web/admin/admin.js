// The Commander Throne console: polls GET /admin/api/overview (every 3 s) and /admin/api/charts
// (every 15 s), renders them with textContent only (no HTML from data), and sends the controls as
// POSTs with the session's X-CSRF-Token. A 401 anywhere goes back to the login page.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { csrf: '', overview: null, traced: '', usersQuery: '' };
const TIERS = ['PRESS_PASS', 'NIBBLER', 'FANG', 'COMMANDER'];

function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  return e;
}
function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.append(c);
    else td.textContent = c === null || c === undefined ? '—' : String(c);
    tr.append(td);
  }
  return tr;
}
function fill(tableId, rows, empty) {
  const body = $(tableId).querySelector('tbody');
  body.replaceChildren(...rows);
  if (!rows.length) {
    const cols = $(tableId).querySelectorAll('thead th').length;
    const td = el('td', empty, { class: 'hint' });
    td.colSpan = cols;
    const tr = document.createElement('tr');
    tr.append(td);
    body.append(tr);
  }
}
const pad = (n) => String(n).padStart(2, '0');
function utc(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
function age(ms) {
  if (ms === null || ms === undefined) return 'never';
  // A replaying paper bridge stamps ticks ahead of the server clock (speed > 1).
  if (ms < 0) return `${age(-ms)} ahead`;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7200000) return `${Math.round(ms / 60000)} min`;
  return `${(ms / 3600000).toFixed(1)} h`;
}
const since = (ms) => (ms < 0 ? `${age(-ms)} ahead of the server clock` : `${age(ms)} ago`);
const money = (v) => (v === null || v === undefined ? '—' : Number(v).toFixed(2));
const short = (id) => (id ? id.slice(-8) : '');

function notice(text, kind = 'info') {
  const n = $('notice');
  n.textContent = text;
  n.dataset.kind = kind;
  n.hidden = !text;
}

async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = state.csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (res.status === 401) {
    location.replace('/admin/login');
    throw new Error('not logged in');
  }
  if (!res.ok) {
    const msg = json && json.error ? `${json.error.message} (${json.error.code})` : `HTTP ${res.status}`;
    throw new Error(msg);
  }
  return json;
}

// A control: optional confirmation, then the POST; the answer or the error in the notice line.
async function control(label, path, body, { confirmText, done } = {}) {
  if (confirmText && !window.confirm(confirmText)) return;
  try {
    const r = await call('POST', path, body);
    notice(`${label}: done.`, 'ok');
    if (done) done(r);
    await refresh();
  } catch (e) {
    notice(`${label} refused: ${e.message}`, 'error');
  }
}

function renderEngine(o) {
  const e = o.engine;
  const eng = $('engine-state');
  eng.textContent = e.paused ? 'engine PAUSED' : 'engine running';
  eng.dataset.state = e.paused ? 'paused' : 'running';
  const kill = $('kill-state');
  kill.textContent = e.kill_switch ? 'kill switch ON' : 'kill switch off';
  kill.dataset.state = e.kill_switch ? 'on' : 'off';
  const et = $('engine-toggle');
  et.textContent = e.paused ? 'Resume engine' : 'Pause engine';
  et.disabled = false;
  const kt = $('kill-toggle');
  kt.textContent = e.kill_switch ? 'Kill switch OFF' : 'Kill switch ON';
  kt.disabled = false;
  const stats = [
    ['ticks', e.ticks], ['bars', e.bars], ['signals', e.signals],
    ['dropped while paused', e.signals_dropped_paused], ['duplicates', e.duplicate_signals],
    ['late ticks', e.late_ticks], ['last tick', e.last_tick_at ? since(o.server_time - e.last_tick_at) : 'never'],
    ['fires accepted', e.fires_accepted], ['fires refused', e.fires_refused],
    ['results', e.results_processed], ['HUD streams', e.sse_streams], ['store', e.store_health],
  ];
  const dl = $('engine-stats');
  dl.replaceChildren();
  for (const [k, v] of stats) dl.append(el('dt', k), el('dd', v));
  fill('feeds', o.feeds.map((f) => {
    const r = row([f.symbol, utc(f.last_tick_at), age(f.age_ms), f.bid, f.ask]);
    if (f.age_ms > 60000) r.className = 'stale';
    return r;
  }), 'No ticks yet.');
}

function renderFunnel(o) {
  const shield = new Map(o.signals.map((s) => [s.signal_id, s]));
  fill('funnel', o.funnel.map((f) => {
    const s = shield.get(f.signal_id);
    const band = s ? el('span', `${s.shield.band.replace('SHIELD_', '')} ${s.shield.score}`, { class: 'band', title: s.shield.explanation, 'data-band': s.shield.band }) : '—';
    const controls = el('span', undefined, { class: 'controls' });
    const live = o.server_time < f.expires_at;
    const trace = el('button', 'trace', { type: 'button', title: 'Show this signal in the journal' });
    trace.addEventListener('click', () => traceId(f.signal_id));
    controls.append(trace);
    if (live) {
      const resend = el('button', 're-send', { type: 'button', title: 'Queue the group alert and the pending DMs again' });
      resend.addEventListener('click', () => control('Re-send alert', `/admin/api/signals/${f.signal_id}/resend`));
      const cancel = el('button', 'cancel', { type: 'button', class: 'danger', title: 'Cancel every pending mission of this signal' });
      cancel.addEventListener('click', () => control('Cancel signal', `/admin/api/signals/${f.signal_id}/cancel`, undefined,
        { confirmText: `Cancel signal ${f.symbol} ${short(f.signal_id)} and all its pending missions?` }));
      controls.append(resend, cancel);
    }
    const sid = el('code', short(f.signal_id), { title: f.signal_id, class: 'id' });
    const r = row([sid, `${f.symbol}${s ? ` ${s.side}` : ''}`, utc(f.created_at), band, f.built, f.alerted,
      f.hud_opened, f.fired, f.filled, f.closed, f.cancelled, controls]);
    r.dataset.signalId = f.signal_id;
    return r;
  }), 'No signals yet.');
  fill('blocked', [...o.blocked].reverse().map((b) => row([utc(b.bar_time), b.symbol, b.side, b.setup,
    b.confidence, `${b.shield.band.replace('SHIELD_', '')} ${b.shield.score}`, b.reason])), 'CITADEL has blocked nothing since the start.');
}

function renderTerminals(o) {
  fill('terminals', o.terminals.map((t) => {
    const st = t.online ? 'online' : (t.last_heartbeat_at ? 'offline' : 'never seen');
    const rotate = el('button', 'rotate secret', { type: 'button', class: 'danger' });
    rotate.addEventListener('click', () => control('Rotate secret', `/admin/api/terminals/${t.terminal_id}/rotate-secret`, undefined, {
      confirmText: `Give terminal ${t.terminal_id} a new secret? Its current secret stops working at once.`,
      done: (r) => {
        $('secret-terminal').textContent = r.terminal_id;
        $('secret-value').textContent = r.secret_hex;
        $('secret-warning').textContent = r.warning || '';
        $('secret-box').hidden = false;
      },
    }));
    const state = el('span', st, { class: 'pill', 'data-state': t.online ? 'running' : 'paused' });
    return row([t.terminal_id, state, age(t.heartbeat_age_ms), `${money(t.balance)} ${t.currency}`,
      money(t.equity), t.positions, t.queued_commands, rotate]);
  }), 'No terminals.');
}

function renderOutbox(o) {
  const b = o.outbox;
  const dl = $('outbox-stats');
  dl.replaceChildren();
  for (const [k, v] of [['depth (pending)', b.depth], ['sent in the last hour', b.sent_last_hour],
    ['oldest pending', b.oldest_pending_age_ms === null ? '—' : age(b.oldest_pending_age_ms)],
    ['sent', b.by_status.sent], ['failed', b.by_status.failed], ['unknown', b.by_status.unknown]]) {
    dl.append(el('dt', k), el('dd', v));
  }
  fill('outbox-errors', b.errors.map((e) => row([e.id, e.method, e.status, e.attempts, e.error])), 'No errors.');
}

function renderUsers(o) {
  fill('users', o.users.map((u) => {
    const select = el('select', undefined, { title: `Tier of ${u.name}` });
    select.dataset.userId = u.user_id;
    for (const t of TIERS) {
      const opt = el('option', t, { value: t });
      if (t === u.tier) opt.selected = true;
      select.append(opt);
    }
    select.addEventListener('change', () => control(`Tier of ${u.name}`, `/admin/api/users/${u.user_id}/tier`, { tier: select.value }));
    const flags = [u.paused ? 'paused' : '', u.killed ? 'killed' : '', u.telegram ? '' : 'no Telegram'].filter(Boolean).join(', ');
    const res = u.results;
    const r = row([u.name, u.tier, u.xp, res.trades, res.win_rate === null ? '—' : `${res.win_rate}%`, money(res.pnl),
      flags || '—', u.terminal_id || '—', select]);
    r.dataset.userId = u.user_id;
    return r;
  }), o.users_query ? 'No user matches.' : 'No users.');
  // The overview carries at most 200 users (the first by id, or the matches of the search).
  const shown = o.users.length;
  $('users-summary').textContent = o.users_query
    ? `${o.users_matched} of ${o.users_total} users match “${o.users_query}”${o.users_matched > shown ? `; the first ${shown} shown` : ''}.`
    : `${o.users_total} users${o.users_total > shown ? `; the first ${shown} shown: search to find others` : ''}.`;
}

async function refresh() {
  try {
    const q = state.usersQuery ? `?users=${encodeURIComponent(state.usersQuery)}` : '';
    const o = await call('GET', `/admin/api/overview${q}`);
    state.overview = o;
    renderEngine(o);
    renderFunnel(o);
    renderTerminals(o);
    renderOutbox(o);
    renderUsers(o);
    $('updated').textContent = `Updated ${utc(o.server_time)} UTC (server clock).`;
    if (!state.traced) await traceId('');  // the latest events follow the poll; a trace stays put
  } catch (e) {
    $('updated').textContent = `Update failed: ${e.message}`;
  }
}

async function refreshCharts() {
  try {
    const c = await call('GET', '/admin/api/charts');
    window.BittenCharts.render(c);
  } catch (e) {
    $('latency-pct').textContent = `charts failed: ${e.message}`;
  }
}

function describe(ev) {
  const p = ev.payload || {};
  const parts = [];
  for (const [k, v] of Object.entries(p)) {
    if (k === 'mission_ids') parts.push(`${k}: ${v.length}`);
    else parts.push(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  }
  return parts.join(', ');
}

async function traceId(id) {
  state.traced = id;
  $('trace-id').value = id;
  const path = id ? `/admin/api/journal?id=${encodeURIComponent(id)}` : '/admin/api/journal';
  try {
    const r = await call('GET', path);
    $('trace-summary').textContent = id
      ? `${r.events.length} events name ${id} (with its missions and fires).`
      : `The latest ${r.events.length} events.`;
    fill('journal', r.events.map((ev) => {
      const ids = [['signal', ev.signal_id], ['mission', ev.mission_id], ['fire', ev.fire_id], ['user', ev.user_id],
        ['terminal', ev.terminal_id]].filter(([, v]) => v);
      const idBox = el('span', undefined, { class: 'ids' });
      for (const [k, v] of ids) {
        const a = el('a', `${k} ${k === 'terminal' ? v : short(v)}`, { href: '#', title: v });
        a.addEventListener('click', (e) => {
          e.preventDefault();
          traceId(v);
        });
        idBox.append(a, ' ');
      }
      return row([ev.seq, utc(ev.time), ev.type, idBox, describe(ev)]);
    }), id ? `No event names ${id}.` : 'The journal is empty.');
  } catch (e) {
    $('trace-summary').textContent = `Trace failed: ${e.message}`;
  }
}

async function start() {
  try {
    const s = await call('GET', '/admin/api/session');
    state.csrf = s.csrf;
    $('who').textContent = s.admin;
  } catch {
    return;  // redirected to the login page
  }
  $('engine-toggle').addEventListener('click', () => {
    const paused = state.overview && state.overview.engine.paused;
    control(paused ? 'Resume engine' : 'Pause engine', paused ? '/admin/api/engine/resume' : '/admin/api/engine/pause');
  });
  $('kill-toggle').addEventListener('click', () => {
    const on = !(state.overview && state.overview.engine.kill_switch);
    control(on ? 'Kill switch on' : 'Kill switch off', '/admin/api/kill-switch', { on },
      on ? { confirmText: 'Refuse every fire of every trader until the kill switch is lifted?' } : {});
  });
  $('logout').addEventListener('click', async () => {
    try {
      await call('POST', '/admin/api/logout');
    } finally {
      location.replace('/admin/login');
    }
  });
  $('secret-close').addEventListener('click', () => {
    $('secret-value').textContent = '';
    $('secret-box').hidden = true;
  });
  $('trace-form').addEventListener('submit', (e) => {
    e.preventDefault();
    traceId($('trace-id').value.trim());
  });
  $('trace-recent').addEventListener('click', () => traceId(''));
  $('users-form').addEventListener('submit', (e) => {
    e.preventDefault();
    state.usersQuery = $('users-query').value.trim();
    refresh();
  });
  await refresh();
  refreshCharts();
  setInterval(refresh, 3000);
  setInterval(refreshCharts, 15000);
}

start();
