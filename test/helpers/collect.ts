// POST /collect through inject() and the stored rows, as test/routes/collect*.test.ts read them.
import type { FastifyInstance } from 'fastify';
import type { RowDataPacket } from 'mysql2/promise';
import { CHROME_UA } from './fixtures.js';

export interface Row extends RowDataPacket {
  id: number;
  url: string;
  hostname: string;
  type: string;
  event_name: string | null;
  user_agent: string | null;
  viewport_width: number | null;
  viewport_height: number | null;
  referrer: string | null;
  client_timestamp: Date | null;
  server_timestamp: Date;
  client_ip: string | null;
  session_id: string | null;
  /** mysql2 parses JSON columns. */
  payload: unknown;
  user_hash: string;
  geo_country: string | null;
  beacon_id: Buffer;
}

export const rows = (h: { db: { query: <T>(sql: string) => Promise<T[]> } }) => h.db.query<Row>('SELECT * FROM pageviews ORDER BY id');

export function post(h: { app: FastifyInstance }, body: string | Buffer, headers: Record<string, string> = {}) {
  return h.app.inject({
    method: 'POST',
    url: '/collect',
    payload: body,
    headers: { 'content-type': 'application/json', 'user-agent': CHROME_UA, ...headers },
  });
}
