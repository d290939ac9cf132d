//! The `users` table.

use mysql_async::prelude::*;
use mysql_async::{Transaction, TxOpts};
use time::PrimitiveDateTime;

use super::{Database, DbError, outbox, security_events, tokens};
use crate::domain::{
    Email, EventOrigin, OutgoingMail, SecurityEventKind, Timestamp, Token, TokenKind,
    TokenLifetimes, TokenPurpose, User, UserName,
};

/// The columns a [`User`] is read from, in [`UserRow`]'s order.
const USER_COLUMNS: &str = "id, email, name, created_at, email_verified_at IS NOT NULL";

type UserRow = (u64, String, String, PrimitiveDateTime, bool);

fn user_of((id, email, name, created_at, email_verified): UserRow) -> User {
    User {
        id,
        email,
        name,
        created_at: Timestamp::from_utc(created_at),
        email_verified,
    }
}

/// A user together with the stored bcrypt hash, for logging in.
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

/// A new verify-email token and the message that carries its link to the
/// account's address: stored in one transaction, so the token exists
/// exactly when its mail is on its way.
pub struct Verification {
    pub token: Token,
    pub mail: OutgoingMail,
}

/// Stores a new account under the normalised email, with, in the same
/// transaction, its `registered` event and its first verification link
/// (`verification`, and its `verification-sent` event).
/// `DbError::Duplicate` when the email is taken.
pub async fn insert(
    db: &Database,
    email: &Email,
    name: &UserName,
    password_hash: &str,
    origin: &EventOrigin,
    verification: &Verification,
    lifetimes: &TokenLifetimes,
) -> Result<User, DbError> {
    let created_at = Timestamp::now();
    let id = db
        .run(|pool| async move {
            let mut conn = pool.get_conn().await?;
            let mut transaction = conn.start_transaction(TxOpts::default()).await?;
            transaction
                .exec_drop(
                    "INSERT INTO users (email, name, password_hash, created_at) VALUES (?, ?, ?, ?)",
                    (
                        email.as_str(),
                        name.as_str(),
                        password_hash,
                        created_at.as_utc(),
                    ),
                )
                .await?;
            // Without an id nothing is committed: the dropped transaction
            // rolls back.
            let Some(id) = transaction.last_insert_id() else {
                return Ok(None);
            };
            security_events::record_in(
                &mut transaction,
                id,
                SecurityEventKind::Registered,
                origin,
            )
            .await?;
            tokens::issue_first_in(
                &mut transaction,
                id,
                &verification.token,
                &TokenPurpose::VerifyEmail,
                lifetimes,
            )
            .await?;
            record_and_mail_in(
                &mut transaction,
                id,
                SecurityEventKind::VerificationSent,
                origin,
                &verification.mail,
            )
            .await?;
            transaction.commit().await?;
            Ok(Some(id))
        })
        .await?;
    let id = id.ok_or(DbError::Unexpected("INSERT returned no id"))?;
    Ok(User {
        id,
        email: email.as_str().to_owned(),
        name: name.as_str().to_owned(),
        created_at,
        email_verified: false,
    })
}

/// Mails a new verification link (`POST /email/verify/resend`) if the
/// account is live and not verified yet: in one transaction, the token
/// (voiding the account's older verify-email tokens), the message and the
/// `verification-sent` event. Whether it was mailed; otherwise nothing is
/// stored. (An account whose address changed since the mail was written
/// for it is verified: only a used link changes an address.)
pub async fn resend_verification(
    db: &Database,
    user_id: u64,
    verification: &Verification,
    lifetimes: &TokenLifetimes,
    origin: &EventOrigin,
) -> Result<bool, DbError> {
    db.run(|pool| async move {
        let mut conn = pool.get_conn().await?;
        let mut transaction = conn.start_transaction(TxOpts::default()).await?;
        // Tokens before the account's row, as `use_email_token` locks
        // them, so the two never wait on each other in a circle.
        tokens::issue_in(
            &mut transaction,
            user_id,
            &verification.token,
            &TokenPurpose::VerifyEmail,
            lifetimes,
        )
        .await?;
        // A locking read: a verification committed since the session was
        // read counts.
        let unverified: Option<bool> = transaction
            .exec_first(
                "SELECT email_verified_at IS NULL FROM users \
                 WHERE id = ? AND deleted_at IS NULL FOR UPDATE",
                (user_id,),
            )
            .await?;
        if unverified != Some(true) {
            // The dropped transaction rolls the token back.
            return Ok(false);
        }
        record_and_mail_in(
            &mut transaction,
            user_id,
            SecurityEventKind::VerificationSent,
            origin,
            &verification.mail,
        )
        .await?;
        transaction.commit().await?;
        Ok(true)
    })
    .await
}

