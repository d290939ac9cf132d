-- When the account's email was shown to reach its owner (a verification
-- link used, or a new address confirmed by its link); NULL while it has not.
-- Accounts stored before verification existed are therefore unverified, and
-- can ask for a link. Adding a NULL column is safe while an older instance
-- still serves: it never names the column.
ALTER TABLE users ADD COLUMN email_verified_at DATETIME(6) NULL
