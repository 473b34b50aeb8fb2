// BITTEN HUD (docs/hud.md): the trader's mission, live. Plain JS, no framework, no external request;
// the chart library (lightweight-charts, served by bitten at /vendor/lightweight-charts/) is loaded
// after the first paint.
//
// Auth: inside Telegram the raw initData (window.Telegram.WebApp.initData when a host page injected
// telegram-web-app.js, else the launch hash's tgWebAppData) is sent as "Authorization: tma <initData>";
// outside Telegram a dev-login token (?token=, from `bitten users login-link`) is sent as
// "Authorization: Bearer <token>". The Fire button never claims success without the server's
// 202/200 (LESSONS: the old HUD faked it), and it is disabled whenever the server would refuse.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const STEPS = ['fired', 'delivered', 'filled', 'closed'];
  const CHART_LIB = '/vendor/lightweight-charts/lightweight-charts.standalone.production.js';

  // ---- launch parameters -------------------------------------------------------------------------
  const query = new URLSearchParams(location.search);
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const launch = (name) => hash.get(name) ?? query.get(name);
  const webApp = window.Telegram && window.Telegram.WebApp;  // only if a host page provided it

  const initData = (webApp && webApp.initData) || launch('tgWebAppData');
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
  const inTelegram = Boolean(initData);

  const missionParam = query.get('mission') ?? hash.get('mission');
  const startParam = (webApp && webApp.initDataUnsafe && webApp.initDataUnsafe.start_param) ||
                     launch('tgWebAppStartParam') || query.get('startapp');

  // ---- Telegram glue -------------------------------------------------------------------------------
  // telegram-web-app.js is NOT loaded (it would be a request to telegram.org). We speak the Mini App
  // protocol it wraps (core.telegram.org/api/web-events): events to the host through
  // TelegramWebviewProxy.postEvent (mobile/desktop), window.external.notify, or postMessage to the
  // parent frame (Telegram Web); events from the host through Telegram.WebView.receiveEvent or a
  // message. When a page did load telegram-web-app.js, its WebApp object is used instead.
  const handlers = {};
  function postEvent(type, data) {
    const payload = data ?? {};
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(type, JSON.stringify(payload));
      else if (window.external && 'notify' in window.external) {
        window.external.notify(JSON.stringify({ eventType: type, eventData: payload }));
      } else if (window.parent !== window) {
        window.parent.postMessage(JSON.stringify({ eventType: type, eventData: payload }), '*');
      }
    } catch { /* not inside Telegram */ }
  }
  function receiveEvent(type, data) {
    for (const fn of handlers[type] || []) {
      try { fn(data); } catch (e) { console.error(e); }
    }
  }
  const on = (type, fn) => { (handlers[type] = handlers[type] || []).push(fn); };
  if (!webApp) {
    window.Telegram = window.Telegram || {};
    window.Telegram.WebView = window.Telegram.WebView || {};
    if (!window.Telegram.WebView.receiveEvent) window.Telegram.WebView.receiveEvent = receiveEvent;
    window.TelegramGameProxy_receiveEvent = receiveEvent;
    window.addEventListener('message', (ev) => {
      if (ev.source !== window.parent || ev.source === window) return;
      let m = ev.data;
      try { if (typeof m === 'string') m = JSON.parse(m); } catch { return; }
      if (m && typeof m.eventType === 'string') receiveEvent(m.eventType, m.eventData);
    });
  }

  // Sends a setup event only when its parameters changed (render runs 4 times a second).
  const sent = {};
  const changed = (key, value) => {
    const json = JSON.stringify(value);
    if (sent[key] === json) return false;
    sent[key] = json;
    return true;
  };
  const tg = {
    ready() {
      if (webApp) { webApp.ready(); webApp.expand(); return; }
      postEvent('web_app_ready');
      postEvent('web_app_expand');
      postEvent('web_app_request_theme');
    },
    mainButton(p) {  // p: {text, active, visible, progress, danger}
      if (!changed('main', p)) return;
      const colors = p.danger ? { color: '#d93025', text_color: '#ffffff' } : {};
      if (webApp) {
        webApp.MainButton.setParams({ text: p.text, is_active: p.active, is_visible: p.visible, ...colors });
        if (p.progress) webApp.MainButton.showProgress(); else webApp.MainButton.hideProgress();
        return;
      }
      postEvent('web_app_setup_main_button', {
        is_visible: p.visible, is_active: p.active, text: p.text, is_progress_visible: Boolean(p.progress),
        ...colors,
      });
    },
    backButton(visible) {
      if (!changed('back', Boolean(visible))) return;
      if (webApp) { if (visible) webApp.BackButton.show(); else webApp.BackButton.hide(); return; }
      postEvent('web_app_setup_back_button', { is_visible: visible });
    },
    onMain(fn) { if (webApp) webApp.MainButton.onClick(fn); else on('main_button_pressed', fn); },
    onBack(fn) { if (webApp) webApp.BackButton.onClick(fn); else on('back_button_pressed', fn); },
    onTheme(fn) {
      if (webApp) webApp.onEvent('themeChanged', () => fn(webApp.themeParams));
      else on('theme_changed', (d) => fn(d && d.theme_params));
    },
    haptic(kind) {  // 'impact' | 'success' | 'error' | 'warning'
      if (webApp && webApp.HapticFeedback) {
        if (kind === 'impact') webApp.HapticFeedback.impactOccurred('heavy');
        else webApp.HapticFeedback.notificationOccurred(kind);
        return;
      }
      if (kind === 'impact') postEvent('web_app_trigger_haptic_feedback', { type: 'impact', impact_style: 'heavy' });
      else postEvent('web_app_trigger_haptic_feedback', { type: 'notification', notification_type: kind });
    },
  };

  function applyTheme(theme) {
    if (typeof theme === 'string') {
      try { theme = JSON.parse(theme); } catch { return; }
    }
    if (!theme || typeof theme !== 'object') return;
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
    if (color(theme.bg_color)) document.documentElement.style.colorScheme = isLight(theme.bg_color) ? 'light' : 'dark';
    if (chart) styleChart();
  }

  function isLight(hex) {
    const h = hex.replace('#', '');
    const full = h.length === 3 ? h.split('').map((c) => c + c).join('') : h.slice(0, 6);
    const n = parseInt(full, 16);
    return 0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255) > 150;
  }

  // ---- state ---------------------------------------------------------------------------------------
  let mission = null;      // the mission shown (HUD payload, docs/api.md)
  let firstMissionId = null;
  let me = null;           // GET /api/me
  let missionsList = [];   // GET /api/missions
  const xpByFire = {};     // fire_id -> XP points (from "xp" events)
  let skewMs = 0;          // server clock − local clock, from X-Server-Time
  let skewKnown = false;
  let firing = false;
  let confirming = false;

  // ---- HTTP ----------------------------------------------------------------------------------------
  function noteServerTime(res, sentAt) {
    const serverTime = Number(res.headers.get('X-Server-Time'));
    if (!Number.isFinite(serverTime) || serverTime <= 0) return;
    skewMs = serverTime - (sentAt + Date.now()) / 2;  // the server answered about half way
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
      res = await fetch(path, { method, headers, cache: 'no-store',
                                body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
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
  const errorText = (body) => (body && body.error && body.error.message) || 'Something went wrong. Please try again.';

  // ---- formatting ----------------------------------------------------------------------------------
  const setText = (id, text) => { $(id).textContent = text ?? '—'; };
  const digitsOf = (m) => (m && Number.isInteger(m.digits) ? m.digits : 5);
  const price = (v, digits) => (typeof v === 'number' ? v.toFixed(digits) : '—');
  const money = (v, ccy) => (typeof v === 'number' ? `${v.toFixed(2)} ${ccy || ''}`.trim() : '—');
  const signedMoney = (v, ccy) => (typeof v === 'number' ? (v > 0 ? '+' : '') + money(v, ccy) : '—');
  const pips = (v) => (typeof v === 'number' ? `${v.toFixed(1)} pips` : '');
  const hhmmss = (ms) => new Date(ms).toISOString().slice(11, 19) + ' UTC';
  function age(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return `${s} s`;
    const m = Math.round(s / 60);
    return m < 90 ? `${m} min` : `${Math.round(m / 60)} h`;
  }
  // One pip in price units, from the mission's own stop (no table of instruments in the page).
  function pipSize(m) {
    if (!(m.sl_pips > 0)) return null;
    return Math.pow(10, Math.round(Math.log10(Math.abs(m.entry - m.sl) / m.sl_pips)));
  }

  function notice(text) {
    const el = $('notice');
    el.textContent = text || '';
    el.hidden = !text;
  }
  function showError(text) {
    const el = $('error');
    el.textContent = text || '';
    el.hidden = !text;
  }

  // ---- why a fire is impossible (the server's rules, docs/rules.md, in the same order) -------------
  const expired = () => mission && typeof mission.expires_at === 'number' && mission.expires_at <= serverNow();

  function fireBlockReason() {
    const m = mission;
    if (!m) return 'No mission.';
    const expiredText = `This mission expired at ${hhmmss(m.expires_at).slice(0, 5)} UTC.`;
    if (m.status === 'expired') return expiredText;
    if (m.status !== 'pending') return null;  // the progress list explains what happened
    if (expired()) return expiredText;
    if (me) {
      if (me.kill_switch) return 'Firing is halted by the operator (kill switch). Try again later.';
      if (me.user && me.user.killed) return 'Firing is halted for your account by the operator (kill switch).';
      if (me.user && me.user.paused) return 'Firing is paused for your account by the operator.';
    }
    if (m.blocked && m.blocked.reason) return m.blocked.reason;
    if (me && me.limits) {
      const l = me.limits;
      if (l.fires_used >= l.fires_allowed) {
        return `You have used all ${l.fires_allowed} fires of your ${me.user.tier} tier today; ` +
               'the count resets at 00:00 UTC.';
      }
      if (l.open >= l.max_open) {
        return `You have ${l.open} open position(s), the most your ${me.user.tier} tier allows (${l.max_open}).`;
      }
    }
    if (me) {
      const t = me.terminal;
      if (!t) return 'You have no MT5 terminal linked, so an order could not reach MetaTrader.';
      const offline = terminalOffline(t);
      if (offline) return offline;
      const l = me.limits;
      if (l && typeof l.daily_loss_cap === 'number' &&
          Math.round((l.daily_exposure + m.risk_money) * 100) > Math.round(l.daily_loss_cap * 100)) {
        return `Today's losses and open risk plus this mission's risk (${money(l.daily_exposure + m.risk_money, m.currency)}) ` +
               `would exceed your daily loss cap of ${money(l.daily_loss_cap, m.currency)}.`;
      }
    }
    if (!m.can_fire) return 'You cannot fire this mission.';
    return null;
  }

  // The terminal's state in words when it cannot take an order, else null.
  function terminalOffline(t) {
    if (!t.last_heartbeat_at) return `Your terminal ${t.terminal_id} is offline: it has never reported.`;
    const since = hhmmss(t.last_heartbeat_at);
    const ago = age(serverNow() - t.last_heartbeat_at);
    if (!t.online) {
      if (!t.connected && t.heartbeat_age_ms !== null && t.heartbeat_age_ms < 60000) {
        return `Your terminal ${t.terminal_id} is not connected to its broker (last report ${ago} ago).`;
      }
      if (!t.trade_allowed && t.connected) {
        return `Your terminal ${t.terminal_id} does not allow trading (enable Algo Trading in MT5).`;
      }
      return `Your terminal ${t.terminal_id} is offline since ${since} (last report ${ago} ago).`;
    }
    return null;
  }

  // ---- view ----------------------------------------------------------------------------------------
  function render() {
    renderMe();
    renderList();
    const m = mission;
    if (!m) { renderMainButton(); return; }
    $('mission').hidden = false;
    const digits = digitsOf(m);
    setText('symbol', m.symbol);
    const side = $('side');
    side.textContent = m.side ?? '—';
    side.className = 'side ' + (m.side === 'BUY' || m.side === 'SELL' ? m.side : '');
    setText('status', m.status);
    setText('class', m.class);
    setText('setup', m.setup);
    setText('confidence', typeof m.confidence === 'number' ? String(m.confidence) : '—');
    const shield = m.shield || {};
    const band = $('shield-band');
    band.textContent = shield.band ?? '—';
    band.className = 'band ' + String(shield.band || '').toLowerCase();
    setText('shield-score', typeof shield.score === 'number' ? `${shield.score}/10` : '');
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
    setText('expires', typeof m.expires_at === 'number' ? hhmmss(m.expires_at).slice(0, 5) + ' UTC' : '—');
    $('tier').textContent = tierLine(m);
    $('briefing').textContent = m.briefing || '';
    renderFire();
    renderProgress();
    tick();
    chartMission();
  }

  function tierLine(m) {
    const t = m.tier;
    if (!t) return '';
    const allows = Array.isArray(t.may_fire) && t.may_fire.length ? t.may_fire.join(' and ') : 'no class';
    let line = `Your tier ${t.name} may fire ${allows}.`;
    if (m.blocked && m.blocked.code === 'tier_not_allowed') {
      line += ` Not ${m.class}: ` + (t.upgrade_to ? `upgrade to ${t.upgrade_to} or above to fire it.` : 'no tier may fire it.');
    }
    return line;
  }

  function renderFire() {
    const m = mission;
    const button = $('fire');
    const pending = m && m.status === 'pending';
    const reason = fireBlockReason();
    const mayFire = Boolean(pending && !reason);
    button.disabled = !mayFire || firing || confirming;
    button.textContent = firing ? 'SENDING…' : pending ? 'FIRE' : (m && m.status ? m.status.toUpperCase() : 'FIRE');
    const blocked = $('blocked');
    blocked.textContent = reason || '';
    blocked.hidden = !reason;
    if (!mayFire && confirming) closeConfirm();
    renderMainButton();
  }

  function renderMainButton() {
    if (!inTelegram) return;
    const m = mission;
    const pending = m && m.status === 'pending';
    const mayFire = Boolean(pending && !fireBlockReason());
    if (confirming) tg.mainButton({ text: 'CONFIRM FIRE', active: !firing, visible: true, danger: true, progress: firing });
    else if (pending) tg.mainButton({ text: firing ? 'SENDING…' : `FIRE ${m.side} ${m.lots} ${m.symbol}`, active: mayFire && !firing, visible: true, progress: firing });
    else tg.mainButton({ text: 'FIRE', active: false, visible: false });
    tg.backButton(Boolean(confirming || (m && firstMissionId && m.mission_id !== firstMissionId)));
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
    }
    const digits = digitsOf(m);
    $('fired-at').textContent = fire && fire.fired_at ? hhmmss(fire.fired_at) : '';
    $('delivered-at').textContent = fire && fire.delivered_at ? hhmmss(fire.delivered_at) : '';
    const filled = fire && typeof fire.fill_price === 'number';
    $('fill-price').textContent = filled ? '@ ' + price(fire.fill_price, digits) : '';
    $('ticket').textContent = fire && fire.ticket != null ? `#${fire.ticket}` : '';
    let slip = '';
    const pip = pipSize(m);
    if (filled && pip) {
      const worse = (m.side === 'BUY' ? fire.fill_price - m.entry : m.entry - fire.fill_price) / pip;
      const size = Math.abs(worse).toFixed(1);
      slip = size === '0.0' ? 'no slippage vs entry' : `slippage ${size} pips ${worse > 0 ? 'worse' : 'better'} than entry`;
    }
    $('slippage').textContent = slip;
    const profit = $('profit');
    if (fire && typeof fire.profit === 'number') {
      profit.textContent = signedMoney(fire.profit, m.currency) +
        (fire.close_reason ? ` (${fire.close_reason}` + (typeof fire.close_price === 'number' ? ` @ ${price(fire.close_price, digits)})` : ')') : '');
      profit.className = fire.profit > 0 ? 'win' : fire.profit < 0 ? 'loss' : '';
    } else {
      profit.textContent = '';
      profit.className = '';
    }
    const xp = fire && xpByFire[fire.fire_id];
    $('xp-gain').textContent = status === 'closed' && xp ? `+${xp} XP` : '';
    let outcome = '';
    if (status === 'undelivered') outcome = 'Your terminal has not picked up the order yet; it is sent again when the terminal is back.';
    else if (status === 'rejected') outcome = 'The broker rejected the order.' + (fire && fire.error ? ' ' + fire.error : '');
    else if (status === 'failed') outcome = 'The order failed.';
    else if (reached < 0 && status && !['pending'].includes(status)) outcome = `Mission ${status}.`;
    $('outcome').textContent = outcome;
    list.classList.toggle('failed', status === 'rejected' || status === 'failed');
  }

  function tick() {
    const el = $('countdown');
    const m = mission;
    if (!m || typeof m.expires_at !== 'number') { el.textContent = '—'; return; }
    if (m.status !== 'pending') {
      el.textContent = m.status === 'expired' ? 'expired' : '';
      renderTerminal();
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
    el.classList.toggle('urgent', left > 0 && left < 60000);
    renderFire();
    renderTerminal();
  }

  function renderTerminal() {
    const el = $('terminal');
    if (!me) { el.hidden = true; return; }
    el.hidden = false;
    const t = me.terminal;
    if (!t) {
      el.textContent = 'No MT5 terminal linked.';
      el.className = 'terminal bad';
      return;
    }
    const offline = terminalOffline(t);
    const bal = typeof t.balance === 'number' ? ` · balance ${money(t.balance, t.currency)}` : '';
    el.textContent = offline
      ? offline
      : `Terminal ${t.terminal_id} online · last report ${age(serverNow() - t.last_heartbeat_at)} ago${bal}`;
    el.className = 'terminal ' + (offline ? 'bad' : 'good');
  }

  function renderMe() {
    if (!me || !me.user) return;
    const u = me.user;
    $('me').textContent = `${u.name} · ${u.tier} · L${u.level}`;
    $('stats').hidden = false;
    const prev = typeof u.level_xp === 'number' ? u.level_xp : 0;
    const next = u.next_level_xp;
    $('xp-line').textContent = `${u.xp} XP · level ${u.level} · ${u.rank}` +
      (typeof next === 'number' ? ` · ${Math.max(0, next - u.xp)} XP to level ${u.level + 1}` : '');
    const pct = typeof next === 'number' && next > prev ? ((u.xp - prev) / (next - prev)) * 100 : 100;
    $('xp-fill').style.width = `${Math.max(0, Math.min(100, pct)).toFixed(0)}%`;
    const st = me.stats || {};
    const ccy = (me.terminal && me.terminal.currency) || '';
    setText('st-trades', typeof st.trades === 'number' ? `${st.trades} (${st.wins ?? 0}W/${st.losses ?? 0}L)` : '—');
    setText('st-winrate', typeof st.win_rate === 'number' ? `${st.win_rate}%` : '—');
    setText('st-pnl', signedMoney(st.pnl, ccy));
    setText('st-streak', typeof st.streak === 'number' ? `${st.streak} (best ${st.best_streak ?? 0})` : '—');
    const l = me.limits || {};
    setText('lim-fires', `${l.fires_used ?? '—'} / ${l.fires_allowed ?? '—'}`);
    setText('lim-open', `${l.open ?? '—'} / ${l.max_open ?? '—'}`);
    setText('lim-pnl', signedMoney(l.daily_pnl, ccy));
    setText('lim-cap', typeof l.daily_loss_cap === 'number' ? money(l.daily_loss_cap, ccy) : `${l.daily_loss_cap_pct ?? '—'}%`);
    renderTerminal();
  }

  function renderList() {
    const ul = $('missions');
    const items = missionsList.slice(0, 12);
    $('list').hidden = items.length === 0;
    ul.replaceChildren(...items.map((m) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'item' + (mission && m.mission_id === mission.mission_id ? ' current' : '');
      b.dataset.mission = m.mission_id;
      const profit = m.fire && typeof m.fire.profit === 'number' ? ' · ' + signedMoney(m.fire.profit, m.currency) : '';
      b.textContent = `${m.symbol} ${m.side} · ${m.class} · ${m.status}${profit}`;
      b.addEventListener('click', () => open(m.mission_id));
      li.append(b);
      return li;
    }));
  }

  // ---- chart (lightweight-charts, loaded after the first paint) ------------------------------------
  let chart = null;
  let candles = null;
  let lines = [];
  let chartFor = null;   // mission_id whose lines are drawn
  let libPromise = null;
  let lastBarsAt = 0;

  function loadChartLib() {
    libPromise ??= new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = CHART_LIB;
      s.onload = () => (window.LightweightCharts ? resolve(window.LightweightCharts) : reject(new Error('no chart')));
      s.onerror = () => reject(new Error('chart library not served'));
      document.head.append(s);
    });
    return libPromise;
  }
  const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  function styleChart() {
    chart.applyOptions({
      layout: { background: { color: cssVar('--card') }, textColor: cssVar('--hint') },
      grid: { vertLines: { color: cssVar('--line') }, horzLines: { color: cssVar('--line') } },
    });
  }

  async function chartMission(force) {
    const m = mission;
    if (!m) return;
    let LC;
    try { LC = await loadChartLib(); } catch { $('chart').textContent = 'Chart unavailable.'; return; }
    if (!chart) {
      const el = $('chart');
      chart = LC.createChart(el, {
        height: 220, autoSize: true,
        timeScale: { timeVisible: true, secondsVisible: false },
        rightPriceScale: { borderVisible: false },
      });
      candles = chart.addSeries(LC.CandlestickSeries, {
        upColor: '#2ecc71', downColor: '#ff4d4f', borderVisible: false,
        wickUpColor: '#2ecc71', wickDownColor: '#ff4d4f',
        lastValueVisible: false, priceLineVisible: false,
        // Keep the entry, SL and TP lines in view, not only the bars.
        autoscaleInfoProvider: (original) => {
          const r = original();
          const m = mission;
          if (!m) return r;
          const lo = Math.min(m.sl, m.tp, m.entry);
          const hi = Math.max(m.sl, m.tp, m.entry);
          if (!r || !r.priceRange) return { priceRange: { minValue: lo, maxValue: hi } };
          return { ...r, priceRange: { minValue: Math.min(lo, r.priceRange.minValue),
                                       maxValue: Math.max(hi, r.priceRange.maxValue) } };
        },
      });
      styleChart();
    }
    const d = digitsOf(m);
    candles.applyOptions({ priceFormat: { type: 'price', precision: d, minMove: Math.pow(10, -d) } });
    if (chartFor !== m.mission_id) {
      for (const l of lines) candles.removePriceLine(l);
      lines = [
        candles.createPriceLine({ price: m.entry, color: '#4c8dff', lineWidth: 2, lineStyle: 0, axisLabelVisible: true, title: 'Entry' }),
        candles.createPriceLine({ price: m.sl, color: '#ff4d4f', lineWidth: 2, lineStyle: 2, axisLabelVisible: true, title: 'SL' }),
        candles.createPriceLine({ price: m.tp, color: '#2ecc71', lineWidth: 2, lineStyle: 2, axisLabelVisible: true, title: 'TP' }),
      ];
      chartFor = m.mission_id;
      force = true;
    }
    if (force || Date.now() - lastBarsAt > 15000) await loadBars();
  }

  async function loadBars() {
    const m = mission;
    if (!m || !candles) return;
    lastBarsAt = Date.now();
    const res = await api('GET', `/api/bars?symbol=${encodeURIComponent(m.symbol)}&tf=M1&n=120`);
    if (!res.ok || !res.body || !Array.isArray(res.body.bars) || !mission || mission.symbol !== m.symbol) return;
    candles.setData(res.body.bars.map((b) => ({ time: Math.floor(b.time / 1000), open: b.open, high: b.high, low: b.low, close: b.close })));
    $('chart').dataset.bars = String(res.body.bars.length);
  }

  // ---- fire ----------------------------------------------------------------------------------------
  function openConfirm() {
    if (fireBlockReason() || !mission || mission.status !== 'pending' || firing) return;
    confirming = true;
    showError('');
    const m = mission;
    $('confirm-text').textContent =
      `Fire ${m.side} ${m.lots} lots ${m.symbol} at market (entry ${price(m.entry, digitsOf(m))}, ` +
      `SL ${price(m.sl, digitsOf(m))}, TP ${price(m.tp, digitsOf(m))}), risking ${money(m.risk_money, m.currency)}?`;
    $('confirm-box').hidden = false;
    tg.haptic('impact');
    renderFire();
    $('confirm').focus();
  }

  function closeConfirm() {
    confirming = false;
    $('confirm-box').hidden = true;
  }

  async function fire() {
    if (firing || !mission || !confirming) return;
    const missionId = mission.mission_id;
    firing = true;
    closeConfirm();
    showError('');
    renderFire();
    const res = await api('POST', '/api/fire', { mission_id: missionId });
    firing = false;
    if ((res.status === 202 || res.status === 200) && res.body) {
      // Only the server's acceptance makes it "fired".
      if (mission && mission.mission_id === missionId && rank(mission) <= 1) {
        mission.fire = Object.assign({}, mission.fire || {}, res.body);
        if (!mission.fire.status || mission.fire.status === 'fired') mission.status = 'fired';
        mission.can_fire = false;
      }
      notice(res.body.duplicate ? 'Already fired: this is your existing order.' : '');
      tg.haptic('success');
      render();
      refresh(missionId);  // pick up anything that moved meanwhile
      loadMe();
    } else {
      showError(errorText(res.body));
      tg.haptic('error');
      render();
      refresh(missionId);
      loadMe();
    }
  }

  // ---- loading -------------------------------------------------------------------------------------
  // How far a mission has gone. Answers and events can cross (a GET sent before the fill may answer
  // after the fill's event): a mission never moves back.
  const RANK = { pending: 0, fired: 1, undelivered: 2, delivered: 2, filled: 3 };
  const rank = (m) => RANK[(m.fire && m.fire.status) || m.status] ?? 4;
  // Takes `m` as the shown mission unless it is older news than what is shown.
  function adopt(m) {
    if (!mission || mission.mission_id !== m.mission_id) return false;
    if (rank(m) < rank(mission)) return false;
    mission = m;
    upsertList(m);
    render();
    return true;
  }

  async function refresh(missionId) {
    const res = await api('GET', '/api/missions/' + encodeURIComponent(missionId));
    if (res.ok && res.body && res.body.mission_id === missionId) adopt(res.body);
  }

  async function open(missionId) {
    if (mission && mission.mission_id === missionId) return;
    const res = await api('GET', '/api/missions/' + encodeURIComponent(missionId));
    if (!res.ok) { notice(errorText(res.body)); return; }
    closeConfirm();
    showError('');
    notice('');
    mission = res.body;
    render();
    window.scrollTo(0, 0);
  }

  async function loadMe() {
    const res = await api('GET', '/api/me');
    if (res.ok && res.body) {
      me = res.body;
      renderMe();
      renderFire();
    }
  }

  async function loadList() {
    const res = await api('GET', '/api/missions');
    if (res.ok && res.body) {
      missionsList = Array.isArray(res.body.missions) ? res.body.missions : [];
      renderList();
    }
    return res;
  }

  function upsertList(m) {
    const i = missionsList.findIndex((x) => x.mission_id === m.mission_id);
    if (i >= 0) { if (rank(m) >= rank(missionsList[i])) missionsList[i] = m; }
    else missionsList.unshift(m);
  }

  async function load() {
    loadMe();
    const listed = await loadList();
    let res;
    if (missionParam) {
      res = await api('GET', '/api/missions/' + encodeURIComponent(missionParam));
    } else if (startParam) {
      res = await api('GET', '/api/signals/' + encodeURIComponent(startParam) + '/mission');
    } else {
      if (!listed.ok) res = listed;
      else {
        const active = missionsList.find((m) => m.status === 'pending') ||
                       missionsList.find((m) => ['fired', 'delivered', 'undelivered', 'filled'].includes(m.status));
        if (!active) {
          notice('No active mission right now. New signals arrive in the group; this page shows them live.');
          return;
        }
        res = { ok: true, body: active };
      }
    }
    if (!res.ok) {
      if (res.status === 401) notice('Your login expired or is not valid. Open the HUD again from the bot.');
      else notice(errorText(res.body));
      return;
    }
    notice('');
    mission = res.body;
    firstMissionId = mission.mission_id;
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
    if (event === 'xp') {
      for (const a of data.awards || []) if (a.fire_id) xpByFire[a.fire_id] = (xpByFire[a.fire_id] || 0) + a.points;
      loadMe();
      if (mission) renderProgress();
      return;
    }
    if (event === 'mission' && data.mission_id) {
      upsertList(data);
      if (!mission) {
        // Waiting for a mission (none was active): show the first new one.
        if (!missionParam && !startParam && data.status === 'pending') {
          notice('');
          mission = data;
          firstMissionId = data.mission_id;
          render();
          tg.haptic('warning');
        } else {
          renderList();
        }
        return;
      }
      if (data.mission_id === mission.mission_id) {
        adopt(data);
      } else {
        renderList();
      }
      return;
    }
    if ((event === 'fill' || event === 'close') && mission && data.mission_id === mission.mission_id) {
      refresh(mission.mission_id);
      loadMe();
    } else if (event === 'fill' || event === 'close') {
      loadList();
      loadMe();
    }
  }

  function setLive(on) {
    const el = $('live');
    el.textContent = on ? 'live' : 'offline';
    el.classList.toggle('on', on);
  }

  // ---- start ---------------------------------------------------------------------------------------
  const telegramTheme = (webApp && webApp.themeParams) || launch('tgWebAppThemeParams');
  applyTheme(telegramTheme);
  document.addEventListener('DOMContentLoaded', () => {
    if (inTelegram) {
      document.documentElement.classList.add('in-telegram');
      tg.onTheme(applyTheme);
      tg.onMain(() => (confirming ? fire() : openConfirm()));
      tg.onBack(() => {
        if (confirming) { closeConfirm(); renderFire(); return; }
        if (firstMissionId && mission && mission.mission_id !== firstMissionId) open(firstMissionId);
      });
      tg.ready();
    }
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
      setInterval(loadMe, 5000);
      setInterval(() => { if (mission && !['closed', 'expired', 'cancelled'].includes(mission.status)) loadBars(); }, 15000);
      listen();
    });
  });
})();
