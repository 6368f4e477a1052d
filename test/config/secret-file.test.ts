// The generated HASH_SECRET: what happens when two processes start at once, and the errors that
// name the variable when the file cannot be used (the ordinary cases are in test/config.test.ts).
import * as fs from 'node:fs';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError } from '../../src/config/config-error.js';
import { loadOrCreateSecret } from '../../src/config/secret-file.js';

t.test('another process creates the file between our read and our write: its secret is used, ours dropped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-secret-'));
  const theirs = 'their-secret-0123456789abcdef';
  let reads = 0;
  const { loadOrCreateSecret: load } = await t.mockImport<typeof import('../../src/config/secret-file.js')>('../../src/config/secret-file.js', {
    'node:fs': {
      ...fs,
      // First read: nothing yet. Then the other process wins the exclusive create.
      readFileSync: (...args: Parameters<typeof fs.readFileSync>) => (reads++ === 0 ? fs.readFileSync(join(dir, 'absent')) : fs.readFileSync(...args)),
      writeFileSync: (...args: Parameters<typeof fs.writeFileSync>) => {
        fs.writeFileSync(join(dir, 'secret'), theirs + '\n');
        fs.writeFileSync(...args);
      },
    },
  });
  t.equal(load(dir), theirs);
  t.equal(fs.readFileSync(join(dir, 'secret'), 'utf8').trim(), theirs, 'the file is not overwritten');
});

t.test('a secret file that cannot be read is a ConfigError naming HASH_SECRET', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-secret-'));
  mkdirSync(join(dir, 'secret'));
  t.throws(() => loadOrCreateSecret(dir), new ConfigError('HASH_SECRET', `is unset and ${join(dir, 'secret')} cannot be read: EISDIR: illegal operation on a directory, read`));
});

t.test('a DATA_DIR where the file cannot be written (a read-only disk) is a ConfigError naming HASH_SECRET and DATA_DIR', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-secret-'));
  const { loadOrCreateSecret: load } = await t.mockImport<typeof import('../../src/config/secret-file.js')>('../../src/config/secret-file.js', {
    'node:fs': {
      ...fs,
      writeFileSync: () => {
        throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
      },
    },
  });
  t.throws(() => load(dir), new ConfigError('HASH_SECRET', `is unset and ${join(dir, 'secret')} cannot be written (DATA_DIR): EROFS: read-only file system`));
});
