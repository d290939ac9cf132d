//! actix-session's storage, on Redis, with what its own Redis store lacks:
//! - a session whose key is gone (logged out, revoked, expired) is never
//!   written back;
//! - no session outlives `SESSION_LIFETIME_SECS`;
//! - each user's live sessions are indexed, so they can be listed and
//!   revoked;
//! - a user has at most `MAX_SESSIONS_PER_USER` live sessions: a new one
//!   beyond that ends the one least recently seen;
//! - the user a session holds is the account as it is now: a change to the
//!   account rewrites it in every live session (`rewrite_user`), and a
//!   request that loaded its session before such a rewrite never writes the
//!   old user back (an existing session's write keeps the stored user);
//! - ending every session of a user moves on its [`Epoch`] (a counter next
//!   to the index), and a new session is created only in the user's
//!   current epoch: a login that checked the password before every session
//!   ended cannot begin one after.
//!
//! The index is a sorted set scored by when each session was last seen (its
//! `seen_ms`), not by when its key expires: the absolute lifetime can cut a
//! recently seen session's TTL short, so expiry order is not last-seen order.
//! A session not seen for the idle time is over whatever its key's TTL, so
//! such entries are pruned by score; others whose key is gone are pruned
//! when found missing.
//!
//! The cookie carries `<user id>.<64 random characters>`. Redis never sees
//! that key: a session is stored under the SHA-256 of it, which is also the
//! session's public id, so the id reveals nothing of the key and cannot be
//! used as one. All of a user's keys share the hash tag `{user:<id>}`, so
//! every script below touches one Redis Cluster slot.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use anyhow::anyhow;
use rand::Rng;
use rand::distr::Alphanumeric;
use redis::{AsyncCommands, FromRedisValue, RedisError, Script};
use sha2::{Digest, Sha256};

use super::cache::Lookup;
use super::cache::{SessionCache, SessionState};
use super::connection::{SessionConnection, SessionRedis};
use super::{BEGAN_MS, EPOCH, Epoch, SEEN_MS, SESSION_ID, SessionPolicy, USER, now_ms};
use crate::domain::User;
use crate::metrics::{CacheMetrics, SESSIONS_ENDED};

/// How long the mark `confirm_ended_elsewhere` writes lives: only its
/// replication matters.
const ENDING_MARK_MS: u64 = 1000;

/// The random part of a cookie key: about 381 bits of entropy.
const SECRET_LENGTH: usize = 64;

