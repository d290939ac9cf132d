//! Status posts: add one, page through your own, delete one.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::extract::CurrentSession;
use super::input::{Fields, JsonObject};
use super::schema;
use crate::context::ApiContext;
use crate::db::statuses;
use crate::domain::{PageLimit, PageRequest, Status, StatusId, StatusPage, StatusText};
use crate::error::{ApiError, Context, FieldErrors, Problem};

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
    let status = statuses::insert(&ctx.db, user.id, &input.text)
        .await
        .context("storing a status")?;
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

fn page_request(req: &HttpRequest) -> Result<PageRequest, ApiError> {
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let param = |name: &str| {
        query
            .iter()
            .find_map(|(key, value)| (key == name).then_some(value.as_str()))
    };
    let mut errors = FieldErrors::new();
    let mut note = |name: &str, message: String| errors.insert(name.to_owned(), vec![message]);
    let limit = match param("limit").map(PageLimit::parse) {
        None => PageLimit::DEFAULT,
        Some(Ok(limit)) => limit,
        Some(Err(message)) => {
            note("limit", message);
            PageLimit::DEFAULT
        }
    };
    let before = match param("before").map(StatusId::parse) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(message)) => {
            note("before", message);
            None
        }
    };
    if errors.is_empty() {
        Ok(PageRequest { limit, before })
    } else {
        Err(ApiError::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    //! Paging's query rules, in process.

    use actix_web::test::TestRequest;

    use super::*;

    fn page(query: &str) -> Result<PageRequest, ApiError> {
        page_request(
            &TestRequest::get()
                .uri(&format!("/fetchStatus?{query}"))
                .to_http_request(),
        )
    }

    #[test]
    fn defaults_and_unknown_parameters() {
        let request = page("unknown=1").expect("a page");
        assert_eq!(request.limit, PageLimit::DEFAULT);
        assert_eq!(request.before, None);
        let request = page("limit=100&before=7").expect("a page");
        assert_eq!(request.limit, PageLimit::parse("100").expect("a limit"));
        assert_eq!(request.before, Some(StatusId::parse("7").expect("an id")));
    }

    #[test]
    fn every_bad_parameter_is_named_at_once() {
        let Err(ApiError::Validation(errors)) = page("limit=0&before=0") else {
            panic!("a 422");
        };
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["before", "limit"]);
        for query in [
            "limit=101",
            "limit=x",
            "before=-1",
            "before=9223372036854775808",
        ] {
            assert!(
                matches!(page(query), Err(ApiError::Validation(_))),
                "{query}"
            );
        }
    }
}
