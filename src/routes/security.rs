//! Security events: recording them beside the changes they report, and
//! `GET /me/security-events`, the caller's own, a page at a time.

use actix_web::{HttpRequest, web};

use super::extract::CurrentSession;
use super::paging::page_request;
use crate::context::ApiContext;
use crate::db::{Database, security_events};
use crate::domain::{EventOrigin, SecurityEventKind, SecurityEventPage};
use crate::error::{ApiError, Context, Problem};

/// Records an event right after the change it reports (a login, a
/// logout). The change has happened whatever becomes of its record, so a
/// failure is logged, never answered.
pub async fn record(db: &Database, user_id: u64, kind: SecurityEventKind, origin: &EventOrigin) {
    record_times(db, user_id, kind, origin, 1).await;
}

/// Records `count` alike events (one per session a request ended), as
/// [`record`] does.
pub async fn record_times(
    db: &Database,
    user_id: u64,
    kind: SecurityEventKind,
    origin: &EventOrigin,
    count: usize,
) {
    if let Err(error) = security_events::record_times(db, user_id, kind, origin, count).await {
        log::warn!(
            "could not record {count} {} event(s) of user {user_id}: {error}",
            kind.as_str()
        );
    }
}

/// The session user's security events, newest first, a page at a time.
#[utoipa::path(
    get, path = "/me/security-events", tag = "accounts",
    security(("session_cookie" = [])),
    params(
        ("limit" = Option<u8>, Query, minimum = 1, maximum = 100, description = "Page size, default 20"),
        ("before" = Option<i64>, Query, minimum = 1, description = "Only events with a smaller id: the previous page's `next_before`"),
    ),
    responses(
        (status = 200, description = "One page of the caller's own events", body = SecurityEventPage),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid query parameters", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn security_events(
    req: HttpRequest,
    session: CurrentSession,
    ctx: web::Data<ApiContext>,
) -> Result<web::Json<SecurityEventPage>, ApiError> {
    let user = session.authenticate()?;
    let request = page_request(&req)?;
    let page = security_events::page(&ctx.db, user.id, request)
        .await
        .context("reading a page of security events")?;
    Ok(web::Json(page))
}