/// Records `event` and enqueues the message it comes with, in the caller's
/// transaction (the one that made the change or issued the token the
/// message is about): the event and the mail exist exactly when it does.
async fn record_and_mail_in(
    transaction: &mut Transaction<'_>,
    user_id: u64,
    event: SecurityEventKind,
    origin: &EventOrigin,
    mail: &OutgoingMail,
) -> Result<(), mysql_async::Error> {
    security_events::record_in(transaction, user_id, event, origin).await?;
    outbox::enqueue(transaction, mail).await
}

/// The account to log in to (a deleted one is never found). An account stored under exactly the legacy
/// form comes first: one that normalising would have merged into another
/// kept the address it registered with, and is found by that address.
pub async fn find_credentials(
    db: &Database,
    email: &Email,
) -> Result<Option<Credentials>, DbError> {
    let row: Option<CredentialsRow> = db
        .run(|pool| async move {
            pool.get_conn()
                .await?
                .exec_first(
                    format!(
                        "SELECT {USER_COLUMNS}, password_hash FROM users \
                         WHERE email IN (?, ?) AND deleted_at IS NULL \
                         ORDER BY email = ? DESC LIMIT 1"
                    ),
                    (email.legacy_form(), email.as_str(), email.legacy_form()),
                )
                .await
        })
        .await?;
    Ok(credentials_of(row))
}

type CredentialsRow = (u64, String, String, PrimitiveDateTime, bool, String);

fn credentials_of(row: Option<CredentialsRow>) -> Option<Credentials> {
    row.map(
        |(id, email, name, created_at, email_verified, password_hash)| Credentials {
            user: user_of((id, email, name, created_at, email_verified)),
            password_hash,
        },
    )
}

/// Whether a live account has the normalised form (kept legacy addresses all
/// normalise to a form another account has).
pub async fn email_exists(db: &Database, email: &Email) -> Result<bool, DbError> {
    let found: Option<u8> = db
        .run(|pool| async move {
            pool.get_conn()
                .await?
                .exec_first(
                    "SELECT 1 FROM users WHERE email = ? AND deleted_at IS NULL",
                    (email.as_str(),),
                )
                .await
        })
        .await?;
    Ok(found.is_some())
}

/// The stored hash of an account's password; `None` when the account no
/// longer exists.
pub async fn password_hash(db: &Database, user_id: u64) -> Result<Option<String>, DbError> {
    db.run(|pool| async move {
        pool.get_conn()
            .await?
            .exec_first("SELECT password_hash FROM users WHERE id = ?", (user_id,))
            .await
    })
    .await
}

/// Stores a new password hash, its `password-changed` event and the
/// notice mailed about it, in one transaction: the event and the mail are
/// there exactly when the change is. Every outstanding token of the account
/// is voided with it: a link mailed before the change may be in the hands
/// the change is meant to lock out.
pub async fn change_password(
    db: &Database,
    user_id: u64,
    password_hash: &str,
    origin: &EventOrigin,
    notice: &OutgoingMail,
) -> Result<(), DbError> {
    db.run(|pool| async move {
        let mut conn = pool.get_conn().await?;
        let mut transaction = conn.start_transaction(TxOpts::default()).await?;
        // Tokens before the account's row, as `use_email_token` locks
        // them, so the two never wait on each other in a circle.
        tokens::void_all_in(&mut transaction, user_id).await?;
        let change = NewPassword {
            hash: password_hash,
            event: SecurityEventKind::PasswordChanged,
            origin,
            notice,
        };
        change.store_in(&mut transaction, user_id).await?;
        transaction.commit().await
    })
    .await
}

