-- What happened to an account, for its owner to review. `type` is the
-- domain's kebab-case name (ASCII), so new kinds need no schema change;
-- `ip` is an address as text (45 fits any IPv6 form), `user_agent` is cut
-- to 256 characters as sessions keep it. (user_id, id) serves the
-- newest-first cursor query; `at` serves pruning past SECURITY_EVENT_DAYS.
CREATE TABLE security_events (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    user_id BIGINT UNSIGNED NOT NULL,
    type VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    at DATETIME(6) NOT NULL,
    ip VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    user_agent VARCHAR(256) NOT NULL,
    PRIMARY KEY (id),
    KEY security_events_user_newest (user_id, id),
    KEY security_events_at (at),
    CONSTRAINT security_events_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
