// `output: "standalone"` leaves the browser assets out of .next/standalone (they are meant for a CDN). This
// copies them next to the standalone server, which then serves them itself: one folder to run or ship.
const fs = require('node:fs');
const path = require('node:path');

const clientRoot = path.join(__dirname, '..');
const standaloneApp = path.join(clientRoot, '.next', 'standalone', 'client');

if (!fs.existsSync(path.join(standaloneApp, 'server.js'))) {
  process.stderr.write(`No standalone server at ${standaloneApp}; run "next build" first.\n`);
  process.exit(1);
}

const copies = [
  [path.join(clientRoot, '.next', 'static'), path.join(standaloneApp, '.next', 'static')],
  [path.join(clientRoot, 'public'), path.join(standaloneApp, 'public')],
];
for (const [from, to] of copies) {
  if (!fs.existsSync(from)) continue;
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
  process.stdout.write(`Copied ${path.relative(clientRoot, from)} → ${path.relative(clientRoot, to)}\n`);
}
