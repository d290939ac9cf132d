//! The benchmark peer "a Rust developer would otherwise build": the routes
//! tests/bench/run.sh drives, with the JSON shapes of the Node peer
//! (../shared/bench/node-express), written the stock way: actix-web,
//! actix-session's own `RedisSessionStore` as its docs show it, a mysql_async
//! `Pool` shared by the workers, bcrypt on actix's blocking pool
//! (`web::block`). No caching and no tuning beyond those docs.
//!
//! Environment: LISTEN_ADDR (127.0.0.1:3200), DATABASE_URL (mysql://…/db, the
//! schema of schema.sql beside this package), REDIS_URL (redis://127.0.0.1:6379),
//! REDIS_PREFIX (key prefix of the sessions, "actix-stock:"), SESSION_SECRET (at
//! least 64 bytes; a random key when unset), BCRYPT_COST (12), WORKERS (actix's
//! default: the available parallelism).

use std::{env, fmt, io};

use actix_session::{
    Session, SessionMiddleware,
    config::{PersistentSession, TtlExtensionPolicy},
    storage::RedisSessionStore,
};
use actix_web::{
    App, HttpResponse, HttpServer, ResponseError,
    cookie::{Key, time::Duration},
    error::InternalError,
    http::StatusCode,
    web,
};
use mysql_async::{Pool, prelude::*};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::PrimitiveDateTime;

/// What the session holds, and what /register, /login and /me answer.
#[derive(Serialize, Deserialize)]
struct User {
    id: u64,
    email: String,
    name: String,
    created_at: String,
}

#[derive(Serialize)]
struct Status {
    id: u64,
    text: String,
    created_at: String,
}

/// What /fetchStatus answers.
#[derive(Serialize)]
struct Page {
    items: Vec<Status>,
    next_before: Option<u64>,
}

#[derive(Serialize)]
struct EmailCheck {
    email: String,
    available: bool,
}

/// bcrypt's cost, shared with the handlers.
#[derive(Clone, Copy)]
struct Cost(u32);

/// As JavaScript's `Date.toISOString()`: MariaDB gives the TIMESTAMP in the
/// session's time zone, the system's; this machine's is UTC.
fn iso(t: PrimitiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

fn problem(status: StatusCode, slug: &str, title: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .json(json!({ "type": format!("/problems/{slug}"), "title": title, "status": status.as_u16() }))
}

fn invalid() -> HttpResponse {
    problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
        "Invalid input",
    )
}

fn unauthenticated() -> HttpResponse {
    problem(StatusCode::UNAUTHORIZED, "unauthenticated", "Not logged in")
}

/// Any failure of MySQL, Redis or bcrypt: logged, answered 500.
#[derive(Debug)]
struct Internal(String);

impl fmt::Display for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for Internal {
    fn from(e: E) -> Self {
        eprintln!("error: {e}");
        Internal(e.to_string())
    }
}

impl ResponseError for Internal {
    fn error_response(&self) -> HttpResponse {
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
        )
    }
}

type Answer = Result<HttpResponse, Internal>;

/// `^[^@\s]+@[^@\s]+$`, the Node peer's check.
fn valid_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[derive(Deserialize)]
struct RegisterBody {
    email: Option<String>,
    password: Option<String>,
    name: Option<String>,
}

