//! Your account: who am I, changing what the account shows, changing its
//! password or its email, and deleting it.

use actix_web::{HttpResponse, web};
use serde_json::json;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::extract::{Caller, CurrentSession};
use super::input::{Fields, JsonObject};
use super::password::replace_password;
use super::password_check::{PasswordCheck, StoredPassword, check_own_password};
use super::schema;
use crate::context::ApiContext;
use crate::db::users::{self, EmailChangeOutcome, EmailChangeRequest};
use crate::domain::{
    Email, LinkKind, MailDetails, NoticeKind, OutgoingMail, Password, Token, User, UserName,
};
use crate::error::{ApiError, Context, Problem};
use crate::metrics::{SESSIONS_BEGUN, SESSIONS_ENDED};

pub struct NameChange {
    name: UserName,
}

impl NameChange {
    fn from_json(body: JsonObject) -> Result<Self, ApiError> {
        let mut fields = Fields::new(body, &["name"]);
        let name = fields.parse("name", UserName::parse);
        fields.finish(name).map(|name| Self { name })
    }
}

impl PartialSchema for NameChange {
    fn schema() -> RefOr<Schema> {
        schema::closed_object(
            vec![("name", schema::user_name(UserName::MAX_CHARS))],
            json!({"name": "Alice Liddell"}),
        )
    }
}

impl ToSchema for NameChange {}

pub struct PasswordChange {
    current_password: String,
    new_password: Password,
}

impl PasswordChange {
    /// The new password follows the rules of registration for the account's
    /// `email`, and differs from the current one as sent: comparing with the
    /// stored hash instead would tell a session's holder whether a guess is
    /// the password, past every login limit.
    fn from_json(body: JsonObject, email: &Email) -> Result<Self, ApiError> {
        let mut fields = Fields::new(body, &["current_password", "new_password"]);
        let current_password = fields.string("current_password");
        let new_password = fields.parse("new_password", |raw| {
            let password = Password::parse(raw, Some(email))?;
            if current_password.as_deref() == Some(raw) {
                return Err("must differ from current_password".to_owned());
            }
            Ok(password)
        });
        fields
            .finish(current_password.zip(new_password))
            .map(|(current_password, new_password)| Self {
                current_password,
                new_password,
            })
    }
}

impl PartialSchema for PasswordChange {
    fn schema() -> RefOr<Schema> {
        schema::closed_object(
            vec![
                (
                    "current_password",
                    schema::string(0, None, "The account's password as it is now."),
                ),
                (
                    "new_password",
                    schema::new_password(
                        Password::MIN_BYTES,
                        Password::MAX_BYTES,
                        "8 to 72 bytes in UTF-8, never trimmed; not one of the 10,000 most \
                         common passwords (case-insensitively); not the email; not \
                         `current_password` as sent.",
                    ),
                ),
            ],
            json!({"current_password": "my current passphrase", "new_password": "staple battery horse"}),
        )
    }
}

impl ToSchema for PasswordChange {}

pub struct AccountDeletion {
    password: String,
}

impl AccountDeletion {
    fn from_json(body: JsonObject) -> Result<Self, ApiError> {
        let mut fields = Fields::new(body, &["password"]);
        let password = fields.string("password");
        fields.finish(password).map(|password| Self { password })
    }
}

impl PartialSchema for AccountDeletion {
    fn schema() -> RefOr<Schema> {
        schema::closed_object(
            vec![(
                "password",
                schema::string(0, None, "The account's password."),
            )],
            json!({"password": "correct horse battery"}),
        )
    }
}

impl ToSchema for AccountDeletion {}

pub struct EmailChange {
    new_email: Email,
    password: String,
}

impl EmailChange {
    /// The new address follows the rules of registration, and differs from
    /// the account's `current` one (as stored) and from `password` as sent
    /// (the rule that a password is not its account's email): neither
    /// comparison involves the stored password, so a `422` tells nothing
    /// about it.
    fn from_json(body: JsonObject, current: &str) -> Result<Self, ApiError> {
        let mut fields = Fields::new(body, &["new_email", "password"]);
        let password = fields.string("password");
        let new_email = fields.parse("new_email", |raw| {
            let email = Email::parse(raw)?;
            if email.as_str() == current {
                return Err("must differ from the account's current email".to_owned());
            }
            if password
                .as_deref()
                .is_some_and(|password| email.is_spelled(&password.to_lowercase()))
            {
                return Err("must not be the same as the password".to_owned());
            }
            Ok(email)
        });
        fields
            .finish(new_email.zip(password))
            .map(|(new_email, password)| Self {
                new_email,
                password,
            })
    }
}

impl PartialSchema for EmailChange {
    fn schema() -> RefOr<Schema> {
        schema::closed_object(
            vec![
                ("new_email", schema::email(Email::MAX_CHARS)),
                (
                    "password",
                    schema::string(0, None, "The account's password as it is now."),
                ),
            ],
            json!({"new_email": "alice@example.org", "password": "correct horse battery"}),
        )
    }
}

impl ToSchema for EmailChange {}

