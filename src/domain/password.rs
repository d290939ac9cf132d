use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use super::Email;

/// The 10,000 most common passwords, from the MIT-licensed
/// `@zxcvbn-ts/language-common` 4.1.3 (see `common_passwords.LICENSE`).
static COMMON_PASSWORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(str::to_lowercase)
        .collect()
});

/// A password acceptable for a new account. Never trimmed: every byte counts.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_BYTES: usize = 8;
    /// bcrypt reads at most 72 bytes; longer passwords are refused rather
    /// than silently truncated.
    pub const MAX_BYTES: usize = 72;

    pub fn parse(raw: &str, email: Option<&Email>) -> Result<Self, String> {
        if raw.len() < Self::MIN_BYTES {
            return Err(format!("must be at least {} bytes", Self::MIN_BYTES));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(format!(
                "must be at most {} bytes in UTF-8 (the bcrypt limit)",
                Self::MAX_BYTES
            ));
        }
        let lowered = raw.to_lowercase();
        if COMMON_PASSWORDS.contains(&lowered) {
            return Err("is one of the 10,000 most common passwords".to_owned());
        }
        if email.is_some_and(|email| email.is_spelled(&lowered)) {
            return Err("must not be the same as the email".to_owned());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ships_ten_thousand_common_passwords() {
        assert_eq!(include_str!("common_passwords.txt").lines().count(), 10_000);
    }

    #[test]
    fn enforces_byte_bounds() {
        assert!(Password::parse("sEven77", None).is_err());
        assert!(Password::parse("eight8Xq", None).is_ok());
        assert!(Password::parse(&"x9".repeat(36), None).is_ok());
        assert!(Password::parse(&format!("{}y", "x9".repeat(36)), None).is_err());
    }

    #[test]
    fn counts_bytes_not_characters() {
        // 24 three-byte characters: 24 characters but 72 bytes.
        let at_limit = "€".repeat(24);
        assert!(Password::parse(&at_limit, None).is_ok());
        let over = format!("{at_limit}a");
        assert!(
            Password::parse(&over, None)
                .unwrap_err()
                .contains("72 bytes")
        );
        // Three characters, nine bytes: long enough.
        assert!(Password::parse("€€€", None).is_ok());
    }

    #[test]
    fn is_never_trimmed() {
        let password = Password::parse("  padded pass  ", None).unwrap();
        assert_eq!(password.expose(), "  padded pass  ");
    }

    #[test]
    fn rejects_common_passwords_case_insensitively() {
        for raw in ["password", "PassWord", "12345678", "BASEBALL"] {
            let error = Password::parse(raw, None).unwrap_err();
            assert!(error.contains("common"), "{raw}: {error}");
        }
    }

    #[test]
    fn rejects_the_email_case_insensitively() {
        let email = Email::parse("Someone@Example.com").unwrap();
        let error = Password::parse("SOMEONE@example.COM", Some(&email)).unwrap_err();
        assert!(error.contains("email"));
        assert!(Password::parse("someone@example.org", Some(&email)).is_ok());
    }

    #[test]
    fn rejects_the_email_as_typed_and_as_normalised() {
        let email = Email::parse("someone@ｅｘａｍｐｌｅ.com").unwrap();
        for password in ["SOMEONE@ｅｘａｍｐｌｅ.com", "someone@example.com"] {
            assert!(
                Password::parse(password, Some(&email)).is_err(),
                "{password}"
            );
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        let password = Password::parse("hunter2hunter2", None).unwrap();
        assert!(!format!("{password:?}").contains("hunter"));
    }
}
