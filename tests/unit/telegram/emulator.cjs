// Starts the telegram-test-api Bot API emulator for C++ tests (tests/unit/telegram/
// emulator_fixture.h). Usage: node emulator.cjs [port]. Without a port it picks a free one.
// Prints "READY <port>" on stdout once listening, and exits when stdin closes (the test process
// died) or on SIGTERM, so no emulator outlives its test.
'use strict';
const net = require('net');
const TelegramServer = require('telegram-test-api');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

(async () => {
  const fixed = Number(process.argv[2] || 0);
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = fixed || await freePort();
    const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 600 });
    try {
      await server.start();
    } catch (e) {
      if (fixed) throw e;
      continue;  // lost the race for the port: try another
    }
    process.stdout.write(`READY ${port}\n`);
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(0));
    process.on('SIGTERM', () => process.exit(0));
    return;
  }
  process.stderr.write('emulator: no free port\n');
  process.exit(1);
})();
