//! Active sessions: where am I logged in, and log those out.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::metrics::SESSIONS_ENDED;
use crate::session::{RedisSessionStore, SessionInfo, SessionPolicy, current_id};

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
    session: Session,
    sessions: web::Data<SessionPolicy>,
    store: web::Data<RedisSessionStore>,
) -> Result<web::Json<SessionList>, ApiError> {
    let user = super::authenticated(&session, &sessions)?;
    let current = current_id(&session);
    let mut items: Vec<SessionInfo> = store
        .list(user.id)
        .await?
        .into_iter()
        .filter_map(|(id, state)| SessionInfo::from_state(id, &state, current.as_deref()))
        .collect();
    items.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.id.cmp(&a.id))
    });
    Ok(web::Json(SessionList { items }))
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
    session: Session,
    sessions: web::Data<SessionPolicy>,
    store: web::Data<RedisSessionStore>,
) -> Result<HttpResponse, ApiError> {
    let user = super::authenticated(&session, &sessions)?;
    let id = id.into_inner();
    if !store.revoke(user.id, &id).await? {
        return Err(ApiError::NotFound);
    }
    SESSIONS_ENDED.with_label_values(&["revoked"]).inc();
    if current_id(&session).as_deref() == Some(id.as_str()) {
        session.purge();
    }
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
    session: Session,
    sessions: web::Data<SessionPolicy>,
    store: web::Data<RedisSessionStore>,
) -> Result<HttpResponse, ApiError> {
    let user = super::authenticated(&session, &sessions)?;
    let current = current_id(&session).unwrap_or_default();
    let ended = store.revoke_all_but(user.id, &current).await?;
    SESSIONS_ENDED.with_label_values(&["revoked"]).inc_by(ended);
    Ok(HttpResponse::NoContent().finish())
}
