//! Email addresses: validated, and normalised so that spellings a browser
//! would send to the same mailbox are one account.

use std::fmt;

use idna::AsciiDenyList;
use validator::ValidateEmail;

const INVALID: &str = "must be a valid email address";

/// An email address as a client typed it, in two forms:
///
/// - normalised, which is what is stored, compared and echoed: the domain in
///   its ASCII form by IDNA (UTS #46 mapping, non-transitional as browsers
///   do, so `ß` stays `ß` and becomes punycode) and the whole address
///   lowercased. `Alice@Example.com` and `alice@ｅｘａｍｐｌｅ.com` are both
///   `alice@example.com`.
/// - legacy: trimmed and lowercased only, the form accounts were stored
///   under before normalisation, and may still be when normalising them
///   would have made two accounts one.
///
/// The normalised form is a function of the legacy one, so a stored legacy
/// address normalises to exactly what parsing the address as typed gives.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    normalised: String,
    legacy: String,
}

impl Email {
    pub const MAX_CHARS: usize = 254;

    /// For registering and checking: valid as sent, and valid once
    /// normalised (punycode can make an address too long, or a label longer
    /// than 63 characters).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let legacy = legacy_form(raw)?;
        let normalised = normalise(&legacy)?;
        Ok(Self { normalised, legacy })
    }

    /// For logging in: like `parse`, but an address that was valid before
    /// normalisation and has no valid normalised form is taken as it is
    /// (trimmed and lowercased). Its account, if it has one, was registered
    /// before normalisation and is still stored under that form.
    pub fn parse_for_login(raw: &str) -> Result<Self, String> {
        let legacy = legacy_form(raw)?;
        let normalised = normalise(&legacy).unwrap_or_else(|_| legacy.clone());
        Ok(Self { normalised, legacy })
    }

    /// The normalised form.
    pub fn as_str(&self) -> &str {
        &self.normalised
    }

    /// Trimmed and lowercased only: how addresses were stored before
    /// normalisation.
    pub fn legacy_form(&self) -> &str {
        &self.legacy
    }

    /// Whether `lowered` (something already lowercased) spells this address
    /// in either of its forms.
    pub fn is_spelled(&self, lowered: &str) -> bool {
        lowered == self.normalised || lowered == self.legacy
    }
}

/// Checks the raw value, then trims and lowercases it.
fn legacy_form(raw: &str) -> Result<String, String> {
    let trimmed = super::text::trimmed_within(raw, Email::MAX_CHARS)?;
    if !trimmed.validate_email() {
        return Err(INVALID.to_owned());
    }
    // A few characters grow when lowercased; the stored form must still fit.
    within_max_chars(trimmed.to_lowercase())
}

/// The domain of a trimmed and lowercased address in its ASCII form. No
/// ASCII deny list: the result goes through the validator's own rules.
fn normalise(legacy: &str) -> Result<String, String> {
    let (local, domain) = legacy.rsplit_once('@').ok_or(INVALID)?;
    let ascii_domain = idna::domain_to_ascii_cow(domain.as_bytes(), AsciiDenyList::EMPTY)
        .map_err(|_| INVALID.to_owned())?;
    let normalised = format!("{local}@{ascii_domain}");
    if !normalised.validate_email() {
        return Err(INVALID.to_owned());
    }
    within_max_chars(normalised)
}