/// The session's user, straight from the session: no SQL.
#[utoipa::path(
    get, path = "/me", tag = "accounts",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The logged-in user", body = User),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn me(session: CurrentSession) -> Result<web::Json<User>, ApiError> {
    session.authenticate().map(web::Json)
}

/// Renames the account. Every live session of the user shows the new name
/// from the moment this answers.
#[utoipa::path(
    patch, path = "/me", tag = "accounts",
    security(("session_cookie" = [])),
    request_body(content(
        (NameChange = "application/json"),
        (NameChange = "application/merge-patch+json"),
    )),
    responses(
        (status = 200, description = "The account, renamed", body = User),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rename(
    body: JsonObject,
    session: CurrentSession,
    ctx: web::Data<ApiContext>,
) -> Result<web::Json<User>, ApiError> {
    let user = session.authenticate()?;
    let input = NameChange::from_json(body)?;
    let Some(renamed) = users::update_name(&ctx.db, user.id, &input.name)
        .await
        .context("renaming an account")?
    else {
        // The account is gone: its session is over.
        session.end();
        return Err(ApiError::Unauthenticated);
    };
    // MySQL first: a failure here leaves sessions showing the old name, and
    // the client's retry rewrites them.
    ctx.sessions.rewrite_user(&renamed).await?;
    // This session writes its state back at the end of the request when its
    // idle clock is due: it then carries the new user, not the one it loaded
    // (the store would keep the rewritten user anyway; this does not rely on it).
    session.replace_user(&renamed)?;
    Ok(web::Json(renamed))
}

/// Deletes the account. At once: every session ends and the session index
/// goes, the account can no longer be used, its email is free, its login
/// failure counts are forgotten. Its statuses and security events are then
/// purged in the background.
#[utoipa::path(
    delete, path = "/me", tag = "accounts",
    security(("session_cookie" = [])),
    request_body = AccountDeletion,
    responses(
        (status = 204, description = "Deleted; every session of the account has ended",
            headers(("Set-Cookie" = String, description = "The `sid` cookie, expired"))),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The password is wrong (`wrong-password`); counted as a failed login", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Locked out after failed logins for this account from this IP, or too many failures from this IP", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Whole seconds until a request would be served"))),
    )
)]
pub async fn delete_account(
    body: JsonObject,
    session: CurrentSession,
    caller: Caller,
    ctx: web::Data<ApiContext>,
) -> Result<HttpResponse, ApiError> {
    let user = session.authenticate()?;
    let input = AccountDeletion::from_json(body)?;
    let Some(account) = users::find_credentials_by_id(&ctx.db, user.id)
        .await
        .context("looking up an account to delete")?
    else {
        // Deleted already, from another of its sessions.
        session.end();
        return Err(ApiError::Unauthenticated);
    };
    let email = Email::parse_for_login(&account.user.email)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("a stored email: {error}")))?;
    check_own_password(&ctx, &caller, account, input.password).await?;
    // Redis first: should MySQL fail next, the user is logged out
    // everywhere and may retry, never left deleted with sessions alive.
    let ended = ctx.sessions.end_all(user.id).await?;
    ctx.limiter.forget_account(user.id, &email).await?;
    users::mark_deleted(&ctx.db, user.id)
        .await
        .context("deleting an account")?;
    // Once more now that the account is gone: a login may have read the
    // epoch after the first end and the account before the deletion; its
    // session, begun already or not yet, is ended or refused.
    let late = ctx.sessions.end_all(user.id).await?;
    session.end();
    SESSIONS_ENDED
        .with_label_values(&["account-deleted"])
        .inc_by(ended + late);
    log::info!(
        "deleted user {}; its rows are purged in the background",
        user.id
    );
    Ok(HttpResponse::NoContent().finish())
}

