//! Every setting in one typed struct, read from the environment (and `.env`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use actix_web::cookie::SameSite;
use ipnet::IpNet;
use lettre::message::Mailbox;

use crate::domain::TokenLifetimes;

#[derive(Clone)]
pub struct Settings {
    pub listen_addr: SocketAddr,
    pub database_url: String,
    pub database_pool_max: usize,
    pub redis_url: String,
    /// Seed nodes of a Redis Cluster; when any are given, the service uses
    /// the cluster and `redis_url` is not used.
    pub redis_cluster_urls: Vec<String>,
    pub redis_pool_max: usize,
    pub dependency_timeout: Duration,
    pub redis_prefix: String,
    pub session_secret: Vec<u8>,
    pub session_idle: Duration,
    pub session_lifetime: Duration,
    pub cookie_secure: bool,
    pub cookie_same_site: SameSite,
    pub bcrypt_cost: u32,
    pub hash_concurrency: usize,
    pub body_limit_bytes: usize,
    pub static_dir: Option<PathBuf>,
    pub api_docs: bool,
    /// How long `/readyz` answers 503 before the server stops accepting, so
    /// that a load balancer can take the instance out first.
    pub shutdown_drain: Duration,
    pub limits: LimitSettings,
    /// Extra origins allowed to call with credentials (CORS) and to make
    /// state-changing requests.
    pub allowed_origins: Vec<String>,
    pub trusted_proxies: Vec<IpNet>,
    /// PEM certificate chain and key; with both, the server speaks HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub database_ca_file: Option<PathBuf>,
    pub redis_ca_file: Option<PathBuf>,
    /// Where `/metrics` is served; unset, nowhere.
    pub metrics_addr: Option<SocketAddr>,
    /// Longest time from a request's first byte to its last.
    pub request_timeout: Duration,
    /// IPv6 clients are counted per network of this prefix length.
    pub ipv6_limit_prefix: u8,
    /// Live sessions per user; a new one past it ends the least recently seen.
    pub max_sessions_per_user: usize,
    /// Sessions kept in memory per instance (0: none).
    pub session_cache_entries: usize,
    /// How long security events are kept before they are pruned.
    pub security_event_retention: Duration,
    /// How long each kind of mailed token can be used.
    pub token_lifetimes: TokenLifetimes,
    /// Whether `/addStatus` refuses accounts whose email is not verified.
    pub require_verified_email: bool,
    pub mail: MailSettings,
}

/// Where mail goes and how hard the outbox tries (docs/API.md, Email).
#[derive(Clone)]
pub struct MailSettings {
    pub url: MailUrl,
    pub from: Mailbox,
    /// The SPA's origin (`https://app.example.com`, no trailing slash):
    /// the base of every link a message carries.
    pub public_url: String,
    /// How long after a message was written it is still retried.
    pub retry_window: Duration,
    /// The longest wait between two tries.
    pub retry_max_delay: Duration,
    /// The longest one SMTP exchange (or file write) may take.
    pub timeout: Duration,
    /// An extra CA (PEM) trusted for the mail server's TLS.
    pub ca_file: Option<PathBuf>,
}

/// `MAIL_URL`: an SMTP server, or a folder that gets one `.eml` per message.
#[derive(Clone, PartialEq, Eq)]
pub enum MailUrl {
    Smtp(SmtpServer),
    File(PathBuf),
}

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpServer {
    /// A name or an IP address (without brackets), also the name its TLS
    /// certificate must carry.
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// User and password, percent-decoded.
    pub credentials: Option<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: STARTTLS when the server offers it, plain text otherwise.
    Opportunistic,
    /// `smtp://…?tls=required`: STARTTLS or nothing is sent.
    Required,
    /// `smtps://`: TLS from the first byte.
    Wrapper,
}

/// `N/SECONDS`: at most N events in any rolling window of that length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub count: u32,
    pub window: Duration,
}

/// The rate limits; `None` where a limit is `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitSettings {
    pub login_failure: Option<Limit>,
    pub login_lockout: Duration,
    pub login_ip: Option<Limit>,
    pub register_ip: Option<Limit>,
    pub checkemail_ip: Option<Limit>,
    /// `POST /email/verify/resend`, per account.
    pub verify_resend: Option<Limit>,
    /// Requests to `/password/forgot` and `/password/reset` together, per
    /// client IP.
    pub reset_ip: Option<Limit>,
    /// Reset links mailed per address; past it `/password/forgot` mails
    /// nothing, and answers the same.
    pub reset_email: Option<Limit>,
}

/// Every problem found in the settings, each naming its variable.
#[derive(Debug)]
pub struct ConfigError(Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid settings: {}", self.0.join("; "))
    }
}

impl std::error::Error for ConfigError {}

pub const MIN_SECRET_BYTES: usize = 64;

const SECS_PER_DAY: u64 = 86_400;
const SECS_PER_HOUR: u64 = 3600;

/// The longest a token may live: a link valid for more than a year is a
/// mistake, and MySQL must be able to write its expiry.
pub const MAX_TOKEN_SECS: u64 = 365 * SECS_PER_DAY;

/// The most sessions an instance may keep copies of: the cache reserves
/// its table for all of them at start (a few tens of bytes each), and a million
/// copies hold about a GiB.
pub const MAX_SESSION_CACHE_ENTRIES: usize = 1_000_000;

