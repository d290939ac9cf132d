//! Your account: who am I, and changing what the account shows.

use actix_web::web;
use serde_json::json;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::extract::CurrentSession;
use super::input::{Fields, JsonObject};
use super::schema;
use crate::context::ApiContext;
use crate::db::users;
use crate::domain::{User, UserName};
use crate::error::{ApiError, Context, Problem};

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
