-- A deleted account stays a tombstone until the background purge has
-- removed its statuses and security events in batches, and then the row:
-- `deleted_at` is set and the email becomes `deleted:<id>` (no `@`, so never
-- an address anyone can register or log in with), which frees the address
-- at once. The key lets every instance find the accounts left to purge;
-- `purge_lease_until` is how long the instance purging one keeps it (by
-- MySQL's clock), so that another takes over only after a crash.
ALTER TABLE users
    ADD COLUMN deleted_at DATETIME(6) NULL,
    ADD COLUMN purge_lease_until DATETIME(6) NULL,
    ADD KEY users_deleted (deleted_at)