async fn register(
    pool: web::Data<Pool>,
    cost: web::Data<Cost>,
    session: Session,
    body: web::Json<RegisterBody>,
) -> Answer {
    let RegisterBody {
        email,
        password,
        name,
    } = body.into_inner();
    let (Some(email), Some(password), Some(name)) = (email, password, name) else {
        return Ok(invalid());
    };
    let name = name.trim().to_owned();
    if !valid_email(&email) || password.chars().count() < 8 || name.is_empty() {
        return Ok(invalid());
    }
    let cost = cost.0;
    let hash = web::block(move || bcrypt::hash(password, cost)).await??;

    let mut conn = pool.get_conn().await?;
    let inserted = conn
        .exec_drop(
            "INSERT INTO users (email, name, password_hash) VALUES (?, ?, ?)",
            (email.to_lowercase(), name, hash),
        )
        .await;
    match inserted {
        Err(mysql_async::Error::Server(e)) if e.code == 1062 => {
            return Ok(problem(
                StatusCode::CONFLICT,
                "email-taken",
                "Email already registered",
            ));
        }
        other => other?,
    }
    let id = conn.last_insert_id().unwrap_or_default();
    let Some((id, email, name, created_at)) = conn
        .exec_first::<(u64, String, String, PrimitiveDateTime), _, _>(
            "SELECT id, email, name, created_at FROM users WHERE id = ?",
            (id,),
        )
        .await?
    else {
        return Err(Internal("the new user is gone".into()));
    };
    let user = User {
        id,
        email,
        name,
        created_at: iso(created_at),
    };
    session.renew();
    session.insert("user", &user)?;
    Ok(HttpResponse::Created().json(user))
}

#[derive(Deserialize)]
struct LoginBody {
    email: Option<String>,
    password: Option<String>,
}

async fn login(pool: web::Data<Pool>, session: Session, body: web::Json<LoginBody>) -> Answer {
    let LoginBody { email, password } = body.into_inner();
    let (Some(email), Some(password)) = (email, password) else {
        return Ok(invalid());
    };
    let row = pool
        .get_conn()
        .await?
        .exec_first::<(u64, String, String, PrimitiveDateTime, String), _, _>(
            "SELECT id, email, name, created_at, password_hash FROM users WHERE email = ?",
            (email.to_lowercase(),),
        )
        .await?;
    let Some((id, email, name, created_at, hash)) = row else {
        return Ok(invalid_credentials());
    };
    if !web::block(move || bcrypt::verify(password, &hash)).await?? {
        return Ok(invalid_credentials());
    }
    let user = User {
        id,
        email,
        name,
        created_at: iso(created_at),
    };
    session.renew();
    session.insert("user", &user)?;
    Ok(HttpResponse::Ok().json(user))
}

fn invalid_credentials() -> HttpResponse {
    problem(
        StatusCode::UNAUTHORIZED,
        "invalid-credentials",
        "Invalid email or password",
    )
}

/// Deletes the session in Redis and expires the cookie (actix-session does both).
async fn logout(session: Session) -> HttpResponse {
    session.purge();
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
struct CheckEmailBody {
    email: Option<String>,
}

async fn checkemail(pool: web::Data<Pool>, body: web::Json<CheckEmailBody>) -> Answer {
    let Some(email) = body.into_inner().email else {
        return Ok(invalid());
    };
    let taken = pool
        .get_conn()
        .await?
        .exec_first::<i64, _, _>(
            "SELECT 1 FROM users WHERE email = ?",
            (email.to_lowercase(),),
        )
        .await?
        .is_some();
    Ok(HttpResponse::Ok().json(EmailCheck {
        email,
        available: !taken,
    }))
}

async fn me(session: Session) -> Answer {
    match session.get::<User>("user")? {
        Some(user) => Ok(HttpResponse::Ok().json(user)),
        None => Ok(unauthenticated()),
    }
}

#[derive(Deserialize)]
struct AddStatusBody {
    text: Option<String>,
}

async fn add_status(
    pool: web::Data<Pool>,
    session: Session,
    body: web::Json<AddStatusBody>,
) -> Answer {
    let Some(user) = session.get::<User>("user")? else {
        return Ok(unauthenticated());
    };
    let text = body.into_inner().text.unwrap_or_default().trim().to_owned();
    if text.is_empty() || text.chars().count() > 500 {
        return Ok(invalid());
    }
    let mut conn = pool.get_conn().await?;
    conn.exec_drop(
        "INSERT INTO statuses (user_id, text) VALUES (?, ?)",
        (user.id, text),
    )
    .await?;
    let id = conn.last_insert_id().unwrap_or_default();
    let Some((id, text, created_at)) = conn
        .exec_first::<(u64, String, PrimitiveDateTime), _, _>(
            "SELECT id, text, created_at FROM statuses WHERE id = ?",
            (id,),
        )
        .await?
    else {
        return Err(Internal("the new status is gone".into()));
    };
    Ok(HttpResponse::Created().json(Status {
        id,
        text,
        created_at: iso(created_at),
    }))
}

#[derive(Deserialize)]
struct FetchQuery {
    limit: Option<i64>,
    before: Option<u64>,
}

async fn fetch_status(
    pool: web::Data<Pool>,
    session: Session,
    query: web::Query<FetchQuery>,
) -> Answer {
    let Some(user) = session.get::<User>("user")? else {
        return Ok(unauthenticated());
    };
    let limit = query.limit.unwrap_or(20).clamp(1, 100) as usize;
    let before = query.before.unwrap_or(u64::MAX);
    let rows = pool
        .get_conn()
        .await?
        .exec::<(u64, String, PrimitiveDateTime), _, _>(
            "SELECT id, text, created_at FROM statuses WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
            (user.id, before, limit as u64 + 1),
        )
        .await?;
    let more = rows.len() > limit;
    let items: Vec<Status> = rows
        .into_iter()
        .take(limit)
        .map(|(id, text, created_at)| Status {
            id,
            text,
            created_at: iso(created_at),
        })
        .collect();
    let next_before = if more {
        items.last().map(|s| s.id)
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(Page { items, next_before }))
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

fn setting<T: std::str::FromStr>(name: &str, default: T) -> io::Result<T> {
    match env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| io::Error::other(format!("{name} is not valid: {v:?}"))),
        Err(_) => Ok(default),
    }
}

