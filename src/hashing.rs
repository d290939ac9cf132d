//! bcrypt for [`Password`]s, kept off the async workers and bounded: at most
//! `HASH_CONCURRENCY` hashes at once, a short queue behind them, and a
//! "try later" past that rather than an ever-growing wait.
//!
//! The bound is on work, not on requests: a slot is held by the thread
//! running bcrypt, so a client that goes away does not free it early.

use std::sync::Arc;

use rand::Rng;
use rand::distr::Alphanumeric;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::Password;
use crate::metrics::HashingGauges;

/// How many requests may wait for a hashing slot, per slot.
const QUEUE_PER_SLOT: usize = 4;

/// A place in the hashing queue, taken before any other work for a request
/// that will hash, so a flood is turned away before it costs anything.
pub struct Admission {
    _place: OwnedSemaphorePermit,
}

/// One of the `HASH_CONCURRENCY` slots: whoever holds it may run bcrypt.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every slot is busy and the queue is full.
    #[error("the hashing queue is full")]
    Busy,
    #[error("hashing failed: {0:#}")]
    Failed(anyhow::Error),
}

#[derive(Clone)]
pub struct PasswordHasher {
    cost: u32,
    admitted: Arc<Semaphore>,
    running: Arc<Semaphore>,
    /// Verified against when the email is unknown, so that a login costs the
    /// same whether or not the account exists.
    dummy_hash: Arc<str>,
    gauges: HashingGauges,
}

impl PasswordHasher {
    pub fn new(cost: u32, concurrency: usize) -> anyhow::Result<Self> {
        let dummy: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        Ok(Self {
            cost,
            admitted: Arc::new(Semaphore::new(concurrency * (1 + QUEUE_PER_SLOT))),
            running: Arc::new(Semaphore::new(concurrency)),
            dummy_hash: bcrypt::hash(dummy, cost)?.into(),
            gauges: HashingGauges::new(),
        })
    }

