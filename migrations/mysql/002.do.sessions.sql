-- One row per session (30 minutes of inactivity end one). Written by the batch writer in the same
-- transaction as the session's beacons, with absolute values combined by GREATEST / "only if newer".
CREATE TABLE sessions (
  session_id     CHAR(36) CHARACTER SET ascii NOT NULL COMMENT 'UUID v4 assigned by the server',
  hostname       VARCHAR(253)  NOT NULL,
  user_hash      CHAR(16) CHARACTER SET ascii NOT NULL COMMENT 'the visitor hash as last seen (it changes at UTC midnight)',
  started_at     DATETIME(3)   NOT NULL,
  last_seen_at   DATETIME(3)   NOT NULL COMMENT 'last pageview, event or click',
  entry_url      VARCHAR(2048) NOT NULL,
  entry_referrer VARCHAR(2048) NULL COMMENT 'first-touch referrer; NULL when direct or from the site itself',
  utm_source     VARCHAR(255)  NULL,
  utm_medium     VARCHAR(255)  NULL,
  utm_campaign   VARCHAR(255)  NULL,
  utm_term       VARCHAR(255)  NULL,
  utm_content    VARCHAR(255)  NULL,
  pageviews      INT UNSIGNED  NOT NULL DEFAULT 0,
  events         INT UNSIGNED  NOT NULL DEFAULT 0 COMMENT 'events and clicks',
  exit_url       VARCHAR(2048) NULL COMMENT 'the last pageview',
  PRIMARY KEY (session_id),
  KEY idx_sessions_hostname_started_at (hostname, started_at),
  KEY idx_sessions_started_at (started_at),
  KEY idx_sessions_last_seen_at (last_seen_at),
  KEY idx_sessions_user_hash (user_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
