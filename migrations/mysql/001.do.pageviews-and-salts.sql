-- Beacons as stored rows. Times are UTC (the service sets time_zone = '+00:00' on every connection).
CREATE TABLE pageviews (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  beacon_id        BINARY(16)      NOT NULL COMMENT 'UUIDv7 given at acceptance; retries and replays never duplicate a row',
  url              VARCHAR(2048)   NOT NULL,
  hostname         VARCHAR(253)    NOT NULL,
  type             ENUM('pageview','event','click','error','performance') NOT NULL DEFAULT 'pageview',
  event_name       VARCHAR(64)     NULL,
  user_agent       VARCHAR(512)    NULL,
  viewport_width   SMALLINT UNSIGNED NULL,
  viewport_height  SMALLINT UNSIGNED NULL,
  referrer         VARCHAR(2048)   NULL,
  client_timestamp DATETIME(3)     NULL,
  server_timestamp DATETIME(3)     NOT NULL,
  client_ip        VARCHAR(45)     NULL COMMENT 'stored per IP_STORAGE: full, truncated (/24, /48) or NULL',
  session_id       CHAR(36) CHARACTER SET ascii NULL,
  payload          JSON            NULL,
  user_hash        CHAR(16) CHARACTER SET ascii NOT NULL,
  geo_country      CHAR(2) CHARACTER SET ascii NULL,
  created_at       DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uq_pageviews_beacon_id (beacon_id),
  KEY idx_pageviews_url (url(255)),
  KEY idx_pageviews_hostname (hostname),
  KEY idx_pageviews_type (type),
  KEY idx_pageviews_server_timestamp (server_timestamp),
  KEY idx_pageviews_session_id (session_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One random salt per UTC day, shared by every instance; the visitor hash mixes it with HASH_SECRET,
-- which is never stored here.
CREATE TABLE salts (
  day        DATE        NOT NULL,
  salt       BINARY(32)  NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
