//! Rate limits kept in Redis, so every instance shares them. Each check is
//! one Lua script, atomic on the server, so a concurrent burst cannot slip
//! past a limit; windows roll (sorted sets of event times, by Redis's clock).
//! Limits count clients by `limit_identity`: an IPv6 client by its network.

use std::net::IpAddr;
use std::sync::LazyLock;

use hmac::{Hmac, Mac};
use rand::Rng;
use redis::Script;
use sha2::Sha256;

use super::client::limit_identity;
use crate::config::{Limit, LimitSettings};
use crate::domain::Email;
use crate::redis_pool::RedisPool;

/// Counts an event unless the window is full; answers how many
/// milliseconds until it would be served (0: served and counted). With an
/// empty member it only checks.
static HIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
end
return 0
",
    )
});

/// Records a failed login for an account and IP; at the limit, locks the
/// pair out for the base time doubled per earlier lockout within 24 h.
/// Answers 1 when this failure began a lockout, 0 otherwise.
static LOGIN_FAILED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local lockouts = redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], 86400000)
  local lockout = math.min(tonumber(ARGV[4]) * 2 ^ (lockouts - 1), tonumber(ARGV[5]))
  redis.call('SET', KEYS[2], lockouts, 'PX', math.floor(lockout))
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
",
    )
});

/// Keys one `SCAN` step looks at when forgetting an account.
const SCAN_COUNT: u64 = 1000;

/// The longest lockout, however many came before.
const MAX_LOCKOUT_MS: u64 = 3_600_000;

#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// Over a limit: a request would be served after this many seconds.
    #[error("over a rate limit for {retry_after_secs} s")]
    Limited { retry_after_secs: u64 },
    /// Redis could not be asked; limits fail closed.
    #[error("rate limits unavailable: {0:#}")]
    Unavailable(#[from] anyhow::Error),
}

#[derive(Clone)]
pub struct RateLimiter {
    redis: RedisPool,
    key_prefix: String,
    limits: LimitSettings,
    /// Keys name accounts by a keyed hash of the email, not the email.
    email_key: Vec<u8>,
    /// IPv6 clients are counted per network of this prefix length.
    ipv6_prefix: u8,
}

impl RateLimiter {
    pub fn new(
        redis: RedisPool,
        redis_prefix: &str,
        limits: LimitSettings,
        secret: &[u8],
        ipv6_prefix: u8,
    ) -> Self {
        Self {
            redis,
            key_prefix: format!("{redis_prefix}limit:"),
            limits,
            email_key: secret.to_vec(),
            ipv6_prefix,
        }
    }

    pub async fn register(&self, ip: IpAddr) -> Result<(), LimitError> {
        let client = self.client(ip);
        self.hit(
            self.limits.register_ip,
            &format!("{{register:{client}}}"),
            true,
        )
        .await
    }

    pub async fn check_email(&self, ip: IpAddr) -> Result<(), LimitError> {
        let client = self.client(ip);
        self.hit(
            self.limits.checkemail_ip,
            &format!("{{checkemail:{client}}}"),
            true,
        )
        .await
    }

    /// `POST /email/verify/resend`: per account, whatever the client, so
    /// that no number of IPs mails one address more often. Named by the
    /// account's id, which stays when its address changes and is never
    /// given to another account.
    pub async fn verify_resend(&self, user_id: u64) -> Result<(), LimitError> {
        self.hit(self.limits.verify_resend, &verify_resend_tag(user_id), true)
            .await
    }

    /// `/password/forgot` and `/password/reset`: one counter for both, so
    /// that asking for links and trying tokens share one budget.
    pub async fn password_reset(&self, ip: IpAddr) -> Result<(), LimitError> {
        let client = self.client(ip);
        self.hit(self.limits.reset_ip, &format!("{{reset:{client}}}"), true)
            .await
    }