/// Lua shared by the scripts that go through a user's index: each is given
/// the keys of the sessions the index listed when the store read it, after
/// its own keys, so that every key it touches is declared. On a cluster,
/// a slot being migrated then answers `TRYAGAIN` (retried by the client)
/// while those keys are split between two nodes, instead of running the
/// script where some of them are missing. `declared(index, first)` maps
/// each id the index lists now to its declared key, or answers nil when
/// the index changed since it was read: the script then answers
/// `INDEXCHANGED` before writing anything, and the store reads it again.
const DECLARED_SESSIONS: &str = r"
local function declared(index, first)
  local ids = redis.call('ZRANGE', index, 0, -1)
  if #ids ~= #KEYS - first + 1 then return nil end
  local keys = {}
  for i, id in ipairs(ids) do
    local key = KEYS[first + i - 1]
    if string.sub(key, -#id) ~= id then return nil end
    keys[id] = key
  end
  return ids, keys
end
";

/// A script that goes through a user's index (see `DECLARED_SESSIONS`).
fn declaring_sessions(body: &str) -> Script {
    Script::new(&format!("{DECLARED_SESSIONS}{body}"))
}

/// The error a script answers when the index changed since it was read.
const INDEX_CHANGED: &str = "INDEXCHANGED";

/// Runs of a script over the index, each after reading it anew, before the
/// store gives up: only sessions begun or ended in between change it.
const INDEX_ATTEMPTS: u32 = 5;

/// KEYS: session, index, epoch, then (NX) the indexed sessions. ARGV:
/// state, ttl ms, id, NX or XX, last seen ms, idle-over ms (a session last
/// seen then or earlier is over), the most sessions a user may have, the
/// state's user entry, the state's epoch.
/// Writes the session (NX: a new one, only in the user's current epoch;
/// XX: only if it still exists, keeping the stored user, which only
/// `REWRITE_USER` changes) and its index entry, scored by last seen; drops
/// entries idle past their time. An existing session's epoch is not
/// checked: ending every session deletes it, and XX never brings it back.
/// Past the cap, a new session drops the entries whose session is gone,
/// then ends the least recently seen sessions (never the one written) until
/// the cap holds; an existing one's write ends none (the cap is kept as
/// sessions begin, and only writes that begin one wait for replicas).
/// Answers {written (1, 0 when the key's existence said no, -1 when out of
/// epoch), sessions ended}.
static WRITE: LazyLock<Script> = LazyLock::new(|| {
    declaring_sessions(
        r"
local body = ARGV[1]
local keys = {}
if ARGV[4] == 'NX' then
  local ids
  ids, keys = declared(KEYS[2], 4)
  if not ids then return redis.error_reply('INDEXCHANGED') end
  if (redis.call('GET', KEYS[3]) or '0') ~= ARGV[9] then return {-1, 0} end
  keys[ARGV[3]] = KEYS[1]
else
  local stored = redis.call('GET', KEYS[1])
  if not stored then return {0, 0} end
  local state = cjson.decode(body)
  state[ARGV[8]] = cjson.decode(stored)[ARGV[8]]
  body = cjson.encode(state)
end
local written = redis.call('SET', KEYS[1], body, 'PX', ARGV[2], ARGV[4])
if not written then return {0, 0} end
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[6])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
local most = tonumber(ARGV[7])
if ARGV[4] == 'XX' or redis.call('ZCARD', KEYS[2]) <= most then return {1, 0} end
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if redis.call('EXISTS', keys[id]) == 0 then
    redis.call('ZREM', KEYS[2], id)
  end
end
local excess = redis.call('ZCARD', KEYS[2]) - most
local ended = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if excess <= 0 then break end
  if id ~= ARGV[3] then
    redis.call('ZREM', KEYS[2], id)
    ended = ended + redis.call('DEL', keys[id])
    excess = excess - 1
  end
end
return {1, ended}
",
    )
});

/// KEYS: index, epoch, then the indexed sessions. ARGV: the id to keep (''
/// for none), the session lifetime ms.
/// Ends every session in the index but the kept one and moves on to the
/// next epoch. The epoch is kept for a session lifetime from then, far
/// longer than a request that read the one before may take to write its
/// session: once gone it reads as 0 again, which such a request may carry.
/// Answers how many sessions ended.
static REVOKE_ALL_BUT: LazyLock<Script> = LazyLock::new(|| {
    declaring_sessions(
        r"
local ids, keys = declared(KEYS[1], 3)
if not ids then return redis.error_reply('INDEXCHANGED') end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local ended = 0
for _, id in ipairs(ids) do
  if id ~= ARGV[1] then
    ended = ended + redis.call('DEL', keys[id])
    redis.call('ZREM', KEYS[1], id)
  end
end
return ended
",
    )
});

/// KEYS: index, epoch, then the indexed sessions. ARGV: the session
/// lifetime ms.
/// Ends every session in the index, then drops the index itself, and moves
/// on to the next epoch as `REVOKE_ALL_BUT` does; answers how many sessions
/// were live.
static END_ALL: LazyLock<Script> = LazyLock::new(|| {
    declaring_sessions(
        r"
local ids, keys = declared(KEYS[1], 3)
if not ids then return redis.error_reply('INDEXCHANGED') end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
local ended = 0
for _, id in ipairs(ids) do
  ended = ended + redis.call('DEL', keys[id])
end
redis.call('DEL', KEYS[1])
return ended
",
    )
});

/// KEYS: index, then the indexed sessions. ARGV: the user entry (the User
/// as JSON), the state's user entry name.
/// Puts the user into every live session of the index, keeping each one's
/// TTL; never brings back a session whose key is gone, and drops its index
/// entry. Answers how many sessions were rewritten.
static REWRITE_USER: LazyLock<Script> = LazyLock::new(|| {
    declaring_sessions(
        r"
local ids, keys = declared(KEYS[1], 2)
if not ids then return redis.error_reply('INDEXCHANGED') end
local rewritten = 0
for _, id in ipairs(ids) do
  local stored = redis.call('GET', keys[id])
  if stored then
    local state = cjson.decode(stored)
    state[ARGV[2]] = ARGV[1]
    redis.call('SET', keys[id], cjson.encode(state), 'KEEPTTL')
    rewritten = rewritten + 1
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return rewritten
",
    )
});

