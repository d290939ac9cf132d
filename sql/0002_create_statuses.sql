-- (user_id, id) serves the newest-first cursor query
-- `WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?` as one index range scan.
CREATE TABLE statuses (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    user_id BIGINT UNSIGNED NOT NULL,
    text VARCHAR(500) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY statuses_user_newest (user_id, id),
    CONSTRAINT statuses_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