/// A new password hash and what goes with it into its transaction.
struct NewPassword<'a> {
    hash: &'a str,
    /// `password-changed` or `password-reset`.
    event: SecurityEventKind,
    origin: &'a EventOrigin,
    /// The notice mailed to the account's address.
    notice: &'a OutgoingMail,
}

impl NewPassword<'_> {
    /// Stores the hash, its event and its notice inside the caller's
    /// transaction, which has voided the account's tokens first.
    async fn store_in(
        &self,
        transaction: &mut Transaction<'_>,
        user_id: u64,
    ) -> Result<(), mysql_async::Error> {
        transaction
            .exec_drop(
                "UPDATE users SET password_hash = ? WHERE id = ?",
                (self.hash, user_id),
            )
            .await?;
        record_and_mail_in(transaction, user_id, self.event, self.origin, self.notice).await
    }
}

/// Issues a reset-password token for the account, with its
/// `reset-requested` event and the message that carries its link, in one
/// transaction: the link is mailed exactly when the token exists. Older
/// reset tokens of the account are voided. `false` when the account was
/// deleted meanwhile: nothing is kept.
pub async fn request_password_reset(
    db: &Database,
    user_id: u64,
    token: &Token,
    lifetimes: &TokenLifetimes,
    origin: &EventOrigin,
    mail: &OutgoingMail,
) -> Result<bool, DbError> {
    db.run(|pool| async move {
        let mut conn = pool.get_conn().await?;
        let mut transaction = conn.start_transaction(TxOpts::default()).await?;
        tokens::issue_in(
            &mut transaction,
            user_id,
            token,
            &TokenPurpose::ResetPassword,
            lifetimes,
        )
        .await?;
        if live_user(&mut transaction, user_id).await?.is_none() {
            return Ok(false);
        }
        record_and_mail_in(
            &mut transaction,
            user_id,
            SecurityEventKind::ResetRequested,
            origin,
            mail,
        )
        .await?;
        transaction.commit().await?;
        Ok(true)
    })
    .await
}

/// A reset-password token just claimed, and the account as it was then:
/// the reset goes through only if the account is still so when it stores
/// the new password (see [`reset_password`]).
pub struct ResetClaim {
    pub user: User,
    password_hash: String,
}

/// What claiming a reset-password token came to.
pub enum ResetClaimed<T, E> {
    /// The token is used; `T` is what `accept` made of the account.
    Claimed(ResetClaim, T),
    /// `accept` refused the account: the token is left as it was.
    Refused(E),
    /// Unknown, used, voided, expired, of another kind, or its account
    /// deleted.
    InvalidToken,
}

/// Claims a reset-password token, in a short transaction of its own
/// (single use: of any number of claims at once, one wins), so that no
/// lock or connection is held while the new password is hashed. `accept`
/// sees the token's account before the claim commits: should it refuse
/// (a new password that is the account's email, say), the transaction
/// rolls back and the token stays usable.
pub async fn claim_reset_token<T, E>(
    db: &Database,
    token: &Token,
    accept: impl FnOnce(&User) -> Result<T, E>,
) -> Result<ResetClaimed<T, E>, DbError> {
    db.run(|pool| async move {
        let mut conn = pool.get_conn().await?;
        let mut transaction = conn.start_transaction(TxOpts::default()).await?;
        let kinds = [TokenKind::ResetPassword];
        let Some(claim) = tokens::claim_in(&mut transaction, token, &kinds).await? else {
            return Ok(ResetClaimed::InvalidToken);
        };
        // A deleted account's tokens are no longer anyone's: the dropped
        // transaction rolls the claim back.
        let row = live_credentials(&mut transaction, claim.user_id).await?;
        let Some(Credentials {
            user,
            password_hash,
        }) = credentials_of(row)
        else {
            return Ok(ResetClaimed::InvalidToken);
        };
        let accepted = match accept(&user) {
            Ok(accepted) => accepted,
            Err(refusal) => return Ok(ResetClaimed::Refused(refusal)),
        };
        transaction.commit().await?;
        Ok(ResetClaimed::Claimed(
            ResetClaim {
                user,
                password_hash,
            },
            accepted,
        ))
    })
    .await
}

