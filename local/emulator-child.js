// Runs one npm emulator (dynalite) in a process of its own, on 127.0.0.1, so its CPU (DynamoDB's expression
// parser and LevelDB-in-memory: ~45 % of the local cloud's main event loop under figure 4's load, BENCHMARKS.md)
// runs on the other core instead of delaying the pollers, kinesalite and fauxqs. Plain JavaScript: the parent
// forks it with no loader (local/emulator-process.ts).
//
// argv[2]: JSON { emulator: 'dynalite', port: number, options: object }
// IPC to the parent: { type: 'listening', port } once it serves, or { type: 'error', code, message } and exit 1.
// It stops when the parent disconnects (stop(), or the parent died): running requests get up to 2 s.
'use strict';

const EMULATORS = {
  dynalite: () => {
    // the same expressions come back with new values on every idempotency write: parse each shape once
    require('./dynalite-parse-cache').installDynaliteParseCache();
    return require('dynalite');
  },
};

const { emulator, port, options } = JSON.parse(process.argv[2] || '{}');
const factory = EMULATORS[emulator];
if (!factory) {
  process.send?.({ type: 'error', code: 'EUNKNOWN', message: `unknown emulator ${emulator}` });
  process.exit(1);
}

const server = factory()(options || {});
const sockets = new Set();
let running = 0;
server.on('connection', (s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});
server.on('request', (_req, res) => {
  running++;
  res.once('close', () => running--);
});
server.once('error', (err) => {
  process.send?.({ type: 'error', code: err.code, message: err.message });
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  server.on('error', (err) => {
    console.error(`${emulator}: ${err.message}`);
    process.exit(1);
  });
  process.send?.({ type: 'listening', port: server.address().port });
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  for (const deadline = Date.now() + 2000; running > 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
  for (const s of sockets) s.destroy();
  // the emulator's own close (dynalite closes its database there)
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => undefined); // the parent decides when to stop (a Ctrl-C reaches the whole group)