    /// Counts a reset link asked for `email`, whether or not an account has
    /// it (the same work either way); whether one may still be mailed.
    pub async fn reset_mail(&self, email: &Email) -> Result<bool, LimitError> {
        let key = self.reset_mail_tag(email);
        match self.hit(self.limits.reset_email, &key, true).await {
            Ok(()) => Ok(true),
            Err(LimitError::Limited { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Before a password is checked: the account-and-IP lockout, then the
    /// IP's failures across all accounts.
    pub async fn before_login(&self, email: &Email, ip: IpAddr) -> Result<(), LimitError> {
        if self.limits.login_failure.is_some() {
            let lockout = format!("{}{}:lockout", self.key_prefix, self.pair_tag(email, ip));
            let remaining_ms: i64 = self
                .redis
                .run(|mut conn| async move {
                    redis::cmd("PTTL").arg(lockout).query_async(&mut conn).await
                })
                .await?;
            if remaining_ms > 0 {
                return Err(limited(remaining_ms.unsigned_abs()));
            }
        }
        let client = self.client(ip);
        self.hit(
            self.limits.login_ip,
            &format!("{{login-ip:{client}}}"),
            false,
        )
        .await
    }

    /// Records a failed login for the account and client; whether it began
    /// a lockout of that pair.
    pub async fn login_failed(&self, email: &Email, ip: IpAddr) -> Result<bool, LimitError> {
        if let Some(limit) = self.limits.login_ip {
            let key = format!("{}{{login-ip:{}}}", self.key_prefix, self.client(ip));
            self.eval::<u64>(
                &HIT,
                vec![key],
                vec![
                    limit.window.as_millis().to_string(),
                    u32::MAX.to_string(),
                    member(),
                ],
            )
            .await?;
        }
        if let Some(limit) = self.limits.login_failure {
            let tag = format!("{}{}", self.key_prefix, self.pair_tag(email, ip));
            let keys = vec![
                format!("{tag}:failures"),
                format!("{tag}:lockout"),
                format!("{tag}:lockouts"),
            ];
            let args = vec![
                limit.window.as_millis().to_string(),
                limit.count.to_string(),
                member(),
                self.limits.login_lockout.as_millis().to_string(),
                MAX_LOCKOUT_MS.to_string(),
            ];
            let locked_out = self.eval::<u64>(&LOGIN_FAILED, keys, args).await?;
            return Ok(locked_out == 1);
        }
        Ok(false)
    }

    /// A successful login clears the pair's failures.
    pub async fn login_succeeded(&self, email: &Email, ip: IpAddr) -> Result<(), LimitError> {
        if self.limits.login_failure.is_none() {
            return Ok(());
        }
        let failures = format!("{}{}:failures", self.key_prefix, self.pair_tag(email, ip));
        self.delete(vec![failures]).await
    }

    /// Forgets every counter of an account (it is being deleted): its
    /// link resends, the reset links mailed to it, and each failure count
    /// and lockout of it and a client. Those are named by client as well,
    /// so they are found by scanning for the account's part of the name,
    /// on the node that holds the account's slot;
    /// the per-IP counters are the clients', not the account's, and stay.
    pub async fn forget_account(&self, user_id: u64, email: &Email) -> Result<(), LimitError> {
        // One key per command: they are in different slots of a cluster.
        for tag in [verify_resend_tag(user_id), self.reset_mail_tag(email)] {
            self.delete(vec![format!("{}{tag}", self.key_prefix)])
                .await?;
        }
        let logins = format!("{}{}", self.key_prefix, self.login_tag(email));
        let pattern = format!("{}:*", glob_escaped(&logins));
        let mut cursor = 0_u64;
        loop {
            let (logins, pattern) = (logins.clone(), pattern.clone());
            let (next, keys): (u64, Vec<String>) = self
                .redis
                .run(|mut conn| async move {
                    let scan = redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(pattern)
                        .arg("COUNT")
                        .arg(SCAN_COUNT)
                        .to_owned();
                    conn.query_on_node_of(&logins, &scan).await
                })
                .await?;
            if !keys.is_empty() {
                self.delete(keys).await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    /// Deletes `keys`, which must share one Redis Cluster slot.
    async fn delete(&self, keys: Vec<String>) -> Result<(), LimitError> {
        self.redis
            .run(|mut conn| async move {
                redis::cmd("DEL")
                    .arg(keys)
                    .query_async::<u64>(&mut conn)
                    .await
            })
            .await?;
        Ok(())
    }

    async fn hit(&self, limit: Option<Limit>, tag: &str, record: bool) -> Result<(), LimitError> {
        let Some(limit) = limit else {
            return Ok(());
        };
        let key = format!("{}{tag}", self.key_prefix);
        let args = vec![
            limit.window.as_millis().to_string(),
            limit.count.to_string(),
            if record { member() } else { String::new() },
        ];
        match self.eval::<u64>(&HIT, vec![key], args).await? {
            0 => Ok(()),
            wait_ms => Err(limited(wait_ms)),
        }
    }

    async fn eval<T: redis::FromRedisValue + Send + 'static>(
        &self,
        script: &'static Script,
        keys: Vec<String>,
        args: Vec<String>,
    ) -> anyhow::Result<T> {
        self.redis
            .run(|mut conn| async move {
                let mut invocation = script.prepare_invoke();
                for key in &keys {
                    invocation.key(key);
                }
                for arg in &args {
                    invocation.arg(arg);
                }
                invocation.invoke_async(&mut conn).await
            })
            .await
    }

    /// How keys name the client at `ip`.
    fn client(&self, ip: IpAddr) -> String {
        limit_identity(ip, self.ipv6_prefix).to_string()
    }

    /// The name of an account's counters with one client: tagged by the
    /// account alone, so that all of them share one Redis Cluster slot,
    /// where forgetting the account finds them.
    fn pair_tag(&self, email: &Email, ip: IpAddr) -> String {
        format!("{}:{}", self.login_tag(email), self.client(ip))
    }

    fn login_tag(&self, email: &Email) -> String {
        format!("{{login:{}}}", self.account_tag(email))
    }

    fn reset_mail_tag(&self, email: &Email) -> String {
        format!("{{reset-mail:{}}}", self.account_tag(email))
    }

    /// How keys name an account: a keyed hash of its email.
    fn account_tag(&self, email: &Email) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.email_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(email.as_str().as_bytes());
        let digest = mac.finalize().into_bytes();
        digest[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

/// The hash tag of an account's resend counter.
fn verify_resend_tag(user_id: u64) -> String {
    format!("{{verify-resend:{user_id}}}")
}

fn limited(wait_ms: u64) -> LimitError {
    LimitError::Limited {
        retry_after_secs: wait_ms.div_ceil(1000).max(1),
    }
}

/// `text` matched literally in a `SCAN MATCH` pattern.
fn glob_escaped(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '*' | '?' | '[' | ']' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// Events in one window need distinct members even in the same millisecond.
fn member() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::glob_escaped;

    #[test]
    fn a_prefix_is_matched_literally() {
        assert_eq!(glob_escaped("status-api:"), "status-api:");
        assert_eq!(glob_escaped("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }
}
