//! Password reset: a link mailed on request (`POST /password/forgot`), and
//! a new password chosen with its token (`POST /password/reset`). Also the
//! way a new password is stored, shared with `POST /me/password`.

use std::future::Future;
use std::sync::Arc;

use actix_web::{HttpResponse, web};
use serde_json::json;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::extract::{Caller, CurrentSession};
use super::input::{Fields, JsonObject};
use super::schema;
use crate::context::ApiContext;
use crate::db::users::{self, ResetClaimed};
use crate::domain::{
    Email, EventOrigin, LinkKind, MailDetails, NoticeKind, OutgoingMail, Password, Token, User,
};
use crate::error::{ApiError, Context, FieldErrors, Problem};
use crate::hashing::{Admission, Slot};
use crate::metrics::{SESSIONS_BEGUN, SESSIONS_ENDED};
use crate::session::Epoch;
use crate::telemetry::spawn_for_request;

pub struct ResetRequest {
    email: Email,
}

impl ResetRequest {
    fn from_json(body: JsonObject) -> Result<Self, ApiError> {
        let mut fields = Fields::new(body, &["email"]);
        // As at login: an account registered before normalisation is found
        // by the address it registered with.
        let email = fields.parse("email", Email::parse_for_login);
        fields.finish(email).map(|email| Self { email })
    }
}

impl PartialSchema for ResetRequest {
    fn schema() -> RefOr<Schema> {
        schema::closed_object(
            vec![("email", schema::email(Email::MAX_CHARS))],
            json!({"email": "alice@example.com"}),
        )
    }
}

impl ToSchema for ResetRequest {}

pub struct PasswordReset {
    /// `None`: a string no token of ours is written as, which is then
    /// simply an unknown token (`400`), not a field error.
    token: Option<Token>,
    /// Valid by every rule but the one that needs the account's email,
    /// which only the token tells.
    new_password: Password,
}

impl PasswordReset {
    fn from_json(body: JsonObject) -> Result<Self, ApiError> {
        let mut fields = Fields::new(body, &["token", "new_password"]);
        let token = fields.string("token");
        let new_password = fields.parse("new_password", |raw| Password::parse(raw, None));
        fields
            .finish(token.zip(new_password))
            .map(|(token, new_password)| Self {
                token: Token::parse(&token),
                new_password,
            })
    }
}

impl PartialSchema for PasswordReset {
    fn schema() -> RefOr<Schema> {
        schema::closed_object(
            vec![
                (
                    "token",
                    schema::token(
                        Token::CHARS,
                        "a reset link (`PUBLIC_URL/reset-password#token=…`)",
                    ),
                ),
                (
                    "new_password",
                    schema::new_password(
                        Password::MIN_BYTES,
                        Password::MAX_BYTES,
                        "8 to 72 bytes in UTF-8, never trimmed; not one of the 10,000 most \
                         common passwords (case-insensitively); not the account's email.",
                    ),
                ),
            ],
            json!({
                "token": "3f0c8a1d5b7e9f20c4d6e8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0",
                "new_password": "staple battery horse"
            }),
        )
    }
}

impl ToSchema for PasswordReset {}

/// Asks for a password reset link. The answer is the same, and comes as
/// soon, whether or not an account has the address, and whether or not it
/// is verified; an account that has it is mailed a link, unless
/// `RESET_EMAIL_LIMIT` links were mailed to it lately.
#[utoipa::path(
    post, path = "/password/forgot", tag = "accounts",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "Accepted, whatever the address: if an account has it, a link \
            to `PUBLIC_URL/reset-password#token=…` is mailed to it (unless `RESET_EMAIL_LIMIT` links \
            were mailed to it lately)"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many reset requests and resets from this IP (`RESET_IP_LIMIT`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Whole seconds until a request would be served"))),
    )
)]
pub async fn forgot_password(
    body: JsonObject,
    caller: Caller,
    ctx: web::Data<ApiContext>,
) -> Result<HttpResponse, ApiError> {
    let input = ResetRequest::from_json(body)?;
    ctx.limiter.password_reset(caller.ip).await?;
    // The same work for every address: one lookup, one count.
    let found = users::find_credentials(&ctx.db, &input.email)
        .await
        .context("looking up an account to reset")?;
    let may_mail = ctx.limiter.reset_mail(&input.email).await?;
    if let Some(found) = found.filter(|_| may_mail) {
        // Issuing the link is a transaction only an existing account needs:
        // the answer does not wait for it, so that it comes as soon for any
        // address. A failure there is logged; the client asks again.
        spawn_for_request(mail_reset_link(
            ctx.into_inner(),
            found.user,
            caller.origin(),
        ));
    }
    Ok(HttpResponse::Accepted().finish())
}

