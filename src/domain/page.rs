/// A status id as a cursor: statuses strictly older than it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusId(u64);

impl StatusId {
    /// Ids fit a signed 64-bit integer, which is what JSON clients and the
    /// OpenAPI `int64` format can hold.
    pub const MAX: u64 = i64::MAX as u64;

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.parse::<u64>() {
            Ok(id) if (1..=Self::MAX).contains(&id) => Ok(Self(id)),
            _ => Err(format!("must be an integer from 1 to {}", Self::MAX)),
        }
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

/// How many statuses one page holds: 1 to 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLimit(u8);

impl PageLimit {
    pub const MAX: u8 = 100;
    pub const DEFAULT: Self = Self(20);

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.parse::<u8>() {
            Ok(limit) if (1..=Self::MAX).contains(&limit) => Ok(Self(limit)),
            _ => Err(format!("must be an integer from 1 to {}", Self::MAX)),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: PageLimit,
    pub before: Option<StatusId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_bounded() {
        assert!(PageLimit::parse("0").is_err());
        assert_eq!(PageLimit::parse("1").unwrap().get(), 1);
        assert_eq!(PageLimit::parse("100").unwrap().get(), 100);
        for raw in ["101", "256", "-1", "2.5", "", "ten"] {
            assert!(PageLimit::parse(raw).is_err(), "{raw:?} should be rejected");
        }
    }

    #[test]
    fn cursor_is_a_positive_integer() {
        assert!(StatusId::parse("0").is_err());
        assert!(StatusId::parse("-3").is_err());
        assert_eq!(
            StatusId::parse("9223372036854775807").unwrap().get(),
            StatusId::MAX
        );
        assert!(StatusId::parse("9223372036854775808").is_err());
    }
}
