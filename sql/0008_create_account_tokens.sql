-- The secrets that mailed links carry. Only the SHA-256 of a token is kept,
-- so the table never holds one that could be used. `kind` is the domain's
-- kebab-case name (`verify-email`, `change-email`, later `reset-password`),
-- so new kinds need no schema change; `new_email` is the normalised address
-- a `change-email` token moves the account to. A token is usable while
-- `used_at` and `voided_at` are NULL and `expires_at` (by MySQL's clock) is
-- ahead. (user_id, kind) finds an account's tokens to void; the rows go
-- with the account (the purge deletes the user row last, and this cascades).
CREATE TABLE account_tokens (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    token_hash BINARY(32) NOT NULL,
    user_id BIGINT UNSIGNED NOT NULL,
    kind VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    new_email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at DATETIME(6) NULL,
    voided_at DATETIME(6) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY account_tokens_hash (token_hash),
    KEY account_tokens_user_kind (user_id, kind),
    CONSTRAINT account_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
