// Starts telegram-test-api (the Bot API emulator) as its own process for the end-to-end tests.
//   node telegram_emulator.mjs --port N
// Prints "READY <apiURL>" on stdout once listening; stops on SIGTERM/SIGINT. Messages are kept for an
// hour (the emulator's default of 60 s would drop alerts before the test reads them).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.BITTEN_SOURCE_DIR ?? path.resolve(here, '..', '..');
const require = createRequire(path.join(root, 'package.json'));
const TelegramServer = require('telegram-test-api');

const i = process.argv.indexOf('--port');
const port = i > 0 ? Number(process.argv[i + 1]) : NaN;
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('telegram_emulator: --port N (1..65535) is required');
  process.exit(2);
}

const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 3600 });
await server.start();
console.log(`READY ${server.config.apiURL}`);

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
