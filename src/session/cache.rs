//! Copies of live sessions kept in this process, so that reading a session
//! costs no Redis round trip, kept exact by Redis itself: the tracking
//! channel (`tracking.rs`) is told of every write to a session key, by any
//! instance, and drops that key's copy.
//!
//! Three rules keep a copy from ever outliving its session by more than the
//! contract's 100 ms, under any load:
//! - A copy is answered only while the channel is *confirmed*: a heartbeat
//!   sent less than [`FRESHNESS`] ago is vouched for (`tracking.rs` says
//!   why that takes the answer to the next one): a session ended before
//!   that heartbeat left has had its copy dropped. A channel that is
//!   slow, cut or silent stops being confirmed within that time, and the
//!   copies are not answered (requests read Redis) until it is again.
//! - A read from Redis is kept only if its reservation, taken before the
//!   read, is still there when the answer comes: an invalidation of the key
//!   in between removes it, so an answer older than a write is never kept.
//! - When the channel breaks, or stays silent past its limit, every copy is
//!   dropped and none is reserved until a new channel is tracking.
//!
//! A copy also never outlives its session's own deadlines (idle and
//! absolute), read from its state, and at most `SESSION_CACHE_ENTRIES`
//! copies are kept: the least recently used go first.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use lru::LruCache;

use super::now_ms;
use crate::metrics::CacheMetrics;

pub type SessionState = HashMap<String, String>;

/// How long after a heartbeat left its answer vouches for the copies: under
/// the contract's 100 ms, leaving the request's own time in the server.
pub const FRESHNESS: Duration = Duration::from_millis(80);

/// Copies are spread over this many locks at most, so that workers rarely
/// wait on each other.
const MAX_SHARDS: usize = 16;

#[derive(Clone)]
pub struct SessionCache(Arc<Shared>);

/// What the tracking channel holds: the cache while anyone still uses it.
#[derive(Clone)]
pub struct TrackedCache(Weak<Shared>);

pub struct Shared {
    shards: Box<[Mutex<LruCache<String, Slot>>]>,
    started: Instant,
    /// When (ns after `started`, plus one) the latest confirmed heartbeat
    /// was sent; 0 while there is no channel.
    confirmed: AtomicU64,
    /// Whether a channel is tracking: only then are reads reserved.
    tracking: AtomicBool,
    /// Which channel is the current one, so that a late word of an old one
    /// breaking does not drop the copies a new one keeps exact.
    channel: AtomicU64,
    next_reservation: AtomicU64,
    metrics: CacheMetrics,
}

enum Slot {
    /// A read from Redis on its way, under this reservation.
    Reading(u64),
    Copy {
        state: SessionState,
        /// When the session's idle or absolute time is up (ms since the
        /// Unix epoch, the application's clock, as its state keeps them).
        until_ms: u64,
    },
}

/// A read from Redis that may be kept (see [`SessionCache::lookup`]).
pub struct Reservation(u64);

/// What the cache has for a key.
pub enum Lookup {
    /// A live copy, vouched for by the channel now.
    Copy(SessionState),
    /// None: read Redis, and keep the answer under this reservation.
    Reserved(Reservation),
    /// None, and no channel tracks: read Redis, keep nothing.
    Untracked,
}

impl SessionCache {
    /// A cache of at most `entries` copies; `None` for 0 (no cache).
    pub fn new(entries: usize) -> Option<Self> {
        let entries = NonZeroUsize::new(entries)?;
        let shards = entries.get().min(MAX_SHARDS);
        let per_shard = NonZeroUsize::new(entries.get().div_ceil(shards)).unwrap_or(entries);
        Some(Self(Arc::new(Shared {
            shards: (0..shards)
                .map(|_| Mutex::new(LruCache::new(per_shard)))
                .collect(),
            started: Instant::now(),
            confirmed: AtomicU64::new(0),
            tracking: AtomicBool::new(false),
            channel: AtomicU64::new(0),
            next_reservation: AtomicU64::new(0),
            metrics: CacheMetrics::default(),
        })))
    }

    pub fn tracked(&self) -> TrackedCache {
        TrackedCache(Arc::downgrade(&self.0))
    }

    pub fn metrics(&self) -> &CacheMetrics {
        &self.0.metrics
    }

