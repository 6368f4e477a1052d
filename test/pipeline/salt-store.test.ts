// Salts when the database is away at start: the local copy, provisional salts, and how they settle.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SaltFile } from '../../src/pipeline/salt-file.js';
import { SaltStore, utcDay } from '../../src/pipeline/salt-store.js';
import { migrateMysql } from '../../src/sinks/mysql-migrate.js';
import { MysqlSink } from '../../src/sinks/mysql-sink.js';
import type { SaltRepository } from '../../src/sinks/sink.js';
import { freshDatabase } from '../helpers/db.js';

const NOW = Date.UTC(2026, 10, 27, 12);
const TODAY = utcDay(NOW);
const away: SaltRepository = {
  getOrCreateSalt: async () => {
    throw new Error('connect ECONNREFUSED');
  },
  deleteSaltsBefore: async () => {
    throw new Error('connect ECONNREFUSED');
  },
};
const tmpFile = () => new SaltFile(join(mkdtempSync(join(tmpdir(), 'bi-salts-')), 'salts.json'));

t.test('offline: provisional salts, kept in the local copy, so a restart hashes alike', async (t) => {
  const file = tmpFile();
  const made: string[] = [];
  const first = new SaltStore(away, () => NOW, () => {}, { file, online: () => false, onProvisional: (day) => made.push(day) });
  await first.refresh();
  t.same(made.sort(), [utcDay(NOW - 86_400_000), TODAY, utcDay(NOW + 86_400_000)]);
  t.equal(statSync(file.path).mode & 0o777, 0o600, 'readable by the service only');
  const again = new SaltStore(away, () => NOW, () => {}, { file, online: () => false, onProvisional: () => t.fail('no new salt after a restart') });
  await again.refresh();
  t.same(again.peek(TODAY), first.peek(TODAY), "the restarted process has today's salt");
});

t.test('concurrent first beacons of a day share one salt', async (t) => {
  const store = new SaltStore(away, () => NOW, () => {}, { online: () => true });
  const salts = await Promise.all(Array.from({ length: 20 }, () => store.load(TODAY)));
  t.equal(new Set(salts.map((s) => s.toString('hex'))).size, 1);
});

t.test('once the database answers: a provisional salt becomes the day\'s salt, unless another instance stored one first', async (t) => {
  const db = await freshDatabase(t, 'mysql');
  await migrateMysql(db.url);
  const sink = new MysqlSink({ url: db.url, poolSize: 1 });
  t.teardown(() => sink.close());
  let online = false;
  const replaced: string[] = [];
  const store = new SaltStore(sink, () => NOW, () => {}, { file: tmpFile(), online: () => online, onProvisional: (day, r) => r && replaced.push(day) });
  await store.refresh();
  const provisional = store.peek(TODAY);
  // Meanwhile another instance reached the database and stored tomorrow's salt.
  const tomorrow = utcDay(NOW + 86_400_000);
  const theirs = await sink.getOrCreateSalt(tomorrow, Buffer.alloc(32, 9));
  online = true;
  await store.refresh();
  t.same(store.peek(TODAY), provisional, "today's provisional salt is kept: nobody had one");
  t.same(await sink.getOrCreateSalt(TODAY, Buffer.alloc(32, 1)), provisional, 'and it is the database\'s now');
  t.same(store.peek(tomorrow), theirs, "tomorrow's is the one the other instance stored");
  t.same(replaced, [tomorrow], 'the switch is reported');
});
