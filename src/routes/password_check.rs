//! Checking a password as a login does, wherever one is asked for (logging
//! in, changing the password): the same rate limits and the same security
//! events, so that a session cannot be used to guess a password more
//! cheaply, or less visibly, than the login form.

use std::net::IpAddr;

use super::extract::Caller;
use super::security;
use crate::context::ApiContext;
use crate::db::{Database, users};
use crate::domain::{Email, EventOrigin, SecurityEventKind};
use crate::error::ApiError;
use crate::hashing::{PasswordHasher, Slot};
use crate::protection::RateLimiter;

/// The account a password is checked against.
pub struct StoredPassword {
    pub user_id: u64,
    pub hash: String,
}

/// A password check and its record with the rate limits (and, for an
/// existing account, in its security events), which belong together: a
/// client that resets its connection must not guess for free, or unseen.
pub struct PasswordCheck {
    hasher: PasswordHasher,
    limiter: RateLimiter,
    db: Database,
    /// The login limits count failures per this email and the client IP.
    email: Email,
    ip: IpAddr,
    origin: EventOrigin,
    candidate: String,
}

impl PasswordCheck {
    pub fn new(ctx: &ApiContext, email: Email, caller: &Caller, candidate: String) -> Self {
        Self {
            hasher: ctx.hasher.clone(),
            limiter: ctx.limiter.clone(),
            db: ctx.db.clone(),
            email,
            ip: caller.ip,
            origin: caller.origin(),
            candidate,
        }
    }

    /// Whether the candidate is `account`'s password (an unknown account,
    /// `None`, costs the same and never matches). A failure counts against
    /// both login limits; a success clears the account's failures from this
    /// client. Runs in a task of its own: once bcrypt has begun, the attempt
    /// is counted whether or not this request is still awaited.
    pub async fn run(self, slot: Slot, account: Option<StoredPassword>) -> Result<bool, ApiError> {
        tokio::spawn(self.check(slot, account))
            .await
            .map_err(|error| ApiError::Internal(error.into()))?
    }

    async fn check(self, slot: Slot, account: Option<StoredPassword>) -> Result<bool, ApiError> {
        let stored_hash = account.as_ref().map(|account| account.hash.as_str());
        let matched = self
            .hasher
            .verify_in(slot, &self.candidate, stored_hash)
            .await?;
        if matched {
            self.limiter.login_succeeded(&self.email, self.ip).await?;
            return Ok(true);
        }
        let counted = self.limiter.login_failed(&self.email, self.ip).await;
        if let Some(account) = account {
            self.record_failure(account.user_id, matches!(counted, Ok(true)))
                .await;
        }
        counted?;
        Ok(false)
    }

    /// A wrong password for an existing account, and the lockout it began.
    async fn record_failure(&self, user_id: u64, lockout_began: bool) {
        let record = |kind| security::record(&self.db, user_id, kind, &self.origin);
        record(SecurityEventKind::LoginFailed).await;
        if lockout_began {
            record(SecurityEventKind::LockedOut).await;
        }
    }
}

/// Checks the password of the session's own account exactly as a login
/// would (the pair's lockout and the IP's failures first, a failure counted
/// in both limits and recorded as `login-failed`, a success clearing the
/// pair's failures), so that a stolen session cannot guess it for free:
/// `403 wrong-password` when it is wrong.
pub async fn check_own_password(
    ctx: &ApiContext,
    caller: &Caller,
    account: users::Credentials,
    password: String,
) -> Result<(), ApiError> {
    let email = Email::parse_for_login(&account.user.email)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("a stored email: {error}")))?;
    ctx.limiter.before_login(&email, caller.ip).await?;
    let place = ctx.hasher.admit()?;
    let slot = ctx.hasher.slot(&place).await?;
    let stored = StoredPassword {
        user_id: account.user.id,
        hash: account.password_hash,
    };
    let check = PasswordCheck::new(ctx, email, caller, password);
    if check.run(slot, Some(stored)).await? {
        Ok(())
    } else {
        Err(ApiError::WrongPassword)
    }
}