    /// The copy of the session at `key`, if one is kept, live and vouched
    /// for by the channel now; else, while a channel tracks, a reservation
    /// for the read from Redis about to be sent: its answer may be kept
    /// unless the key changes first.
    pub fn lookup(&self, key: &str) -> Lookup {
        let shared = &self.0;
        let confirmed = shared.is_confirmed();
        let mut shard = shared.shard(key);
        if confirmed
            && let Some(Slot::Copy { state, until_ms }) = shard.get(key)
            && now_ms() < *until_ms
        {
            shared.metrics.hits.inc();
            return Lookup::Copy(state.clone());
        }
        shared.metrics.misses.inc();
        // Read under the lock a flush takes after it stops tracking: a
        // reservation is either cleared by that flush or never made.
        if !shared.tracking.load(Ordering::SeqCst) {
            return Lookup::Untracked;
        }
        let number = shared.next_reservation.fetch_add(1, Ordering::Relaxed);
        // Replaces whatever was there: an unconfirmed or spent copy, or
        // another request's reservation, which will then keep nothing.
        shard.put(key.to_owned(), Slot::Reading(number));
        Lookup::Reserved(Reservation(number))
    }

    /// Keeps what the reserved read answered, unless the key changed since
    /// (or every copy was dropped); `until_ms` is when the session's time
    /// is up. `None`, no session: the reservation is let go.
    pub fn keep(&self, key: &str, reservation: Reservation, state: Option<(&SessionState, u64)>) {
        let mut shard = self.0.shard(key);
        if !matches!(shard.peek(key), Some(Slot::Reading(number)) if *number == reservation.0) {
            return;
        }
        match state {
            Some((state, until_ms)) => {
                shard.put(
                    key.to_owned(),
                    Slot::Copy {
                        state: state.clone(),
                        until_ms,
                    },
                );
            }
            None => {
                shard.pop(key);
            }
        }
    }

    /// Drops the copies of sessions this instance just wrote or ended, so
    /// that its own next request reads them anew without waiting for the
    /// channel to say so.
    pub fn forget<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        for key in keys {
            self.0.shard(key).pop(key);
        }
    }
}

impl Shared {
    fn shard(&self, key: &str) -> MutexGuard<'_, LruCache<String, Slot>> {
        // Session keys end in hex digits of a SHA-256: their last bytes
        // spread evenly.
        let spread = key.bytes().rev().take(4).fold(0usize, |sum, byte| {
            sum.wrapping_mul(31).wrapping_add(usize::from(byte))
        });
        self.shards[spread % self.shards.len()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn since_start(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.started).as_nanos())
            .unwrap_or(u64::MAX)
            .saturating_add(1)
    }

    fn is_confirmed(&self) -> bool {
        let confirmed = self.confirmed.load(Ordering::Acquire);
        confirmed != 0
            && self.since_start(Instant::now()).saturating_sub(confirmed)
                <= u64::try_from(FRESHNESS.as_nanos()).unwrap_or(u64::MAX)
    }

    fn clear(&self) {
        for shard in &self.shards {
            shard.lock().unwrap_or_else(PoisonError::into_inner).clear();
        }
    }

    /// Every copy dropped, nothing answered or kept until a channel tracks.
    fn stop_tracking(&self) {
        self.tracking.store(false, Ordering::SeqCst);
        self.confirmed.store(0, Ordering::Release);
        self.metrics.tracking.set(0);
        self.clear();
        self.metrics.flushes.inc();
    }
}

impl TrackedCache {
    /// Whether anyone still uses the cache.
    pub fn in_use(&self) -> bool {
        self.0.strong_count() > 0
    }

    /// A new channel is about to subscribe: the number its words carry.
    pub fn new_channel(&self) -> u64 {
        self.0.upgrade().map_or(0, |shared| {
            if shared.tracking.load(Ordering::SeqCst) {
                shared.stop_tracking();
            }
            shared.channel.fetch_add(1, Ordering::SeqCst) + 1
        })
    }

    /// The channel `channel` is tracking: reads may be reserved again.
    pub fn tracking(&self, channel: u64) {
        if let Some(shared) = self.0.upgrade()
            && shared.channel.load(Ordering::SeqCst) == channel
        {
            shared.tracking.store(true, Ordering::SeqCst);
            shared.metrics.tracking.set(1);
        }
    }

    /// Every invalidation Redis sent before the answer to a heartbeat sent
    /// at `sent` has been applied.
    pub fn confirm(&self, channel: u64, sent: Instant) {
        if let Some(shared) = self.0.upgrade()
            && shared.channel.load(Ordering::SeqCst) == channel
            && shared.tracking.load(Ordering::SeqCst)
        {
            shared
                .confirmed
                .store(shared.since_start(sent), Ordering::Release);
        }
    }

