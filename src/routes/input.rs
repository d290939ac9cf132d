//! Reading request input: the JSON body (content type, size, syntax) and
//! its fields, collecting every field's problem so that one `422` names them
//! all.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::{BodyStream, to_bytes_limited};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev, mime, web};
use serde_json::{Map, Value};

use crate::connection::ConnectionClock;
use crate::context::ApiContext;
use crate::error::{ApiError, FieldErrors};

/// `BODY_LIMIT_BYTES`'s default, for an app assembled without a context.
const DEFAULT_BODY_LIMIT: usize = 16 * 1024;

/// A request body that is a JSON object, sent as `application/json` or
/// `application/*+json`.
pub struct JsonObject(Map<String, Value>);

impl FromRequest for JsonObject {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut dev::Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<ApiContext>>()
            .map_or(DEFAULT_BODY_LIMIT, |ctx| ctx.body_limit);
        let accepted = is_json(req);
        let declared_length = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
        let clock = req.conn_data::<ConnectionClock>().cloned();
        let payload = payload.take();
        Box::pin(async move {
            if !accepted {
                return Err(ApiError::UnsupportedMediaType);
            }
            if declared_length.is_some_and(|length| length > limit as u64) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let bytes = match to_bytes_limited(BodyStream::new(payload), limit).await {
                Err(_) => return Err(ApiError::PayloadTooLarge { limit }),
                Ok(Err(_)) if clock.is_some_and(|clock| clock.timed_out()) => {
                    return Err(ApiError::RequestTimeout);
                }
                Ok(Err(error)) => {
                    return Err(ApiError::BadRequest(format!(
                        "The body could not be read: {error}"
                    )));
                }
                Ok(Ok(bytes)) => bytes,
            };
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => Ok(Self(map)),
                Ok(_) => Err(ApiError::BadRequest(
                    "The body must be a JSON object.".to_owned(),
                )),
                Err(error) => Err(ApiError::BadRequest(format!(
                    "The body is not valid JSON: {error}"
                ))),
            }
        })
    }
}

/// `application/json` or `application/<anything>+json`, charset optional
/// but UTF-8 when given (JSON is UTF-8).
fn is_json(req: &HttpRequest) -> bool {
    let Ok(Some(mime)) = req.mime_type() else {
        return false;
    };
    let json_type = mime.type_() == mime::APPLICATION
        && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON));
    let utf8 = mime
        .get_param(mime::CHARSET)
        .is_none_or(|charset| charset.as_str().eq_ignore_ascii_case("utf-8"));
    json_type && utf8
}

/// The fields of a JSON object body, read one by one into domain values.
pub struct Fields {
    map: Map<String, Value>,
    errors: FieldErrors,
}

impl Fields {
    /// Starts reading `body`; any field not in `known` is an error of its own.
    pub fn new(body: JsonObject, known: &[&str]) -> Self {
        let mut errors = FieldErrors::new();
        for name in body.0.keys().filter(|name| !known.contains(&name.as_str())) {
            errors.insert(name.clone(), vec!["is not a known field".to_owned()]);
        }
        Self {
            map: body.0,
            errors,
        }
    }

    fn reject(&mut self, name: &str, message: String) {
        self.errors
            .entry(name.to_owned())
            .or_default()
            .push(message);
    }

    /// The field as a string, or `None` (with the error noted) when it is
    /// missing or of another type.
    pub fn string(&mut self, name: &str) -> Option<String> {
        match self.map.remove(name) {
            Some(Value::String(value)) => Some(value),
            Some(_) => {
                self.reject(name, "must be a string".to_owned());
                None
            }
            None => {
                self.reject(name, "is required".to_owned());
                None
            }
        }
    }

    /// The field parsed by `parse`, or `None` with the reason noted.
    pub fn parse<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = self.string(name)?;
        parse(&raw)
            .map_err(|message| self.reject(name, message))
            .ok()
    }

    /// The assembled input, or a `422` naming every field that was wrong.
    pub fn finish<T>(self, input: Option<T>) -> Result<T, ApiError> {
        if !self.errors.is_empty() {
            return Err(ApiError::Validation(self.errors));
        }
        input.ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("a field was dropped without an error"))
        })
    }
}

#[cfg(test)]
mod tests {
    //! The body rules, in process: no MySQL, Redis or socket needed.

    use actix_web::http::StatusCode;
    use actix_web::http::header::CONTENT_TYPE;
    use actix_web::test::{TestRequest, call_service, init_service, read_body_json};
    use actix_web::{App, HttpResponse, ResponseError, web};

    use super::*;

    /// Echoes the object it was sent, or answers the extractor's problem.
    async fn echo(body: Result<JsonObject, ApiError>) -> HttpResponse {
        match body {
            Ok(body) => HttpResponse::Ok().json(body.0),
            Err(error) => error.error_response(),
        }
    }

    async fn post(content_type: Option<&str>, body: impl Into<String>) -> (StatusCode, Value) {
        let app = init_service(App::new().route("/", web::post().to(echo))).await;
        let mut request = TestRequest::post().uri("/").set_payload(body.into());
        if let Some(content_type) = content_type {
            request = request.insert_header((CONTENT_TYPE, content_type));
        }
        let response = call_service(&app, request.to_request()).await;
        let status = response.status();
        (status, read_body_json(response).await)
    }

    #[actix_web::test]
    async fn json_objects_are_read_under_any_json_type() {
        for content_type in [
            "application/json",
            "application/json; charset=UTF-8",
            "application/merge-patch+json",
        ] {
            let (status, body) = post(Some(content_type), r#"{"a": 1}"#).await;
            assert_eq!(status, 200, "{content_type}");
            assert_eq!(body["a"], 1);
        }
    }

    #[actix_web::test]
    async fn other_content_types_are_415() {
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/json; charset=latin1"),
        ] {
            let (status, body) = post(content_type, r#"{"a": 1}"#).await;
            assert_eq!(status, 415, "{content_type:?}");
            assert_eq!(body["type"], "/problems/unsupported-media-type");
        }
    }

    #[actix_web::test]
    async fn bodies_that_are_not_json_objects_are_400() {
        for body in ["{", "[1, 2]", "\"text\"", ""] {
            let (status, problem) = post(Some("application/json"), body).await;
            assert_eq!(status, 400, "{body:?}");
            assert_eq!(problem["type"], "/problems/bad-request");
        }
    }

    #[actix_web::test]
    async fn bodies_over_the_limit_are_413() {
        let large = format!(r#"{{"a": "{}"}}"#, "x".repeat(DEFAULT_BODY_LIMIT));
        let (status, problem) = post(Some("application/json"), large).await;
        assert_eq!(status, 413);
        assert_eq!(problem["type"], "/problems/payload-too-large");
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let body: Map<String, Value> =
            serde_json::from_str(r#"{"name": 5, "extra": true}"#).expect("JSON");
        let mut fields = Fields::new(JsonObject(body), &["name", "email"]);
        let name = fields.string("name");
        let email = fields.string("email");
        let Err(ApiError::Validation(errors)) = fields.finish(name.zip(email)) else {
            panic!("a 422");
        };
        assert_eq!(errors["name"], ["must be a string"]);
        assert_eq!(errors["email"], ["is required"]);
        assert_eq!(errors["extra"], ["is not a known field"]);
    }
}
