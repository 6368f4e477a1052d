// The reference tutorial's approach on the same stack: parse, minimal checks, one INSERT per beacon,
// answer after the INSERT. What a buffered bulk writer is measured against.
import Fastify from 'fastify';
import { createPool } from 'mysql2/promise';

const pool = createPool({ uri: process.env.DATABASE_URL, connectionLimit: 10, timezone: 'Z' });
await pool.query(`CREATE TABLE IF NOT EXISTS pageviews (
  id INT AUTO_INCREMENT PRIMARY KEY, url VARCHAR(2048) NOT NULL, type VARCHAR(16) NOT NULL, user_agent VARCHAR(512),
  viewport_width SMALLINT UNSIGNED, viewport_height SMALLINT UNSIGNED, referrer VARCHAR(2048), client_timestamp DATETIME(3),
  server_timestamp DATETIME(3) NOT NULL, client_ip VARCHAR(45), payload JSON, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  INDEX idx_url (url(255)), INDEX idx_type (type), INDEX idx_server_timestamp (server_timestamp)) CHARSET=utf8mb4`);
const app = Fastify();
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
const sql = 'INSERT INTO pageviews (url, type, user_agent, viewport_width, viewport_height, referrer, client_timestamp, server_timestamp, client_ip, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
app.post('/collect', async (req, reply) => {
  let items;
  try {
    const parsed = JSON.parse(req.body);
    items = Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    return reply.code(204).send();
  }
  for (const d of items) {
    if (typeof d?.url !== 'string') continue;
    await pool.execute(sql, [d.url, d.type ?? 'pageview', req.headers['user-agent'] ?? null, d.viewportW ?? null, d.viewportH ?? null,
      d.referrer ?? null, typeof d.timestamp === 'number' ? new Date(d.timestamp) : null, new Date(), req.ip, d.payload ? JSON.stringify(d.payload) : null]);
  }
  return reply.code(204).send();
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