/// Changes the password. Every session of the account ends, this one
/// included, and this browser gets a new one (a new key with its own
/// lifetime, as at login). A notice is mailed to the account's address.
#[utoipa::path(
    post, path = "/me/password", tag = "accounts",
    security(("session_cookie" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; every other session has ended",
            headers(("Set-Cookie" = String, description = "A new session key for this browser; the old one is dead"))),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`current_password` is wrong (counted as a failed login)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Locked out after failed logins or password checks for this account from this IP, or too many failures from this IP", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Whole seconds until a request would be served"))),
    )
)]
pub async fn change_password(
    body: JsonObject,
    session: CurrentSession,
    caller: Caller,
    ctx: web::Data<ApiContext>,
) -> Result<HttpResponse, ApiError> {
    let user = session.authenticate()?;
    // The login limits count per email: the session's account is counted
    // under the email its login form would use.
    let email = Email::parse_for_login(&user.email)
        .map_err(|reason| ApiError::Internal(anyhow::anyhow!("a stored email: {reason}")))?;
    let input = PasswordChange::from_json(body, &email)?;
    ctx.limiter.before_login(&email, caller.ip).await?;
    // One place in the hashing queue for both bcrypt runs, each in a slot
    // of its own: once the check has passed, the change is not turned away
    // by a full queue, and no more than HASH_CONCURRENCY hashes run at once.
    let place = ctx.hasher.admit()?;
    // Read before the hash, as at login: see `begin` below.
    let epoch = ctx.sessions.epoch(user.id).await?;
    let Some(stored_hash) = users::password_hash(&ctx.db, user.id)
        .await
        .context("reading a password hash")?
    else {
        // The account is gone: its session is over.
        session.end();
        return Err(ApiError::Unauthenticated);
    };
    let slot = ctx.hasher.slot(&place).await?;
    let account = StoredPassword {
        user_id: user.id,
        hash: stored_hash,
    };
    let check = PasswordCheck::new(&ctx, email, &caller, input.current_password);
    if !check.run(slot, Some(account)).await? {
        return Err(ApiError::WrongPassword);
    }
    let new_hash = ctx.hasher.hash(&place, input.new_password.expose()).await?;
    let origin = caller.origin();
    let notice = OutgoingMail::notice(
        NoticeKind::PasswordChanged,
        &user.email,
        MailDetails::now(&user.name, &origin),
    );
    let store = async {
        let stored = users::change_password(&ctx.db, user.id, &new_hash, &origin, &notice).await;
        if stored.is_err() {
            // The sessions ended first, this one too: the user is logged
            // out with the old password, never left with old sessions and
            // a new one.
            session.end();
        }
        stored.context("storing a changed password")
    };
    let ((), epoch) = replace_password(&ctx, user.id, epoch, "password-changed", store).await?;
    session.begin(&user, epoch, &caller)?;
    SESSIONS_BEGUN
        .with_label_values(&["password-changed"])
        .inc();
    log::info!("user {} changed their password", user.id);
    Ok(HttpResponse::NoContent().finish())
}

/// Asks to move the account to another email address: a link to confirm
/// it is mailed to the new address, and a notice to the current one. The
/// account's email changes only when the link is used (`POST
/// /email/verify`); until then it logs in with the current one.
#[utoipa::path(
    post, path = "/me/email", tag = "accounts",
    security(("session_cookie" = [])),
    request_body = EmailChange,
    responses(
        (status = 202, description = "Asked for: a confirmation link (`PUBLIC_URL/verify-email#token=…`, \
            valid `VERIFY_TOKEN_SECS`) is mailed to the new address, and a notice to the current one; \
            an older link of this kind no longer works"),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password` is wrong (`wrong-password`; counted as a failed login); \
            checked before the new address is looked up", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another account has the new address (`email-taken`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields; `new_email` is also refused when it is the account's \
            current address or `password` as sent", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Locked out after failed logins or password checks for this account from this IP, or too many failures from this IP", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Whole seconds until a request would be served"))),
    )
)]
pub async fn change_email(
    body: JsonObject,
    session: CurrentSession,
    caller: Caller,
    ctx: web::Data<ApiContext>,
) -> Result<HttpResponse, ApiError> {
    let user = session.authenticate()?;
    let input = EmailChange::from_json(body, &user.email)?;
    let Some(account) = users::find_credentials_by_id(&ctx.db, user.id)
        .await
        .context("looking up an account to change its email")?
    else {
        // The account is gone: its session is over.
        session.end();
        return Err(ApiError::Unauthenticated);
    };
    let checked_hash = account.password_hash.clone();
    let current = account.user.clone();
    // Before the address is looked up (403 before 409): the answer to a
    // wrong password tells nothing about the new address.
    check_own_password(&ctx, &caller, account, input.password).await?;
    // Every request with the right password mails a link to an address of
    // the caller's choosing: counted with the account's resends, so a
    // session cannot be used to flood someone's mailbox.
    ctx.limiter.verify_resend(user.id).await?;

    let token = Token::generate()
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("generating a token: {error}")))?;
    let new_email = input.new_email.as_str();
    let origin = caller.origin();
    let details = MailDetails::now(&current.name, &origin);
    let link = ctx
        .outbox
        .link(LinkKind::ConfirmEmailChange, new_email, &token.to_string())?;
    let confirmation = OutgoingMail::with_link(link, new_email, details.clone());
    let notice = OutgoingMail::notice(NoticeKind::EmailChangeRequested, &current.email, details);
    let request = EmailChangeRequest {
        user_id: current.id,
        checked_hash: &checked_hash,
        new_email: &input.new_email,
        token: &token,
        confirmation: &confirmation,
        notice: &notice,
    };
    let outcome = users::request_email_change(&ctx.db, &request, &ctx.token_lifetimes, &origin)
        .await
        .context("storing an email change request")?;
    match outcome {
        EmailChangeOutcome::Requested => {}
        // A password change or a deletion ended every session, this one
        // included, while the password was being checked. (A login that
        // re-hashed the same password at a new BCRYPT_COST in that instant
        // looks the same; the client logs in again.)
        EmailChangeOutcome::AccountChanged => return Err(ApiError::Unauthenticated),
        EmailChangeOutcome::EmailTaken => return Err(ApiError::EmailTaken),
    }
    ctx.outbox.wake();
    log::info!("user {} asked to change their email", user.id);
    Ok(HttpResponse::Accepted().finish())
}
