// The widths the pipeline and the spool check values against are the ones the migrations create.
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { COLUMN_CHARS } from '../../src/sinks/columns.js';
import { migrateMysql } from '../../src/sinks/mysql-migrate.js';
import { freshDatabase } from '../helpers/db.js';

const WHERE: Record<keyof typeof COLUMN_CHARS, string[]> = {
  url: ['pageviews.url', 'sessions.entry_url', 'sessions.exit_url'],
  hostname: ['pageviews.hostname', 'sessions.hostname'],
  eventName: ['pageviews.event_name'],
  userAgent: ['pageviews.user_agent'],
  browser: ['pageviews.browser'],
  os: ['pageviews.os'],
  referrer: ['pageviews.referrer', 'sessions.entry_referrer'],
  clientIp: ['pageviews.client_ip'],
  utm: ['sessions.utm_source', 'sessions.utm_medium', 'sessions.utm_campaign', 'sessions.utm_term', 'sessions.utm_content'],
};

t.test('COLUMN_CHARS matches the MySQL tables', async (t) => {
  const db = await freshDatabase(t, 'mysql');
  await migrateMysql(db.url);
  const cols = await db.query<RowDataPacket>(
    "SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) AS c, CHARACTER_MAXIMUM_LENGTH AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
  );
  const width = new Map(cols.map((c) => [String(c.c), Number(c.n)]));
  for (const [key, columns] of Object.entries(WHERE) as [keyof typeof COLUMN_CHARS, string[]][]) {
    for (const column of columns) t.equal(width.get(column), COLUMN_CHARS[key], `${column} is ${key}`);
  }
});
