use std::fmt;

use validator::ValidateEmail;

/// An email address in its stored form: trimmed and lowercased, so that
/// `Alice@Example.com` and `alice@example.com` are one account.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = super::text::trimmed_within(raw, Self::MAX_CHARS)?;
        if !trimmed.validate_email() {
            return Err("must be a valid email address".to_owned());
        }
        let lowered = trimmed.to_lowercase();
        // A few characters grow when lowercased; the stored form must still fit.
        if lowered.chars().count() > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters", Self::MAX_CHARS));
        }
        Ok(Self(lowered))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Emails are personal data: keep them out of logs even by accident.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_and_trims() {
        let email = Email::parse("  Alice@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "alice@example.com");
    }

    #[test]
    fn rejects_invalid_addresses() {
        for raw in [
            "",
            "   ",
            "alice",
            "alice@",
            "@example.com",
            "a b@example.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} should be rejected");
        }
    }

    #[test]
    fn counts_length_on_the_raw_value() {
        let local = "a".repeat(64);
        let domain = format!(
            "{}.{}.{}.com",
            "b".repeat(60),
            "c".repeat(60),
            "d".repeat(63)
        );
        let exact = format!("{local}@{domain}");
        assert_eq!(exact.chars().count(), 254);
        assert!(Email::parse(&exact).is_ok());
        let padded = format!(" {exact}");
        assert_eq!(
            Email::parse(&padded).unwrap_err(),
            "must be at most 254 characters"
        );
    }

    #[test]
    fn debug_hides_the_address() {
        let email = Email::parse("secret@example.com").unwrap();
        assert!(!format!("{email:?}").contains("secret"));
    }
}