/// KEYS: index, then the indexed sessions.
/// The live sessions as [id, state, id, state, ...], pruning the index of
/// entries whose session is gone.
static LIST: LazyLock<Script> = LazyLock::new(|| {
    declaring_sessions(
        r"
local ids, keys = declared(KEYS[1], 2)
if not ids then return redis.error_reply('INDEXCHANGED') end
local live = {}
for _, id in ipairs(ids) do
  local state = redis.call('GET', keys[id])
  if state then
    table.insert(live, id)
    table.insert(live, state)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return live
",
    )
});

tokio::task_local! {
    /// Whether the store refused to create a session for the request
    /// running in this task (see [`noting_refusal`]).
    static REFUSED: Cell<bool>;
}

/// Runs `work` (a request through the session middleware), answering also
/// whether the store refused to create its new session because every
/// session of its user ended after the request read the epoch. The
/// response then carries a cookie that names no session.
pub async fn noting_refusal<F: Future>(work: F) -> (F::Output, bool) {
    REFUSED
        .scope(Cell::new(false), async move {
            let output = work.await;
            (output, REFUSED.with(Cell::get))
        })
        .await
}

/// What became of a write.
enum Written {
    Yes,
    /// The key's existence said no: a new key taken, an old one gone.
    No,
    /// A new session out of its user's current epoch.
    OutOfEpoch,
}

#[derive(Clone)]
pub struct RedisSessionStore {
    redis: SessionConnection,
    key_prefix: String,
    lifetime: Duration,
    max_sessions_per_user: usize,
    /// Copies of sessions this instance read, and the clocks that end them.
    cache: Option<(SessionCache, SessionPolicy)>,
}

/// How long a written session lives.
#[derive(Clone, Copy)]
struct Ttl {
    /// The idle time: a session not seen for this long is over.
    idle_ms: u64,
    /// The key's TTL: the idle time, cut to what is left of the lifetime.
    capped_ms: u64,
}

/// Where one session lives in Redis.
struct Location {
    user_id: u64,
    id: String,
    session_key: String,
}

impl RedisSessionStore {
    pub fn new(
        redis: SessionConnection,
        redis_prefix: &str,
        lifetime: Duration,
        max_sessions_per_user: usize,
    ) -> Self {
        Self {
            redis,
            key_prefix: redis_prefix.to_owned(),
            lifetime,
            max_sessions_per_user,
            cache: None,
        }
    }

    /// The same store, answering reads from `cache` while it is exact and
    /// the session is not over by `policy`'s clocks.
    pub fn with_cache(self, cache: Option<SessionCache>, policy: SessionPolicy) -> Self {
        Self {
            cache: cache.map(|cache| (cache, policy)),
            ..self
        }
    }

    /// The cache's metrics, when there is one.
    pub fn cache_metrics(&self) -> Option<&CacheMetrics> {
        self.cache.as_ref().map(|(cache, _)| cache.metrics())
    }

    /// What every session key begins with (and the other keys of a user's
    /// sessions): the prefix the cache's tracking follows.
    pub fn tracked_prefix(&self) -> String {
        format!("{}{{user:", self.key_prefix)
    }

    /// The same store, on a Redis connection of the calling worker's own.
    pub fn for_this_worker(&self) -> Self {
        Self {
            redis: self.redis.for_this_worker(),
            key_prefix: self.key_prefix.clone(),
            lifetime: self.lifetime,
            max_sessions_per_user: self.max_sessions_per_user,
            cache: self.cache.clone(),
        }
    }

    /// Opens the calling worker's connection in the background now, not at
    /// its first request: on a cluster that waits on every node, and a hung
    /// one would cost that request its time.
    pub fn open_ahead(&self) {
        let redis = self.redis.clone();
        actix_web::rt::spawn(async move {
            if let Err(error) = redis.get().await {
                log::warn!("a worker could not open its Redis connection yet: {error:#}");
            }
        });
    }

    fn index_key(&self, user_id: u64) -> String {
        format!("{}{{user:{user_id}}}:sessions", self.key_prefix)
    }

    fn session_prefix(&self, user_id: u64) -> String {
        format!("{}{{user:{user_id}}}:session:", self.key_prefix)
    }

    fn epoch_key(&self, user_id: u64) -> String {
        format!("{}{{user:{user_id}}}:epoch", self.key_prefix)
    }

