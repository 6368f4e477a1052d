// The SQL the README and docs/querying.md show users runs on the real schema.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { buildTestApp, CHROME_UA } from './helpers/app.js';

function sqlStatements(file: string): string[] {
  const text = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
  return [...text.matchAll(/```sql\n([\s\S]*?)```/g)]
    .flatMap((m) => (m[1] ?? '').split(/;\s*\n/))
    .map((s) => s.split('\n').filter((l) => !l.trim().startsWith('--')).join('\n').trim())
    .filter(Boolean);
}

t.test('every SQL example in README.md and docs/querying.md runs against the migrated schema', async (t) => {
  const h = await buildTestApp(t, {});
  for (const url of ['https://example.com/?utm_source=news&utm_campaign=x', 'https://example.com/b']) {
    await h.app.inject({ method: 'POST', url: '/collect', payload: JSON.stringify({ url, referrer: 'https://www.google.com/' }), headers: { 'user-agent': CHROME_UA } });
  }
  await h.app.inject({ method: 'POST', url: '/collect', payload: JSON.stringify({ url: 'https://example.com/b', type: 'event', name: 'signup', payload: { plan: 'pro' } }), headers: { 'user-agent': CHROME_UA } });
  await h.flush();
  const readme = sqlStatements('README.md');
  const docs = sqlStatements('docs/querying.md');
  t.ok(readme.length >= 3, `README.md: ${readme.length} statements found`);
  t.ok(docs.length >= 8, `docs/querying.md: ${docs.length} statements found`);
  for (const sql of [...readme, ...docs]) {
    const rows = await h.db.query(sql);
    t.ok(Array.isArray(rows), sql.split('\n')[0] as string);
  }
  const [top] = await h.db.query('SELECT entry_url, COUNT(*) AS sessions FROM sessions GROUP BY entry_url');
  t.ok(top, 'the session queries have data to run on');
});
