//! The query of a paged list (`/fetchStatus`, `/me/security-events`):
//! `limit` 1 to 100 (default 20) and `before`, an id. Every list pages by
//! the same rules, so a client pages every list alike.

use actix_web::HttpRequest;

use crate::domain::{PageLimit, PageRequest, StatusId};
use crate::error::{ApiError, FieldErrors};

/// The page asked for; `422` naming every bad parameter at once. Unknown
/// parameters are ignored.
pub fn page_request(req: &HttpRequest) -> Result<PageRequest, ApiError> {
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
                .uri(&format!("/anything?{query}"))
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
