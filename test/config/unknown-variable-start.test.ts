// The warning reaches whoever starts the service: the real process, started as users start it, logs it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { TEST_SECRET } from '../helpers/fixtures.js';
import { freePort, startService, until } from '../helpers/process.js';

t.test('ALLOWED_ORIGIN set instead of ALLOWED_ORIGINS: the process logs a warning naming both, and only that one', async (t) => {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'bi-unknown-var-'));
  // Only what the process needs besides ours, so a variable this machine happens to export cannot add a warning.
  const service = startService(t, {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: `sqlite:${join(dataDir, 'analytics.db')}`,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    HASH_SECRET: TEST_SECRET,
    LOG_LEVEL: 'info',
    ALLOWED_ORIGIN: 'https://example.com',
  });
  const expected = 'ALLOWED_ORIGIN is not a setting of this service; did you mean ALLOWED_ORIGINS?';
  t.ok(await until(async () => service.output().includes(expected), 30_000, 50), 'the warning is logged', { output: service.output() });
  const lines = service.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
  t.match(lines.filter((l) => l.msg === expected), [{ level: 40 }], 'logged once, at warn level');
  t.same(lines.filter((l) => / is not a setting of this service/.test(l.msg)).map((l) => l.msg), [expected], 'the rest of the environment adds none');
  t.ok(await service.ready(`http://127.0.0.1:${port}`), 'and it starts all the same');
  t.equal(await service.stop(), 0);
});
