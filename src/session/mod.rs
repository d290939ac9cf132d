//! Cookie sessions kept in Redis: what a session holds and the rules of its
//! clocks (idle and absolute lifetime).

mod cache;
mod connection;
mod store;
mod tracking;

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use actix_session::config::{PersistentSession, TtlExtensionPolicy};
use actix_session::storage::SessionKey;
use actix_session::{Session, SessionInsertError, SessionMiddleware};
use actix_web::HttpRequest;
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};

pub use cache::SessionCache;
pub use connection::SessionConnection;
pub use store::{RedisSessionStore, StoreError, noting_refusal};
pub use tracking::{TrackingTarget, start as start_tracking};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Timestamp, User};

const USER: &str = "user";
/// When the login or registration that began the session happened.
const BEGAN_MS: &str = "began_ms";
/// When the idle clock was last extended.
const SEEN_MS: &str = "seen_ms";
/// Where the session began: client IP and user agent.
const IP: &str = "ip";
const USER_AGENT: &str = "user_agent";
/// The user's epoch the session began in (see [`Epoch`]).
const EPOCH: &str = "epoch";
/// The session's public id, added by the store on load, never stored.
const SESSION_ID: &str = "_id";

/// User agents are kept to this many characters.
const USER_AGENT_MAX_CHARS: usize = 256;

fn now_ms() -> u64 {
    Timestamp::unix_millis_now()
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

pub const SESSION_COOKIE: &str = "sid";

/// How many times every session of a user has ended at once (a password
/// change, an account deletion, "log out everywhere else"): the store counts
/// them. A request reads it before it checks a password and begins its
/// session in it; the store refuses to create a session in any other, so a
/// password check that every session of the account has ended since (the
/// password changed, the account deleted) never begins one, however late
/// its session is written. A session without one, and a user whose count is
/// gone, are in epoch 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Epoch(u64);

impl Epoch {
    /// The epoch after one more end of every session: the one a request
    /// that ended them itself, with no other request doing so meanwhile,
    /// may begin its own session in.
    #[must_use]
    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}

/// What the session cookie looks like, and the key it is encrypted with.
#[derive(Clone)]
pub struct CookieSettings {
    pub secure: bool,
    pub same_site: SameSite,
    pub key: Key,
}

impl CookieSettings {
    /// A `sid` cookie that tells the browser to forget its own, with the
    /// attributes the session middleware gives a live one.
    pub fn expired_cookie(&self) -> Cookie<'static> {
        let mut cookie = Cookie::build(SESSION_COOKIE, "")
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(self.same_site)
            .finish();
        cookie.make_removal();
        cookie
    }

    /// The session key in the request's `sid` cookie, read as the session
    /// middleware reads it, whether or not that session is still live.
    pub fn session_key(&self, req: &HttpRequest) -> Option<SessionKey> {
        let mut jar = CookieJar::new();
        jar.add_original(req.cookie(SESSION_COOKIE)?);
        let cookie = jar.private(&self.key).get(SESSION_COOKIE)?;
        SessionKey::try_from(cookie.value().to_owned()).ok()
    }
}

/// Everything needed to put actix-session in front of a route; each worker
/// builds its middleware from it.
#[derive(Clone)]
pub struct SessionLayer {
    pub store: RedisSessionStore,
    pub cookie: CookieSettings,
    pub idle: Duration,
}

impl SessionLayer {
    /// The same layer, on a Redis connection of the calling worker's own.
    pub fn for_this_worker(&self) -> Self {
        Self {
            store: self.store.for_this_worker(),
            ..self.clone()
        }
    }

    pub fn middleware(&self) -> SessionMiddleware<RedisSessionStore> {
        let idle = CookieDuration::try_from(self.idle).unwrap_or(CookieDuration::MAX);
        SessionMiddleware::builder(self.store.clone(), self.cookie.key.clone())
            .cookie_name(SESSION_COOKIE.to_owned())
            .cookie_path("/".to_owned())
            .cookie_http_only(true)
            .cookie_secure(self.cookie.secure)
            .cookie_same_site(self.cookie.same_site)
            // Only changed sessions are written: a read costs one GET, and
            // the idle clock is extended by `SessionPolicy::user` when due.
            .session_lifecycle(
                PersistentSession::default()
                    .session_ttl(idle)
                    .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
            )
            .build()
    }
}

#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    idle: Duration,
    lifetime: Duration,
}

impl SessionPolicy {
    pub fn new(idle: Duration, lifetime: Duration) -> Self {
        Self { idle, lifetime }
    }

