// The flush's VALUES text must be exactly what mysql2's format() would have produced.
import t from 'tap';
import { format } from 'mysql2';
import { SqlTime, sqlLiteral, sqlRows } from '../../src/sinks/sql-literals.js';

const HARD = [
  '', 'plain', "it's", 'say "hi"', 'back\\slash', 'nul\0byte', 'tab\tnew\nline\rret', 'ctrl-z\x1a', '\b',
  "'; DROP TABLE pageviews; --", '\\\'', '😀 4-byte', 'ü é ñ', '?', '??', ':name', '`tick`', '%', '\u2028', '\uFFFD',
];

t.test('every kind of value: as mysql2 formats it (timezone Z)', async (t) => {
  for (const [i, s] of HARD.entries()) t.equal(sqlLiteral(s), format('?', [s]), `string #${i}`);
  for (const n of [0, 1, -1, 1280, 2 ** 31, 0.5]) t.equal(sqlLiteral(n), format('?', [n]));
  t.equal(sqlLiteral(null), 'NULL');
  t.equal(sqlLiteral(Buffer.from([0, 1, 0xab, 0xff])), format('?', [Buffer.from([0, 1, 0xab, 0xff])]));
  for (const ms of [0, 1_795_400_000_123, Date.UTC(2026, 0, 1, 0, 0, 0, 5), Date.UTC(2026, 11, 31, 23, 59, 59, 999)]) {
    t.equal(sqlLiteral(new SqlTime(ms)), format('?', [new Date(ms)], false, 'Z'), new Date(ms).toISOString());
  }
  t.throws(() => sqlLiteral(Number.NaN), TypeError);
  t.throws(() => sqlLiteral({}), TypeError);
});

t.test('rows: the same text as format("?", [rows]) over random rows', async (t) => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n);
  const pick = (): [unknown, unknown] => {
    switch (rand(5)) {
      case 0: {
        const s = HARD[rand(HARD.length)] as string;
        return [s, s];
      }
      case 1: {
        const n = rand(100_000);
        return [n, n];
      }
      case 2:
        return [null, null];
      case 3: {
        const b = Buffer.from([rand(256), rand(256), rand(256)]);
        return [b, b];
      }
      default: {
        const ms = 1_700_000_000_000 + rand(1_000_000_000);
        return [new SqlTime(ms), new Date(ms)];
      }
    }
  };
  for (let round = 0; round < 50; round++) {
    const ours: unknown[][] = [];
    const theirs: unknown[][] = [];
    for (let r = 0; r < 1 + rand(20); r++) {
      const a: unknown[] = [];
      const b: unknown[] = [];
      for (let c = 0; c < 20; c++) {
        const [x, y] = pick();
        a.push(x);
        b.push(y);
      }
      ours.push(a);
      theirs.push(b);
    }
    t.equal(sqlRows(ours), format('?', [theirs as never], false, 'Z'));
  }
});
