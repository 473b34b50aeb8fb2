// The Commander Throne of issue 7 (/admin) in headless Chromium against a REAL `bitten serve` with a
// paper-bridge terminal replaying real EURUSD data (tests/browser/harness.mjs). The operator's
// password hash is made by the real CLI (`bitten admin hash-password`). Shown, in order:
//
//   - the login page refuses a wrong password (in words) and the console needs a session;
//   - a control sent without the session's CSRF token is refused (403 csrf) and changes nothing,
//     and a trader's dev token does not open the admin API;
//   - the kill switch, switched on from the console, refuses a trader's fire through the user API
//     (403 kill_switch); switched off, the same fire is accepted;
//   - tracing that mission by id in the journal shows its refusal and its fire;
//   - pausing the engine shows it paused (and the server agrees) while ticks keep flowing.
//
// Screenshots go to <build>/tests/browser/artifacts/admin-*.png (BITTEN_ARTIFACTS).
//
//   BITTEN_BINARY=build/default/bitten node --test tests/browser/admin.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import { BINARY, skipReason, startStack } from './harness.mjs';

const PASSWORD = 'throne-browser-password-1';
const USERS = { alice: { telegram_id: 4001, name: 'Alice', tier: 'FANG', terminal: 't1' } };
const text = async (page, sel) => ((await page.textContent(sel)) ?? '').trim();

