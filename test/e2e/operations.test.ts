// Operators' edges over real sockets: where the admin port binds, and how long a stalled body may live.
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildTestApp, TEST_SECRET } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { freePort, startService } from '../helpers/process.js';

t.test('ADMIN_HOST: the real process binds the admin port to that address only', async (t) => {
  const db = await freshDatabase(t);
  const [port, adminPort] = [await freePort(), await freePort()];
  const service = startService(t, {
    ...process.env,
    DATABASE_URL: db.url,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bi-data-')),
    PORT: String(port),
    HOST: '127.0.0.1',
    ADMIN_PORT: String(adminPort),
    // Another loopback address: Linux routes all of 127.0.0.0/8 to lo, so it binds without set-up.
    ADMIN_HOST: '127.0.0.2',
    HASH_SECRET: TEST_SECRET,
    LOG_LEVEL: 'warn',
  });
  t.ok(await service.ready(`http://127.0.0.2:${adminPort}`), `started: ${service.output()}`);
  t.equal((await fetch(`http://127.0.0.2:${adminPort}/health`)).status, 200, 'the admin port answers on ADMIN_HOST');
  const other = await fetch(`http://127.0.0.1:${adminPort}/health`).then(
    (r) => `answered ${r.status}`,
    (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? err.message,
  );
  t.equal(other, 'ECONNREFUSED', 'and not on HOST');
  t.equal((await fetch(`http://127.0.0.1:${port}/collect`, { method: 'POST', body: '{}' })).status, 204, 'the public port stays on HOST');
  t.equal(await service.stop(), 0);
});

t.test('a body trickled one byte a second is cut off within the 10 s docs/operations.md promises', async (t) => {
  const h = await buildTestApp(t);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const socket = connect((h.app.server.address() as { port: number }).port, '127.0.0.1');
  await once(socket, 'connect');
  socket.on('error', () => {});
  const started = Date.now();
  socket.write('POST /collect HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n');
  const trickle = setInterval(() => socket.writable && socket.write('x'), 1000);
  t.teardown(() => clearInterval(trickle));
  // Not waiting past the limit: a failure shows after 15 s, not after Node's 60-90 s.
  const closed = await Promise.race([once(socket, 'close').then(() => true), new Promise((r) => setTimeout(r, 15_000, false))]);
  const seconds = (Date.now() - started) / 1000;
  clearInterval(trickle);
  socket.destroy();
  t.ok(closed, `closed (${closed ? `after ${seconds.toFixed(1)} s` : 'not within 15 s'})`);
  t.ok(seconds >= 9, `not before the limit (${seconds.toFixed(1)} s)`);
  t.ok(seconds <= 12, `within ~10-12 s (${seconds.toFixed(1)} s)`);
});
