//! `GET /me/export`: everything the service holds about the caller as one
//! JSON document, streamed a page at a time so that neither the server's
//! memory nor its MySQL pool grows with the account's history or waits on
//! a slow reader.

use actix_web::body::BodyStream;
use actix_web::http::Method;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::Stream;
use futures_util::stream;
use serde::Serialize;
use tokio::sync::OwnedSemaphorePermit;
use utoipa::ToSchema;

use super::extract::CurrentSession;
use super::sessions::live_sessions;
use crate::context::ApiContext;
use crate::db::{Database, security_events, statuses};
use crate::domain::{PageLimit, PageRequest, SecurityEvent, Status, StatusId, User};
use crate::error::{ApiError, Problem};
use crate::session::SessionInfo;

/// The name a browser saves the document under.
const FILE_NAME: &str = "status-api-export.json";

/// The exported document (its schema: it is written a piece at a time and
/// never built whole).
#[derive(Serialize, ToSchema)]
pub struct AccountExport {
    user: User,
    /// As `GET /sessions` lists them.
    sessions: Vec<SessionInfo>,
    /// Every status, newest first.
    statuses: Vec<Status>,
    /// Every event still kept, newest first.
    security_events: Vec<SecurityEvent>,
}

/// Everything about the caller: account, live sessions, every status and
/// every kept security event, as a JSON file download.
#[utoipa::path(
    get, path = "/me/export", tag = "accounts",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The whole document, streamed; a failure midway cuts the connection, so a complete document is always the whole export", body = AccountExport,
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"status-api-export.json\"`"))),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Four exports are running on this instance already", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Whole seconds until a request would be served"))),
    )
)]
pub async fn export(
    req: HttpRequest,
    session: CurrentSession,
    ctx: web::Data<ApiContext>,
) -> Result<HttpResponse, ApiError> {
    let user = session.authenticate()?;
    let mut response = HttpResponse::Ok();
    response
        .content_type("application/json")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(FILE_NAME.to_owned())],
        })
        .insert_header((header::CACHE_CONTROL, "no-store"));
    // HEAD answers the headers without reading the account.
    if req.method() == Method::HEAD {
        return Ok(response.finish());
    }
    // Held until the stream ends or is dropped with its connection.
    let slot = ctx.exports.take().ok_or(ApiError::RateLimited {
        retry_after_secs: 1,
    })?;
    // Sessions live in Redis and are few (at most MAX_SESSIONS_PER_USER):
    // read before answering, so a Redis failure is still a plain 503.
    let sessions = live_sessions(&ctx, user.id, session.id().as_deref()).await?;
    let opening = opening(&user, &sessions)?;
    let body = document(ctx.db.clone(), user.id, opening, slot);
    Ok(response.body(BodyStream::new(body)))
}

/// The document up to the first status: `{"user":…,"sessions":[…],"statuses":[`.
fn opening(user: &User, sessions: &[SessionInfo]) -> Result<Bytes, ApiError> {
    let as_json = |error: serde_json::Error| ApiError::Internal(error.into());
    let user = serde_json::to_string(user).map_err(as_json)?;
    let sessions = serde_json::to_string(sessions).map_err(as_json)?;
    Ok(Bytes::from(format!(
        r#"{{"user":{user},"sessions":{sessions},"statuses":["#
    )))
}

/// Where the stream is in the document.
enum Part {
    Opening(Bytes),
    Statuses(Cursor),
    Events(Cursor),
    Done,
}

/// The next page of a list: `None` before the first, whose rows need no
/// leading comma.
#[derive(Clone, Copy)]
struct Cursor(Option<StatusId>);

impl Cursor {
    const FIRST: Self = Self(None);

    fn request(self) -> PageRequest {
        PageRequest {
            limit: PageLimit::LARGEST,
            before: self.0,
        }
    }
}

/// The document as a stream of pieces, each read from MySQL only when the
/// client has taken the one before (a connection per page, back in the pool
/// before the piece is handed on). An error ends the stream: the server
/// then cuts the connection, so a client never sees a shorter document
/// that parses. `slot` is held for as long as the stream lives.
fn document(
    db: Database,
    user_id: u64,
    opening: Bytes,
    slot: OwnedSemaphorePermit,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let state = (Part::Opening(opening), db, slot);
    stream::unfold(state, move |(part, db, slot)| async move {
        let (piece, next) = match part {
            Part::Opening(bytes) => (Ok(bytes), Part::Statuses(Cursor::FIRST)),
            Part::Statuses(cursor) => match status_piece(&db, user_id, cursor).await {
                Ok((bytes, Some(next))) => (Ok(bytes), Part::Statuses(next)),
                Ok((bytes, None)) => (Ok(bytes), Part::Events(Cursor::FIRST)),
                Err(error) => (Err(error), Part::Done),
            },
            Part::Events(cursor) => match event_piece(&db, user_id, cursor).await {
                Ok((bytes, Some(next))) => (Ok(bytes), Part::Events(next)),
                Ok((bytes, None)) => (Ok(bytes), Part::Done),
                Err(error) => (Err(error), Part::Done),
            },
            Part::Done => return None,
        };
        Some((piece, (next, db, slot)))
    })
}

/// One page of statuses as JSON array elements; after the last page, the
/// statuses' closing bracket and the opening of the events.
async fn status_piece(
    db: &Database,
    user_id: u64,
    cursor: Cursor,
) -> Result<(Bytes, Option<Cursor>), std::io::Error> {
    let page = statuses::page(db, user_id, cursor.request())
        .await
        .map_err(|error| failed("statuses", user_id, error))?;
    let next = next_cursor(page.next_before);
    let closing = if next.is_some() {
        ""
    } else {
        r#"],"security_events":["#
    };
    Ok((elements(cursor, &page.items, closing)?, next))
}

/// One page of security events; after the last, the document's end.
async fn event_piece(
    db: &Database,
    user_id: u64,
    cursor: Cursor,
) -> Result<(Bytes, Option<Cursor>), std::io::Error> {
    let page = security_events::page(db, user_id, cursor.request())
        .await
        .map_err(|error| failed("security events", user_id, error))?;
    let next = next_cursor(page.next_before);
    let closing = if next.is_some() { "" } else { "]}" };
    Ok((elements(cursor, &page.items, closing)?, next))
}

fn next_cursor(next_before: Option<u64>) -> Option<Cursor> {
    next_before.map(|id| Cursor(Some(StatusId::from_row(id))))
}

/// `items` as comma-separated array elements (led by a comma unless they
/// are the list's first page), then `closing`.
fn elements<T: Serialize>(
    cursor: Cursor,
    items: &[T],
    closing: &str,
) -> Result<Bytes, std::io::Error> {
    let mut piece = Vec::new();
    for (index, item) in items.iter().enumerate() {
        if index > 0 || cursor.0.is_some() {
            piece.push(b',');
        }
        serde_json::to_writer(&mut piece, item)?;
    }
    piece.extend_from_slice(closing.as_bytes());
    Ok(Bytes::from(piece))
}

/// Logs why an export is cut short: its client only sees the cut.
fn failed(reading: &str, user_id: u64, error: impl std::fmt::Display) -> std::io::Error {
    log::warn!("export of user {user_id} cut short reading {reading}: {error}");
    std::io::Error::other(format!("reading {reading} for an export"))
}