/// Mails `user` a reset link: the token, its event and the message in one
/// transaction (see [`users::request_password_reset`]).
async fn mail_reset_link(ctx: Arc<ApiContext>, user: User, origin: EventOrigin) {
    match issue_reset_link(&ctx, &user, &origin).await {
        Ok(true) => {
            ctx.outbox.wake();
            log::info!("mailing user {} a password reset link", user.id);
        }
        // Deleted since it was looked up: there is no one to mail.
        Ok(false) => {}
        Err(error) => log::warn!(
            "the password reset link of user {} was not mailed: {error:#}",
            user.id
        ),
    }
}

async fn issue_reset_link(
    ctx: &ApiContext,
    user: &User,
    origin: &EventOrigin,
) -> anyhow::Result<bool> {
    let token = Token::generate()?;
    let link = ctx
        .outbox
        .link(LinkKind::ResetPassword, &user.email, &token.to_string())?;
    let mail = OutgoingMail::with_link(link, &user.email, MailDetails::now(&user.name, origin));
    let issued = users::request_password_reset(
        &ctx.db,
        user.id,
        &token,
        &ctx.token_lifetimes,
        origin,
        &mail,
    )
    .await?;
    Ok(issued)
}

/// Chooses a new password with a reset link's token. The account's email
/// counts as verified (the link reached it), every other session of the
/// account ends, every outstanding token of it is voided, a notice is
/// mailed, and this browser gets a new session.
#[utoipa::path(
    post, path = "/password/reset", tag = "accounts",
    request_body = PasswordReset,
    responses(
        (status = 200, description = "Reset and logged in; every other session has ended", body = User,
            headers(("Set-Cookie" = String, description = "A new session key, whatever session the request had"))),
        (status = 400, description = "`invalid-token`: unknown, used, replaced by a newer link, voided by a \
            password change, expired, or not a token at all (or `bad-request`: the body is not a JSON object)",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields; `new_password` equal to the account's email is found \
            only once the token is known good", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many reset requests and resets from this IP (`RESET_IP_LIMIT`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Whole seconds until a request would be served"))),
    )
)]
pub async fn reset_password(
    body: JsonObject,
    session: CurrentSession,
    caller: Caller,
    ctx: web::Data<ApiContext>,
) -> Result<HttpResponse, ApiError> {
    let input = PasswordReset::from_json(body)?;
    ctx.limiter.password_reset(caller.ip).await?;
    let token = input.token.ok_or(ApiError::InvalidToken)?;
    // A place and a slot before the token is used: a full queue answers
    // 503 and a client gone while it waited leaves the link as it was.
    let place = ctx.hasher.admit()?;
    let slot = ctx.hasher.slot(&place).await?;
    let reset = Reset {
        ctx: ctx.into_inner(),
        token,
        new_password: input.new_password,
        origin: caller.origin(),
    };
    // Once the token is claimed the reset runs to its end in a task of its
    // own, also should the client go away: a used link always leaves the
    // password it chose.
    let (user, epoch) = spawn_for_request(reset.run(place, slot))
        .await
        .map_err(|error| ApiError::Internal(error.into()))??;
    session.begin(&user, epoch, &caller)?;
    SESSIONS_BEGUN.with_label_values(&["password-reset"]).inc();
    log::info!("user {} reset their password", user.id);
    Ok(HttpResponse::Ok().json(user))
}

