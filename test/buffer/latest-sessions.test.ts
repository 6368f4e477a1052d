// One snapshot per session: for each flush's upserts and for the warm-up from the spool at start.
import t from 'tap';
import { latestSessions, latestSessionsOf } from '../../src/buffer/latest-sessions.js';
import type { PageviewRow, SessionSnapshot } from '../../src/sinks/sink.js';
import { spoolRow } from './spool-row.js';

const START = Date.UTC(2026, 0, 1);

function snapshot(id: string, pageviews: number, events: number, lastSeenAt: number): SessionSnapshot {
  const start = { id, hostname: 'a.example', startedAt: START, entryUrl: 'https://a.example/', entryReferrer: null, utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null };
  return { start, userHash: 'abcdef0123456789', lastSeenAt, pageviews, events, exitUrl: `https://a.example/${pageviews}-${events}` };
}

const row = (n: number, session: SessionSnapshot | null): PageviewRow => ({ ...spoolRow(n), sessionId: session?.start.id ?? null, session });

async function* each(rows: PageviewRow[]): AsyncGenerator<PageviewRow> {
  yield* rows;
}

const A = '0b7f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4';
const B = '1c8f2d3e-4e5b-4c6d-9e7f-8091a2b3c4d5';

t.test('one snapshot per session, the one with the most interactions, whatever the order', async (t) => {
  const a1 = snapshot(A, 1, 0, START + 1000);
  const a3 = snapshot(A, 2, 1, START + 3000);
  const a2 = snapshot(A, 2, 0, START + 2000);
  const b1 = snapshot(B, 1, 0, START + 1500);
  const rows = [row(1, a1), row(2, a3), row(3, null), row(4, b1), row(5, a2)];
  t.same(latestSessions(rows), [a3, b1]);
  t.same(latestSessions([...rows].reverse()), [a3, b1], 'reversed: the same snapshots');
  t.same(await latestSessionsOf(each(rows)), [a3, b1], 'read one row at a time: the same');
});

t.test('equal interactions: the later one wins, not the first one read', async (t) => {
  // Two processes continued the same session (a worker's spool taken over): its rows come first.
  const early = snapshot(A, 3, 0, START + 1000);
  const late = snapshot(A, 3, 0, START + 5000);
  t.same(latestSessions([row(1, late), row(2, early)]), [late]);
  t.same(latestSessions([row(1, early), row(2, late)]), [late]);
  t.same(await latestSessionsOf(each([row(1, late), row(2, early)])), [late]);
});

t.test('rows without a session give none', async (t) => {
  t.same(latestSessions([row(1, null), row(2, null)]), []);
  t.same(await latestSessionsOf(each([])), []);
});