impl Settings {
    /// Reads the process environment, after loading `.env` from the working
    /// directory if there is one (real environment variables win).
    pub fn from_env() -> Result<Self, ConfigError> {
        if let Err(error) = dotenvy::dotenv()
            && !error.not_found()
        {
            return Err(ConfigError(vec![format!(".env: {error}")]));
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the settings from explicit values, as tests do.
    pub fn from_map(values: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| values.get(name).cloned())
    }

    /// Whether Redis is reached over TLS: the cluster's nodes when there is
    /// a cluster, else `REDIS_URL`.
    pub fn redis_uses_tls(&self) -> bool {
        match self.redis_cluster_urls.first() {
            Some(seed) => seed.starts_with("rediss://"),
            None => self.redis_url.starts_with("rediss://"),
        }
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut vars = Reader {
            lookup,
            errors: Vec::new(),
        };
        let default_hash_concurrency = std::thread::available_parallelism()
            .map_or(1, |cores| cores.get().saturating_sub(1).max(1));
        let cookie_secure = vars.parse_bool("COOKIE_SECURE", true);
        let settings = Settings {
            listen_addr: vars.parse("LISTEN_ADDR", SocketAddr::from(([127, 0, 0, 1], 8080))),
            database_url: vars.database_url(),
            database_pool_max: vars.positive("DATABASE_POOL_MAX", 20),
            redis_url: vars.redis_url(),
            redis_cluster_urls: vars.redis_cluster_urls(),
            redis_pool_max: vars.positive("REDIS_POOL_MAX", 16),
            dependency_timeout: Duration::from_millis(vars.positive("DEPENDENCY_TIMEOUT_MS", 2000)),
            redis_prefix: vars.text("REDIS_PREFIX", "status-api:"),
            session_secret: vars.session_secret(),
            session_idle: Duration::from_secs(vars.positive("SESSION_IDLE_SECS", 1800)),
            session_lifetime: Duration::from_secs(vars.positive("SESSION_LIFETIME_SECS", 604_800)),
            cookie_secure,
            cookie_same_site: vars.same_site(cookie_secure),
            bcrypt_cost: vars.bcrypt_cost(),
            hash_concurrency: vars.positive("HASH_CONCURRENCY", default_hash_concurrency),
            body_limit_bytes: vars.positive("BODY_LIMIT_BYTES", 16 * 1024),
            static_dir: vars.static_dir(),
            api_docs: vars.parse_bool("API_DOCS", true),
            shutdown_drain: Duration::from_millis(vars.parse("SHUTDOWN_DRAIN_MS", 0)),
            limits: LimitSettings {
                login_failure: vars.limit("LOGIN_FAILURE_LIMIT", "5/900"),
                login_lockout: Duration::from_secs(vars.positive("LOGIN_LOCKOUT_SECS", 60)),
                login_ip: vars.limit("LOGIN_IP_LIMIT", "50/900"),
                register_ip: vars.limit("REGISTER_IP_LIMIT", "20/3600"),
                checkemail_ip: vars.limit("CHECKEMAIL_IP_LIMIT", "60/60"),
                verify_resend: vars.limit("VERIFY_RESEND_LIMIT", "3/3600"),
                reset_ip: vars.limit("RESET_IP_LIMIT", "10/3600"),
                reset_email: vars.limit("RESET_EMAIL_LIMIT", "3/3600"),
            },
            allowed_origins: vars.allowed_origins(),
            trusted_proxies: vars.trusted_proxies(),
            tls: vars.tls_files(),
            database_ca_file: vars.readable_file("DATABASE_CA_FILE"),
            redis_ca_file: vars.readable_file("REDIS_CA_FILE"),
            metrics_addr: vars
                .get("METRICS_ADDR")
                .map(|_| vars.parse("METRICS_ADDR", SocketAddr::from(([127, 0, 0, 1], 9090)))),
            request_timeout: Duration::from_secs(vars.positive("REQUEST_TIMEOUT_SECS", 10)),
            ipv6_limit_prefix: vars.ipv6_limit_prefix(),
            max_sessions_per_user: vars.positive("MAX_SESSIONS_PER_USER", 50),
            session_cache_entries: vars.session_cache_entries(),
            security_event_retention: Duration::from_secs(
                vars.positive::<u64>("SECURITY_EVENT_DAYS", 90)
                    .saturating_mul(SECS_PER_DAY),
            ),
            token_lifetimes: TokenLifetimes {
                verify: vars.token_lifetime("VERIFY_TOKEN_SECS", SECS_PER_DAY),
                reset: vars.token_lifetime("RESET_TOKEN_SECS", 1800),
            },
            require_verified_email: vars.parse_bool("REQUIRE_VERIFIED_EMAIL", false),
            mail: MailSettings {
                url: vars.mail_url(),
                from: vars.mail_from(),
                public_url: vars.public_url(),
                retry_window: Duration::from_secs(
                    vars.positive::<u64>("MAIL_RETRY_HOURS", 24)
                        .saturating_mul(SECS_PER_HOUR),
                ),
                retry_max_delay: Duration::from_secs(vars.positive("MAIL_RETRY_MAX_SECS", 300)),
                timeout: Duration::from_secs(vars.positive("MAIL_TIMEOUT_SECS", 30)),
                ca_file: vars.readable_file("MAIL_CA_FILE"),
            },
        };
        if settings.database_ca_file.is_some()
            && !settings.database_url.contains("require_ssl=true")
        {
            vars.fail("DATABASE_CA_FILE", "needs require_ssl=true in DATABASE_URL");
        }
        if settings.redis_ca_file.is_some() && !settings.redis_uses_tls() {
            vars.fail(
                "REDIS_CA_FILE",
                "needs a rediss:// REDIS_URL (or rediss:// REDIS_CLUSTER_URLS)",
            );
        }
        if settings.mail.ca_file.is_some() && matches!(settings.mail.url, MailUrl::File(_)) {
            vars.fail("MAIL_CA_FILE", "needs an smtp:// or smtps:// MAIL_URL");
        }
        if vars.errors.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigError(vars.errors))
        }
    }
}