#[actix_web::main]
async fn main() -> io::Result<()> {
    let listen_addr = setting("LISTEN_ADDR", "127.0.0.1:3200".to_owned())?;
    let database_url =
        env::var("DATABASE_URL").map_err(|_| io::Error::other("DATABASE_URL is not set"))?;
    let redis_url = setting("REDIS_URL", "redis://127.0.0.1:6379".to_owned())?;
    let prefix = setting("REDIS_PREFIX", "actix-stock:".to_owned())?;
    let cost = Cost(setting("BCRYPT_COST", 12)?);
    let workers: Option<usize> = env::var("WORKERS").ok().and_then(|w| w.parse().ok());
    let key = match env::var("SESSION_SECRET") {
        Ok(s) if s.len() >= 64 => Key::from(s.as_bytes()),
        Ok(_) => return Err(io::Error::other("SESSION_SECRET must be at least 64 bytes")),
        Err(_) => Key::generate(),
    };

    let pool = web::Data::new(Pool::new(database_url.as_str()));
    let store = RedisSessionStore::builder(redis_url)
        .cache_keygen(move |key| format!("{prefix}{key}"))
        .build()
        .await
        .map_err(|e| io::Error::other(format!("cannot connect to Redis (REDIS_URL): {e}")))?;
    let cost = web::Data::new(cost);

    let app_pool = pool.clone();
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(app_pool.clone())
            .app_data(cost.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(16 * 1024)
                    .error_handler(|e, _| InternalError::from_response(e, invalid()).into()),
            )
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|e, _| InternalError::from_response(e, invalid()).into()),
            )
            .wrap(
                // Sliding 30 minutes, as the Node peer's `rolling: true` cookie.
                SessionMiddleware::builder(store.clone(), key.clone())
                    .cookie_name("sid".to_owned())
                    .cookie_secure(false)
                    .session_lifecycle(
                        PersistentSession::default()
                            .session_ttl(Duration::minutes(30))
                            .session_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
                    )
                    .build(),
            )
            .route("/register", web::post().to(register))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/checkemail", web::post().to(checkemail))
            .route("/me", web::get().to(me))
            .route("/addStatus", web::post().to(add_status))
            .route("/fetchStatus", web::get().to(fetch_status))
            .route("/healthz", web::get().to(healthz))
    });
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    server
        .bind(&listen_addr)
        .map_err(|e| io::Error::other(format!("cannot listen on LISTEN_ADDR {listen_addr}: {e}")))?
        .run()
        .await?;
    Pool::clone(&pool)
        .disconnect()
        .await
        .map_err(io::Error::other)
}
