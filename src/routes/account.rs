//! Your account: who am I, changing what the account shows, and deleting it.

use actix_web::{HttpResponse, web};
use serde_json::json;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::auth::check_own_password;
use super::extract::{Caller, CurrentSession};
use super::input::{Fields, JsonObject};
use super::schema;
use crate::context::ApiContext;
use crate::db::users;
use crate::domain::{Email, User, UserName};
use crate::error::{ApiError, Context, Problem};
use crate::metrics::SESSIONS_ENDED;

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
    ctx.limiter.forget_account(&email).await?;
    users::mark_deleted(&ctx.db, user.id)
        .await
        .context("deleting an account")?;
    // A login that checked the password before the deletion may have begun
    // a session since the first sweep.
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
