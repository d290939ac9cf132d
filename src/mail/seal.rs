//! Links in the outbox are encrypted: a row read from MySQL (a backup, a
//! replica, a support query) gives no one a working token. The key is
//! derived from `SESSION_SECRET` with HKDF-SHA256, so every instance has it
//! and nothing else needs configuring; each link is sealed with AES-256-GCM
//! under a random nonce, bound to its kind and recipient so that a sealed
//! link copied into another row does not open.

use std::sync::Arc;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf::{HKDF_SHA256, Salt};
use ring::rand::{SecureRandom, SystemRandom};

use crate::domain::{LinkKind, SealedLink};

/// Separates this key from anything else ever derived from the secret.
const SALT: &[u8] = b"status-api mail outbox";
const INFO: &[u8] = b"link sealing v1";

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Sealed under another key (`SESSION_SECRET` changed since), for
    /// another recipient or kind, or altered.
    #[error("the link does not open with this SESSION_SECRET")]
    WrongKey,
    #[error("the system's random source failed")]
    Random,
}

#[derive(Clone)]
pub struct LinkSealer {
    key: Arc<LessSafeKey>,
    random: SystemRandom,
}

impl LinkSealer {
    pub fn new(session_secret: &[u8]) -> Self {
        let prk = Salt::new(HKDF_SHA256, SALT).extract(session_secret);
        let okm = prk
            .expand(&[INFO], &AES_256_GCM)
            .unwrap_or_else(|_| unreachable!("32 bytes are within HKDF-SHA256's output"));
        Self {
            key: Arc::new(LessSafeKey::new(UnboundKey::from(okm))),
            random: SystemRandom::new(),
        }
    }

    /// `link` encrypted for a message of `kind` to `to`.
    pub fn seal(&self, kind: LinkKind, to: &str, link: &str) -> Result<SealedLink, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| SealError::Random)?;
        let mut sealed = link.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated_data(kind, to)),
                &mut sealed,
            )
            .map_err(|_| SealError::Random)?;
        let mut bytes = nonce.to_vec();
        bytes.append(&mut sealed);
        Ok(SealedLink::from_bytes(kind, bytes))
    }

    /// The link again, if it was sealed with this key for `to`.
    pub fn open(&self, sealed: &SealedLink, to: &str) -> Result<String, SealError> {
        let bytes = sealed.as_bytes();
        let (nonce, ciphertext) = bytes
            .split_at_checked(NONCE_LEN)
            .ok_or(SealError::WrongKey)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::WrongKey)?;
        let mut buffer = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(
                nonce,
                Aad::from(associated_data(sealed.kind, to)),
                &mut buffer,
            )
            .map_err(|_| SealError::WrongKey)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SealError::WrongKey)
    }
}

fn associated_data(kind: LinkKind, to: &str) -> Vec<u8> {
    let kind = crate::domain::MailKind::Link(kind).as_str();
    [kind.as_bytes(), b"\n", to.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "https://app.example.com/reset-password#token=abcdefghijklmnop";

    #[test]
    fn a_sealed_link_opens_for_its_recipient_only() {
        let sealer = LinkSealer::new(&[7; 64]);
        let sealed = sealer
            .seal(LinkKind::ResetPassword, "a@example.com", LINK)
            .unwrap();
        assert_eq!(sealer.open(&sealed, "a@example.com").unwrap(), LINK);
        assert!(sealer.open(&sealed, "b@example.com").is_err());
        let as_other_kind =
            SealedLink::from_bytes(LinkKind::VerifyEmail, sealed.as_bytes().to_vec());
        assert!(sealer.open(&as_other_kind, "a@example.com").is_err());
    }

    #[test]
    fn the_sealed_bytes_hold_nothing_of_the_link() {
        let sealer = LinkSealer::new(&[7; 64]);
        let first = sealer
            .seal(LinkKind::ResetPassword, "a@example.com", LINK)
            .unwrap();
        let second = sealer
            .seal(LinkKind::ResetPassword, "a@example.com", LINK)
            .unwrap();
        assert_ne!(first, second, "a fresh nonce each time");
        let text = String::from_utf8_lossy(first.as_bytes());
        assert!(!text.contains("abcdefgh"), "{text}");
        assert!(!text.contains("reset-password"), "{text}");
    }

    #[test]
    fn another_secret_cannot_open_it() {
        let sealed = LinkSealer::new(&[7; 64])
            .seal(LinkKind::VerifyEmail, "a@example.com", LINK)
            .unwrap();
        assert!(matches!(
            LinkSealer::new(&[8; 64]).open(&sealed, "a@example.com"),
            Err(SealError::WrongKey)
        ));
        let mut cut = sealed.as_bytes().to_vec();
        cut.truncate(5);
        let cut = SealedLink::from_bytes(LinkKind::VerifyEmail, cut);
        assert!(
            LinkSealer::new(&[7; 64])
                .open(&cut, "a@example.com")
                .is_err()
        );
    }
}
