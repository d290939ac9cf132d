//! Account tokens: the secrets that mailed links carry (`#token=…`), each
//! good for one thing (verifying the email, confirming a new one, resetting
//! the password) and for one use.

use std::fmt;
use std::time::Duration;

use rand::TryRngCore;
use rand::rand_core::OsError;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use super::Email;

/// 256 bits from the operating system's generator, written as 64 lowercase
/// hex digits: URL-safe as it is, and one spelling per token, so a token
/// read back is the same token or none.
#[derive(Clone, PartialEq, Eq)]
pub struct Token([u8; Token::BYTES]);

impl Token {
    pub const BYTES: usize = 32;
    /// Characters of the written form.
    pub const CHARS: usize = 2 * Self::BYTES;

    /// A new token; fails only when the operating system cannot give
    /// randomness.
    pub fn generate() -> Result<Self, OsError> {
        let mut bytes = [0; Self::BYTES];
        OsRng.try_fill_bytes(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// A token as a client sent it back; `None` for anything not written as
    /// `generate`'s tokens are (which is then simply no token of ours).
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.len() != Self::CHARS {
            return None;
        }
        let mut bytes = [0; Self::BYTES];
        for (byte, pair) in bytes.iter_mut().zip(raw.as_bytes().chunks_exact(2)) {
            *byte = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
        }
        Some(Self(bytes))
    }

    /// What is stored instead of the token: its SHA-256, which tells
    /// nothing that could be used as the token.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0).into()
    }
}

/// Lowercase only: the one spelling `Display` writes.
fn hex_digit(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

/// The written form, as links carry it.
impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

/// A token is a credential: keep it out of logs even by accident.
impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

/// What using a token does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Shows that the account's email reaches its owner.
    VerifyEmail,
    /// Moves the account to this (normalised) address, which its link was
    /// mailed to, and so shows that it is verified too.
    ChangeEmail(Email),
    /// Lets whoever reads the account's mail choose a new password.
    ResetPassword,
}

impl TokenPurpose {
    pub fn kind(&self) -> TokenKind {
        match self {
            Self::VerifyEmail => TokenKind::VerifyEmail,
            Self::ChangeEmail(_) => TokenKind::ChangeEmail,
            Self::ResetPassword => TokenKind::ResetPassword,
        }
    }
}

/// The kinds of token, each with its own lifetime; a newer token of a kind
/// voids the account's older ones of that kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    VerifyEmail,
    ChangeEmail,
    ResetPassword,
}

impl TokenKind {
    pub const ALL: [Self; 3] = [Self::VerifyEmail, Self::ChangeEmail, Self::ResetPassword];

    /// The name the table stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify-email",
            Self::ChangeEmail => "change-email",
            Self::ResetPassword => "reset-password",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// How long a token of each kind can be used after it is issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenLifetimes {
    /// `VERIFY_TOKEN_SECS`: verifying the email and confirming a new one.
    pub verify: Duration,
    /// `RESET_TOKEN_SECS`: resetting the password.
    pub reset: Duration,
}

impl TokenLifetimes {
    pub fn of(&self, kind: TokenKind) -> Duration {
        match kind {
            TokenKind::VerifyEmail | TokenKind::ChangeEmail => self.verify,
            TokenKind::ResetPassword => self.reset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_64_hex_digits_that_parse_back() {
        let token = Token::generate().unwrap();
        let written = token.to_string();
        assert_eq!(written.len(), Token::CHARS);
        assert!(
            written
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{written}"
        );
        assert_eq!(Token::parse(&written), Some(token));
    }

    #[test]
    fn tokens_differ() {
        let first = Token::generate().unwrap();
        let second = Token::generate().unwrap();
        assert_ne!(first, second);
        assert_ne!(first.hash(), second.hash());
    }

    #[test]
    fn anything_else_is_no_token() {
        let written = Token::generate().unwrap().to_string();
        for raw in [
            String::new(),
            written[1..].to_owned(),
            format!("{written}0"),
            written.to_uppercase(),
            format!(" {}", &written[1..]),
            format!("{}g", &written[1..]),
            "é".repeat(32),
        ] {
            assert_eq!(Token::parse(&raw), None, "{raw:?}");
        }
    }

    #[test]
    fn the_hash_is_the_sha256_of_the_random_bytes() {
        let token = Token::parse(&"00".repeat(32)).unwrap();
        let expected: [u8; 32] = Sha256::digest([0u8; 32]).into();
        assert_eq!(token.hash(), expected);
        assert_eq!(format!("{token:?}"), "Token(..)");
    }

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in TokenKind::ALL {
            assert_eq!(TokenKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(TokenKind::parse("reset"), None);
    }

    #[test]
    fn email_kinds_live_verify_token_secs_and_resets_reset_token_secs() {
        let lifetimes = TokenLifetimes {
            verify: Duration::from_secs(60),
            reset: Duration::from_secs(30),
        };
        for kind in [TokenKind::VerifyEmail, TokenKind::ChangeEmail] {
            assert_eq!(lifetimes.of(kind), Duration::from_secs(60));
        }
        assert_eq!(
            lifetimes.of(TokenKind::ResetPassword),
            Duration::from_secs(30)
        );
    }
}
