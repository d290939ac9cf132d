//! Accounts and sessions: register, log in, log out, is this email taken.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Serialize;
use serde_json::json;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::email;
use super::extract::{Caller, CurrentSession};
use super::input::{Fields, JsonObject};
use super::password_check::{PasswordCheck, StoredPassword};
use super::schema;
use super::security;
use crate::context::ApiContext;
use crate::db::{Database, users};
use crate::domain::{Email, Password, SecurityEventKind, User, UserName};
use crate::error::{ApiError, Context, Problem};
use crate::hashing::{Admission, PasswordHasher};
use crate::metrics;
use crate::protection::Client;
use crate::session::{self, Epoch, SESSION_COOKIE};

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
                    schema::new_password(
                        Password::MIN_BYTES,
                        Password::MAX_BYTES,
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
///
/// A link to verify the email is mailed to it, in the background: no
/// registration waits on the mail server.
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
    let origin = caller.origin();
    let verification =
        email::verification(&ctx, input.email.as_str(), input.name.as_str(), &origin)?;
    let user = users::insert(
        &ctx.db,
        &input.email,
        &input.name,
        &password_hash,
        &origin,
        &verification,
        &ctx.token_lifetimes,
    )
    .await
    .context("storing a new account")?;
    // The link is in the outbox, committed with the account: the sender
    // mails it, and no registration waits on the mail server.
    ctx.outbox.wake();
    // Normally 0: nothing can end every session of an account before one
    // of its sessions exists.
    let epoch = ctx.sessions.epoch(user.id).await?;
    log::info!("registered user {}", user.id);
    metrics::SESSIONS_BEGUN
        .with_label_values(&["register"])
        .inc();
    session.begin(&user, epoch, &caller)?;
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
    let (epoch, found) = account_in_epoch(&ctx, &input.email).await?;
    let slot = ctx.hasher.slot(&place).await?;
    let account = found.as_ref().map(|found| StoredPassword {
        user_id: found.user.id,
        hash: found.password_hash.clone(),
    });
    let check = PasswordCheck::new(&ctx, input.email.clone(), &caller, input.password.clone());
    let matched = check.run(slot, account).await?;
    let found = found
        .filter(|_| matched)
        .ok_or(ApiError::InvalidCredentials)?;
    if ctx.hasher.needs_rehash(&found.password_hash) {
        rehash(&ctx.db, &ctx.hasher, &place, found.user.id, &input.password).await;
    }
    session.begin(&found.user, epoch, &caller)?;
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

/// Wraps the login route around its session layer: a login whose session
/// the store refused (every session of the account ended while its password
/// was checked: the password changed, the account deleted) is answered as
/// the wrong credentials it now is, never with a cookie for a session that
/// does not exist.
pub async fn refused_login(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let (outcome, refused) = session::noting_refusal(next.call(req)).await;
    let response = outcome?;
    if !refused {
        return Ok(response.map_into_left_body());
    }
    let (req, _) = response.into_parts();
    let mut answer = ApiError::InvalidCredentials.error_response();
    // Beginning the new session ended the one the request came with, if
    // any: the browser forgets its cookie.
    if let Some(ctx) = req.app_data::<web::Data<ApiContext>>() {
        answer.add_cookie(&ctx.cookie.expired_cookie())?;
    }
    Ok(ServiceResponse::new(req, answer).map_into_right_body())
}

/// The account `email` names, with its epoch read before its password hash:
/// a password change or deletion ends every session after committing, so a
/// hash read before that commit comes with an epoch read before that end,
/// and the session of a login that checked it is refused, however late it
/// is written. (Read after the hash, the epoch could be the new one.)
async fn account_in_epoch(
    ctx: &ApiContext,
    email: &Email,
) -> Result<(Epoch, Option<users::Credentials>), ApiError> {
    let Some(named) = users::find_credentials(&ctx.db, email)
        .await
        .context("looking up an account to log in")?
    else {
        return Ok((Epoch::default(), None));
    };
    let epoch = ctx.sessions.epoch(named.user.id).await?;
    // The email may name another account by now (this one deleted, the
    // address registered again): that one's epoch was not read.
    let found = users::find_credentials(&ctx.db, email)
        .await
        .context("reading an account's password hash")?
        .filter(|found| found.user.id == named.user.id);
    Ok((epoch, found))
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

/// Ends the session, if there is one: `204` with or without one.
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
) -> Result<HttpResponse, ApiError> {
    let user = session.live_user();
    let live = session.end();
    if live {
        metrics::SESSIONS_ENDED.with_label_values(&["logout"]).inc();
    } else if let Some(key) = ctx.cookie.session_key(&req) {
        // A logout retried after a 503 finds its session ended already; it
        // still answers only once that end is sure to survive a failover.
        ctx.sessions.end(&key).await?;
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
    Ok(response.finish())
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