/// Stores the password a claimed reset token chose, in one transaction:
/// every outstanding token of the account voided, the email counted as
/// verified (the link reached it), the hash, the `password-reset` event
/// and the notice. `None`, with nothing stored, when the account changed
/// since the claim: deleted, or its password or email changed (by another
/// reset, a password change or an email change, each of which would have
/// voided the token had it not been claimed already).
pub async fn reset_password(
    db: &Database,
    claim: &ResetClaim,
    password_hash: &str,
    origin: &EventOrigin,
    notice: &OutgoingMail,
) -> Result<Option<User>, DbError> {
    let user_id = claim.user.id;
    let row: Option<UserRow> = db
        .run(|pool| async move {
            let mut conn = pool.get_conn().await?;
            let mut transaction = conn.start_transaction(TxOpts::default()).await?;
            tokens::void_all_in(&mut transaction, user_id).await?;
            let now = live_credentials(&mut transaction, user_id).await?;
            let unchanged = now.is_some_and(|(_, email, _, _, _, hash)| {
                email == claim.user.email && hash == claim.password_hash
            });
            if !unchanged {
                return Ok(None);
            }
            transaction
                .exec_drop(
                    "UPDATE users SET email_verified_at = \
                     COALESCE(email_verified_at, UTC_TIMESTAMP(6)) WHERE id = ?",
                    (user_id,),
                )
                .await?;
            let reset = NewPassword {
                hash: password_hash,
                event: SecurityEventKind::PasswordReset,
                origin,
                notice,
            };
            reset.store_in(&mut transaction, user_id).await?;
            let row = live_user(&mut transaction, user_id).await?;
            transaction.commit().await?;
            Ok(row)
        })
        .await?;
    Ok(row.map(user_of))
}

/// Brings a hash up to the configured cost; the password is the same.
pub async fn update_password_hash(
    db: &Database,
    user_id: u64,
    password_hash: &str,
) -> Result<(), DbError> {
    db.run(|pool| async move {
        pool.get_conn()
            .await?
            .exec_drop(
                "UPDATE users SET password_hash = ? WHERE id = ?",
                (password_hash, user_id),
            )
            .await
    })
    .await
}

/// Renames an account; the account as it now is, or `None` when it no
/// longer exists (or is deleted).
pub async fn update_name(
    db: &Database,
    user_id: u64,
    name: &UserName,
) -> Result<Option<User>, DbError> {
    let row: Option<UserRow> = db
        .run(|pool| async move {
            let mut conn = pool.get_conn().await?;
            conn.exec_drop(
                "UPDATE users SET name = ? WHERE id = ? AND deleted_at IS NULL",
                (name.as_str(), user_id),
            )
            .await?;
            live_user(&mut conn, user_id).await
        })
        .await?;
    Ok(row.map(user_of))
}

/// The live account's row as a [`User`] is read from. A locking read, so
/// that inside a transaction it is the row as last committed (a rename
/// since the transaction's first read included), not its snapshot.
async fn live_user(
    conn: &mut impl Queryable,
    user_id: u64,
) -> Result<Option<UserRow>, mysql_async::Error> {
    conn.exec_first(
        format!("SELECT {USER_COLUMNS} FROM users WHERE id = ? AND deleted_at IS NULL FOR UPDATE"),
        (user_id,),
    )
    .await
}

