// The shared harness of the browser tests (ctest label `browser`): a REAL `bitten serve` with a temp
// TOML config, real `bitten paper-bridge` terminals, optionally the Telegram Bot API emulator, and
// headless Debian Chromium driven by playwright-core. Used by hud.test.mjs and admin.test.mjs.
//
//   import { startStack, skipReason } from './harness.mjs';
//   describe('…', { skip: skipReason }, () => {
//     let s;
//     before(async () => { s = await startStack({ users: {...}, config: {...}, paperBridge: {...} }); });
//     after(() => s?.stop());
//     it('…', async () => { const page = await (await s.browser()).newPage(); … });
//   });
//
// startStack(options) → stack. Options (all optional):
//   users        { key: { telegram_id, name, tier, terminal } }    default: alice FANG on t1
//   terminals    { id: { heartbeat_ttl_ms, folder: true|false } }    default: each user's terminal
//   config       TOML overrides, merged into the defaults: { engine: { rapid_ttl_s: 60 }, admin: {...},
//                tiers: [{ name: 'NIBBLER', may_fire_rapid: false }] } (an array = [[array of tables]])
//   paperBridge  { id: { data, symbol, seed, speed, heartbeatMs, pollMs, balance, extra: [...] } | false }
//                default: the first terminal replays the real EURUSD M1 data at 120x, the others a
//                seeded USDJPY generator; started in the order given, 1.5 s apart
//   telegram     true (default): telegram-test-api emulator + bot token (initData works); false: off
// The stack:
//   base                http URL of the server ("http://127.0.0.1:PORT")
//   dir                 the temp folder (config, SQLite, terminal folders, logs)
//   configPath, secrets { terminal_id: hex }, users (as given), botToken
//   bitten(args)        runs `bitten <args> --config <the config>` → { code, stdout, stderr }
//   devLoginUrl(key, {mission})  a dev-login HUD URL from `bitten users login-link` (the real CLI)
//   devToken(key)       the token of that link
//   initData(key)       signed Telegram initData (needs telegram: true)
//   api(method, path, { user: key | auth: header, body })  → { status, json, text }
//   startBridge(id, opts) / stopBridge(id, signal)  (re)start or kill one paper terminal
//   browser()           playwright-core chromium (executablePath /usr/bin/chromium or
//                       BITTEN_CHROMIUM, headless, --no-sandbox); every page of its contexts records
//                       any request not to `base` and any page error; stop() fails the test on them
//   newPage()           a page of a fresh context of browser() (the common case)
//   external, pageErrors  what was recorded so far (arrays of strings)
//   screenshot(page, name)  PNG under <build>/tests/browser/artifacts/<name>.png; returns its path
//   waitFor(what, fn, {timeoutMs, everyMs}), sleep(ms)
//   fail()              marks the run failed (logs are printed at stop)
//   stop()              kills every child (also on failure), closes the browser, prints the logs of
//                       every process when anything failed, removes the temp folder unless
//                       BITTEN_BROWSER_KEEP=1 or failed; throws if external requests were recorded
//
// Environment: BITTEN_BINARY (default <source>/build/default/bitten), BITTEN_SOURCE_DIR,
// BITTEN_MARKET_DATA (default <source>/../shared/data/market), BITTEN_CHROMIUM, BITTEN_ARTIFACTS
// (default <binary dir>/tests/browser/artifacts), CI=true: anything missing (node packages,
// chromium, binary, data) FAILS instead of skipping.
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.BITTEN_SOURCE_DIR ?? path.resolve(here, '..', '..');
export const BINARY = process.env.BITTEN_BINARY ?? path.join(SOURCE_DIR, 'build', 'default', 'bitten');
export const DATA_DIR =
  process.env.BITTEN_MARKET_DATA ?? path.resolve(SOURCE_DIR, '..', 'shared', 'data', 'market');
export const EURUSD_M1 = path.join(DATA_DIR, 'EURUSD_M1_bidask_oanda-lean_2014-05.csv');
export const CHROMIUM = process.env.BITTEN_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS =
  process.env.BITTEN_ARTIFACTS ?? path.join(path.dirname(BINARY), 'tests', 'browser', 'artifacts');
export const IN_CI = process.env.CI === 'true';
const BOT_TOKEN = '7000002:BITTEN-browser-emulator-token';
const GROUP_CHAT_ID = -1001000000002;

