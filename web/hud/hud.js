// BITTEN HUD: one mission, live. Plain JS, no framework, no external requests.
//
// Auth: inside Telegram the launch params come in the URL hash (tgWebAppData = raw initData) and are
// sent as "Authorization: tma <initData>". Outside Telegram a dev-login token (?token= or #token=)
// is sent as "Authorization: Bearer <token>". The Fire button never claims success without the
// server's 202/200 (LESSONS: the old HUD faked it).
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const TERMINAL = new Set(['closed', 'rejected', 'expired', 'cancelled', 'failed', 'undelivered']);
  const STEPS = ['fired', 'delivered', 'filled', 'closed'];

  // ---- launch parameters -------------------------------------------------------------------------
  const query = new URLSearchParams(location.search);
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const launch = (name) => hash.get(name) ?? query.get(name);

  const initData = launch('tgWebAppData');
  let devToken = hash.get('token') ?? query.get('token');
  if (devToken) {
    try { sessionStorage.setItem('bitten.token', devToken); } catch { /* private mode */ }
    // Keep the token out of the address bar, history and screenshots.
    query.delete('token');
    hash.delete('token');
    const q = query.toString();
    const h = hash.toString();
    history.replaceState(null, '', location.pathname + (q ? '?' + q : '') + (h ? '#' + h : ''));
  } else {
    try { devToken = sessionStorage.getItem('bitten.token'); } catch { devToken = null; }
  }
  const authorization = initData ? 'tma ' + initData : devToken ? 'Bearer ' + devToken : null;

  const missionParam = query.get('mission') ?? hash.get('mission');
  const startParam = launch('tgWebAppStartParam') ?? query.get('startapp');

  applyTheme(launch('tgWebAppThemeParams'));
  telegramEvent('web_app_ready');
  telegramEvent('web_app_expand');

  // ---- state ---------------------------------------------------------------------------------------
  let mission = null;
  let skewMs = 0;          // server clock − local clock, from X-Server-Time
  let skewKnown = false;
  let firing = false;
  let confirming = false;

  // ---- Telegram glue (no telegram.org script: the documented postEvent bridge) ---------------------
  function telegramEvent(type, data) {
    const json = JSON.stringify(data ?? {});
    try {
      if (window.TelegramWebviewProxy) {
        window.TelegramWebviewProxy.postEvent(type, json);
      } else if (window.external && 'notify' in window.external) {
        window.external.notify(JSON.stringify({ eventType: type, eventData: data ?? {} }));
      } else if (window.parent !== window) {
        window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data ?? {} }), '*');
      }
    } catch { /* not inside Telegram */ }
  }

  function applyTheme(raw) {
    if (!raw) return;
    let theme;
    try { theme = JSON.parse(raw); } catch { return; }
    const color = (v) => (typeof v === 'string' && /^#[0-9a-fA-F]{3,8}$/.test(v) ? v : null);
    const vars = {
      '--bg': color(theme.bg_color),
      '--card': color(theme.secondary_bg_color) || color(theme.section_bg_color) || color(theme.bg_color),
      '--text': color(theme.text_color),
      '--hint': color(theme.hint_color) || color(theme.subtitle_text_color),
      '--accent': color(theme.button_color),
      '--accent-text': color(theme.button_text_color),
      '--line': color(theme.section_separator_color) || color(theme.hint_color),
    };
    const root = document.documentElement.style;
    for (const [cssVar, value] of Object.entries(vars)) if (value) root.setProperty(cssVar, value);
    if (typeof theme.bg_color === 'string') {
      document.documentElement.style.colorScheme = isLight(theme.bg_color) ? 'light' : 'dark';
    }
  }

  function isLight(hex) {
    const h = hex.replace('#', '');
    const full = h.length === 3 ? h.split('').map((c) => c + c).join('') : h.slice(0, 6);
    const n = parseInt(full, 16);
    const lum = 0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
    return lum > 150;
  }

  // ---- HTTP ----------------------------------------------------------------------------------------
  function noteServerTime(res, sentAt) {
    const serverTime = Number(res.headers.get('X-Server-Time'));
    if (!Number.isFinite(serverTime) || serverTime <= 0) return;
    const now = Date.now();
    skewMs = serverTime - (sentAt + now) / 2;  // the server answered about half way
    skewKnown = true;
  }

  const serverNow = () => Date.now() + skewMs;

  // Returns {ok, status, body}. A network failure is {ok:false, status:0, body:{error:{...}}}.
  async function api(method, path, body) {
    const headers = { Accept: 'application/json', Authorization: authorization };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const sentAt = Date.now();
    let res;
    try {
      res = await fetch(path, {
        method, headers, cache: 'no-store',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      return { ok: false, status: 0,
               body: { error: { code: 'network', message: 'The server cannot be reached. Check your connection.' } } };
    }
    noteServerTime(res, sentAt);
    let parsed = null;
    try { parsed = await res.json(); } catch { parsed = null; }
    if (!res.ok && !(parsed && parsed.error)) {
      parsed = { error: { code: 'http_' + res.status, message: `The server answered ${res.status}.` } };
    }
    return { ok: res.ok, status: res.status, body: parsed };
  }

  const errorText = (body) =>
    (body && body.error && body.error.message) || 'Something went wrong. Please try again.';

  // ---- view ----------------------------------------------------------------------------------------
  function notice(text) {
    const el = $('notice');
    el.textContent = text;
    el.hidden = !text;
  }

  function showError(text) {
    const el = $('error');
    el.textContent = text || '';
    el.hidden = !text;
  }

  const setText = (id, text) => { $(id).textContent = text ?? '—'; };
  const price = (v, digits) => (typeof v === 'number' ? v.toFixed(digits) : '—');
  const money = (v, ccy) => (typeof v === 'number' ? `${v.toFixed(2)} ${ccy || ''}`.trim() : '—');
  const pips = (v) => (typeof v === 'number' ? `${v.toFixed(1)} pips` : '');

  function render() {
    const m = mission;
    if (!m) return;
    $('mission').hidden = false;
    const digits = Number.isInteger(m.digits) ? m.digits : 5;
    setText('symbol', m.symbol);
    const side = $('side');
    side.textContent = m.side ?? '—';
    side.className = 'side ' + (m.side === 'BUY' || m.side === 'SELL' ? m.side : '');
    setText('status', m.status);
    setText('class', m.class);
    setText('setup', m.setup);
    setText('confidence', typeof m.confidence === 'number' ? String(m.confidence) : '—');
    const shield = m.shield || {};
    setText('shield-band', shield.band);
    setText('shield-score', typeof shield.score === 'number' ? String(shield.score) : '');
    $('shield-explanation').textContent = shield.explanation || '';
    setText('entry', price(m.entry, digits));
    setText('sl', price(m.sl, digits));
    setText('tp', price(m.tp, digits));
    $('sl-pips').textContent = pips(m.sl_pips);
    $('tp-pips').textContent = pips(m.tp_pips);
    setText('lots', typeof m.lots === 'number' ? String(m.lots) : '—');
    setText('risk', money(m.risk_money, m.currency));
    setText('reward', money(m.reward_money, m.currency));
    setText('rr', typeof m.rr === 'number' ? `1:${m.rr.toFixed(2)}` : '—');
    $('tier').textContent = tierLine(m);
    $('briefing').textContent = m.briefing || '';
    renderFire();
    renderProgress();
    tick();
  }

  function tierLine(m) {
    const t = m.tier;
    if (!t) return '';
    let line = `Tier ${t.name}`;
    if (Array.isArray(t.may_fire) && t.may_fire.length) line += ` · may fire ${t.may_fire.join(', ')}`;
    if (t.upgrade_to && m.blocked) line += ` · ${t.upgrade_to} can fire this mission`;
    return line;
  }

  function expired() {
    return mission && typeof mission.expires_at === 'number' && mission.expires_at <= serverNow();
  }

  // Why the Fire button is off, or null when it may be pressed.
  function fireBlockReason() {
    const m = mission;
    if (!m) return 'No mission.';
    if (m.status !== 'pending') return null;  // the progress list explains what happened
    if (expired()) return 'This mission has expired.';
    if (!m.can_fire) return (m.blocked && m.blocked.reason) || 'You cannot fire this mission.';
    return null;
  }

  function renderFire() {
    const m = mission;
    const button = $('fire');
    const pending = m && m.status === 'pending';
    const reason = fireBlockReason();
    const mayFire = pending && !reason && m.can_fire && !expired();
    button.disabled = !mayFire || firing || confirming;
    button.textContent = firing ? 'SENDING…' : pending ? 'FIRE' : (m && m.status ? m.status.toUpperCase() : 'FIRE');
    const blocked = $('blocked');
    blocked.textContent = reason || '';
    blocked.hidden = !reason;
    if (!mayFire && confirming) closeConfirm();
  }

  function renderProgress() {
    const m = mission;
    const fire = m && m.fire;
    const list = $('progress');
    const status = (fire && fire.status) || (m && m.status);
    if (!fire && !(m && STEPS.includes(m.status))) {
      list.hidden = true;
      $('outcome').textContent = '';
      return;
    }
    list.hidden = false;
    const reached = STEPS.indexOf(status);
    for (const li of list.children) {
      const idx = STEPS.indexOf(li.dataset.step);
      li.classList.toggle('done', reached >= 0 && idx < reached);
      li.classList.toggle('current', idx === reached);
      li.classList.remove('failed');
    }
    const digits = Number.isInteger(m.digits) ? m.digits : 5;
    $('fill-price').textContent = fire && typeof fire.fill_price === 'number' ? '@ ' + price(fire.fill_price, digits) : '';
    $('ticket').textContent = fire && fire.ticket != null ? `#${fire.ticket}` : '';
    const profit = $('profit');
    if (fire && typeof fire.profit === 'number') {
      profit.textContent = money(fire.profit, m.currency) + (fire.close_reason ? ` (${fire.close_reason})` : '');
      profit.className = fire.profit > 0 ? 'win' : fire.profit < 0 ? 'loss' : '';
    } else {
      profit.textContent = '';
      profit.className = '';
    }
    let outcome = '';
    if (reached < 0 && status) {
      outcome = `Order ${status}.`;
      if (status === 'undelivered') outcome = 'Waiting for your terminal to pick up the order…';
      if (status === 'rejected') outcome = 'The broker rejected the order.';
    }
    $('outcome').textContent = outcome;
  }

  function tick() {
    const el = $('countdown');
    const m = mission;
    if (!m || typeof m.expires_at !== 'number') { el.textContent = '—'; return; }
    if (m.status !== 'pending') {
      el.textContent = m.status === 'expired' ? 'expired' : '—';
      return;
    }
    const left = m.expires_at - serverNow();
    if (left <= 0) {
      el.textContent = 'expired';
    } else {
      const s = Math.floor(left / 1000);
      const h = Math.floor(s / 3600);
      const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
      const ss = String(s % 60).padStart(2, '0');
      el.textContent = (h > 0 ? `${h}:` : '') + `${mm}:${ss}` + (skewKnown ? '' : ' (local clock)');
    }
    renderFire();
  }

  // ---- fire ----------------------------------------------------------------------------------------
  function openConfirm() {
    if (fireBlockReason() || !mission || mission.status !== 'pending') return;
    confirming = true;
    showError('');
    const m = mission;
    $('confirm-text').textContent =
      `Fire ${m.side} ${m.lots} lots ${m.symbol}, risking ${money(m.risk_money, m.currency)}?`;
    $('confirm-box').hidden = false;
    renderFire();
    $('confirm').focus();
  }

  function closeConfirm() {
    confirming = false;
    $('confirm-box').hidden = true;
  }

  async function fire() {
    if (firing || !mission) return;
    const missionId = mission.mission_id;
    firing = true;
    closeConfirm();
    showError('');
    renderFire();
    const res = await api('POST', '/api/fire', { mission_id: missionId });
    firing = false;
    if ((res.status === 202 || res.status === 200) && res.body) {
      // Only the server's acceptance makes it "fired".
      if (mission && mission.mission_id === missionId) {
        mission.fire = Object.assign({}, mission.fire || {}, res.body);
        mission.status = res.body.status || 'fired';
        mission.can_fire = false;
      }
      notice(res.body.duplicate ? 'Already fired: this is your existing order.' : '');
      telegramEvent('web_app_trigger_haptic_feedback', { type: 'notification', notification_type: 'success' });
      render();
      refresh(missionId);  // pick up anything that moved meanwhile
    } else {
      showError(errorText(res.body));
      telegramEvent('web_app_trigger_haptic_feedback', { type: 'notification', notification_type: 'error' });
      render();
      if (res.status === 409 || res.status === 410) refresh(missionId);
    }
  }

  // ---- loading -------------------------------------------------------------------------------------
  async function refresh(missionId) {
    const res = await api('GET', '/api/missions/' + encodeURIComponent(missionId));
    if (res.ok && res.body && res.body.mission_id === missionId) {
      mission = res.body;
      render();
    }
  }

  function newest(list) {
    const items = Array.isArray(list) ? list : (list && (list.missions || list.items)) || [];
    let best = null;
    for (const m of items) {
      if (m && (!best || (m.created_at || 0) > (best.created_at || 0))) best = m;
    }
    return best;
  }

  async function load() {
    let res;
    if (missionParam) {
      res = await api('GET', '/api/missions/' + encodeURIComponent(missionParam));
    } else if (startParam) {
      res = await api('GET', '/api/signals/' + encodeURIComponent(startParam) + '/mission');
    } else {
      res = await api('GET', '/api/missions?status=active');
      if (res.ok) {
        const m = newest(res.body);
        if (!m) { notice('No active mission right now. New signals arrive in the group.'); return; }
        res = { ok: true, body: m };
      }
    }
    if (!res.ok) {
      if (res.status === 401) notice('Your login expired or is not valid. Open the HUD again from the bot.');
      else notice(errorText(res.body));
      return;
    }
    notice('');
    mission = res.body;
    render();
  }

  // ---- live updates: SSE over fetch (EventSource cannot send the Authorization header) ------------
  async function listen() {
    let backoff = 1000;
    for (;;) {
      let opened = false;
      try {
        const res = await fetch('/api/events', {
          headers: { Accept: 'text/event-stream', Authorization: authorization }, cache: 'no-store',
        });
        if (res.ok && res.body) {
          opened = true;
          setLive(true);
          backoff = 1000;
          if (mission) refresh(mission.mission_id);  // catch up on what we missed while away
          await readEvents(res.body);
        } else if (res.status === 401) {
          notice('Live updates need a fresh login. Open the HUD again from the bot.');
        }
      } catch { /* network: retry below */ }
      setLive(false);
      const wait = backoff / 2 + Math.random() * backoff / 2;
      backoff = Math.min(backoff * 2, opened ? 8000 : 30000);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  async function readEvents(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;  // keep-alive comment
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = val;
          else if (field === 'data') data.push(val);
        }
        if (data.length) onEvent(event, data.join('\n'));
      }
    }
  }

  function onEvent(event, text) {
    let data;
    try { data = JSON.parse(text); } catch { return; }
    if (!data) return;
    if (!mission) {
      // Waiting for a mission (none was active): show the first new one.
      if (event === 'mission' && !missionParam && !startParam && data.status === 'pending') {
        notice('');
        mission = data;
        render();
      }
      return;
    }
    if (event === 'mission' && data.mission_id === mission.mission_id) {
      mission = data;
      render();
    } else if ((event === 'fill' || event === 'close') && data.mission_id === mission.mission_id) {
      refresh(mission.mission_id);
    }
  }

  function setLive(on) {
    const el = $('live');
    el.textContent = on ? 'live' : 'offline';
    el.classList.toggle('on', on);
  }

  // ---- start ---------------------------------------------------------------------------------------
  document.addEventListener('DOMContentLoaded', () => {
    $('fire').addEventListener('click', openConfirm);
    $('confirm').addEventListener('click', fire);
    $('cancel').addEventListener('click', () => { closeConfirm(); renderFire(); });
    if (!authorization) {
      notice('Not signed in. Open this page from the BITTEN bot in Telegram, or use a login link ' +
             '(bitten users login-link) outside Telegram.');
      return;
    }
    load().then(() => {
      setInterval(tick, 250);
      listen();
    });
  });
})();