/// The live account's row with its hash, as [`live_user`] reads it: a
/// locking read.
async fn live_credentials(
    conn: &mut impl Queryable,
    user_id: u64,
) -> Result<Option<CredentialsRow>, mysql_async::Error> {
    conn.exec_first(
        format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users \
             WHERE id = ? AND deleted_at IS NULL FOR UPDATE"
        ),
        (user_id,),
    )
    .await
}

/// The live account with this id, with its hash, for checking its
/// password; `None` once it is deleted.
pub async fn find_credentials_by_id(
    db: &Database,
    user_id: u64,
) -> Result<Option<Credentials>, DbError> {
    let row: Option<CredentialsRow> = db
        .run(|pool| async move {
            pool.get_conn()
                .await?
                .exec_first(
                    format!(
                        "SELECT {USER_COLUMNS}, password_hash FROM users \
                         WHERE id = ? AND deleted_at IS NULL"
                    ),
                    (user_id,),
                )
                .await
        })
        .await?;
    Ok(credentials_of(row))
}

/// Deletes an account at once, in one short statement: it becomes a
/// tombstone that nothing finds, its email `deleted:<id>` so that the
/// address is free, and the background purge (`account_purge`) removes
/// its rows and then the row itself. `false` when it was deleted already.
pub async fn mark_deleted(db: &Database, user_id: u64) -> Result<bool, DbError> {
    let deleted_at = Timestamp::now();
    let marked = db
        .run(|pool| async move {
            let mut conn = pool.get_conn().await?;
            conn.exec_drop(
                "UPDATE users SET email = CONCAT('deleted:', id), deleted_at = ? \
                 WHERE id = ? AND deleted_at IS NULL",
                (deleted_at.as_utc(), user_id),
            )
            .await?;
            Ok(conn.affected_rows())
        })
        .await?;
    Ok(marked == 1)
}

/// What using an email token did.
#[derive(Debug)]
pub enum EmailTokenUse {
    /// The account as it now is: verified, and at its new address for a
    /// change-email token.
    Done {
        user: User,
        event: SecurityEventKind,
    },
    /// Unknown, used, voided or expired, or its account is deleted.
    InvalidToken,
    /// A change-email token whose address another account holds.
    EmailTaken,
}

/// Uses a verify-email or change-email token: in one transaction, the token
/// is claimed (single use, whatever runs at once), the account verified or
/// moved to the token's address (verified: the link reached it) with every
/// other outstanding token voided (they were mailed for the old one), and
/// the `email-verified` or `email-changed` event recorded.
///
/// A change-email token whose address is another account's is
/// `EmailTaken`, checked before the token's state, as the contract orders
/// `409` before `400 invalid-token` (or `DbError::Duplicate`, from the
/// unique key, should the address be taken in between). The transaction
/// then rolls back, so the token stays as it was: usable until it expires,
/// should the address come free.
pub async fn use_email_token(
    db: &Database,
    token: &Token,
    origin: &EventOrigin,
) -> Result<EmailTokenUse, DbError> {
    db.run(|pool| async move {
        let mut conn = pool.get_conn().await?;
        let mut transaction = conn.start_transaction(TxOpts::default()).await?;
        if tokens::new_email_taken_in(&mut transaction, token).await? {
            return Ok(EmailTokenUse::EmailTaken);
        }
        let kinds = [TokenKind::VerifyEmail, TokenKind::ChangeEmail];
        let Some(claim) = tokens::claim_in(&mut transaction, token, &kinds).await? else {
            return Ok(EmailTokenUse::InvalidToken);
        };
        let event = match &claim.purpose {
            TokenPurpose::VerifyEmail => {
                transaction
                    .exec_drop(
                        "UPDATE users SET email_verified_at = \
                         COALESCE(email_verified_at, UTC_TIMESTAMP(6)) \
                         WHERE id = ? AND deleted_at IS NULL",
                        (claim.user_id,),
                    )
                    .await?;
                SecurityEventKind::EmailVerified
            }
            TokenPurpose::ChangeEmail(email) => {
                tokens::void_all_in(&mut transaction, claim.user_id).await?;
                transaction
                    .exec_drop(
                        "UPDATE users SET email = ?, email_verified_at = UTC_TIMESTAMP(6) \
                         WHERE id = ? AND deleted_at IS NULL",
                        (email.as_str(), claim.user_id),
                    )
                    .await?;
                SecurityEventKind::EmailChanged
            }
            // Not among the kinds claimed above: a reset link is no email
            // token.
            TokenPurpose::ResetPassword => return Ok(EmailTokenUse::InvalidToken),
        };
        // A deleted account's tokens are no longer anyone's: the dropped
        // transaction rolls the claim back.
        let Some(row) = live_user(&mut transaction, claim.user_id).await? else {
            return Ok(EmailTokenUse::InvalidToken);
        };
        security_events::record_in(&mut transaction, claim.user_id, event, origin).await?;
        transaction.commit().await?;
        Ok(EmailTokenUse::Done {
            user: user_of(row),
            event,
        })
    })
    .await
}