    /// A place in the queue, or `Busy` when it is full.
    pub fn admit(&self) -> Result<Admission, HashError> {
        let place = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| HashError::Busy)?;
        Ok(Admission { _place: place })
    }

    /// Waits in the queue for a hashing slot. Dropping this future (the
    /// client went away) leaves the queue without having hashed anything.
    pub async fn slot(&self, _: &Admission) -> Result<Slot, HashError> {
        let permit = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|error| HashError::Failed(error.into()))?;
        Ok(Slot { _permit: permit })
    }

    /// Hashes a password that passed the rules of [`Password`] once a slot
    /// is free; see [`hash_in`](Self::hash_in).
    pub async fn hash(&self, place: &Admission, password: &str) -> Result<String, HashError> {
        let slot = self.slot(place).await?;
        self.hash_in(slot, password).await
    }

    /// Hashes a password that passed the rules of [`Password`], in `slot`.
    ///
    /// bcrypt's `non_truncating_*` functions count the NUL terminator that
    /// bcrypt appends, so they refuse the 72-byte passwords the contract
    /// allows. The 72-byte bound is enforced here instead, and the plain
    /// functions then drop nothing but that terminator.
    pub async fn hash_in(&self, slot: Slot, password: &str) -> Result<String, HashError> {
        if password.len() > Password::MAX_BYTES {
            return Err(HashError::Failed(anyhow::anyhow!("password over 72 bytes")));
        }
        let (password, cost) = (password.to_owned(), self.cost);
        self.run(slot, move || bcrypt::hash(password, cost)).await
    }

    /// Checks `candidate` against `stored` once a slot is free; see
    /// [`verify_in`](Self::verify_in).
    pub async fn verify(
        &self,
        place: &Admission,
        candidate: &str,
        stored: Option<&str>,
    ) -> Result<bool, HashError> {
        let slot = self.slot(place).await?;
        self.verify_in(slot, candidate, stored).await
    }

    /// Checks `candidate` against `stored`, or against a dummy hash of the
    /// same cost when there is no stored hash, in `slot`. A candidate over
    /// 72 bytes matches nothing (bcrypt would ignore its tail), after the
    /// same work.
    pub async fn verify_in(
        &self,
        slot: Slot,
        candidate: &str,
        stored: Option<&str>,
    ) -> Result<bool, HashError> {
        let whole = candidate.len() <= Password::MAX_BYTES;
        let known = stored.is_some();
        let hash = stored.unwrap_or(&self.dummy_hash).to_owned();
        let candidate = candidate.to_owned();
        let matched = self
            .run(slot, move || bcrypt::verify(candidate, &hash))
            .await?;
        Ok(known && whole && matched)
    }

    /// What this hasher reports to `/metrics`.
    pub fn gauges(&self) -> &HashingGauges {
        &self.gauges
    }

    /// Whether `stored` was made at another cost than the configured one.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        stored
            .parse::<bcrypt::HashParts>()
            .map_or(true, |parts| parts.get_cost() != self.cost)
    }

    /// Runs bcrypt on a blocking thread, which owns `slot` until bcrypt
    /// returns: a caller that stops waiting (its client went away) cannot
    /// free the slot while the work goes on.
    async fn run<T: Send + 'static>(
        &self,
        slot: Slot,
        work: impl FnOnce() -> bcrypt::BcryptResult<T> + Send + 'static,
    ) -> Result<T, HashError> {
        let gauges = self.gauges.clone();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let _running = gauges.begin();
            work()
        })
        .await
        .map_err(|error| HashError::Failed(error.into()))?
        .map_err(|error| HashError::Failed(error.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_what_it_hashed() {
        let hasher = PasswordHasher::new(4, 1).unwrap();
        let place = hasher.admit().unwrap();
        let hash = hasher.hash(&place, "correct horse").await.unwrap();
        assert!(
            hasher
                .verify(&place, "correct horse", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(&place, "correct horsE", Some(&hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn unknown_accounts_never_match() {
        let hasher = PasswordHasher::new(4, 1).unwrap();
        let place = hasher.admit().unwrap();
        assert!(
            !hasher
                .verify(&place, "anything at all", None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn overlong_candidates_never_match() {
        let hasher = PasswordHasher::new(4, 1).unwrap();
        let place = hasher.admit().unwrap();
        let exact = "p".repeat(72);
        let hash = hasher.hash(&place, &exact).await.unwrap();
        assert!(hasher.verify(&place, &exact, Some(&hash)).await.unwrap());
        let longer = format!("{exact}-and-more");
        assert!(!hasher.verify(&place, &longer, Some(&hash)).await.unwrap());
    }

    #[test]
    fn the_queue_turns_away_what_it_cannot_hold() {
        let hasher = PasswordHasher::new(4, 1).unwrap();
        let held: Vec<Admission> = (0..1 + QUEUE_PER_SLOT)
            .map(|_| hasher.admit().unwrap())
            .collect();
        assert!(matches!(hasher.admit(), Err(HashError::Busy)));
        drop(held);
        assert!(hasher.admit().is_ok());
    }

    /// Polls `condition` every few milliseconds until it holds.
    async fn until(condition: impl Fn() -> bool) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        while !condition() {
            assert!(tokio::time::Instant::now() < deadline, "never happened");
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    #[tokio::test]
    async fn a_slot_is_held_until_bcrypt_returns_even_when_nobody_waits() {
        // Slow enough that bcrypt is still running when the caller leaves.
        let hasher = PasswordHasher::new(12, 1).unwrap();
        let place = hasher.admit().unwrap();
        let abandoned = hasher.verify(&place, "a guess", None);
        let watched = async { until(|| hasher.gauges.running() == 1).await };
        tokio::select! {
            _ = abandoned => panic!("bcrypt at cost 12 finished before it was observed"),
            () = watched => {}
        }
        assert_eq!(
            hasher.running.available_permits(),
            0,
            "bcrypt still holds it"
        );
        until(|| hasher.gauges.running() == 0).await;
        assert_eq!(hasher.running.available_permits(), 1);
    }

    #[tokio::test]
    async fn a_request_that_leaves_the_queue_never_hashes() {
        let hasher = PasswordHasher::new(4, 1).unwrap();
        let place = hasher.admit().unwrap();
        let taken = hasher.slot(&place).await.unwrap();
        let queued = hasher.verify(&place, "a guess", None);
        let gave_up = tokio::time::timeout(std::time::Duration::from_millis(20), queued).await;
        assert!(gave_up.is_err(), "waited for the slot");
        drop(taken);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(hasher.gauges.begun(), 0);
        assert_eq!(hasher.running.available_permits(), 1);
    }

    #[test]
    fn asks_for_a_rehash_at_another_cost() {
        let hasher = PasswordHasher::new(5, 1).unwrap();
        let at_four = bcrypt::hash("some password", 4).unwrap();
        let at_five = bcrypt::hash("some password", 5).unwrap();
        assert!(hasher.needs_rehash(&at_four));
        assert!(!hasher.needs_rehash(&at_five));
    }
}