/// Every variable the settings are read from, in the order `from_lookup`
/// asks for them: the names the reference (docs/API.md) and `sample.env`
/// must cover, taken from the reading code itself so that no list drifts.
pub fn setting_names() -> Vec<String> {
    let asked: RefCell<Vec<String>> = RefCell::new(Vec::new());
    // With nothing set the required secret is missing; only the names matter.
    let _ = Settings::from_lookup(|name| {
        let mut asked = asked.borrow_mut();
        if !asked.iter().any(|seen| seen == name) {
            asked.push(name.to_owned());
        }
        None
    });
    asked.into_inner()
}

struct Reader<F> {
    lookup: F,
    errors: Vec<String>,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    /// A variable set to the empty string counts as unset, as in most shells'
    /// `.env` conventions.
    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|value| !value.is_empty())
    }

    fn fail(&mut self, name: &str, problem: impl fmt::Display) {
        self.errors.push(format!("{name} {problem}"));
    }

    /// On error the default comes back too; the error list decides the outcome.
    fn parse<T: FromStr>(&mut self, name: &str, default: T) -> T {
        let Some(raw) = self.get(name) else {
            return default;
        };
        raw.trim().parse().unwrap_or_else(|_| {
            self.fail(name, format_args!("has an invalid value {raw:?}"));
            default
        })
    }

    fn positive<T: FromStr + PartialOrd + From<u8> + Copy>(&mut self, name: &str, default: T) -> T {
        let value = self.parse(name, default);
        if value <= T::from(0) {
            self.fail(name, "must be a positive integer");
            return default;
        }
        value
    }

    fn parse_bool(&mut self, name: &str, default: bool) -> bool {
        match self.get(name).map(|raw| raw.trim().to_ascii_lowercase()) {
            None => default,
            Some(raw) if matches!(raw.as_str(), "true" | "1" | "yes" | "on") => true,
            Some(raw) if matches!(raw.as_str(), "false" | "0" | "no" | "off") => false,
            Some(raw) => {
                self.fail(name, format_args!("must be true or false, not {raw:?}"));
                default
            }
        }
    }

    fn text(&mut self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_owned())
    }

    fn database_url(&mut self) -> String {
        let url = self.text(
            "DATABASE_URL",
            "mysql://status_api@127.0.0.1:3306/status_api",
        );
        match mysql_async::Opts::from_url(&url) {
            Ok(opts) if opts.db_name().is_some() => url,
            Ok(_) => {
                self.fail("DATABASE_URL", "must name a database");
                url
            }
            Err(error) => {
                self.fail("DATABASE_URL", format_args!("is not a MySQL URL: {error}"));
                url
            }
        }
    }

    fn redis_url(&mut self) -> String {
        let url = self.text("REDIS_URL", "redis://127.0.0.1:6379/0");
        match redis::Client::open(url.as_str()) {
            Ok(_) => url,
            Err(error) => {
                self.fail("REDIS_URL", format_args!("is not a Redis URL: {error}"));
                url
            }
        }
    }

    /// Comma-separated `redis://` or `rediss://` URLs, all of one scheme:
    /// a cluster's nodes are reached alike.
    fn redis_cluster_urls(&mut self) -> Vec<String> {
        let raw = self.text("REDIS_CLUSTER_URLS", "");
        let urls: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(str::to_owned)
            .collect();
        for url in &urls {
            let scheme = url.split_once("://").map(|(scheme, _)| scheme);
            if !matches!(scheme, Some("redis" | "rediss"))
                || redis::Client::open(url.as_str()).is_err()
            {
                self.fail(
                    "REDIS_CLUSTER_URLS",
                    format_args!("has {url:?}, which is not a redis:// or rediss:// URL"),
                );
            }
        }
        let secure = urls
            .iter()
            .filter(|url| url.starts_with("rediss://"))
            .count();
        if secure != 0 && secure != urls.len() {
            self.fail("REDIS_CLUSTER_URLS", "mixes redis:// and rediss:// URLs");
        }
        urls
    }

    fn session_secret(&mut self) -> Vec<u8> {
        match self.get("SESSION_SECRET") {
            None => {
                self.fail("SESSION_SECRET", "is required (at least 64 bytes)");
                Vec::new()
            }
            Some(secret) if secret.len() < MIN_SECRET_BYTES => {
                let length = secret.len();
                self.fail(
                    "SESSION_SECRET",
                    format_args!("must be at least {MIN_SECRET_BYTES} bytes (it has {length})"),
                );
                Vec::new()
            }
            Some(secret) => secret.into_bytes(),
        }
    }

    fn same_site(&mut self, cookie_secure: bool) -> SameSite {
        let raw = self.text("COOKIE_SAMESITE", "Lax");
        match raw.trim().to_ascii_lowercase().as_str() {
            "lax" => SameSite::Lax,
            "strict" => SameSite::Strict,
            "none" if cookie_secure => SameSite::None,
            "none" => {
                self.fail("COOKIE_SAMESITE", "None needs COOKIE_SECURE=true");
                SameSite::Lax
            }
            _ => {
                self.fail(
                    "COOKIE_SAMESITE",
                    format_args!("must be Lax, Strict or None, not {raw:?}"),
                );
                SameSite::Lax
            }
        }
    }

    /// The SPA's build: a directory with an `index.html` in it.
    fn static_dir(&mut self) -> Option<PathBuf> {
        let dir = PathBuf::from(self.get("STATIC_DIR")?);
        if !dir.join("index.html").is_file() {
            self.fail(
                "STATIC_DIR",
                format_args!(
                    "must be a directory with an index.html ({} has none; build the SPA first)",
                    dir.display()
                ),
            );
        }
        Some(dir)
    }

    fn limit(&mut self, name: &str, default: &str) -> Option<Limit> {
        let raw = self.text(name, default);
        let parsed = match raw.trim() {
            "off" => return None,
            spec => spec.split_once('/').and_then(|(count, secs)| {
                let count = count.trim().parse::<u32>().ok().filter(|n| *n > 0)?;
                let secs = secs.trim().parse::<u64>().ok().filter(|s| *s > 0)?;
                Some(Limit {
                    count,
                    window: Duration::from_secs(secs),
                })
            }),
        };
        if parsed.is_none() {
            self.fail(
                name,
                format_args!("must be N/SECONDS (e.g. 5/900) or off, not {raw:?}"),
            );
        }
        parsed
    }

    /// Comma-separated origins, each `scheme://host[:port]`.
    fn allowed_origins(&mut self) -> Vec<String> {
        let raw = self.text("ALLOWED_ORIGINS", "");
        let mut origins = Vec::new();
        for entry in raw
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
        {
            match url::Url::parse(entry).map(|url| url.origin()) {
                Ok(origin @ url::Origin::Tuple(..)) => origins.push(origin.ascii_serialization()),
                _ => self.fail(
                    "ALLOWED_ORIGINS",
                    format_args!(
                        "has {entry:?}, which is not an origin like https://app.example.com"
                    ),
                ),
            }
        }
        origins
    }

    /// Comma-separated IPs or CIDR ranges.
    fn trusted_proxies(&mut self) -> Vec<IpNet> {
        let raw = self.text("TRUSTED_PROXIES", "");
        let mut proxies = Vec::new();
        for entry in raw
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
        {
            let parsed = entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from));
            match parsed {
                Ok(net) => proxies.push(net),
                Err(_) => self.fail(
                    "TRUSTED_PROXIES",
                    format_args!("has {entry:?}, which is neither an IP nor a CIDR range"),
                ),
            }
        }
        proxies
    }

    fn readable_file(&mut self, name: &str) -> Option<PathBuf> {
        let path = PathBuf::from(self.get(name)?);
        if let Err(error) = std::fs::metadata(&path) {
            self.fail(
                name,
                format_args!("cannot be read ({}: {error})", path.display()),
            );
        }
        Some(path)
    }

    fn tls_files(&mut self) -> Option<(PathBuf, PathBuf)> {
        match (
            self.readable_file("TLS_CERT"),
            self.readable_file("TLS_KEY"),
        ) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => {
                self.fail("TLS_CERT", "and TLS_KEY must be set together");
                None
            }
        }
    }

    fn ipv6_limit_prefix(&mut self) -> u8 {
        let prefix = self.parse("IPV6_LIMIT_PREFIX", 64);
        if !(1..=128).contains(&prefix) {
            self.fail("IPV6_LIMIT_PREFIX", "must be from 1 to 128");
            return 64;
        }
        prefix
    }

    fn session_cache_entries(&mut self) -> usize {
        let entries = self.parse("SESSION_CACHE_ENTRIES", 10_000);
        if entries > MAX_SESSION_CACHE_ENTRIES {
            self.fail(
                "SESSION_CACHE_ENTRIES",
                format_args!("must be from 0 to {MAX_SESSION_CACHE_ENTRIES}"),
            );
            return 10_000;
        }
        entries
    }

    fn token_lifetime(&mut self, name: &str, default: u64) -> Duration {
        let secs = self.positive(name, default);
        if secs > MAX_TOKEN_SECS {
            self.fail(
                name,
                format_args!("must be at most {MAX_TOKEN_SECS} (a year)"),
            );
            return Duration::from_secs(default);
        }
        Duration::from_secs(secs)
    }

    /// `smtp://[user:pass@]host[:port][?tls=required]`, `smtps://…` or
    /// `file:PATH`.
    fn mail_url(&mut self) -> MailUrl {
        let raw = self.text("MAIL_URL", "file:mail-outbox");
        match parse_mail_url(raw.trim()) {
            Ok(url) => url,
            Err(problem) => {
                self.fail("MAIL_URL", problem);
                MailUrl::File(PathBuf::from("mail-outbox"))
            }
        }
    }

    fn mail_from(&mut self) -> Mailbox {
        let Some(raw) = self.get("MAIL_FROM") else {
            return default_mail_from();
        };
        raw.trim().parse().unwrap_or_else(|error| {
            self.fail(
                "MAIL_FROM",
                format_args!(
                    "must be an address like `Name <no-reply@example.com>`, not {raw:?} ({error})"
                ),
            );
            default_mail_from()
        })
    }

    /// An http(s) origin, kept without a trailing slash so that links are
    /// `PUBLIC_URL` + a path.
    fn public_url(&mut self) -> String {
        let raw = self.text("PUBLIC_URL", "http://127.0.0.1:8080");
        let origin = url::Url::parse(raw.trim()).ok().filter(|url| {
            matches!(url.scheme(), "http" | "https")
                && url.host().is_some()
                && url.username().is_empty()
                && url.password().is_none()
                && url.path() == "/"
                && url.query().is_none()
                && url.fragment().is_none()
        });
        match origin {
            Some(url) => url.origin().ascii_serialization(),
            None => {
                self.fail(
                    "PUBLIC_URL",
                    format_args!(
                        "must be an http(s) origin like https://app.example.com, not {raw:?}"
                    ),
                );
                raw
            }
        }
    }

    fn bcrypt_cost(&mut self) -> u32 {
        let cost = self.parse("BCRYPT_COST", 12);
        if !(4..=31).contains(&cost) {
            self.fail("BCRYPT_COST", "must be from 4 to 31");
        }
        cost
    }
}

