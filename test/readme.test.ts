// The SQL the README shows users runs on the real schema.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { buildTestApp, CHROME_UA } from './helpers/app.js';

t.test('every SQL example in README.md runs against the migrated schema', async (t) => {
  const h = await buildTestApp(t, {});
  for (const url of ['https://example.com/?utm_source=news&utm_campaign=x', 'https://example.com/b']) {
    await h.app.inject({ method: 'POST', url: '/collect', payload: JSON.stringify({ url, referrer: 'https://www.google.com/' }), headers: { 'user-agent': CHROME_UA } });
  }
  await h.app.inject({ method: 'POST', url: '/collect', payload: JSON.stringify({ url: 'https://example.com/b', type: 'event', name: 'signup', payload: { plan: 'pro' } }), headers: { 'user-agent': CHROME_UA } });
  await h.flush();
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const statements = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)]
    .flatMap((m) => (m[1] ?? '').split(/;\s*\n/))
    .map((s) => s.split('\n').filter((l) => !l.trim().startsWith('--')).join('\n').trim())
    .filter(Boolean);
  t.ok(statements.length >= 8, `${statements.length} statements found`);
  for (const sql of statements) {
    const rows = await h.db.query(sql);
    t.ok(Array.isArray(rows), sql.split('\n')[0] as string);
  }
  const [top] = await h.db.query('SELECT entry_url, COUNT(*) AS sessions FROM sessions GROUP BY entry_url');
  t.ok(top, 'the session queries have data to run on');
});