    fn ending_mark_key(&self, user_id: u64) -> String {
        format!("{}{{user:{user_id}}}:ending", self.key_prefix)
    }

    fn lifetime_ms(&self) -> u64 {
        u64::try_from(self.lifetime.as_millis()).unwrap_or(u64::MAX)
    }

    fn location(&self, user_id: u64, id: String) -> Location {
        let mut session_key = self.session_prefix(user_id);
        session_key.push_str(&id);
        Location {
            user_id,
            id,
            session_key,
        }
    }

    /// `None` for a key this store never made.
    fn locate(&self, key: &SessionKey) -> Option<Location> {
        let (user, secret) = key.as_ref().split_once('.')?;
        let user_id = user.parse::<u64>().ok()?;
        if secret.len() != SECRET_LENGTH {
            return None;
        }
        Some(self.location(user_id, public_id(key.as_ref())))
    }

    /// The idle TTL, cut to what is left of the session's lifetime; `None`
    /// when nothing is left.
    fn capped_ttl(&self, state: &SessionState, idle: &CookieDuration) -> Option<Ttl> {
        let idle_ms = u64::try_from(idle.whole_milliseconds()).unwrap_or(0);
        let lifetime_ms = self.lifetime_ms();
        let remaining_ms = match state.get(BEGAN_MS).and_then(|v| v.parse::<u64>().ok()) {
            Some(began) => began.saturating_add(lifetime_ms).saturating_sub(now_ms()),
            None => idle_ms,
        };
        Some(Ttl {
            idle_ms,
            capped_ms: idle_ms.min(remaining_ms),
        })
        .filter(|ttl| ttl.capped_ms > 0)
    }

    /// Writes `state` (without the id that `load` adds), ending the user's
    /// least recently seen sessions past the cap.
    async fn write(
        &self,
        at: &Location,
        state: &SessionState,
        ttl: Ttl,
        check: &str,
    ) -> anyhow::Result<Written> {
        let written = self
            .redis
            .within_timeout(self.write_now(at, state, ttl, check))
            .await;
        self.forget([at.session_key.as_str()]);
        written
    }