fn within_max_chars(address: String) -> Result<String, String> {
    if address.chars().count() > Email::MAX_CHARS {
        return Err(format!("must be at most {} characters", Email::MAX_CHARS));
    }
    Ok(address)
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

    fn normalised(raw: &str) -> String {
        Email::parse(raw).unwrap().as_str().to_owned()
    }

    #[test]
    fn lowercases_and_trims() {
        let email = Email::parse("  Alice@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "alice@example.com");
        assert_eq!(email.legacy_form(), "alice@example.com");
    }

    #[test]
    fn a_fullwidth_domain_is_the_ascii_one() {
        let email = Email::parse("alice@ｅｘａｍｐｌｅ.com").unwrap();
        assert_eq!(email.as_str(), "alice@example.com");
        assert_eq!(email.legacy_form(), "alice@ｅｘａｍｐｌｅ.com");
        assert_eq!(
            normalised("ALICE@ＥＸＡＭＰＬＥ．ＣＯＭ"),
            "alice@example.com"
        );
    }

    #[test]
    fn an_international_domain_becomes_punycode() {
        assert_eq!(normalised("jose@exámple.com"), "jose@xn--exmple-qta.com");
        assert_eq!(normalised("JOSE@EXÁMPLE.COM"), "jose@xn--exmple-qta.com");
        assert_eq!(
            normalised("bob@xn--exmple-qta.com"),
            "bob@xn--exmple-qta.com"
        );
    }

    #[test]
    fn eszett_stays_eszett_as_browsers_process_it() {
        // Transitional processing would have made this `strasse.de`.
        assert_eq!(normalised("hans@straße.de"), "hans@xn--strae-oqa.de");
        assert_ne!(normalised("hans@straße.de"), normalised("hans@strasse.de"));
    }

    #[test]
    fn the_local_part_is_left_as_typed_but_lowercased() {
        assert_eq!(
            normalised("First.Last+Tag@Example.com"),
            "first.last+tag@example.com"
        );
    }

    #[test]
    fn address_literals_are_kept() {
        assert_eq!(normalised("bob@[127.0.0.1]"), "bob@[127.0.0.1]");
        assert_eq!(normalised("bob@[::1]"), "bob@[::1]");
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
    fn rejects_an_address_whose_normalised_domain_is_invalid() {
        // Valid as sent (the validator accepts this ASCII label), but not a
        // punycode label IDNA can decode.
        assert!("bob@xn--a.com".validate_email());
        assert_eq!(Email::parse("bob@xn--a.com").unwrap_err(), INVALID);
    }

    #[test]
    fn a_label_may_be_63_characters_once_in_punycode_and_not_64() {
        // 56 characters as sent, 63 in punycode (`xn--`, the ASCII, `-`, 3).
        let longest = format!("bob@{}é.com", "a".repeat(55));
        assert_eq!(
            normalised(&longest),
            format!("bob@xn--{}-u3e.com", "a".repeat(55))
        );
        let too_long = format!("bob@{}é.com", "a".repeat(56));
        assert_eq!(Email::parse(&too_long).unwrap_err(), INVALID);
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

    /// 250 characters as sent, over 254 once its domain is in punycode.
    fn growing_past_the_limit() -> String {
        let labels = ["b", "c", "d"].map(|letter| letter.repeat(60)).join(".");
        format!("{}@{labels}.é.com", "a".repeat(60))
    }

    #[test]
    fn the_normalised_form_must_fit_too() {
        let raw = growing_past_the_limit();
        assert!(raw.chars().count() <= 254);
        assert_eq!(
            Email::parse(&raw).unwrap_err(),
            "must be at most 254 characters"
        );
    }

    #[test]
    fn logging_in_accepts_an_address_that_only_failed_normalisation() {
        let raw = growing_past_the_limit();
        let email = Email::parse_for_login(&raw).unwrap();
        assert_eq!(email.as_str(), raw);
        assert_eq!(email.legacy_form(), raw);
        assert!(Email::parse_for_login("alice").is_err());
        assert_eq!(
            Email::parse_for_login("Alice@ｅｘａｍｐｌｅ.com")
                .unwrap()
                .as_str(),
            "alice@example.com"
        );
    }

    #[test]
    fn is_spelled_by_either_form() {
        let email = Email::parse("Alice@ｅｘａｍｐｌｅ.com").unwrap();
        assert!(email.is_spelled("alice@example.com"));
        assert!(email.is_spelled("alice@ｅｘａｍｐｌｅ.com"));
        assert!(!email.is_spelled("alice@example.org"));
    }

    #[test]
    fn debug_hides_the_address() {
        let email = Email::parse("secret@example.com").unwrap();
        assert!(!format!("{email:?}").contains("secret"));
    }
}