    /// Extending the idle clock writes to Redis, so it happens at most once
    /// per min(60 s, idle ÷ 4): reads in between cost a single GET.
    pub fn refresh_interval(&self) -> Duration {
        (self.idle / 4).min(Duration::from_secs(60))
    }

    /// Starts a session for `user` under a new key, whatever session the
    /// request came with (no session fixation), in `epoch`.
    pub fn begin(
        &self,
        session: &Session,
        user: &User,
        epoch: Epoch,
        ip: IpAddr,
        user_agent: &str,
    ) -> Result<(), SessionInsertError> {
        let now = now_ms();
        let user_agent: String = user_agent.chars().take(USER_AGENT_MAX_CHARS).collect();
        session.clear();
        session.renew();
        session.insert(USER, user)?;
        session.insert(EPOCH, epoch)?;
        session.insert(BEGAN_MS, now)?;
        session.insert(SEEN_MS, now)?;
        session.insert(IP, ip)?;
        session.insert(USER_AGENT, user_agent)
    }

    /// The session's user, or `None` without a live session. Ends a session
    /// whose time is up and extends the idle clock when that is due.
    pub fn authenticate(&self, session: &Session) -> Option<User> {
        let user: User = session.get(USER).ok()??;
        let seen: u64 = session.get(SEEN_MS).ok()??;
        let now = now_ms();
        if !self.is_live(session, now)? {
            session.purge();
            return None;
        }
        if now.saturating_sub(seen) >= millis(self.refresh_interval()) {
            // A failed refresh only makes the session end a little sooner.
            let _ = session.insert(SEEN_MS, now);
        }
        Some(user)
    }

    /// The session's user while the session is live, leaving it as it is
    /// (neither extended nor ended).
    pub fn live_user(&self, session: &Session) -> Option<User> {
        let user: User = session.get(USER).ok()??;
        self.is_live(session, now_ms())?.then_some(user)
    }

    /// Whether neither deadline has passed; `None` without a session's clocks.
    fn is_live(&self, session: &Session, now: u64) -> Option<bool> {
        let began: u64 = session.get(BEGAN_MS).ok()??;
        let seen: u64 = session.get(SEEN_MS).ok()??;
        Some(now < self.over_at(began, seen))
    }

    /// When a session begun at `began` and last seen at `seen` is over, by
    /// its idle or its absolute time (ms since the Unix epoch).
    fn over_at(&self, began: u64, seen: u64) -> u64 {
        let lifetime_over = began.saturating_add(millis(self.lifetime));
        let idle_over = seen.saturating_add(millis(self.idle));
        lifetime_over.min(idle_over)
    }
}

/// Puts the account as it is now into the request's own session, so that
/// what the session writes back at the end of the request is not the user
/// it loaded.
pub fn replace_user(session: &Session, user: &User) -> Result<(), SessionInsertError> {
    session.insert(USER, user)
}

/// The id of the request's own session, when it has one.
pub fn current_id(session: &Session) -> Option<String> {
    session.get(SESSION_ID).ok().flatten()
}

/// One live session as its owner sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    /// Opaque; reveals nothing of the cookie and cannot be used as one.
    #[schema(min_length = 16)]
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_seen_at: Timestamp,
    /// The client IP at login.
    pub ip: String,
    /// The user agent at login, cut to 256 characters.
    pub user_agent: String,
    /// Whether this is the session making the request.
    pub current: bool,
}

impl SessionInfo {
    /// Reads a stored session's state; `None` if it is not one of ours.
    pub fn from_state(
        id: String,
        state: &HashMap<String, String>,
        current: Option<&str>,
    ) -> Option<Self> {
        let field = |name: &str| {
            state
                .get(name)
                .and_then(|raw| serde_json::from_str::<serde_json::Value>(raw).ok())
        };
        let millis = |name: &str| field(name)?.as_u64().and_then(Timestamp::from_unix_millis);
        Some(Self {
            created_at: millis(BEGAN_MS)?,
            last_seen_at: millis(SEEN_MS)?,
            ip: field(IP)?.as_str()?.to_owned(),
            user_agent: field(USER_AGENT)?.as_str()?.to_owned(),
            current: current == Some(id.as_str()),
            id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_interval_is_a_quarter_of_idle_at_most_a_minute() {
        let policy =
            |idle| SessionPolicy::new(Duration::from_secs(idle), Duration::from_secs(3600));
        assert_eq!(policy(1800).refresh_interval(), Duration::from_secs(60));
        assert_eq!(policy(120).refresh_interval(), Duration::from_secs(30));
        assert_eq!(policy(2).refresh_interval(), Duration::from_millis(500));
    }
}
