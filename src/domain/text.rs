//! Rules shared by the free-text values (names and statuses).

/// Checks the raw length in Unicode scalar values, then trims; the result must
/// not be empty.
pub(super) fn trimmed_within(raw: &str, max_chars: usize) -> Result<&str, String> {
    if raw.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".to_owned());
    }
    Ok(trimmed)
}

/// Rejects control characters other than those in `allowed`.
pub(super) fn without_control_chars(raw: &str, allowed: &[char]) -> Result<(), String> {
    match raw.chars().find(|c| c.is_control() && !allowed.contains(c)) {
        Some(c) => Err(format!(
            "must not contain control characters (found U+{:04X})",
            u32::from(c)
        )),
        None => Ok(()),
    }
}
