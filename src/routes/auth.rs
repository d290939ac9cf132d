//! Accounts and sessions: register, log in, log out, is this email taken.

use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::json;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::extract::{Caller, CurrentSession};
use super::input::{Fields, JsonObject};
use super::schema;
use super::security;
use crate::context::ApiContext;
use crate::db::{Database, users};
use crate::domain::{Email, EventOrigin, Password, SecurityEventKind, User, UserName};
use crate::error::{ApiError, Context, Problem};
use crate::hashing::{Admission, PasswordHasher, Slot};
use crate::metrics;
use crate::protection::{Client, RateLimiter};
use crate::session::SESSION_COOKIE;

pub struct Registration {
    email: Email,
    password: Password,
    name: UserName,
}

impl Registration {
    fn from_json(body: JsonObject) -> Result<Self, ApiError> {
        let mut fields = Fields::new(body, &["email", "password", "name"]);
        let email = fields.parse("email", Email::parse);
        let password = fields.parse("password", |raw| Password::parse(raw, email.as_ref()));
        let name = fields.parse("name", UserName::parse);
        let input = email.zip(password).zip(name);
        fields.finish(input).map(|((email, password), name)| Self {
            email,
            password,
            name,
        })
    }
}

impl PartialSchema for Registration {
    fn schema() -> RefOr<Schema> {
        schema::closed_object(
            vec![
                ("email", schema::email(Email::MAX_CHARS)),
                (
                    "password",
                    // Bytes, not characters: 8 bytes can be 2 characters and
                    // 72 characters can only be 72 one-byte ones.
                    schema::string(
                        Password::MIN_BYTES.div_ceil(4),
                        Some(Password::MAX_BYTES),
                        "8 to 72 bytes in UTF-8, never trimmed; not one of the 10,000 most \
                         common passwords (case-insensitively); not the email.",
                    ),
                ),
                ("name", schema::user_name(UserName::MAX_CHARS)),
            ],
            json!({"email": "alice@example.com", "password": "correct horse battery", "name": "Alice"}),
        )
    }
}

impl ToSchema for Registration {}

pub struct Credentials {
    email: Email,
    password: String,
}

impl Credentials {
    fn from_json(body: JsonObject) -> Result<Self, ApiError> {
        let mut fields = Fields::new(body, &["email", "password"]);
        let email = fields.parse("email", Email::parse_for_login);
        let password = fields.string("password");
        fields
            .finish(email.zip(password))
            .map(|(email, password)| Self { email, password })
    }
}

impl PartialSchema for Credentials {
    fn schema() -> RefOr<Schema> {
        schema::closed_object(
            vec![
                ("email", schema::email(Email::MAX_CHARS)),
                (
                    "password",
                    schema::string(0, None, "The account's password."),
                ),
            ],
            json!({"email": "alice@example.com", "password": "correct horse battery"}),
        )
    }
}

impl ToSchema for Credentials {}

pub struct EmailCheck {
    email: Email,
}

impl EmailCheck {
    fn from_json(body: JsonObject) -> Result<Self, ApiError> {
        let mut fields = Fields::new(body, &["email"]);
        let email = fields.parse("email", Email::parse);
        fields.finish(email).map(|email| Self { email })
    }
}

impl PartialSchema for EmailCheck {
    fn schema() -> RefOr<Schema> {
        schema::closed_object(
            vec![("email", schema::email(Email::MAX_CHARS))],
            json!({"email": "alice@example.com"}),
        )
    }
}

impl ToSchema for EmailCheck {}

#[derive(Serialize, ToSchema)]
pub struct EmailAvailability {
    /// The normalised form: the domain in ASCII (IDNA), all lowercased.
    email: String,
    available: bool,
}

