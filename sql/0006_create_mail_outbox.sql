-- Mail waiting to be sent, written in the transaction of the change that
-- causes it and sent by a background task on every instance (docs/API.md,
-- Email). `state` is `pending`, `sent` or `failed` (given up after
-- MAIL_RETRY_HOURS). A pending row holds its body: the recipient, the
-- details the text shows and the link, sealed (AES-256-GCM under a key
-- derived from SESSION_SECRET; never a token in clear). Once the row is
-- sent or failed the body is set to NULL, and the row itself is deleted
-- 7 days after `finished_at`. `lease_until` is how long the instance
-- sending a row keeps it (by MySQL's clock): rows are claimed under
-- `FOR UPDATE SKIP LOCKED` in a transaction committed before any SMTP
-- exchange. (state, next_attempt_at) finds the rows due; finished_at
-- serves the pruning.
CREATE TABLE mail_outbox (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    kind VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    state VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'pending',
    recipient VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    name VARCHAR(64) NULL,
    requested_at DATETIME(6) NULL,
    ip VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NULL,
    user_agent VARCHAR(256) NULL,
    sealed_link VARBINARY(2048) NULL,
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    next_attempt_at DATETIME(6) NOT NULL,
    lease_until DATETIME(6) NULL,
    finished_at DATETIME(6) NULL,
    PRIMARY KEY (id),
    KEY mail_outbox_due (state, next_attempt_at),
    KEY mail_outbox_finished (finished_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
