use serde::Serialize;
use utoipa::ToSchema;

use super::Timestamp;
use super::text::{trimmed_within, without_control_chars};

/// The text of a status: 1 to 500 characters; newlines are the only control
/// characters allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusText(String);

impl StatusText {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(raw: &str) -> Result<Self, String> {
        without_control_chars(raw, &['\n'])?;
        trimmed_within(raw, Self::MAX_CHARS).map(|text| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"id": 42, "text": "Hello, world!", "created_at": "2026-11-26T11:05:37Z"}))]
pub struct Status {
    pub id: u64,
    pub text: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// One page of a user's statuses, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatusPage {
    pub items: Vec<Status>,
    /// The `before` for the next page; `null` exactly when no older status exists.
    #[schema(minimum = 1, required = true)]
    pub next_before: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_inner_newlines_and_trims_the_edges() {
        let text = StatusText::parse("\n first line\nsecond line \n").unwrap();
        assert_eq!(text.as_str(), "first line\nsecond line");
    }

    #[test]
    fn rejects_other_control_characters() {
        for raw in ["tab\there", "carriage\r\nreturn", "nul\0"] {
            assert!(
                StatusText::parse(raw).is_err(),
                "{raw:?} should be rejected"
            );
        }
    }

    #[test]
    fn bounds_the_raw_length_in_characters() {
        assert!(StatusText::parse(&"🎉".repeat(500)).is_ok());
        assert!(StatusText::parse(&"a".repeat(501)).is_err());
        assert!(StatusText::parse(" \n ").is_err());
    }
}
