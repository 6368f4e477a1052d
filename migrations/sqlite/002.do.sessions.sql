CREATE TABLE sessions (
  session_id     TEXT    NOT NULL PRIMARY KEY CHECK (length(session_id) = 36),
  hostname       TEXT    NOT NULL CHECK (length(hostname) <= 253),
  user_hash      TEXT    NOT NULL CHECK (length(user_hash) = 16),
  started_at     TEXT    NOT NULL,
  last_seen_at   TEXT    NOT NULL,
  entry_url      TEXT    NOT NULL CHECK (length(entry_url) <= 2048),
  entry_referrer TEXT    NULL CHECK (length(entry_referrer) <= 2048),
  utm_source     TEXT    NULL CHECK (length(utm_source) <= 255),
  utm_medium     TEXT    NULL CHECK (length(utm_medium) <= 255),
  utm_campaign   TEXT    NULL CHECK (length(utm_campaign) <= 255),
  utm_term       TEXT    NULL CHECK (length(utm_term) <= 255),
  utm_content    TEXT    NULL CHECK (length(utm_content) <= 255),
  pageviews      INTEGER NOT NULL DEFAULT 0,
  events         INTEGER NOT NULL DEFAULT 0,
  exit_url       TEXT    NULL CHECK (length(exit_url) <= 2048)
);
CREATE INDEX idx_sessions_hostname_started_at ON sessions (hostname, started_at);
CREATE INDEX idx_sessions_started_at ON sessions (started_at);
CREATE INDEX idx_sessions_last_seen_at ON sessions (last_seen_at);
CREATE INDEX idx_sessions_user_hash ON sessions (user_hash);