    /// Drops this instance's copies of sessions it just wrote or ended.
    fn forget<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        if let Some((cache, _)) = &self.cache {
            cache.forget(keys);
        }
    }

    /// When the session `state` holds is over by `policy` (ms since the
    /// Unix epoch); `None` without its clocks.
    fn over_at(state: &SessionState, policy: &SessionPolicy) -> Option<u64> {
        let clock = |name| state.get(name)?.parse::<u64>().ok();
        Some(policy.over_at(clock(BEGAN_MS)?, clock(SEEN_MS)?))
    }

    /// `write`, each command bounded but not the whole.
    async fn write_now(
        &self,
        at: &Location,
        state: &SessionState,
        ttl: Ttl,
        check: &str,
    ) -> anyhow::Result<Written> {
        let stored: HashMap<&String, &String> = state
            .iter()
            .filter(|(name, _)| name.as_str() != SESSION_ID)
            .collect();
        let body = serde_json::to_string(&stored)?;
        // The score and the idle-over mark are both the application's clock,
        // the one `seen_ms` is kept by.
        let now = now_ms();
        let seen = state
            .get(SEEN_MS)
            .and_then(|seen| seen.parse::<u64>().ok())
            .unwrap_or(now);
        // Written before epochs were, a session is in epoch 0.
        let epoch: Epoch = state
            .get(EPOCH)
            .and_then(|epoch| serde_json::from_str(epoch).ok())
            .unwrap_or_default();
        let mut redis = self.redis.get().await?;
        let keys = [
            at.session_key.clone(),
            self.index_key(at.user_id),
            self.epoch_key(at.user_id),
        ];
        let args = [
            body,
            ttl.capped_ms.to_string(),
            at.id.clone(),
            check.to_owned(),
            seen.to_string(),
            now.saturating_sub(ttl.idle_ms).to_string(),
            self.max_sessions_per_user.to_string(),
            USER.to_owned(),
            epoch.0.to_string(),
        ];
        // Only a new session may end others (past the cap), so only it goes
        // through the index.
        let (written, evicted): (i8, u64) = if check == "NX" {
            self.run_over_index(&mut redis, at.user_id, &WRITE, &keys, &args)
                .await?
        } else {
            let mut invocation = WRITE.prepare_invoke();
            invocation.key(&keys).arg(&args);
            invocation.invoke_async(&mut redis).await?
        };
        if evicted > 0 {
            log::info!(
                "ended {evicted} least recently seen session(s) of user {}: past MAX_SESSIONS_PER_USER",
                at.user_id
            );
            SESSIONS_ENDED
                .with_label_values(&["evicted"])
                .inc_by(evicted);
            // Written on the worker's connection, so that a login never
            // queues behind another request's WAIT on the ending one.
            self.confirm_ended_elsewhere(at.user_id).await?;
        }
        Ok(match written {
            1 => Written::Yes,
            -1 => Written::OutOfEpoch,
            _ => Written::No,
        })
    }

    /// Runs `script` (see `DECLARED_SESSIONS`) with `keys`, then the keys of
    /// the sessions the user's index lists, read first, then `args`; again
    /// while the index changed in between (a session begun or ended).
    async fn run_over_index<T: FromRedisValue>(
        &self,
        redis: &mut SessionRedis,
        user_id: u64,
        script: &Script,
        keys: &[String],
        args: &[String],
    ) -> anyhow::Result<T> {
        let prefix = self.session_prefix(user_id);
        let mut attempts = 1;
        loop {
            let ids: Vec<String> = redis.zrange(self.index_key(user_id), 0, -1).await?;
            let sessions: Vec<String> = ids.iter().map(|id| format!("{prefix}{id}")).collect();
            let mut invocation = script.prepare_invoke();
            invocation.key(keys).key(&sessions).arg(args);
            let outcome = invocation.invoke_async(redis).await;
            // Whatever the script did to them, this instance reads them anew.
            self.forget(sessions.iter().map(String::as_str));
            match outcome {
                Err(error) if index_changed(&error) && attempts < INDEX_ATTEMPTS => {
                    attempts += 1;
                }
                outcome => return Ok(outcome?),
            }
        }
    }

    /// Ends the session and drops its index entry; whether it was live. On
    /// a cluster, answers once the end is on every connected replica.
    async fn remove(&self, at: &Location) -> anyhow::Result<bool> {
        self.remove_once_more(at, false).await
    }

    /// `remove`, for a client's explicit request to end the session
    /// (`repeated`), which may repeat an end answered `503`.
    async fn remove_once_more(&self, at: &Location, repeated: bool) -> anyhow::Result<bool> {
        self.redis
            .within_timeout(self.remove_now(at, repeated))
            .await
    }

    /// `remove_once_more`, each command bounded but not the whole.
    async fn remove_now(&self, at: &Location, repeated: bool) -> anyhow::Result<bool> {
        let mut redis = self.redis.for_ending().await?;
        let (deleted, _): (u64, u64) = redis::pipe()
            .del(&at.session_key)
            .zrem(self.index_key(at.user_id), &at.id)
            .query_async(&mut redis)
            .await?;
        self.forget([at.session_key.as_str()]);
        if repeated && deleted == 0 {
            // The end may have been written a moment ago through another
            // instance (a logout retried after a 503).
            self.confirm_ended_elsewhere(at.user_id).await?;
        } else {
            self.redis.replicated(&at.session_key).await?;
        }
        Ok(deleted == 1)
    }

    /// The session at `at` as Redis has it.
    async fn read(&self, at: &Location) -> Result<Option<SessionState>, LoadError> {
        let mut redis = self.redis.get().await.map_err(LoadError::Other)?;
        let body: Option<String> = redis
            .get(&at.session_key)
            .await
            .map_err(|error| LoadError::Other(error.into()))?;
        // State that does not parse is no session at all, never an error page.
        let Some(mut state) =
            body.and_then(|body| serde_json::from_str::<SessionState>(&body).ok())
        else {
            return Ok(None);
        };
        // Handlers learn which session is theirs; `write` leaves it out. The
        // id is hex, so as a JSON string it needs nothing escaped.
        state.insert(SESSION_ID.to_owned(), format!("\"{}\"", at.id));
        Ok(Some(state))
    }

    /// A user's live sessions: public id and state.
    pub async fn list(&self, user_id: u64) -> Result<Vec<(String, SessionState)>, StoreError> {
        let flat: Vec<String> = self
            .run_over_index(
                &mut self.redis.get().await?,
                user_id,
                &LIST,
                &[self.index_key(user_id)],
                &[],
            )
            .await?;
        Ok(flat
            .chunks_exact(2)
            .filter_map(|pair| Some((pair[0].clone(), serde_json::from_str(&pair[1]).ok()?)))
            .collect())
    }

    /// On a cluster, returns once an end of sessions of `user_id` written
    /// on another connection (a worker's, or another instance's) is on
    /// every connected replica. WAIT is documented to wait for its own
    /// connection's writes only: a write through the ending connection,
    /// replicated after that end, makes it wait for the end too. (Redis
    /// 7.0 counts any command of the connection, so it would wait anyway.)
    async fn confirm_ended_elsewhere(&self, user_id: u64) -> anyhow::Result<()> {
        if !self.redis.waits_for_replicas() {
            return Ok(());
        }
        let mark = self.ending_mark_key(user_id);
        let _: () = redis::cmd("SET")
            .arg(&mark)
            .arg(1)
            .arg("PX")
            .arg(ENDING_MARK_MS)
            .query_async(&mut self.redis.for_ending().await?)
            .await?;
        self.redis.replicated(&mark).await
    }

    /// Ends the session `key` names, live or not: a logout whose session
    /// has ended already (maybe its own earlier attempt) still waits for
    /// that end to be replicated.
    pub async fn end(&self, key: &SessionKey) -> Result<(), StoreError> {
        if let Some(at) = self.locate(key) {
            self.remove_once_more(&at, true).await?;
        }
        Ok(())
    }

    /// Ends one of a user's sessions; `false` if it was not theirs or not live.
    pub async fn revoke(&self, user_id: u64, id: &str) -> Result<bool, StoreError> {
        let at = self.location(user_id, id.to_owned());
        Ok(self.remove_once_more(&at, true).await?)
    }

    /// Puts the account as it is now into every live session of its user,
    /// so that each shows it at once; answers how many were rewritten.
    pub async fn rewrite_user(&self, user: &User) -> Result<u64, StoreError> {
        let entry = serde_json::to_string(user).map_err(anyhow::Error::from)?;
        let rewritten = self
            .run_over_index(
                &mut self.redis.get().await?,
                user.id,
                &REWRITE_USER,
                &[self.index_key(user.id)],
                &[entry, USER.to_owned()],
            )
            .await?;
        Ok(rewritten)
    }

    /// The user's current epoch, for a session to begin in: read before the
    /// password that allows it is.
    pub async fn epoch(&self, user_id: u64) -> Result<Epoch, StoreError> {
        let epoch: Option<u64> = self
            .redis
            .get()
            .await?
            .get(self.epoch_key(user_id))
            .await
            .map_err(anyhow::Error::from)?;
        Ok(Epoch(epoch.unwrap_or(0)))
    }

    /// Ends every session of a user's, the request's own included.
    pub async fn revoke_all(&self, user_id: u64) -> Result<u64, StoreError> {
        self.revoke_all_but(user_id, "").await
    }

    /// Ends every session of a user's but `keep`, moving on to the user's
    /// next epoch.
    pub async fn revoke_all_but(&self, user_id: u64, keep: &str) -> Result<u64, StoreError> {
        self.end_over_index(
            user_id,
            &REVOKE_ALL_BUT,
            &[keep.to_owned(), self.lifetime_ms().to_string()],
        )
        .await
    }

    /// Ends every session of a user and drops the user's index (an account
    /// being deleted), moving on to the user's next epoch; answers how many
    /// sessions were live.
    pub async fn end_all(&self, user_id: u64) -> Result<u64, StoreError> {
        self.end_over_index(user_id, &END_ALL, &[self.lifetime_ms().to_string()])
            .await
    }

    /// Runs `script`, which ends sessions of the user's index and moves on
    /// to the next epoch, through the ending connection; answers once its
    /// ends are replicated.
    async fn end_over_index(
        &self,
        user_id: u64,
        script: &Script,
        args: &[String],
    ) -> Result<u64, StoreError> {
        let index = self.index_key(user_id);
        let ending = async {
            let keys = [index.clone(), self.epoch_key(user_id)];
            let mut redis = self.redis.for_ending().await?;
            let ended = self
                .run_over_index(&mut redis, user_id, script, &keys, args)
                .await?;
            self.redis.replicated(&index).await?;
            anyhow::Ok(ended)
        };
        Ok(self.redis.within_timeout(ending).await?)
    }
}

