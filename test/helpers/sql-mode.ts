// The server's global sql_mode changed for one test and restored after it: new connections take
// the global value as their session's, so this is how a hosted server's setting is reproduced.
// Test files run in parallel: a named lock keeps two of them from changing it at once (each would
// otherwise restore the other's change as its "original").
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { SERVER } from './db.js';

const LOCK = 'beacon_ingest_test_sql_mode';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Adds `modes` (comma list) to the global sql_mode, or with null empties it, until the test ends. */
export async function serverSqlMode(t: Teardown, modes: string | null): Promise<void> {
  const admin = await createConnection({ uri: SERVER });
  const [[got]] = (await admin.query('SELECT GET_LOCK(?, 120) AS got', [LOCK])) as [RowDataPacket[], unknown];
  if (Number(got?.got) !== 1) throw new Error('another test held the sql_mode lock for 120 s');
  const [[before]] = (await admin.query('SELECT @@GLOBAL.sql_mode AS m')) as [RowDataPacket[], unknown];
  const original = String(before?.m ?? '');
  const next = modes === null ? '' : [original, modes].filter(Boolean).join(',');
  // Plain text on purpose: this connection's own session may be under any mode by now.
  await admin.query(`SET GLOBAL sql_mode = '${next}'`);
  t.teardown(async () => {
    await admin.query(`SET GLOBAL sql_mode = '${original}'`);
    await admin.end(); // releases the lock
  });
}

/** Strings that break a statement written for the wrong escaping rules, and ordinary ones that did. */
export const HARD_STRINGS: readonly string[] = [
  "it's", 'say "hi"', 'back\\slash', 'trailing\\', '\\\'', "\\'),(", "'),(NULL)#", 'nul\0byte', 'ctrl-z\x1a', 'tab\tnew\nline\rret', '\b',
  "'; DROP TABLE pageviews; --", '`tick`', '\\N', '%_', '?', '??', ':name', '😀 4-byte', 'ü é ñ', '\u2028', '\uFFFD', '{"json":"it\'s \\"q\\""}',
  '/* c */ -- x', '$1',
];