const require = createRequire(path.join(SOURCE_DIR, 'package.json'));
const tryImport = async (name) => {
  try {
    const mod = await import(require.resolve(name));
    return mod.default && !mod.chromium && !mod.sign ? mod.default : mod;
  } catch {
    return null;
  }
};
const playwright = await tryImport('playwright-core');
const initDataNode = await tryImport('@telegram-apps/init-data-node');

// What is missing to run the browser tests, or null.
function missing() {
  if (!playwright) return 'the npm package playwright-core (run scripts/setup.sh)';
  if (!initDataNode) return 'the npm package @telegram-apps/init-data-node (run scripts/setup.sh)';
  if (!fs.existsSync(CHROMIUM)) return `chromium at ${CHROMIUM} (apt install chromium, or set BITTEN_CHROMIUM)`;
  if (!fs.existsSync(BINARY)) return `the bitten binary ${BINARY} (build it, or set BITTEN_BINARY)`;
  if (!fs.existsSync(EURUSD_M1)) return `market data ${EURUSD_M1}`;
  return null;
}
const why = missing();
// For describe(..., { skip: skipReason }): a reason on a dev machine that lacks something; never
// under CI=true (startStack then fails with the same words).
export const skipReason = why && !IN_CI ? `browser tests skipped, missing: ${why}` : false;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what, fn, { timeoutMs = 30000, everyMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// TOML of a plain object: scalars and scalar arrays as keys, objects as [tables], arrays of objects
// as [[arrays of tables]]. Enough for bitten's config (docs/config.md).
function tomlValue(v) {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  throw new Error(`no TOML for ${JSON.stringify(v)}`);
}
const isTable = (v) => v && typeof v === 'object' && !Array.isArray(v);
const isTableArray = (v) => Array.isArray(v) && v.length > 0 && v.every(isTable);
export function toToml(obj) {
  const out = [];
  for (const [k, v] of Object.entries(obj)) {
    if (!isTable(v) && !isTableArray(v) && v !== undefined) out.push(`${k} = ${tomlValue(v)}`);
  }
  for (const [k, v] of Object.entries(obj)) {
    if (isTable(v)) {
      out.push('', `[${k}]`);
      for (const [kk, vv] of Object.entries(v)) if (vv !== undefined) out.push(`${kk} = ${tomlValue(vv)}`);
    } else if (isTableArray(v)) {
      for (const t of v) {
        out.push('', `[[${k}]]`);
        for (const [kk, vv] of Object.entries(t)) if (vv !== undefined) out.push(`${kk} = ${tomlValue(vv)}`);
      }
    }
  }
  return out.join('\n') + '\n';
}

function mergeConfig(base, over) {
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    out[k] = isTable(v) && isTable(out[k]) ? { ...out[k], ...v } : v;
  }
  return out;
}

const DEFAULT_USERS = { alice: { telegram_id: 2001, name: 'Alice', tier: 'FANG', terminal: 't1' } };

