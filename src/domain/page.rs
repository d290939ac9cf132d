/// A row id as a cursor: rows strictly older than it (a page of statuses,
/// or of security events).
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

    /// A stored row's id, which is a valid cursor as it is.
    pub fn from_row(id: u64) -> Self {
        Self(id)
    }
}

/// How many rows one page holds: 1 to 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLimit(u8);

impl PageLimit {
    pub const MAX: u8 = 100;
    pub const DEFAULT: Self = Self(20);
    pub const LARGEST: Self = Self(Self::MAX);

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

impl PageRequest {
    /// Every id below this one may be on the page.
    pub fn ids_below(self) -> u64 {
        self.before.map_or(u64::MAX, StatusId::get)
    }

    /// One row more than the page holds: reading it learns, in the same
    /// round trip, whether an older page exists.
    pub fn rows_to_read(self) -> usize {
        usize::from(self.limit.get()) + 1
    }

    /// The page from `rows_to_read` rows read newest first, and the
    /// `before` of the next page (`None` exactly when no older row exists).
    pub fn cut<T>(self, mut rows: Vec<T>, id_of: impl Fn(&T) -> u64) -> (Vec<T>, Option<u64>) {
        let limit = usize::from(self.limit.get());
        let has_older = rows.len() > limit;
        rows.truncate(limit);
        let next_before = rows.last().filter(|_| has_older).map(id_of);
        (rows, next_before)
    }
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
    fn a_page_cut_from_one_row_too_many_points_at_the_older_page() {
        let request = PageRequest {
            limit: PageLimit::parse("2").unwrap(),
            before: None,
        };
        assert_eq!(request.rows_to_read(), 3);
        assert_eq!(request.cut(vec![9, 8, 7], |id| *id), (vec![9, 8], Some(8)));
        assert_eq!(request.cut(vec![9, 8], |id| *id), (vec![9, 8], None));
        assert_eq!(request.cut(Vec::<u64>::new(), |id| *id), (vec![], None));
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
