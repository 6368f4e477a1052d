-- Derived from the User-Agent header: browser, OS and device class; is_bot for KEEP_BOTS=true.
ALTER TABLE pageviews
  ADD COLUMN browser VARCHAR(64) NULL AFTER user_agent,
  ADD COLUMN os      VARCHAR(64) NULL AFTER browser,
  ADD COLUMN device  ENUM('desktop','mobile','tablet') NULL AFTER os,
  ADD COLUMN is_bot  TINYINT(1) NOT NULL DEFAULT 0 AFTER device;