export async function startStack(options = {}) {
  assert.ok(!why, `browser tests cannot run, missing: ${why}`);
  const users = options.users ?? DEFAULT_USERS;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bitten-browser-'));
  const children = [];
  const external = [];
  const pageErrors = [];
  let failed = false;
  let browserPromise = null;
  const bridges = {};

  const startProcess = (name, command, args, env = {}) => {
    const logPath = path.join(dir, `${name}.log`);
    const log = fs.openSync(logPath, 'a');
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const entry = { name, child, logPath, exited: false, code: null };
    child.on('exit', (code, signal) => {
      entry.exited = true;
      entry.code = code ?? signal;
    });
    children.push(entry);
    return entry;
  };
  const readLog = (e) => {
    try {
      return fs.readFileSync(e.logPath, 'utf8');
    } catch {
      return '';
    }
  };
  const stopProcess = async (entry, signal = 'SIGTERM') => {
    if (entry.exited) return;
    entry.child.kill(signal);
    const deadline = Date.now() + 5000;
    while (!entry.exited && Date.now() < deadline) await sleep(50);
    if (!entry.exited) {
      entry.child.kill('SIGKILL');
      while (!entry.exited) await sleep(50);
    }
  };

  // Children are killed even when the test runner is stopped (ctest timeout, Ctrl-C).
  const killAll = () => {
    for (const c of children) if (!c.exited) c.child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.once(sig, () => {
      killAll();
      process.exit(1);
    });
  }
  let stopped = false;

  const stack = {
    dir,
    users,
    external,
    pageErrors,
    botToken: BOT_TOKEN,
    sleep,
    waitFor,
    fail: () => {
      failed = true;
    },
  };

  try {
    // Terminals: those named by users, plus any given.
    const terminals = {};
    for (const u of Object.values(users)) if (u.terminal) terminals[u.terminal] = {};
    Object.assign(terminals, options.terminals ?? {});
    const secrets = {};
    for (const id of Object.keys(terminals)) {
      secrets[id] = crypto.randomBytes(32).toString('hex');
      if (terminals[id].folder !== false) fs.mkdirSync(path.join(dir, id), { recursive: true });
    }
    stack.secrets = secrets;

    // Telegram emulator.
    const telegram = options.telegram ?? true;
    let telegramUrl = '';
    if (telegram) {
      const tgPort = await freePort();
      const emulator = startProcess('telegram', process.execPath, [
        path.join(SOURCE_DIR, 'tests', 'e2e', 'telegram_emulator.mjs'), '--port', String(tgPort),
      ], { BITTEN_SOURCE_DIR: SOURCE_DIR });
      telegramUrl = `http://127.0.0.1:${tgPort}`;
      await waitFor('the Telegram emulator', () => {
        if (emulator.exited) throw new Error(`emulator exited:\n${readLog(emulator)}`);
        return readLog(emulator).includes('READY');
      });
    }
    stack.telegramUrl = telegramUrl;

    const port = await freePort();
    stack.base = `http://127.0.0.1:${port}`;
    const defaults = {
      log_level: 'debug',
      server: { address: '127.0.0.1', port, web_root: path.join(SOURCE_DIR, 'web') },
      store: { path: path.join(dir, 'bitten.sqlite') },
      telegram: telegram
        ? {
            token: BOT_TOKEN,
            api_base: telegramUrl,
            group_chat_id: GROUP_CHAT_ID,
            bot_username: 'bitten_browser_bot',
            webapp_short_name: 'hud',
            poll: false,
          }
        : { token: '' },
      auth: { dev_login: true, dev_login_secret_hex: crypto.randomBytes(32).toString('hex') },
      engine: { symbols: ['EURUSD'], spacing_minutes: 15, rapid_ttl_s: 300, precision_ttl_s: 300 },
      terminals: Object.entries(terminals).map(([id, t]) => ({
        terminal_id: id,
        secret_hex: secrets[id],
        dir: t.folder === false ? '' : path.join(dir, id),
        heartbeat_ttl_ms: t.heartbeat_ttl_ms ?? 30000,
      })),
      users: Object.values(users).map((u) => ({
        telegram_id: u.telegram_id,
        name: u.name,
        tier: u.tier,
        terminal_id: u.terminal,
      })),
    };
    const config = mergeConfig(defaults, options.config);
    stack.configPath = path.join(dir, 'bitten.toml');
    fs.writeFileSync(stack.configPath, toToml(config));

    stack.bitten = (args) =>
      new Promise((resolve) => {
        execFile(BINARY, [...args, '--config', stack.configPath], { timeout: 30000, maxBuffer: 64 << 20 },
          (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }));
      });

    const serve = startProcess('serve', BINARY, ['serve', '--config', stack.configPath]);
    // A server that dies under the test fails it at once: the browser is closed, so every wait on
    // a page rejects instead of running into its timeout.
    serve.child.on('exit', (code, signal) => {
      if (stopped) return;
      failed = true;
      console.error(`bitten serve exited unexpectedly (${code ?? signal}); see ${serve.logPath}`);
      if (browserPromise) browserPromise.then((b) => b.close()).catch(() => {});
    });
    await waitFor(`bitten serve on ${stack.base}`, async () => {
      if (serve.exited) throw new Error(`bitten serve exited (${serve.code}):\n${readLog(serve)}`);
      const r = await fetch(`${stack.base}/status`).catch(() => null);
      return r && r.status === 200;
    });

    stack.startBridge = async (id, o = {}) => {
      if (bridges[id] && !bridges[id].exited) await stopProcess(bridges[id]);
      const args = ['paper-bridge', '--terminal', id, '--secret', secrets[id], '--server', stack.base,
        '--speed', String(o.speed ?? 120), '--poll-ms', String(o.pollMs ?? 10),
        '--heartbeat-ms', String(o.heartbeatMs ?? 1000)];
      if (terminals[id]?.folder !== false) args.push('--dir', path.join(dir, id));
      if (o.data) args.push('--data', o.data);
      if (o.symbol) args.push('--symbol', o.symbol);
      if (o.seed !== undefined) args.push('--seed', String(o.seed));
      if (o.balance !== undefined) args.push('--balance', String(o.balance));
      args.push(...(o.extra ?? []));
      bridges[id] = startProcess(`bridge-${id}`, BINARY, args);
      return bridges[id];
    };
    stack.stopBridge = async (id, signal = 'SIGKILL') => {
      if (bridges[id]) await stopProcess(bridges[id], signal);
    };

    const bridgeOpts = options.paperBridge ?? {};
    if (bridgeOpts !== false) {
      const ids = Object.keys(terminals);
      const order = [...Object.keys(bridgeOpts).filter((id) => bridgeOpts[id]), ...ids.filter((id) => !(id in bridgeOpts))];
      for (const [i, id] of order.entries()) {
        if (i > 0) await sleep(1500);
        const given = bridgeOpts[id];
        const dflt = id === ids[0] ? { data: EURUSD_M1 } : { symbol: 'USDJPY', seed: 7, speed: 1, heartbeatMs: 500 };
        await stack.startBridge(id, { ...dflt, ...(given ?? {}) });
      }
    }

    const userKey = (key) => {
      const u = users[key];
      assert.ok(u, `no user "${key}" in the stack`);
      return u;
    };
    const links = {};
    stack.devLink = async (key, { mission } = {}) => {
      const u = userKey(key);
      const args = ['users', 'login-link', String(u.telegram_id), '--json', '--url', stack.base];
      if (mission) args.push('--mission', mission);
      const r = await stack.bitten(args);
      assert.equal(r.code, 0, `bitten users login-link ${u.telegram_id}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    stack.devLoginUrl = async (key, opts) => (await stack.devLink(key, opts)).url;
    stack.devToken = async (key) => {
      links[key] ??= (await stack.devLink(key)).token;
      return links[key];
    };
    stack.initData = (key, { authDate = new Date() } = {}) => {
      assert.ok(telegram, 'initData needs telegram: true');
      const u = userKey(key);
      return initDataNode.sign(
        { user: { id: u.telegram_id, first_name: u.name, username: u.name.toLowerCase() } }, BOT_TOKEN, authDate);
    };
    stack.api = async (method, pathname, { user, auth, body } = {}) => {
      const headers = { Accept: 'application/json' };
      if (user) headers.Authorization = `Bearer ${await stack.devToken(user)}`;
      if (auth) headers.Authorization = auth;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await fetch(`${stack.base}${pathname}`, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      return { status: res.status, json, text };
    };

    stack.browser = () => {
      browserPromise ??= playwright.chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
      });
      return browserPromise;
    };
    // Records external requests and page errors of every page of a context.
    const watch = (page) => {
      page.on('request', (r) => {
        const url = r.url();
        if (!url.startsWith(stack.base) && !url.startsWith('data:') && !url.startsWith('blob:')) external.push(url);
      });
      page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e}`));
    };
    stack.newContext = async (contextOptions = {}) => {
      const context = await (await stack.browser()).newContext(contextOptions);
      context.on('page', watch);
      return context;
    };
    stack.newPage = async (contextOptions = {}) => {
      const context = await stack.newContext(contextOptions);
      return context.newPage();  // watched through the context's "page" event
    };
    stack.screenshot = async (page, name) => {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const file = path.join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    };
    stack.logs = () => children.map((c) => ({ name: c.name, code: c.code, log: readLog(c) }));
  } catch (e) {
    failed = true;
    await cleanup();
    throw e;
  }

  async function cleanup() {
    if (stopped) return;
    stopped = true;
    if (browserPromise) {
      try {
        await (await browserPromise).close();
      } catch {
        /* already gone */
      }
    }
    await Promise.all(children.map((c) => stopProcess(c)));
    if (failed || process.env.BITTEN_BROWSER_KEEP) {
      for (const c of children) {
        console.error(`----- ${c.name} (exit ${c.code}) ${c.logPath} -----\n${readLog(c).slice(-6000)}`);
      }
      console.error(`browser test files kept in ${dir}`);
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  stack.stop = async () => {
    if (external.length || pageErrors.length) failed = true;
    await cleanup();
    assert.deepEqual(external, [], 'requests to anything but the server');
    assert.deepEqual(pageErrors, [], 'errors in the pages');
  };
  // it() wrapper: marks the stack failed (so stop() prints the logs) and rethrows.
  stack.check = (fn) => async (...a) => {
    try {
      return await fn(...a);
    } catch (e) {
      failed = true;
      throw e;
    }
  };
  return stack;
}