/// Creates an account and logs it in.
#[utoipa::path(
    post, path = "/register", tag = "accounts",
    request_body = Registration,
    responses(
        (status = 201, description = "Registered and logged in", body = User,
            headers(("Set-Cookie" = String, description = "The new session: `sid=…; HttpOnly; SameSite=Lax; Path=/; Max-Age=<idle>` (and `Secure`)"))),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many registrations from this IP (`REGISTER_IP_LIMIT`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Whole seconds until a request would be served"))),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn register(
    body: JsonObject,
    session: CurrentSession,
    caller: Caller,
    ctx: web::Data<ApiContext>,
) -> Result<HttpResponse, ApiError> {
    let input = Registration::from_json(body)?;
    // Counted only once a slot is ours: a registration turned away by a
    // full queue, or abandoned in it, leaves nothing in Redis.
    let place = ctx.hasher.admit()?;
    let slot = ctx.hasher.slot(&place).await?;
    ctx.limiter.register(caller.ip).await?;
    let password_hash = ctx.hasher.hash_in(slot, input.password.expose()).await?;
    let user = users::insert(
        &ctx.db,
        &input.email,
        &input.name,
        &password_hash,
        &caller.origin(),
    )
    .await
    .context("storing a new account")?;
    log::info!("registered user {}", user.id);
    metrics::SESSIONS_BEGUN
        .with_label_values(&["register"])
        .inc();
    session.begin(&user, &caller)?;
    Ok(HttpResponse::Created().json(user))
}

/// Logs in with email and password, under a new session key.
#[utoipa::path(
    post, path = "/login", tag = "accounts",
    request_body = Credentials,
    responses(
        (status = 200, description = "Logged in", body = User,
            headers(("Set-Cookie" = String, description = "A new session key, whatever session the request had"))),
        (status = 401, description = "Wrong email or password (the same answer either way)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Locked out after failed logins for this account from this IP, or too many failures from this IP", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Whole seconds until a request would be served"))),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    body: JsonObject,
    session: CurrentSession,
    caller: Caller,
    ctx: web::Data<ApiContext>,
) -> Result<HttpResponse, ApiError> {
    let input = Credentials::from_json(body)?;
    ctx.limiter.before_login(&input.email, caller.ip).await?;
    let place = ctx.hasher.admit()?;
    let found = users::find_credentials(&ctx.db, &input.email)
        .await
        .context("looking up an account to log in")?;
    let slot = ctx.hasher.slot(&place).await?;
    let attempt = LoginAttempt {
        hasher: ctx.hasher.clone(),
        limiter: ctx.limiter.clone(),
        db: ctx.db.clone(),
        email: input.email.clone(),
        ip: caller.ip,
        origin: caller.origin(),
        password: input.password.clone(),
    };
    // A task of its own: once bcrypt has begun, the attempt is counted
    // whether or not this request is still awaited.
    let found = tokio::spawn(attempt.check(slot, found))
        .await
        .map_err(|error| ApiError::Internal(error.into()))??;
    if ctx.hasher.needs_rehash(&found.password_hash) {
        rehash(&ctx.db, &ctx.hasher, &place, found.user.id, &input.password).await;
    }
    session.begin(&found.user, &caller)?;
    metrics::SESSIONS_BEGUN.with_label_values(&["login"]).inc();
    security::record(
        &ctx.db,
        found.user.id,
        SecurityEventKind::Login,
        &caller.origin(),
    )
    .await;
    Ok(HttpResponse::Ok().json(found.user))
}

/// A password check and its record with the rate limits (and, for an
/// existing account, in its security events), which belong together: a
/// client that resets its connection must not guess for free, or unseen.
struct LoginAttempt {
    hasher: PasswordHasher,
    limiter: RateLimiter,
    db: Database,
    email: Email,
    ip: IpAddr,
    origin: EventOrigin,
    password: String,
}

impl LoginAttempt {
    /// The account, when the password is its own; the failure or success
    /// recorded either way.
    async fn check(
        self,
        slot: Slot,
        found: Option<users::Credentials>,
    ) -> Result<users::Credentials, ApiError> {
        let stored_hash = found.as_ref().map(|found| found.password_hash.as_str());
        let matched = self
            .hasher
            .verify_in(slot, &self.password, stored_hash)
            .await?;
        let account = found.as_ref().map(|found| found.user.id);
        let Some(found) = found.filter(|_| matched) else {
            let counted = self.limiter.login_failed(&self.email, self.ip).await;
            if let Some(user_id) = account {
                self.record_failure(user_id, matches!(counted, Ok(true)))
                    .await;
            }
            counted?;
            return Err(ApiError::InvalidCredentials);
        };
        self.limiter.login_succeeded(&self.email, self.ip).await?;
        Ok(found)
    }

    /// A wrong password for an existing account, and the lockout it began.
    async fn record_failure(&self, user_id: u64, lockout_began: bool) {
        let record = |kind| security::record(&self.db, user_id, kind, &self.origin);
        record(SecurityEventKind::LoginFailed).await;
        if lockout_began {
            record(SecurityEventKind::LockedOut).await;
        }
    }
}

/// Brings a hash made at another cost up to `BCRYPT_COST`. The login has
/// already succeeded, so a failure here is only logged.
async fn rehash(
    db: &Database,
    hasher: &PasswordHasher,
    place: &Admission,
    user_id: u64,
    password: &str,
) {
    let outcome = match hasher.hash(place, password).await {
        Ok(hash) => users::update_password_hash(db, user_id, &hash)
            .await
            .map_err(|error| error.to_string()),
        Err(error) => Err(format!("{error:?}")),
    };
    match outcome {
        Ok(()) => log::info!("re-hashed the password of user {user_id} at the configured cost"),
        Err(error) => log::warn!("could not re-hash the password of user {user_id}: {error}"),
    }
}

/// Ends the session, if there is one. Always `204`.
#[utoipa::path(
    post, path = "/logout", tag = "accounts",
    responses(
        (status = 204, description = "Logged out",
            headers(("Set-Cookie" = String, description = "The `sid` cookie, expired"))),
    )
)]
pub async fn logout(
    req: HttpRequest,
    session: CurrentSession,
    caller: Caller,
    ctx: web::Data<ApiContext>,
) -> HttpResponse {
    let user = session.live_user();
    let live = session.end();
    if live {
        metrics::SESSIONS_ENDED.with_label_values(&["logout"]).inc();
    }
    if let Some(user) = user {
        security::record(
            &ctx.db,
            user.id,
            SecurityEventKind::Logout,
            &caller.origin(),
        )
        .await;
    }
    let mut response = HttpResponse::NoContent();
    // The session middleware expires the cookie of a live session only; a
    // stale cookie is expired here, so the client forgets it either way.
    if !live && req.cookie(SESSION_COOKIE).is_some() {
        response.cookie(ctx.cookie.expired_cookie());
    }
    response.finish()
}