/// An email change as `POST /me/email` asks for it, once the account's
/// password has been checked against `checked_hash`.
pub struct EmailChangeRequest<'a> {
    pub user_id: u64,
    /// The stored hash the password was checked against.
    pub checked_hash: &'a str,
    pub new_email: &'a Email,
    /// The change-email token that `confirmation`'s link carries.
    pub token: &'a Token,
    /// The link to the new address.
    pub confirmation: &'a OutgoingMail,
    /// The notice to the current one.
    pub notice: &'a OutgoingMail,
}

/// What asking for an email change did.
#[derive(Debug, PartialEq, Eq)]
pub enum EmailChangeOutcome {
    /// The token, both messages and the `verification-sent` event are stored.
    Requested,
    /// The account is deleted, or its password changed since it was checked
    /// (that change ended every session, this request's too).
    AccountChanged,
    /// Another live account holds the new address.
    EmailTaken,
}

/// Stores an email change's token (voiding the account's older change-email
/// tokens), the confirmation link and the notice in the outbox, and a
/// `verification-sent` event, in one transaction: the mail exists exactly
/// when the token does. Nothing is stored when the account's row, read
/// under lock, is gone or no longer has the hash the password was checked
/// against: a password change committed meanwhile voids every token, and
/// this one must not be issued after it. (A password change that commits
/// after this waits for the lock, and voids this token itself.)
pub async fn request_email_change(
    db: &Database,
    request: &EmailChangeRequest<'_>,
    lifetimes: &TokenLifetimes,
    origin: &EventOrigin,
) -> Result<EmailChangeOutcome, DbError> {
    db.run(|pool| async move {
        let mut conn = pool.get_conn().await?;
        let mut transaction = conn.start_transaction(TxOpts::default()).await?;
        let purpose = TokenPurpose::ChangeEmail(request.new_email.clone());
        // Tokens before the account's row, as `use_email_token` locks
        // them, so the two never wait on each other in a circle.
        tokens::issue_in(
            &mut transaction,
            request.user_id,
            request.token,
            &purpose,
            lifetimes,
        )
        .await?;
        let unchanged: Option<u8> = transaction
            .exec_first(
                "SELECT 1 FROM users WHERE id = ? AND deleted_at IS NULL AND password_hash = ? \
                 FOR UPDATE",
                (request.user_id, request.checked_hash),
            )
            .await?;
        if unchanged.is_none() {
            return Ok(EmailChangeOutcome::AccountChanged);
        }
        let taken: Option<u8> = transaction
            .exec_first(
                "SELECT 1 FROM users WHERE email = ? AND deleted_at IS NULL AND id <> ?",
                (request.new_email.as_str(), request.user_id),
            )
            .await?;
        if taken.is_some() {
            return Ok(EmailChangeOutcome::EmailTaken);
        }
        record_and_mail_in(
            &mut transaction,
            request.user_id,
            SecurityEventKind::VerificationSent,
            origin,
            request.confirmation,
        )
        .await?;
        outbox::enqueue(&mut transaction, request.notice).await?;
        transaction.commit().await?;
        Ok(EmailChangeOutcome::Requested)
    })
    .await
}
