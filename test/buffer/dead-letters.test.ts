import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DeadLetters } from '../../src/buffer/dead-letters.js';
import { injectFaults, recordSyncs } from './file-faults.js';
import { spoolRow } from './spool-row.js';

const dir = () => mkdtempSync(join(tmpdir(), 'bi-dead-letters-'));
const refused = { code: 'ER_TRUNCATED_WRONG_VALUE', message: 'Incorrect value' };
const unreadable = { code: 'unreadable', message: 'not a row' };
const letters = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);

t.test('a refused row and an unreadable line, one JSON line each; the raw line kept as a string', async (t) => {
  const dead = new DeadLetters(join(dir(), 'spool'), { maxBytes: 1e6 });
  t.equal(await dead.write(spoolRow(1), refused), true, 'kept');
  t.equal(await dead.writeLine('{"beaconId":"00\u0000 torn', unreadable), true, 'kept');
  const [row, line] = letters(dead.path);
  t.match(row, { at: String, code: 'ER_TRUNCATED_WRONG_VALUE', error: 'Incorrect value', row: { url: 'https://a.example/1' } });
  t.match(line, { at: String, code: 'unreadable', error: 'not a row', line: '{"beaconId":"00\u0000 torn' });
  t.notOk('row' in (line as object));
});

t.test('DEAD_LETTER_MAX_BYTES: letters that would take the file past it are dropped, counted, and not written', async (t) => {
  const d = dir();
  let dropped = 0;
  const dead = new DeadLetters(d, { maxBytes: 2000, onDropped: () => dropped++ });
  const kept: boolean[] = [];
  for (let i = 0; i < 8; i++) kept.push(await dead.write(spoolRow(i), refused));
  const n = kept.filter(Boolean).length;
  t.ok(n >= 2 && n < 8, `${n} of 8 kept`);
  t.same(kept, [...Array(n).fill(true), ...Array(8 - n).fill(false)], 'the first ones, then none');
  t.equal(dropped, 8 - n, 'each dropped letter reported');
  t.ok(statSync(dead.path).size <= 2000, 'the file stays under the cap');
  t.equal(letters(dead.path).length, n, 'no torn or partial letter');
  t.equal(await dead.writeLine('x', unreadable), true, 'a letter small enough still fits');
  t.equal(await dead.writeLine('y'.repeat(2000), unreadable), false, 'one larger than what is left does not');
  t.equal(dropped, 9 - n);
});

t.test('the cap counts what an earlier run left in the file', async (t) => {
  const d = dir();
  writeFileSync(join(d, 'dead-letter.ndjson'), 'x'.repeat(900) + '\n');
  const dead = new DeadLetters(d, { maxBytes: 1000 });
  t.equal(await dead.write(spoolRow(1), refused), false);
  t.equal(statSync(dead.path).size, 901);
  const none = new DeadLetters(dir(), { maxBytes: 0 });
  t.equal(await none.writeLine('x', unreadable), false, 'DEAD_LETTER_MAX_BYTES=0 keeps none');
  t.throws(() => statSync(none.path), { code: 'ENOENT' }, 'and creates no file');
});

t.test('a write that fails part-way leaves the file at its last good size and throws', async (t) => {
  const d = dir();
  const faults = await injectFaults(t, d);
  const dead = new DeadLetters(d, { maxBytes: 1e6 });
  await dead.write(spoolRow(1), refused);
  const good = statSync(dead.path).size;
  faults.writes.push('short', 'error');
  await t.rejects(dead.write(spoolRow(2), refused), { code: 'ENOSPC' });
  t.equal(statSync(dead.path).size, good, 'no torn letter');
  faults.writes.push('short');
  t.equal(await dead.write(spoolRow(3), refused), true, 'a short write is finished');
  t.same(letters(dead.path).map((l) => (l.row as { url: string }).url), ['https://a.example/1', 'https://a.example/3']);
});

t.test('creating the file fsyncs its directory', async (t) => {
  const synced = await recordSyncs(t);
  const d = dir();
  const dead = new DeadLetters(d, { maxBytes: 1e6 });
  await dead.writeLine('a', unreadable);
  t.same(synced.filter((p) => p === d), [d], 'when the file is created');
  await dead.writeLine('b', unreadable);
  t.equal(synced.filter((p) => p === d).length, 1, 'not for every letter');
});

t.test('a file whose last letter was torn by a crash: the next letter starts on a line of its own', async (t) => {
  const d = dir();
  writeFileSync(join(d, 'dead-letter.ndjson'), '{"at":"2026-01-01T00:00:00.000Z","code":"unrea');
  const dead = new DeadLetters(d, { maxBytes: 1e6 });
  t.equal(await dead.write(spoolRow(1), refused), true);
  const [torn, letter, ...rest] = readFileSync(dead.path, 'utf8').split('\n');
  t.equal(torn, '{"at":"2026-01-01T00:00:00.000Z","code":"unrea', 'the torn line left as it was');
  t.match(JSON.parse(letter as string), { code: 'ER_TRUNCATED_WRONG_VALUE', row: { url: 'https://a.example/1' } }, 'the letter is whole, not glued on');
  t.same(rest, [''], 'and ends its line');
  t.equal(await dead.writeLine('x', unreadable), true);
  t.equal(readFileSync(dead.path, 'utf8').split('\n').length, 4, 'a whole file is appended to as it is');
});