/// Whether an email is free to register.
#[utoipa::path(
    post, path = "/checkemail", tag = "accounts",
    request_body = EmailCheck,
    responses(
        (status = 200, description = "The normalised email and whether it is free", body = EmailAvailability),
        (status = 429, description = "Too many checks from this IP (`CHECKEMAIL_IP_LIMIT`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Whole seconds until a request would be served"))),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn check_email(
    body: JsonObject,
    client: Client,
    ctx: web::Data<ApiContext>,
) -> Result<web::Json<EmailAvailability>, ApiError> {
    let input = EmailCheck::from_json(body)?;
    ctx.limiter.check_email(client.ip).await?;
    let taken = users::email_exists(&ctx.db, &input.email)
        .await
        .context("checking whether an email is taken")?;
    Ok(web::Json(EmailAvailability {
        email: input.email.as_str().to_owned(),
        available: !taken,
    }))
}

/// Checks the password of the session's own account exactly as a login
/// would (the pair's lockout and the IP's failures first, a failure counted
/// in both limits and recorded as `login-failed`, a success clearing the
/// pair's failures), so that a stolen session cannot guess it for free:
/// `403 wrong-password` when it is wrong.
pub(super) async fn check_own_password(
    ctx: &ApiContext,
    caller: &Caller,
    account: users::Credentials,
    password: String,
) -> Result<(), ApiError> {
    let email = Email::parse_for_login(&account.user.email)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("a stored email: {error}")))?;
    ctx.limiter.before_login(&email, caller.ip).await?;
    let place = ctx.hasher.admit()?;
    let slot = ctx.hasher.slot(&place).await?;
    let attempt = LoginAttempt {
        hasher: ctx.hasher.clone(),
        limiter: ctx.limiter.clone(),
        db: ctx.db.clone(),
        email,
        ip: caller.ip,
        origin: caller.origin(),
        password,
    };
    // Counted whether or not this request is still awaited, as a login is.
    match tokio::spawn(attempt.check(slot, Some(account)))
        .await
        .map_err(|error| ApiError::Internal(error.into()))?
    {
        Ok(_) => Ok(()),
        Err(ApiError::InvalidCredentials) => Err(ApiError::WrongPassword),
        Err(other) => Err(other),
    }
}
