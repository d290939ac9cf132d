//! Active sessions: where am I logged in, and log those out.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{Caller, CurrentSession};
use super::security;
use crate::context::ApiContext;
use crate::domain::SecurityEventKind;
use crate::error::{ApiError, Problem};
use crate::metrics::SESSIONS_ENDED;
use crate::session::SessionInfo;

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    /// Newest first.
    items: Vec<SessionInfo>,
}

/// The caller's live sessions, newest first.
#[utoipa::path(
    get, path = "/sessions", tag = "sessions",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The live sessions; `current` marks this one", body = SessionList),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_sessions(
    session: CurrentSession,
    ctx: web::Data<ApiContext>,
) -> Result<web::Json<SessionList>, ApiError> {
    let user = session.authenticate()?;
    let items = live_sessions(&ctx, user.id, session.id().as_deref()).await?;
    Ok(web::Json(SessionList { items }))
}

/// The user's live sessions as `GET /sessions` lists them, newest first,
/// `current` marking the one with id `current`.
pub async fn live_sessions(
    ctx: &ApiContext,
    user_id: u64,
    current: Option<&str>,
) -> Result<Vec<SessionInfo>, ApiError> {
    let mut items: Vec<SessionInfo> = ctx
        .sessions
        .list(user_id)
        .await?
        .into_iter()
        .filter_map(|(id, state)| SessionInfo::from_state(id, &state, current))
        .collect();
    items.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.id.cmp(&a.id))
    });
    Ok(items)
}

/// Ends one of the caller's sessions at once; the current one too (a logout).
#[utoipa::path(
    delete, path = "/sessions/{id}", tag = "sessions",
    security(("session_cookie" = [])),
    params(("id" = String, Path, description = "A session id from `GET /sessions`")),
    responses(
        (status = 204, description = "That session is gone",
            headers(("Set-Cookie" = String, description = "The `sid` cookie, expired, when it was the current session"))),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not one of the caller's live sessions", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_session(
    id: web::Path<String>,
    session: CurrentSession,
    caller: Caller,
    ctx: web::Data<ApiContext>,
) -> Result<HttpResponse, ApiError> {
    let user = session.authenticate()?;
    let id = id.into_inner();
    if !ctx.sessions.revoke(user.id, &id).await? {
        return Err(ApiError::NotFound);
    }
    SESSIONS_ENDED.with_label_values(&["revoked"]).inc();
    // Ending the current session this way is a logout, and recorded as one.
    let kind = if session.id().as_deref() == Some(id.as_str()) {
        session.end();
        SecurityEventKind::Logout
    } else {
        SecurityEventKind::SessionRevoked
    };
    security::record(&ctx.db, user.id, kind, &caller.origin()).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of the caller's but this one ("log out my other devices").
#[utoipa::path(
    delete, path = "/sessions", tag = "sessions",
    security(("session_cookie" = [])),
    responses(
        (status = 204, description = "Only the current session is left"),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_other_sessions(
    session: CurrentSession,
    caller: Caller,
    ctx: web::Data<ApiContext>,
) -> Result<HttpResponse, ApiError> {
    let user = session.authenticate()?;
    let current = session.id().unwrap_or_default();
    let ended = ctx.sessions.revoke_all_but(user.id, &current).await?;
    SESSIONS_ENDED.with_label_values(&["revoked"]).inc_by(ended);
    // One event per session ended, as if each had been revoked by itself.
    let count = usize::try_from(ended).unwrap_or(usize::MAX);
    let kind = SecurityEventKind::SessionRevoked;
    security::record_times(&ctx.db, user.id, kind, &caller.origin(), count).await;
    Ok(HttpResponse::NoContent().finish())
}