describe('the Commander Throne in a real browser (issue 7)', { skip: skipReason }, () => {
  let s;
  let page;  // the logged-in console
  let mission;

  before(async () => {
    const hashed = spawnSync(BINARY, ['admin', 'hash-password', '--iterations', '1000'], {
      input: `${PASSWORD}\n`,
      encoding: 'utf8',
    });
    assert.equal(hashed.status, 0, `bitten admin hash-password: ${hashed.stderr}`);
    s = await startStack({
      users: USERS,
      telegram: false,
      config: {
        admin: { password_hash: hashed.stdout.trim() },
        engine: { rapid_ttl_s: 600, precision_ttl_s: 600 },
      },
    });
  });

  after(async () => {
    await s?.stop();
  });

  const check = (name, fn) => it(name, async () => s.check(fn)());
  // The server's view, fetched from inside the logged-in page (its cookie, its CSRF token).
  const overview = () => page.evaluate(async () => (await fetch('/admin/api/overview')).json());

  check('the console needs a login, and a wrong password is refused', async () => {
    const p = await s.newPage({ viewport: { width: 1280, height: 800 } });
    await p.goto(`${s.base}/admin/`);
    await p.waitForURL(/\/admin\/login/);
    await p.fill('#password', 'not the password at all');
    await p.click('#login');
    await p.waitForSelector('#login-error:not([hidden])');
    assert.equal(await text(p, '#login-error'), 'Wrong password.');
    await s.screenshot(p, 'admin-login-refused');
    const cookies = await p.context().cookies();
    assert.equal(cookies.find((c) => c.name === 'bitten_admin'), undefined);
    const r = await p.evaluate(async () => (await fetch('/admin/api/overview')).status);
    assert.equal(r, 401);
  });

  check('the right password opens the console with an HttpOnly SameSite=Strict cookie', async () => {
    page = await s.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.goto(`${s.base}/admin/login`);
    await page.fill('#password', PASSWORD);
    await page.click('#login');
    await page.waitForURL(`${s.base}/admin/`);
    await page.waitForFunction(() => document.getElementById('engine-state').dataset.state === 'running');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'bitten_admin');
    assert.ok(cookie, 'no session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the page can read the session cookie');
  });

  check('a control without the CSRF token is refused; a trader token opens nothing', async () => {
    const r = await page.evaluate(async () => {
      const res = await fetch('/admin/api/engine/pause', { method: 'POST', body: '{}' });
      return { status: res.status, body: await res.json() };
    });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'csrf');
    assert.equal((await overview()).engine.paused, false);
    const trader = await s.api('GET', '/admin/api/overview', { user: 'alice' });
    assert.equal(trader.status, 401);
    assert.equal(trader.json.error.code, 'unauthorized');
  });

  check('a signal arrives and the console shows it with its funnel', async () => {
    mission = await s.waitFor('the first mission of alice', async () => {
      const r = await s.api('GET', '/api/missions?status=active', { user: 'alice' });
      return r.json?.missions?.find((x) => x.status === 'pending');
    }, { timeoutMs: 240000, everyMs: 500 });
    await page.waitForSelector(`#funnel tr[data-signal-id="${mission.signal_id}"]`, { timeout: 10000 });
    const row = await text(page, `#funnel tr[data-signal-id="${mission.signal_id}"]`);
    assert.match(row, /EURUSD/);
    // The HUD fetch above (GET /api/missions) is a list, not an open; open it once like the HUD does.
    const opened = await s.api('GET', `/api/missions/${mission.mission_id}`, { user: 'alice' });
    assert.equal(opened.status, 200);
    await s.waitFor('HUD opened = 1 in the funnel', async () =>
      (await overview()).funnel.find((f) => f.signal_id === mission.signal_id)?.hud_opened === 1);
  });

  check('the kill switch refuses a trader\'s fire; lifted, the fire goes through', async () => {
    page.once('dialog', (d) => d.accept());
    await page.click('#kill-toggle');
    await page.waitForFunction(() => document.getElementById('kill-state').dataset.state === 'on');
    assert.equal(await text(page, '#kill-state'), 'kill switch ON');
    const refused = await s.api('POST', '/api/fire', { user: 'alice', body: { mission_id: mission.mission_id } });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json.error.code, 'kill_switch');
    await s.screenshot(page, 'admin-kill-switch');

    await page.click('#kill-toggle');  // off: no confirmation
    await page.waitForFunction(() => document.getElementById('kill-state').dataset.state === 'off');
    const fired = await s.api('POST', '/api/fire', { user: 'alice', body: { mission_id: mission.mission_id } });
    assert.equal(fired.status, 202, fired.text);
  });

  check('the users search narrows the users table and says how many match', async () => {
    assert.match(await text(page, '#users-summary'), /^1 users\.$/);
    await page.fill('#users-query', 'nobody-here');
    await page.click('#users-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('users-summary').textContent.startsWith('0 of 1'));
    assert.match(await text(page, '#users tbody'), /No user matches/);
    await page.fill('#users-query', 'ALI');  // any case
    await page.click('#users-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('users-summary').textContent.startsWith('1 of 1'));
    assert.match(await text(page, '#users tbody'), /Alice/);
    await page.fill('#users-query', '');
    await page.click('#users-form button[type=submit]');
    await page.waitForFunction(() => /^1 users\.$/.test(document.getElementById('users-summary').textContent));
  });

  check('tracing the mission by id shows its refusal and its fire', async () => {
    await page.fill('#trace-id', mission.mission_id);
    await page.click('#trace-form button[type=submit]');
    await page.waitForFunction(
      () => [...document.querySelectorAll('#journal tbody tr')].some((r) => r.textContent.includes('fire_accepted')),
      null, { timeout: 10000 });
    const rows = await page.$$eval('#journal tbody tr', (trs) => trs.map((r) => r.textContent));
    assert.ok(rows.some((r) => r.includes('fire_refused') && r.includes('kill_switch')), rows.join('\n'));
    assert.ok(rows.some((r) => r.includes('fire_accepted')), rows.join('\n'));
    assert.match(await text(page, '#trace-summary'), new RegExp(mission.mission_id));
    await page.evaluate(() => window.scrollTo(0, 0));  // full page, the sticky header on top
    await s.screenshot(page, 'admin-trace');
  });

  check('pausing the engine shows it paused while ticks keep flowing', async () => {
    await page.click('#engine-toggle');
    await page.waitForFunction(() => document.getElementById('engine-state').dataset.state === 'paused');
    assert.equal(await text(page, '#engine-state'), 'engine PAUSED');
    const before = await overview();
    assert.equal(before.engine.paused, true);
    await s.waitFor('ticks after the pause', async () => (await overview()).engine.ticks > before.engine.ticks);
    // The pause is journaled with the operator of this session.
    const j = await page.evaluate(async () => (await fetch('/admin/api/journal')).json());
    const ev = j.events.find((e) => e.type === 'engine_paused');
    assert.ok(ev, 'no engine_paused event');
    assert.match(ev.payload.by, /^admin#[0-9a-f]{8}$/);
    // The charts (refreshed every 15 s) show the fill of the fire above.
    await s.waitFor('the fill in the latency chart', async () =>
      /^\(1 fill;/.test(await text(page, '#latency-pct')), { timeoutMs: 30000 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await s.screenshot(page, 'admin-console');
  });

  check('bitten audit verify passes on the store the pages worked on', async () => {
    const r = await s.bitten(['audit', 'verify']);
    assert.equal(r.code, 0, `bitten audit verify: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /journal ok/);
  });
});