    /// Redis says these keys changed.
    pub fn invalidate<'k>(&self, keys: impl IntoIterator<Item = &'k [u8]>) {
        let Some(shared) = self.0.upgrade() else {
            return;
        };
        for key in keys {
            let Ok(key) = std::str::from_utf8(key) else {
                continue;
            };
            if let Some(Slot::Copy { .. }) = shared.shard(key).pop(key) {
                shared.metrics.invalidations.inc();
            }
        }
    }

    /// Redis says every key may have changed (a `FLUSHALL`, a `FLUSHDB`).
    pub fn invalidate_all(&self) {
        if let Some(shared) = self.0.upgrade() {
            shared.clear();
            shared.metrics.flushes.inc();
        }
    }

    /// The channel `channel` broke or went silent: if it is the current
    /// one, every copy goes.
    pub fn channel_lost(&self, channel: u64) {
        if let Some(shared) = self.0.upgrade()
            && shared.channel.load(Ordering::SeqCst) == channel
            && shared.tracking.load(Ordering::SeqCst)
        {
            shared.stop_tracking();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SessionState {
        HashMap::from([("user".to_owned(), "{}".to_owned())])
    }

    fn later() -> u64 {
        now_ms() + 60_000
    }

    /// A cache whose channel tracks and was confirmed just now.
    fn confirmed_cache() -> (SessionCache, TrackedCache, u64) {
        let cache = SessionCache::new(100).expect("a cache");
        let tracked = cache.tracked();
        let channel = tracked.new_channel();
        tracked.tracking(channel);
        tracked.confirm(channel, Instant::now());
        (cache, tracked, channel)
    }

    fn reserved(cache: &SessionCache, key: &str) -> Reservation {
        match cache.lookup(key) {
            Lookup::Reserved(reservation) => reservation,
            _ => panic!("no reservation for {key}"),
        }
    }

    fn kept(cache: &SessionCache, key: &str) {
        let reservation = reserved(cache, key);
        cache.keep(key, reservation, Some((&state(), later())));
    }

    /// The copy `lookup` answers (a miss reserves the key).
    fn copy(cache: &SessionCache, key: &str) -> Option<SessionState> {
        match cache.lookup(key) {
            Lookup::Copy(state) => Some(state),
            _ => None,
        }
    }

    #[test]
    fn a_kept_read_is_answered_while_confirmed() {
        let (cache, _, _) = confirmed_cache();
        kept(&cache, "k");
        assert_eq!(copy(&cache, "k"), Some(state()));
    }

    #[test]
    fn no_copy_is_answered_once_the_confirmation_is_older_than_the_freshness() {
        let (cache, _, _) = confirmed_cache();
        kept(&cache, "k");
        std::thread::sleep(FRESHNESS + Duration::from_millis(1));
        assert_eq!(copy(&cache, "k"), None);
    }

    #[test]
    fn an_invalidation_between_reservation_and_answer_keeps_nothing() {
        let (cache, tracked, _) = confirmed_cache();
        let reservation = reserved(&cache, "k");
        tracked.invalidate([b"k".as_slice()]);
        cache.keep("k", reservation, Some((&state(), later())));
        assert_eq!(copy(&cache, "k"), None);
    }

    #[test]
    fn an_invalidation_drops_a_copy() {
        let (cache, tracked, _) = confirmed_cache();
        kept(&cache, "k");
        tracked.invalidate([b"k".as_slice()]);
        assert_eq!(copy(&cache, "k"), None);
    }

    #[test]
    fn a_lost_channel_drops_every_copy_and_reserves_nothing_until_one_tracks() {
        let (cache, tracked, channel) = confirmed_cache();
        kept(&cache, "k");
        let reservation = reserved(&cache, "r");
        tracked.channel_lost(channel);
        cache.keep("r", reservation, Some((&state(), later())));
        assert!(matches!(cache.lookup("x"), Lookup::Untracked));
        let next = tracked.new_channel();
        tracked.tracking(next);
        tracked.confirm(next, Instant::now());
        assert_eq!(copy(&cache, "k"), None);
        assert_eq!(copy(&cache, "r"), None);
    }

    #[test]
    fn an_old_channel_breaking_leaves_the_new_one_alone() {
        let (cache, tracked, old) = confirmed_cache();
        let new = tracked.new_channel();
        tracked.tracking(new);
        tracked.confirm(new, Instant::now());
        kept(&cache, "k");
        tracked.channel_lost(old);
        assert_eq!(copy(&cache, "k"), Some(state()));
    }

    #[test]
    fn a_copy_past_its_session_deadline_is_not_answered() {
        let (cache, _, _) = confirmed_cache();
        let reservation = reserved(&cache, "k");
        cache.keep("k", reservation, Some((&state(), now_ms())));
        assert_eq!(copy(&cache, "k"), None);
    }

    #[test]
    fn a_later_reservation_wins_over_an_earlier_one() {
        let (cache, _, _) = confirmed_cache();
        let first = reserved(&cache, "k");
        let second = reserved(&cache, "k");
        let newer = HashMap::from([("user".to_owned(), "{\"newer\":1}".to_owned())]);
        cache.keep("k", second, Some((&newer, later())));
        cache.keep("k", first, Some((&state(), later())));
        assert_eq!(copy(&cache, "k"), Some(newer));
    }

    #[test]
    fn no_cache_for_zero_entries() {
        assert!(SessionCache::new(0).is_none());
    }
}
