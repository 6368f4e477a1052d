-- The embedded store mirrors migrations/mysql: same tables and columns. Times are ISO-8601 UTC text
-- with milliseconds ('2026-11-23T10:15:00.123Z'), which sorts and compares as time. CHECKs stand in
-- for MySQL's column widths, ENUM and JSON validation, so the same rows are refused by both stores.
CREATE TABLE pageviews (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  beacon_id        BLOB    NOT NULL UNIQUE CHECK (length(beacon_id) = 16),
  url              TEXT    NOT NULL CHECK (length(url) <= 2048),
  hostname         TEXT    NOT NULL CHECK (length(hostname) <= 253),
  type             TEXT    NOT NULL DEFAULT 'pageview' CHECK (type IN ('pageview','event','click','error','performance')),
  event_name       TEXT    NULL CHECK (length(event_name) <= 64),
  user_agent       TEXT    NULL CHECK (length(user_agent) <= 512),
  viewport_width   INTEGER NULL CHECK (viewport_width BETWEEN 0 AND 65535),
  viewport_height  INTEGER NULL CHECK (viewport_height BETWEEN 0 AND 65535),
  referrer         TEXT    NULL CHECK (length(referrer) <= 2048),
  client_timestamp TEXT    NULL,
  server_timestamp TEXT    NOT NULL,
  client_ip        TEXT    NULL CHECK (length(client_ip) <= 45),
  session_id       TEXT    NULL CHECK (length(session_id) = 36),
  payload          TEXT    NULL CHECK (payload IS NULL OR json_valid(payload)),
  user_hash        TEXT    NOT NULL CHECK (length(user_hash) = 16),
  geo_country      TEXT    NULL CHECK (length(geo_country) = 2),
  created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_pageviews_url ON pageviews (url);
CREATE INDEX idx_pageviews_hostname ON pageviews (hostname);
CREATE INDEX idx_pageviews_type ON pageviews (type);
CREATE INDEX idx_pageviews_server_timestamp ON pageviews (server_timestamp);
CREATE INDEX idx_pageviews_session_id ON pageviews (session_id);

CREATE TABLE salts (
  day        TEXT NOT NULL PRIMARY KEY,
  salt       BLOB NOT NULL CHECK (length(salt) = 32),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
