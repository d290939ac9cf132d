//! Status posts: add one, page through your own, delete one.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::extract::CurrentSession;
use super::input::{Fields, JsonObject};
use super::paging::page_request;
use super::schema;
use crate::context::ApiContext;
use crate::db::statuses;
use crate::domain::{Status, StatusId, StatusPage, StatusText};
use crate::error::{ApiError, Context, Problem};

pub struct NewStatus {
    text: StatusText,
}

impl NewStatus {
    fn from_json(body: JsonObject) -> Result<Self, ApiError> {
        let mut fields = Fields::new(body, &["text"]);
        let text = fields.parse("text", StatusText::parse);
        fields.finish(text).map(|text| Self { text })
    }
}

impl PartialSchema for NewStatus {
    fn schema() -> RefOr<Schema> {
        schema::closed_object(
            vec![(
                "text",
                schema::string(
                    1,
                    Some(StatusText::MAX_CHARS),
                    "No control characters but newlines; stored trimmed.",
                )
                .pattern(Some(schema::multi_line_text_pattern())),
            )],
            json!({"text": "Hello, world!"}),
        )
    }
}

impl ToSchema for NewStatus {}

/// Posts a status as the session's user.
#[utoipa::path(
    post, path = "/addStatus", tag = "statuses",
    security(("session_cookie" = [])),
    request_body = NewStatus,
    responses(
        (status = 201, description = "Stored", body = Status),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "With `REQUIRE_VERIFIED_EMAIL=true`, the account's email is not verified \
            (`email-unverified`); or `Origin` (or `Referer`) names another site (`forbidden-origin`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_status(
    body: JsonObject,
    session: CurrentSession,
    ctx: web::Data<ApiContext>,
) -> Result<HttpResponse, ApiError> {
    let user = session.authenticate()?;
    let input = NewStatus::from_json(body)?;
    // The session holds the account as it now is (verifying rewrites every
    // session), so this costs no SQL.
    if ctx.require_verified_email && !user.email_verified {
        return Err(ApiError::EmailUnverified);
    }
    let Some(status) = statuses::insert(&ctx.db, user.id, &input.text)
        .await
        .context("storing a status")?
    else {
        // The account was deleted while this request was on its way.
        session.end();
        return Err(ApiError::Unauthenticated);
    };
    Ok(HttpResponse::Created().json(status))
}

/// The session user's statuses, newest first, a page at a time.
#[utoipa::path(
    get, path = "/fetchStatus", tag = "statuses",
    security(("session_cookie" = [])),
    params(
        ("limit" = Option<u8>, Query, minimum = 1, maximum = 100, description = "Page size, default 20"),
        ("before" = Option<i64>, Query, minimum = 1, description = "Only statuses with a smaller id: the previous page's `next_before`"),
    ),
    responses(
        (status = 200, description = "One page", body = StatusPage),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid query parameters", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn fetch_status(
    req: HttpRequest,
    session: CurrentSession,
    ctx: web::Data<ApiContext>,
) -> Result<web::Json<StatusPage>, ApiError> {
    let user = session.authenticate()?;
    let request = page_request(&req)?;
    let page = statuses::page(&ctx.db, user.id, request)
        .await
        .context("reading a page of statuses")?;
    Ok(web::Json(page))
}

/// Deletes one of the session user's statuses.
#[utoipa::path(
    delete, path = "/statuses/{id}", tag = "statuses",
    security(("session_cookie" = [])),
    params(("id" = i64, Path, minimum = 1, description = "A status id of the caller's. \
        Anything else (another user's, a deleted one, no such id, not an integer from 1 to \
        2^63 − 1) gets the same `404`")),
    responses(
        (status = 204, description = "Deleted: gone from `/fetchStatus`; cursors keep working"),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such status of the caller's; the same answer whether it \
            does not exist or is another user's", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_status(
    id: web::Path<String>,
    session: CurrentSession,
    ctx: web::Data<ApiContext>,
) -> Result<HttpResponse, ApiError> {
    let user = session.authenticate()?;
    // An id no status can have is no status of the caller's either.
    let id = StatusId::parse(&id).map_err(|_| ApiError::NotFound)?;
    if !statuses::delete(&ctx.db, user.id, id)
        .await
        .context("deleting a status")?
    {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}