/// `status-api <no-reply@localhost>`.
fn default_mail_from() -> Mailbox {
    let address = lettre::Address::new("no-reply", "localhost")
        .unwrap_or_else(|error| unreachable!("a valid address: {error}"));
    Mailbox::new(Some("status-api".to_owned()), address)
}

fn parse_mail_url(raw: &str) -> Result<MailUrl, String> {
    if let Some(path) = raw.strip_prefix("file:") {
        // `file:///srv/mail` as URLs write it, `file:mail` relative.
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err("needs a folder after file:".to_owned());
        }
        return Ok(MailUrl::File(PathBuf::from(path)));
    }
    let url = url::Url::parse(raw).map_err(|error| {
        format!("must be smtp://host:port, smtps://host:port or file:PATH, not {raw:?} ({error})")
    })?;
    let host = match url.host() {
        Some(url::Host::Domain(name)) if !name.is_empty() => name.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        _ => {
            return Err(format!(
                "needs a host, as in smtp://mail.example.com:587 (not {raw:?})"
            ));
        }
    };
    let tls: Vec<_> = url.query_pairs().collect();
    let security = match (url.scheme(), tls.as_slice()) {
        ("smtp", []) => SmtpSecurity::Opportunistic,
        ("smtp", [(name, value)]) if name == "tls" && value == "required" => SmtpSecurity::Required,
        ("smtps", []) => SmtpSecurity::Wrapper,
        ("smtp" | "smtps", _) => {
            return Err(format!(
                "takes no query but ?tls=required (and that on smtp:// only), not {raw:?}"
            ));
        }
        (scheme, _) => {
            return Err(format!("must be smtp://, smtps:// or file:, not {scheme}:"));
        }
    };
    if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
        return Err(format!(
            "has a path or fragment an SMTP server does not take: {raw:?}"
        ));
    }
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .map(std::borrow::Cow::into_owned)
            .map_err(|_| "has a user or password that is not UTF-8 once decoded".to_owned())
    };
    let credentials = match (url.username(), url.password()) {
        ("", None) => None,
        (user, Some(password)) => Some((decode(user)?, decode(password)?)),
        (_, None) => return Err("has a user without a password".to_owned()),
    };
    let default_port = if security == SmtpSecurity::Wrapper {
        465
    } else {
        25
    };
    Ok(MailUrl::Smtp(SmtpServer {
        host,
        port: url.port().unwrap_or(default_port),
        security,
        credentials,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut values: HashMap<String, String> = HashMap::new();
        values.insert("SESSION_SECRET".into(), "s".repeat(64));
        for (name, value) in pairs {
            values.insert((*name).into(), (*value).into());
        }
        Settings::from_map(&values)
    }

    #[test]
    fn defaults_follow_the_contract() {
        let settings = settings(&[]).unwrap();
        assert_eq!(settings.listen_addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(settings.session_idle, Duration::from_secs(1800));
        assert_eq!(settings.session_lifetime, Duration::from_secs(604_800));
        assert_eq!(settings.dependency_timeout, Duration::from_millis(2000));
        assert!(settings.cookie_secure);
        assert_eq!(settings.cookie_same_site, SameSite::Lax);
        assert_eq!(settings.bcrypt_cost, 12);
        assert_eq!(settings.body_limit_bytes, 16384);
        assert_eq!(settings.redis_prefix, "status-api:");
        assert!(settings.api_docs);
        assert_eq!(settings.request_timeout, Duration::from_secs(10));
        assert_eq!(settings.ipv6_limit_prefix, 64);
        assert_eq!(settings.max_sessions_per_user, 50);
        assert_eq!(settings.session_cache_entries, 10_000);
        assert_eq!(
            settings.security_event_retention,
            Duration::from_secs(90 * 86_400)
        );
        assert_eq!(settings.token_lifetimes.verify, Duration::from_secs(86_400));
        assert!(!settings.require_verified_email);
        assert_eq!(settings.token_lifetimes.reset, Duration::from_secs(1800));
        let limit = |count, secs| {
            Some(Limit {
                count,
                window: Duration::from_secs(secs),
            })
        };
        assert_eq!(settings.limits.reset_ip, limit(10, 3600));
        assert_eq!(settings.limits.reset_email, limit(3, 3600));
    }

    #[test]
    fn reset_tokens_live_a_positive_number_of_seconds_up_to_a_year() {
        let hour = settings(&[("RESET_TOKEN_SECS", "3600")]).unwrap();
        assert_eq!(hour.token_lifetimes.reset, Duration::from_secs(3600));
        assert_eq!(hour.token_lifetimes.verify, Duration::from_secs(86_400));
        for bad in ["0", "-1", "x", "1.5", "31536001"] {
            let error = settings(&[("RESET_TOKEN_SECS", bad)]).err().unwrap();
            assert!(error.to_string().contains("RESET_TOKEN_SECS"), "{bad}");
        }
    }

    #[test]
    fn reset_limits_are_n_per_seconds_or_off() {
        let parsed = settings(&[("RESET_IP_LIMIT", "off"), ("RESET_EMAIL_LIMIT", "1/60")]).unwrap();
        assert_eq!(parsed.limits.reset_ip, None);
        assert_eq!(
            parsed.limits.reset_email,
            Some(Limit {
                count: 1,
                window: Duration::from_secs(60)
            })
        );
        for name in ["RESET_IP_LIMIT", "RESET_EMAIL_LIMIT"] {
            for bad in ["3", "0/60", "3/0", "x/y"] {
                let error = settings(&[(name, bad)]).err().unwrap();
                assert!(error.to_string().contains(name), "{name}={bad}");
            }
        }
    }

    #[test]
    fn the_session_cache_holds_from_none_to_a_million_sessions() {
        for (given, entries) in [("0", 0), ("1000000", 1_000_000)] {
            let parsed = settings(&[("SESSION_CACHE_ENTRIES", given)]).unwrap();
            assert_eq!(parsed.session_cache_entries, entries);
        }
        for bad in ["-1", "x", "1000001"] {
            let error = settings(&[("SESSION_CACHE_ENTRIES", bad)]).err().unwrap();
            assert!(error.to_string().contains("SESSION_CACHE_ENTRIES"), "{bad}");
        }
    }

    #[test]
    fn verify_tokens_live_a_positive_number_of_seconds_up_to_a_year() {
        let hour = settings(&[("VERIFY_TOKEN_SECS", "3600")]).unwrap();
        assert_eq!(hour.token_lifetimes.verify, Duration::from_secs(3600));
        let year = settings(&[("VERIFY_TOKEN_SECS", "31536000")]).unwrap();
        assert_eq!(year.token_lifetimes.verify, Duration::from_secs(31_536_000));
        for bad in ["0", "-1", "x", "1.5", "31536001"] {
            let error = settings(&[("VERIFY_TOKEN_SECS", bad)]).err().unwrap();
            assert!(error.to_string().contains("VERIFY_TOKEN_SECS"), "{bad}");
        }
    }

    #[test]
    fn requiring_a_verified_email_is_a_boolean() {
        let required = settings(&[("REQUIRE_VERIFIED_EMAIL", "true")]).unwrap();
        assert!(required.require_verified_email);
        let error = settings(&[("REQUIRE_VERIFIED_EMAIL", "sometimes")])
            .err()
            .unwrap();
        assert!(error.to_string().contains("REQUIRE_VERIFIED_EMAIL"));
    }

    #[test]
    fn security_events_are_kept_a_positive_number_of_days() {
        let week = settings(&[("SECURITY_EVENT_DAYS", "7")]).unwrap();
        assert_eq!(
            week.security_event_retention,
            Duration::from_secs(7 * 86_400)
        );
        for bad in ["0", "-1", "x", "1.5"] {
            let error = settings(&[("SECURITY_EVENT_DAYS", bad)]).err().unwrap();
            assert!(error.to_string().contains("SECURITY_EVENT_DAYS"), "{bad}");
        }
    }

    #[test]
    fn the_ipv6_prefix_is_a_prefix_length() {
        assert_eq!(
            settings(&[("IPV6_LIMIT_PREFIX", "48")])
                .unwrap()
                .ipv6_limit_prefix,
            48
        );
        for bad in ["0", "129", "x"] {
            let error = settings(&[("IPV6_LIMIT_PREFIX", bad)]).err().unwrap();
            assert!(error.to_string().contains("IPV6_LIMIT_PREFIX"), "{bad}");
        }
    }

    #[test]
    fn errors_name_each_bad_setting() {
        let error = settings(&[
            ("SESSION_SECRET", "short"),
            ("SESSION_IDLE_SECS", "0"),
            ("BCRYPT_COST", "3"),
            ("COOKIE_SAMESITE", "sometimes"),
            ("DATABASE_URL", "postgres://x"),
        ])
        .err()
        .unwrap()
        .to_string();
        for name in [
            "SESSION_SECRET",
            "SESSION_IDLE_SECS",
            "BCRYPT_COST",
            "COOKIE_SAMESITE",
            "DATABASE_URL",
        ] {
            assert!(error.contains(name), "{name} missing from {error}");
        }
    }

    #[test]
    fn rate_limits_are_n_per_seconds_or_off() {
        let parsed = settings(&[("LOGIN_IP_LIMIT", "off"), ("REGISTER_IP_LIMIT", "3/10")]).unwrap();
        assert_eq!(parsed.limits.login_ip, None);
        let register = parsed.limits.register_ip.unwrap();
        assert_eq!(
            (register.count, register.window),
            (3, Duration::from_secs(10))
        );
        assert_eq!(
            parsed.limits.login_failure,
            Some(Limit {
                count: 5,
                window: Duration::from_secs(900)
            })
        );
        assert_eq!(parsed.limits.login_lockout, Duration::from_secs(60));
        assert_eq!(
            parsed.limits.verify_resend,
            Some(Limit {
                count: 3,
                window: Duration::from_secs(3600)
            })
        );
        let resend_off = settings(&[("VERIFY_RESEND_LIMIT", "off")]).unwrap();
        assert_eq!(resend_off.limits.verify_resend, None);
        let error = settings(&[("VERIFY_RESEND_LIMIT", "3")]).err().unwrap();
        assert!(error.to_string().contains("VERIFY_RESEND_LIMIT"));
        for bad in ["5", "0/10", "5/0", "x/y", "5/900/1"] {
            let error = settings(&[("CHECKEMAIL_IP_LIMIT", bad)]).err().unwrap();
            assert!(error.to_string().contains("CHECKEMAIL_IP_LIMIT"), "{bad}");
        }
    }

    #[test]
    fn origins_and_proxies_are_parsed() {
        let parsed = settings(&[
            (
                "ALLOWED_ORIGINS",
                "https://app.example.com, http://localhost:5173/",
            ),
            ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,::1"),
        ])
        .unwrap();
        assert_eq!(
            parsed.allowed_origins,
            ["https://app.example.com", "http://localhost:5173"]
        );
        assert_eq!(parsed.trusted_proxies.len(), 3);
        assert!(settings(&[("ALLOWED_ORIGINS", "not a url")]).is_err());
        assert!(settings(&[("TRUSTED_PROXIES", "10.0.0.0/33")]).is_err());
    }

    #[test]
    fn cluster_urls_are_parsed_and_checked() {
        let parsed = settings(&[(
            "REDIS_CLUSTER_URLS",
            "redis://10.0.0.1:7000, redis://10.0.0.2:7000,",
        )])
        .unwrap();
        assert_eq!(
            parsed.redis_cluster_urls,
            ["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"]
        );
        assert!(settings(&[]).unwrap().redis_cluster_urls.is_empty());
        for (urls, problem) in [
            ("http://10.0.0.1:7000", "not a redis:// or rediss:// URL"),
            ("10.0.0.1:7000", "not a redis:// or rediss:// URL"),
            (
                "redis://10.0.0.1:7000,rediss://10.0.0.2:7000",
                "mixes redis:// and rediss://",
            ),
        ] {
            let error = settings(&[("REDIS_CLUSTER_URLS", urls)]).err().unwrap();
            assert!(error.to_string().contains(problem), "{urls}: {error}");
        }
    }

    #[test]
    fn a_redis_ca_needs_tls_to_the_cluster_when_there_is_one() {
        let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let cluster = |urls| settings(&[("REDIS_CLUSTER_URLS", urls), ("REDIS_CA_FILE", ca)]);
        assert!(cluster("rediss://10.0.0.1:7000").is_ok());
        let error = cluster("redis://10.0.0.1:7000").err().unwrap();
        assert!(error.to_string().contains("REDIS_CA_FILE"));
    }

    #[test]
    fn static_dir_must_hold_an_index() {
        let error = settings(&[("STATIC_DIR", "/nonexistent/dist")])
            .err()
            .unwrap();
        assert!(error.to_string().contains("STATIC_DIR"));
    }

    #[test]
    fn the_secret_is_required() {
        let error = Settings::from_map(&HashMap::new()).err().unwrap();
        assert!(error.to_string().contains("SESSION_SECRET is required"));
    }

    #[test]
    fn setting_names_are_every_variable_read_once_each() {
        let names = setting_names();
        for name in [
            "LISTEN_ADDR",
            "SESSION_SECRET",
            "LOGIN_FAILURE_LIMIT",
            "TLS_KEY",
            "METRICS_ADDR",
            "MAX_SESSIONS_PER_USER",
        ] {
            assert!(names.iter().any(|read| read == name), "{name} missing");
        }
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }

    #[test]
    fn mail_defaults_follow_the_contract() {
        let mail = settings(&[]).unwrap().mail;
        assert!(mail.url == MailUrl::File(PathBuf::from("mail-outbox")));
        assert_eq!(mail.from.to_string(), "status-api <no-reply@localhost>");
        assert_eq!(mail.public_url, "http://127.0.0.1:8080");
        assert_eq!(mail.retry_window, Duration::from_secs(24 * 3600));
        assert_eq!(mail.retry_max_delay, Duration::from_secs(300));
        assert_eq!(mail.timeout, Duration::from_secs(30));
        assert!(mail.ca_file.is_none());
    }

    fn mail_url(raw: &str) -> Result<MailUrl, String> {
        settings(&[("MAIL_URL", raw)])
            .map(|settings| settings.mail.url)
            .map_err(|error| error.to_string())
    }

    fn smtp(
        host: &str,
        port: u16,
        security: SmtpSecurity,
        credentials: Option<(&str, &str)>,
    ) -> MailUrl {
        MailUrl::Smtp(SmtpServer {
            host: host.to_owned(),
            port,
            security,
            credentials: credentials.map(|(user, password)| (user.to_owned(), password.to_owned())),
        })
    }

    #[test]
    fn mail_urls_are_smtp_smtps_or_a_folder() {
        use SmtpSecurity::*;
        let cases = [
            (
                "smtp://mail.example.com:587",
                smtp("mail.example.com", 587, Opportunistic, None),
            ),
            (
                "smtp://mail.example.com",
                smtp("mail.example.com", 25, Opportunistic, None),
            ),
            (
                "smtp://127.0.0.1:2525?tls=required",
                smtp("127.0.0.1", 2525, Required, None),
            ),
            ("smtps://[::1]:465", smtp("::1", 465, Wrapper, None)),
            (
                "smtps://mail.example.com",
                smtp("mail.example.com", 465, Wrapper, None),
            ),
            (
                "smtp://me%40example.com:p%3Ass@mail.example.com:587/",
                smtp(
                    "mail.example.com",
                    587,
                    Opportunistic,
                    Some(("me@example.com", "p:ss")),
                ),
            ),
            (
                "file:mail-outbox",
                MailUrl::File(PathBuf::from("mail-outbox")),
            ),
            (
                "file:///srv/mail",
                MailUrl::File(PathBuf::from("/srv/mail")),
            ),
        ];
        for (raw, expected) in cases {
            assert!(mail_url(raw).unwrap() == expected, "{raw}");
        }
        for bad in [
            "mail.example.com:25",
            "http://mail.example.com",
            "smtp://",
            "smtp://mail.example.com:587?tls=maybe",
            "smtp://mail.example.com:587?tls=required&x=1",
            "smtps://mail.example.com?tls=required",
            "smtp://mail.example.com:587/relay",
            "smtp://user@mail.example.com:587",
            "smtp://mail.example.com:99999",
            "file:",
        ] {
            let error = mail_url(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(error.contains("MAIL_URL"), "{bad}: {error}");
        }
    }

    #[test]
    fn public_url_is_an_http_origin() {
        let public_url = |raw: &str| settings(&[("PUBLIC_URL", raw)]).map(|s| s.mail.public_url);
        assert_eq!(
            public_url("https://app.example.com/").unwrap(),
            "https://app.example.com"
        );
        assert_eq!(
            public_url("http://localhost:5173").unwrap(),
            "http://localhost:5173"
        );
        for bad in [
            "app.example.com",
            "ftp://app.example.com",
            "https://app.example.com/app",
            "https://app.example.com/?x=1",
            "https://app.example.com/#top",
            "https://user:pw@app.example.com",
        ] {
            let error = public_url(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(error.to_string().contains("PUBLIC_URL"), "{bad}: {error}");
        }
    }

    #[test]
    fn mail_from_is_a_mailbox() {
        let from = settings(&[("MAIL_FROM", "Status <status@example.com>")])
            .unwrap()
            .mail
            .from;
        assert_eq!(from.email.to_string(), "status@example.com");
        for bad in ["nobody", "Status <status@>", "<@example.com>"] {
            let error = settings(&[("MAIL_FROM", bad)]).err().unwrap();
            assert!(error.to_string().contains("MAIL_FROM"), "{bad}: {error}");
        }
    }

    #[test]
    fn mail_durations_are_positive_integers() {
        let mail = settings(&[
            ("MAIL_RETRY_HOURS", "2"),
            ("MAIL_RETRY_MAX_SECS", "60"),
            ("MAIL_TIMEOUT_SECS", "5"),
        ])
        .unwrap()
        .mail;
        assert_eq!(mail.retry_window, Duration::from_secs(7200));
        assert_eq!(mail.retry_max_delay, Duration::from_secs(60));
        assert_eq!(mail.timeout, Duration::from_secs(5));
        for name in [
            "MAIL_RETRY_HOURS",
            "MAIL_RETRY_MAX_SECS",
            "MAIL_TIMEOUT_SECS",
        ] {
            for bad in ["0", "-1", "x", "1.5"] {
                let error = settings(&[(name, bad)]).err().unwrap();
                assert!(error.to_string().contains(name), "{name}={bad}: {error}");
            }
        }
    }

    #[test]
    fn the_mail_ca_is_a_readable_file_for_an_smtp_url() {
        let error = settings(&[
            ("MAIL_URL", "smtps://mail.example.com"),
            ("MAIL_CA_FILE", "/nonexistent/ca.pem"),
        ])
        .err()
        .unwrap();
        assert!(error.to_string().contains("MAIL_CA_FILE"), "{error}");
        let this_file = concat!(env!("CARGO_MANIFEST_DIR"), "/src/config.rs");
        assert!(
            settings(&[
                ("MAIL_URL", "smtps://mail.example.com"),
                ("MAIL_CA_FILE", this_file)
            ])
            .is_ok()
        );
        let error = settings(&[("MAIL_CA_FILE", this_file)]).err().unwrap();
        assert!(
            error.to_string().contains("MAIL_CA_FILE needs an smtp"),
            "{error}"
        );
    }

    #[test]
    fn samesite_none_needs_secure_cookies() {
        assert!(settings(&[("COOKIE_SAMESITE", "None")]).is_ok());
        let error = settings(&[("COOKIE_SAMESITE", "None"), ("COOKIE_SECURE", "false")])
            .err()
            .unwrap();
        assert!(error.to_string().contains("COOKIE_SAMESITE"));
    }
}