/// The session store could not be asked (Redis unreachable or too slow).
#[derive(Debug, thiserror::Error)]
#[error("session store (Redis): {0:#}")]
pub struct StoreError(#[from] anyhow::Error);

/// Whether a script answered `INDEX_CHANGED`: an error code of its own on
/// one server, which a cluster connection passes on as a plain error.
fn index_changed(error: &RedisError) -> bool {
    error.code() == Some(INDEX_CHANGED)
        || error
            .detail()
            .is_some_and(|detail| detail.starts_with(INDEX_CHANGED))
}

/// The SHA-256 of a cookie key, in hex: the session's id and Redis name.
fn public_id(key: &str) -> String {
    format!("{:x}", Sha256::digest(key.as_bytes()))
}

fn user_id_of(state: &SessionState) -> Option<u64> {
    let user: User = serde_json::from_str(state.get(USER)?).ok()?;
    Some(user.id)
}

fn new_session_key(user_id: u64) -> Result<SessionKey, SaveError> {
    let secret: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(SECRET_LENGTH)
        .map(char::from)
        .collect();
    SessionKey::try_from(format!("{user_id}.{secret}"))
        .map_err(|error| SaveError::Other(error.into()))
}

impl SessionStore for RedisSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let Some(at) = self.locate(key) else {
            return Ok(None);
        };
        let Some((cache, policy)) = &self.cache else {
            return self.read(&at).await;
        };
        let reservation = match cache.lookup(&at.session_key) {
            Lookup::Copy(state) => return Ok(Some(state)),
            Lookup::Reserved(reservation) => Some(reservation),
            Lookup::Untracked => None,
        };
        let read = self.read(&at).await;
        if let Some(reservation) = reservation {
            // A failed read lets its reservation go too.
            let kept = read
                .as_ref()
                .ok()
                .and_then(Option::as_ref)
                .and_then(|state| Some((state, Self::over_at(state, policy)?)));
            cache.keep(&at.session_key, reservation, kept);
        }
        read
    }

    async fn save(
        &self,
        state: SessionState,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        let user_id = user_id_of(&state)
            .ok_or_else(|| SaveError::Other(anyhow!("a session without a user")))?;
        let key = new_session_key(user_id)?;
        let Some(ttl) = self.capped_ttl(&state, ttl) else {
            return Ok(key);
        };
        let at = self
            .locate(&key)
            .ok_or_else(|| SaveError::Other(anyhow!("a malformed new key")))?;
        match self
            .write(&at, &state, ttl, "NX")
            .await
            .map_err(SaveError::Other)?
        {
            Written::Yes => Ok(key),
            Written::No => Err(SaveError::Other(anyhow!("a fresh session key collided"))),
            Written::OutOfEpoch => {
                log::info!(
                    "began no session for user {}: every session of theirs ended after the request read their epoch",
                    at.user_id
                );
                // Not an error: the store works. The key names no session,
                // so the cookie is as good as none; a route that can say so
                // better watches with `noting_refusal`.
                let _ = REFUSED.try_with(|refused| refused.set(true));
                Ok(key)
            }
        }
    }

    async fn update(
        &self,
        key: SessionKey,
        state: SessionState,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let Some(at) = self.locate(&key) else {
            return Ok(key);
        };
        // Only the idle clock changes a live session here, and the response
        // is already made: a failed write must not turn it into an error.
        // The session then ends a little sooner, nothing worse.
        let outcome = match self.capped_ttl(&state, ttl) {
            // XX: if the key is gone, the session ended; leave it ended.
            Some(ttl) => self.write(&at, &state, ttl, "XX").await.map(drop),
            None => self.remove(&at).await.map(drop),
        };
        if let Err(error) = outcome {
            log::warn!("could not extend a session's idle clock: {error:#}");
        }
        Ok(key)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &CookieDuration) -> anyhow::Result<()> {
        let (Some(state), Some(at)) = (self.load(key).await?, self.locate(key)) else {
            return Ok(());
        };
        match self.capped_ttl(&state, ttl) {
            Some(ttl) => self.write(&at, &state, ttl, "XX").await.map(drop),
            None => self.remove(&at).await.map(drop),
        }
    }

    async fn delete(&self, key: &SessionKey) -> anyhow::Result<()> {
        match self.locate(key) {
            Some(at) => self.remove(&at).await.map(drop),
            None => Ok(()),
        }
    }
}
