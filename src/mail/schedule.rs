//! When a message that could not be sent is tried again: after 10 s, then
//! after twice as long each time up to `MAIL_RETRY_MAX_SECS`, for as long
//! as the next try still falls within `MAIL_RETRY_HOURS` of the moment the
//! message was written; past that it is given up.

use std::time::Duration;

/// The wait before the first retry.
pub const FIRST_RETRY: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `MAIL_RETRY_MAX_SECS`.
    pub max_delay: Duration,
    /// `MAIL_RETRY_HOURS`.
    pub window: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextTry {
    After(Duration),
    GiveUp,
}

impl RetryPolicy {
    /// What follows the `tries`-th failed try (1 for the first) of a
    /// message written `age` ago.
    pub fn after_failure(&self, tries: u32, age: Duration) -> NextTry {
        let delay = self.delay(tries);
        if age.saturating_add(delay) > self.window {
            NextTry::GiveUp
        } else {
            NextTry::After(delay)
        }
    }

    /// 10 s after the first failure, doubling after each further one, at
    /// most `max_delay`.
    fn delay(&self, tries: u32) -> Duration {
        let doublings = tries.saturating_sub(1).min(31);
        FIRST_RETRY
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(24 * 3600);

    fn policy(max_secs: u64) -> RetryPolicy {
        RetryPolicy {
            max_delay: Duration::from_secs(max_secs),
            window: DAY,
        }
    }

    #[test]
    fn retries_after_10_s_then_doubling_up_to_the_maximum() {
        let delays: Vec<_> = (1..=9)
            .map(
                |tries| match policy(300).after_failure(tries, Duration::ZERO) {
                    NextTry::After(delay) => delay.as_secs(),
                    NextTry::GiveUp => panic!("gave up after {tries}"),
                },
            )
            .collect();
        assert_eq!(delays, [10, 20, 40, 80, 160, 300, 300, 300, 300]);
        assert_eq!(
            policy(300).after_failure(u32::MAX, Duration::ZERO),
            NextTry::After(Duration::from_secs(300))
        );
    }

    #[test]
    fn the_maximum_caps_even_the_first_retry() {
        assert_eq!(
            policy(3).after_failure(1, Duration::ZERO),
            NextTry::After(Duration::from_secs(3))
        );
    }

    #[test]
    fn gives_up_once_the_next_try_would_fall_past_the_window() {
        let policy = policy(300);
        let late = DAY - Duration::from_secs(300);
        assert_eq!(
            policy.after_failure(20, late),
            NextTry::After(Duration::from_secs(300))
        );
        assert_eq!(
            policy.after_failure(20, late + Duration::from_secs(1)),
            NextTry::GiveUp
        );
        assert_eq!(policy.after_failure(1, DAY), NextTry::GiveUp);
        assert_eq!(
            policy.after_failure(1, DAY - Duration::from_secs(10)),
            NextTry::After(Duration::from_secs(10))
        );
    }
}
