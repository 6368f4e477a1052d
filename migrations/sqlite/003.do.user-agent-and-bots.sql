ALTER TABLE pageviews ADD COLUMN browser TEXT NULL CHECK (length(browser) <= 64);
ALTER TABLE pageviews ADD COLUMN os TEXT NULL CHECK (length(os) <= 64);
ALTER TABLE pageviews ADD COLUMN device TEXT NULL CHECK (device IN ('desktop','mobile','tablet'));
ALTER TABLE pageviews ADD COLUMN is_bot INTEGER NOT NULL DEFAULT 0 CHECK (is_bot IN (0, 1));
