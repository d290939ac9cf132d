//! The `account_tokens` table: tokens issued in the transaction of the
//! change that mails them, claimed once, voided in bulk. Only a token's
//! SHA-256 is stored; every time is MySQL's own clock, so that instances
//! whose clocks disagree still agree on what has expired.

use mysql_async::Transaction;
use mysql_async::prelude::*;

use crate::domain::{Email, Token, TokenKind, TokenLifetimes, TokenPurpose};

/// A token that has just been used: whose it was and what it is for.
#[derive(Debug)]
pub struct Claim {
    pub user_id: u64,
    pub purpose: TokenPurpose,
}

/// Stores `token` for the account inside the caller's transaction, so it
/// exists exactly when the change that mails it does. The account's older
/// outstanding tokens of the same kind are voided, and its tokens past
/// their expiry deleted, so an account holds only what was issued within a
/// lifetime.
pub async fn issue_in(
    transaction: &mut Transaction<'_>,
    user_id: u64,
    token: &Token,
    purpose: &TokenPurpose,
    lifetimes: &TokenLifetimes,
) -> Result<(), mysql_async::Error> {
    let kind = purpose.kind();
    transaction
        .exec_drop(
            "DELETE FROM account_tokens WHERE user_id = ? AND expires_at <= UTC_TIMESTAMP(6)",
            (user_id,),
        )
        .await?;
    transaction
        .exec_drop(
            "UPDATE account_tokens SET voided_at = UTC_TIMESTAMP(6) \
             WHERE user_id = ? AND kind = ? AND used_at IS NULL AND voided_at IS NULL",
            (user_id, kind.as_str()),
        )
        .await?;
    issue_first_in(transaction, user_id, token, purpose, lifetimes).await
}

/// Stores the first token of an account created in the caller's
/// transaction. There is nothing to void or delete, and looking for it
/// would lock the index gap after the highest user id, which every
/// registration running at the same moment locks too before inserting
/// into it: a deadlock, answered with a 503.
pub async fn issue_first_in(
    transaction: &mut Transaction<'_>,
    user_id: u64,
    token: &Token,
    purpose: &TokenPurpose,
    lifetimes: &TokenLifetimes,
) -> Result<(), mysql_async::Error> {
    let kind = purpose.kind();
    let new_email = match purpose {
        TokenPurpose::VerifyEmail | TokenPurpose::ResetPassword => None,
        TokenPurpose::ChangeEmail(email) => Some(email.as_str()),
    };
    transaction
        .exec_drop(
            "INSERT INTO account_tokens \
             (token_hash, user_id, kind, new_email, created_at, expires_at) \
             VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL ? SECOND)",
            (
                &token.hash()[..],
                user_id,
                kind.as_str(),
                new_email,
                lifetimes.of(kind).as_secs(),
            ),
        )
        .await
}

/// Uses the token if it is one of `kinds`: marks it used if it is
/// outstanding (not used, not voided, not expired). One statement decides,
/// under the row's lock, so of any number of concurrent claims exactly one
/// wins, whatever instance makes it; `None` for the others and for any
/// token that is not outstanding, not of those kinds, or not ours (a reset
/// link sent to `/email/verify` is simply unknown there). Rolling the
/// transaction back gives the token back.
pub async fn claim_in(
    transaction: &mut Transaction<'_>,
    token: &Token,
    kinds: &[TokenKind],
) -> Result<Option<Claim>, mysql_async::Error> {
    let hash = token.hash();
    let mut params: Vec<mysql_async::Value> = vec![hash[..].into()];
    params.extend(kinds.iter().map(|kind| kind.as_str().into()));
    transaction
        .exec_drop(
            format!(
                "UPDATE account_tokens SET used_at = UTC_TIMESTAMP(6) \
                 WHERE token_hash = ? AND kind IN ({}) AND used_at IS NULL \
                 AND voided_at IS NULL AND expires_at > UTC_TIMESTAMP(6)",
                vec!["?"; kinds.len()].join(", ")
            ),
            params,
        )
        .await?;
    if transaction.affected_rows() != 1 {
        return Ok(None);
    }
    let row: Option<(u64, String, Option<String>)> = transaction
        .exec_first(
            "SELECT user_id, kind, new_email FROM account_tokens WHERE token_hash = ?",
            (&hash[..],),
        )
        .await?;
    let (user_id, kind, new_email) = row.ok_or_else(|| unexpected("a claimed token is gone"))?;
    let purpose = match (TokenKind::parse(&kind), new_email) {
        (Some(TokenKind::VerifyEmail), None) => TokenPurpose::VerifyEmail,
        (Some(TokenKind::ChangeEmail), Some(email)) => TokenPurpose::ChangeEmail(
            Email::parse(&email).map_err(|_| unexpected("a token's stored email is invalid"))?,
        ),
        (Some(TokenKind::ResetPassword), None) => TokenPurpose::ResetPassword,
        _ => return Err(unexpected("a token of an unknown kind")),
    };
    Ok(Some(Claim { user_id, purpose }))
}

/// Whether the token is a change-email token of a live account whose new
/// address another account now holds, whatever the token's state: the
/// contract answers that `409` before a token's own `400`.
pub async fn new_email_taken_in(
    transaction: &mut Transaction<'_>,
    token: &Token,
) -> Result<bool, mysql_async::Error> {
    let found: Option<u8> = transaction
        .exec_first(
            "SELECT 1 FROM account_tokens AS token \
             JOIN users AS owner ON owner.id = token.user_id AND owner.deleted_at IS NULL \
             JOIN users AS holder ON holder.email = token.new_email AND holder.id <> token.user_id \
             WHERE token.token_hash = ? AND token.kind = ?",
            (&token.hash()[..], TokenKind::ChangeEmail.as_str()),
        )
        .await?;
    Ok(found.is_some())
}

/// Voids every outstanding token of the account, of every kind (a password
/// change, an email change); how many.
pub async fn void_all_in(
    transaction: &mut Transaction<'_>,
    user_id: u64,
) -> Result<u64, mysql_async::Error> {
    transaction
        .exec_drop(
            "UPDATE account_tokens SET voided_at = UTC_TIMESTAMP(6) \
             WHERE user_id = ? AND used_at IS NULL AND voided_at IS NULL",
            (user_id,),
        )
        .await?;
    Ok(transaction.affected_rows())
}

/// A row this code cannot have written: a fault, not an outage.
fn unexpected(what: &'static str) -> mysql_async::Error {
    mysql_async::Error::Other(what.into())
}
