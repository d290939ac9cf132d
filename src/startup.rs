//! Builds the application: first its dependencies (migrations,
//! connections, pools), then one app per worker (context, routes,
//! middleware), served by `crate::serving`.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::cookie::Key;
use actix_web::dev::{Server, ServerHandle, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName};
use actix_web::middleware::{Condition, DefaultHeaders, ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use actix_web_prom::PrometheusMetrics;
use anyhow::Context;

use crate::config::Settings;
use crate::connection::TimeoutAnswer;
use crate::context::{ApiContext, ExportSlots, Readiness};
use crate::db::{Database, migrations};
use crate::domain::TokenLifetimes;
use crate::hashing::PasswordHasher;
use crate::mail::transport::Transport;
use crate::mail::{Outbox, sender};
use crate::metrics::{MailMetrics, Metrics};
use crate::middleware::{
    html_content_security_policy, problem_for_bare_errors, refuse_unserved_methods, request_context,
};
use crate::protection::{AllowedOrigins, RateLimiter, TrustedProxies};
use crate::redis_pool::RedisPool;
use crate::redis_target::RedisTarget;
use crate::retention;
use crate::routes;
use crate::serving::{self, Serving};
use crate::session::{
    CookieSettings, RedisSessionStore, SessionCache, SessionConnection, SessionLayer,
    SessionPolicy, TrackingTarget, start_tracking,
};
use crate::tls;

/// The OpenAPI document, pretty-printed, built without MySQL or Redis.
pub fn openapi_document() -> String {
    routes::openapi_json_text()
}

pub struct Application {
    server: Server,
    address: SocketAddr,
    /// The `/metrics` listener, when `METRICS_ADDR` is set.
    metrics: Option<(Server, SocketAddr)>,
    readiness: Readiness,
    shutdown_drain: Duration,
    mail_sender: sender::MailSender,
}

/// Everything connected or built once per instance, before serving:
/// migrations applied, MySQL and Redis reached, pools, hasher and limits.
/// Each worker then takes its own [`ApiContext`] from it.
#[derive(Clone)]
struct Dependencies {
    db_opts: mysql_async::Opts,
    db_connections_per_worker: usize,
    timeout: Duration,
    redis: RedisPool,
    hasher: PasswordHasher,
    limiter: RateLimiter,
    sessions: SessionLayer,
    session_policy: SessionPolicy,
    readiness: Readiness,
    body_limit: usize,
    trusted_proxies: TrustedProxies,
    allowed_origins: AllowedOrigins,
    exports: ExportSlots,
    require_verified_email: bool,
    outbox: Outbox,
    token_lifetimes: TokenLifetimes,
}

impl Dependencies {
    /// Fails fast, naming the setting to look at.
    async fn connect(settings: &Settings, workers: usize) -> anyhow::Result<Self> {
        let timeout = settings.dependency_timeout;
        let db_opts =
            tls::mysql_opts(&settings.database_url, settings.database_ca_file.as_deref())?;
        migrations::run(&db_opts, timeout).await.context(
            "cannot connect to MySQL or migrate its schema (check DATABASE_URL and DATABASE_CA_FILE)",
        )?;
        let redis_target = RedisTarget::from_settings(settings)?;
        let session_connection = SessionConnection::check(redis_target.clone(), timeout)
            .await
            .context(
                "cannot connect to Redis (check REDIS_URL or REDIS_CLUSTER_URLS, and REDIS_CA_FILE)",
            )?;
        let redis = RedisPool::connect(&redis_target, settings.redis_pool_max, timeout)
            .await
            .context("cannot connect to Redis (check REDIS_URL or REDIS_CLUSTER_URLS)")?;
        let hasher = PasswordHasher::new(settings.bcrypt_cost, settings.hash_concurrency)
            .context("BCRYPT_COST")?;
        let limiter = RateLimiter::new(
            redis.clone(),
            &settings.redis_prefix,
            settings.limits,
            &settings.session_secret,
            settings.ipv6_limit_prefix,
        );
        let session_policy = SessionPolicy::new(settings.session_idle, settings.session_lifetime);
        let session_cache = SessionCache::new(settings.session_cache_entries);
        let store = RedisSessionStore::new(
            session_connection,
            &settings.redis_prefix,
            settings.session_lifetime,
            settings.max_sessions_per_user,
        )
        .with_cache(session_cache.clone(), session_policy);
        if let Some(cache) = &session_cache {
            start_tracking(
                cache,
                TrackingTarget::from_settings(settings),
                store.tracked_prefix(),
            )?;
        }
        let sessions = SessionLayer {
            store,
            cookie: CookieSettings {
                secure: settings.cookie_secure,
                same_site: settings.cookie_same_site,
                key: Key::from(&settings.session_secret),
            },
            idle: settings.session_idle,
        };
        Ok(Self {
            db_opts,
            db_connections_per_worker: (settings.database_pool_max / workers).max(1),
            timeout,
            redis,
            hasher,
            limiter,
            sessions,
            session_policy,
            readiness: Readiness::default(),
            body_limit: settings.body_limit_bytes,
            trusted_proxies: TrustedProxies::new(settings.trusted_proxies.clone()),
            allowed_origins: AllowedOrigins(settings.allowed_origins.clone()),
            exports: ExportSlots::default(),
            require_verified_email: settings.require_verified_email,
            outbox: Outbox::new(&settings.session_secret, &settings.mail.public_url),
            token_lifetimes: settings.token_lifetimes,
        })
    }

    /// The calling worker's context: one MySQL pool and one session
    /// connection per worker (see `Database` and `SessionConnection`).
    fn context_for_this_worker(&self, sessions: &SessionLayer) -> ApiContext {
        ApiContext {
            db: Database::new(&self.db_opts, self.db_connections_per_worker, self.timeout),
            redis: self.redis.clone(),
            hasher: self.hasher.clone(),
            limiter: self.limiter.clone(),
            sessions: sessions.store.clone(),
            session_policy: self.session_policy,
            cookie: sessions.cookie.clone(),
            readiness: self.readiness.clone(),
            body_limit: self.body_limit,
            trusted_proxies: self.trusted_proxies.clone(),
            allowed_origins: self.allowed_origins.clone(),
            exports: self.exports.clone(),
            require_verified_email: self.require_verified_email,
            outbox: self.outbox.clone(),
            token_lifetimes: self.token_lifetimes,
        }
    }
}

/// How the public app is put together, beyond its dependencies.
#[derive(Clone)]
struct Assembly {
    api_docs: bool,
    static_dir: Option<PathBuf>,
    cookie_secure: bool,
    /// The request metrics middleware, on when `METRICS_ADDR` is set.
    metrics: PrometheusMetrics,
    metrics_enabled: bool,
}

impl Assembly {
    /// One worker's app: its context, the routes and every middleware.
    fn app(
        &self,
        dependencies: &Dependencies,
    ) -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody + use<>>,
            Error = actix_web::Error,
            InitError = (),
        > + use<>,
    > {
        let sessions = dependencies.sessions.for_this_worker();
        sessions.store.open_ahead();
        let ctx = dependencies.context_for_this_worker(&sessions);
        let allowed_origins = ctx.allowed_origins.clone();
        App::new()
            .app_data(web::Data::new(ctx))
            .configure(|cfg| routes::configure(cfg, &sessions, self.api_docs))
            .configure(|cfg| routes::configure_static(cfg, self.static_dir.as_deref()))
            .default_service(web::to(routes::not_found))
            .wrap(Condition::new(
                !allowed_origins.0.is_empty(),
                cors(&allowed_origins),
            ))
            .wrap(from_fn(refuse_unserved_methods))
            .wrap(Condition::new(self.metrics_enabled, self.metrics.clone()))
            .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
            .wrap(from_fn(html_content_security_policy))
            .wrap(security_headers(self.cookie_secure))
            .wrap(from_fn(request_context))
    }
}

impl Application {
    /// Applies migrations and connects to MySQL and Redis, failing fast with
    /// the setting to look at; then binds `LISTEN_ADDR` (port 0 picks one).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        tls::install_crypto_provider();
        let workers = std::thread::available_parallelism().map_or(1, usize::from);
        let dependencies = Dependencies::connect(&settings, workers).await?;
        // Before serving: a mail setting that cannot work stops the start.
        let mail_transport = Transport::new(&settings.mail)?;
        let mail_metrics = MailMetrics::new();
        let metrics = Metrics::new(
            dependencies.redis.clone(),
            settings.database_pool_max,
            dependencies.hasher.gauges(),
            &mail_metrics,
            dependencies.sessions.store.cache_metrics(),
        )?;
        let assembly = Assembly {
            api_docs: settings.api_docs,
            static_dir: settings.static_dir.clone(),
            cookie_secure: settings.cookie_secure,
            metrics: metrics.http(),
            metrics_enabled: settings.metrics_addr.is_some(),
        };
        let readiness = dependencies.readiness.clone();
        let pruning_db = Database::new(&dependencies.db_opts, 1, dependencies.timeout);
        let purging_db = Database::new(&dependencies.db_opts, 1, dependencies.timeout);
        let mail_db = Database::new(&dependencies.db_opts, 2, dependencies.timeout);
        let outbox = dependencies.outbox.clone();

        let listener = TcpListener::bind(settings.listen_addr)
            .with_context(|| format!("cannot listen on LISTEN_ADDR {}", settings.listen_addr))?;
        let address = listener.local_addr()?;
        raise_open_files_limit();
        let serving = Serving {
            listener,
            tls: match &settings.tls {
                Some((cert, key)) => Some(tls::server_config(cert, key)?),
                None => None,
            },
            workers,
            request_timeout: settings.request_timeout,
            timeout_answer: TimeoutAnswer::new(
                security_header_values(settings.cookie_secure)
                    .iter()
                    .map(|(name, value)| (name.as_str(), *value)),
            ),
        };
        let server = serving::serve(serving, move || assembly.app(&dependencies))?;

        let metrics = match settings.metrics_addr {
            Some(addr) => Some(metrics_server(addr, metrics)?),
            None => None,
        };
        retention::spawn_pruning(pruning_db, settings.security_event_retention);
        retention::spawn_account_purge(purging_db);
        let mail_sender = sender::spawn(
            mail_db,
            outbox,
            mail_transport,
            &settings.mail,
            mail_metrics,
            settings.dependency_timeout,
        );
        Ok(Self {
            server,
            address,
            metrics,
            readiness,
            shutdown_drain: settings.shutdown_drain,
            mail_sender,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops the server from elsewhere (tests).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped through its handle (tests); the
    /// metrics listener stops with it, and the mail sender once the mail
    /// it is sending has gone.
    pub async fn run(self) -> std::io::Result<()> {
        let served = match self.metrics {
            None => self.server.await,
            Some((metrics, _)) => {
                let metrics_handle = metrics.handle();
                let metrics = tokio::spawn(metrics);
                let served = self.server.await;
                metrics_handle.stop(true).await;
                let _ = metrics.await;
                served
            }
        };
        self.mail_sender.stop().await;
        served
    }

    /// Serves until SIGTERM or SIGINT; then `/readyz` turns 503 for
    /// `SHUTDOWN_DRAIN_MS`, the listener closes, and requests in flight
    /// finish before the process exits.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let readiness = self.readiness.clone();
        let drain = self.shutdown_drain;
        tokio::spawn(async move {
            if let Err(error) = shutdown_signal().await {
                log::error!("cannot listen for shutdown signals: {error}");
                return;
            }
            log::info!("shutting down: /readyz answers 503, in-flight requests finish");
            readiness.start_draining();
            tokio::time::sleep(drain).await;
            handle.stop(true).await;
        });
        self.run().await
    }
}

/// `/metrics` on a listener of its own, away from the public one.
fn metrics_server(addr: SocketAddr, metrics: Metrics) -> anyhow::Result<(Server, SocketAddr)> {
    let listener =
        TcpListener::bind(addr).with_context(|| format!("cannot listen on METRICS_ADDR {addr}"))?;
    let address = listener.local_addr()?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(metrics.clone()))
            .route("/metrics", web::get().to(crate::metrics::scrape))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok((server, address))
}

/// On every response, errors and static files included.
fn security_headers(cookie_secure: bool) -> DefaultHeaders {
    security_header_values(cookie_secure)
        .into_iter()
        .fold(DefaultHeaders::new(), |headers, header| headers.add(header))
}

/// The headers of `security_headers`, also written by hand on the `408`
/// answered before actix has a request (see `crate::connection`).
fn security_header_values(cookie_secure: bool) -> Vec<(HeaderName, &'static str)> {
    let mut headers = vec![
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    if cookie_secure {
        headers.push((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"));
    }
    headers
}

/// Each connection, slow ones included, holds a file descriptor; a soft
/// limit below the hard one (often 1024) would let a few thousand of them
/// stop the server accepting others, so it is raised to the hard limit.
fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < 4096 => log::warn!(
            "open files limit is {limit}: each connection takes one (raise the hard limit, `ulimit -Hn`)"
        ),
        Ok(limit) => log::debug!("open files limit: {limit}"),
        Err(error) => log::warn!("cannot raise the open files limit: {error}"),
    }
}

/// Credentialed CORS for `ALLOWED_ORIGINS` only. Other origins get no CORS
/// headers, but are not refused here: same-origin requests carry an
/// `Origin` too, and the cross-site rule is `same_origin_only`'s.
fn cors(allowed: &AllowedOrigins) -> Cors {
    allowed
        .0
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "HEAD", "POST", "PATCH", "DELETE"])
        .allowed_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([header::RETRY_AFTER, HeaderName::from_static("x-request-id")])
        .supports_credentials()
        .block_on_origin_mismatch(false)
        .max_age(600)
}

async fn shutdown_signal() -> std::io::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}