struct Reset {
    ctx: Arc<ApiContext>,
    token: Token,
    new_password: Password,
    origin: EventOrigin,
}

impl Reset {
    /// Claims the token, hashes the new password in `slot`, and stores it;
    /// the account as it now is, and the epoch to begin its new session in.
    async fn run(self, _place: Admission, slot: Slot) -> Result<(User, Epoch), ApiError> {
        let ctx = &self.ctx;
        let claimed = users::claim_reset_token(&ctx.db, &self.token, |user| {
            new_password_for(user, &self.new_password)
        })
        .await
        .context("claiming a reset token")?;
        let (claim, new_password) = match claimed {
            ResetClaimed::Claimed(claim, new_password) => (claim, new_password),
            ResetClaimed::Refused(error) => return Err(error),
            ResetClaimed::InvalidToken => return Err(ApiError::InvalidToken),
        };
        let user_id = claim.user.id;
        // Read once the claim has said whose the token is, and before the
        // reset commits: every end of every session after that commit (a
        // password change, a deletion) moves the epoch past this one, so
        // the new session is refused or ended; a change committed before
        // it is found by `reset_password`, which then stores nothing.
        let epoch = ctx.sessions.epoch(user_id).await?;
        let new_hash = ctx.hasher.hash_in(slot, new_password.expose()).await?;
        let notice = OutgoingMail::notice(
            NoticeKind::PasswordReset,
            &claim.user.email,
            MailDetails::now(&claim.user.name, &self.origin),
        );
        let store = async {
            users::reset_password(&ctx.db, &claim, &new_hash, &self.origin, &notice)
                .await
                .context("storing a reset password")?
                .ok_or(ApiError::InvalidToken)
        };
        replace_password(ctx, user_id, epoch, "password-reset", store).await
    }
}

/// The new password by every rule of registration, now that the
/// account's email is known.
fn new_password_for(user: &User, new_password: &Password) -> Result<Password, ApiError> {
    let email = Email::parse_for_login(&user.email)
        .map_err(|reason| ApiError::Internal(anyhow::anyhow!("a stored email: {reason}")))?;
    Password::parse(new_password.expose(), Some(&email)).map_err(|reason| {
        ApiError::Validation(FieldErrors::from([(
            "new_password".to_owned(),
            vec![reason],
        )]))
    })
}

/// Stores a new password as `POST /me/password` and `POST /password/reset`
/// both do: every session of the user ends in Redis first and `store`
/// commits in MySQL after (a failure between the two leaves the user
/// logged out, never old sessions alive beside a new password), then every
/// session ends once more, for a login that read the epoch after the first
/// end and the old hash before the commit. What `store` answered, and the
/// epoch these two ends lead to from `epoch`, read before the password or
/// token that allows the change was checked: the request's new session
/// begins in it, so that should another request end every session
/// meanwhile (a deletion, another change), the store refuses it.
pub(super) async fn replace_password<T>(
    ctx: &ApiContext,
    user_id: u64,
    epoch: Epoch,
    how: &'static str,
    store: impl Future<Output = Result<T, ApiError>>,
) -> Result<(T, Epoch), ApiError> {
    let epoch = end_every_session(ctx, user_id, epoch, how).await?;
    let stored = store.await?;
    ctx.outbox.wake();
    let epoch = end_every_session(ctx, user_id, epoch, how).await?;
    Ok((stored, epoch))
}

/// Ends every session of the user in Redis, the request's own included;
/// the epoch after `epoch` that this leads to.
async fn end_every_session(
    ctx: &ApiContext,
    user_id: u64,
    epoch: Epoch,
    how: &'static str,
) -> Result<Epoch, ApiError> {
    let ended = ctx.sessions.revoke_all(user_id).await?;
    SESSIONS_ENDED.with_label_values(&[how]).inc_by(ended);
    Ok(epoch.next())
}
