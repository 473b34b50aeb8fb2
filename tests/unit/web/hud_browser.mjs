// Drives the HUD (web/hud/) in headless Chromium against the HttpServer started by hud_test.cc.
// Usage: node hud_browser.mjs <base_url> <chromium> <init_data>. Exit 0 on success; prints why not.
import { chromium } from 'playwright-core';

const [base, executablePath, initData] = process.argv.slice(2);
const fail = (msg) => { console.error('HUD check failed: ' + msg); process.exitCode = 1; };

const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
try {
  const external = [];
  const errors = [];
  const open = async (url) => {
    const page = await browser.newPage();
    page.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    return page;
  };
  const text = async (page, sel) => ((await page.textContent(sel)) ?? '').trim();

  // No credentials: a clear message, no mission.
  let page = await open(base + '/hud/');
  const notice = await text(page, '#notice');
  if (!/Not signed in/.test(notice)) fail('no-auth notice missing: ' + notice);

  // Telegram launch: initData + startapp (signal id) in the hash, theme params.
  const theme = JSON.stringify({ bg_color: '#ffffff', text_color: '#111111' });
  page = await open(base + '/hud/#tgWebAppData=' + encodeURIComponent(initData) +
    '&tgWebAppStartParam=sig-1&tgWebAppThemeParams=' + encodeURIComponent(theme));
  await page.waitForSelector('#mission:not([hidden])', { timeout: 10000 });
  const expect = { '#symbol': 'EURUSD', '#side': 'BUY', '#status': 'pending', '#entry': '1.08501',
                   '#sl': '1.08250', '#tp': '1.08750', '#lots': '0.12' };
  for (const [sel, want] of Object.entries(expect)) {
    const got = await text(page, sel);
    if (got !== want) fail(`${sel} is "${got}", want "${want}"`);
  }
  // The server clock runs an hour ahead of this machine: the countdown must follow the server.
  await page.waitForTimeout(400);
  const countdown = await text(page, '#countdown');
  if (!/^0[01]:[0-5]\d$/.test(countdown)) fail('countdown not corrected by X-Server-Time: ' + countdown);
  const bg = await page.evaluate(() => document.documentElement.style.getPropertyValue('--bg'));
  if (bg !== '#ffffff') fail('theme not applied: ' + bg);

  // Fire: a confirmation step first, nothing is sent before it.
  await page.click('#fire');
  await page.waitForSelector('#confirm', { state: 'visible' });
  if ((await text(page, '#status')) !== 'pending') fail('status changed before confirmation');
  await page.click('#confirm');
  // fired → delivered → filled → closed, pushed over SSE by the test server.
  await page.waitForFunction(() => document.getElementById('profit').textContent.includes('42.50'),
                             null, { timeout: 10000 });
  const fill = await text(page, '#fill-price');
  const ticket = await text(page, '#ticket');
  if (!fill.includes('1.08503')) fail('fill price: ' + fill);
  if (!ticket.includes('512331')) fail('ticket: ' + ticket);
  if ((await text(page, '#status')) !== 'closed') fail('final status: ' + (await text(page, '#status')));
  if (!(await page.isDisabled('#fire'))) fail('fire still enabled after the fire');

  // A refused fire shows the server's words, never success.
  page = await open(base + '/hud/?mission=m-offline#tgWebAppData=' + encodeURIComponent(initData));
  await page.waitForSelector('#mission:not([hidden])', { timeout: 10000 });
  await page.click('#fire');
  await page.click('#confirm');
  await page.waitForSelector('#error:not([hidden])', { timeout: 10000 });
  const err = await text(page, '#error');
  if (err !== 'Your terminal has not reported for 2 minutes.') fail('error text: ' + err);
  if ((await text(page, '#status')) !== 'pending') fail('refused fire changed the status');

  // Blocked mission: button disabled with the reason.
  page = await open(base + '/hud/?mission=m-blocked#tgWebAppData=' + encodeURIComponent(initData));
  await page.waitForSelector('#mission:not([hidden])', { timeout: 10000 });
  if (!(await page.isDisabled('#fire'))) fail('blocked mission can be fired');
  const blocked = await text(page, '#blocked');
  if (!blocked.includes('may not fire')) fail('blocked reason: ' + blocked);

  if (external.length) fail('external requests: ' + external.join(', '));
  if (errors.length) fail('page errors: ' + errors.join('; '));
} finally {
  await browser.close();
}
