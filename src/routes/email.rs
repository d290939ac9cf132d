//! Email: mailing verification links, and using the tokens that mailed
//! links carry.

use actix_web::{HttpResponse, web};
use serde_json::json;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::extract::{Caller, CurrentSession};
use super::input::{Fields, JsonObject};
use super::schema;
use crate::context::ApiContext;
use crate::db::users::{self, EmailTokenUse, Verification};
use crate::domain::{EventOrigin, LinkKind, MailDetails, OutgoingMail, Token, User};
use crate::error::{ApiError, Context, Problem};

pub struct EmailVerification {
    /// `None`: a string no token of ours is written as, which is then
    /// simply an unknown token (`400`), not a field error.
    token: Option<Token>,
}

impl EmailVerification {
    fn from_json(body: JsonObject) -> Result<Self, ApiError> {
        let mut fields = Fields::new(body, &["token"]);
        let token = fields.string("token");
        fields.finish(token).map(|raw| Self {
            token: Token::parse(&raw),
        })
    }
}

impl PartialSchema for EmailVerification {
    fn schema() -> RefOr<Schema> {
        schema::closed_object(
            vec![(
                "token",
                schema::token(
                    Token::CHARS,
                    "a verification link (`PUBLIC_URL/verify-email#token=…`)",
                ),
            )],
            json!({"token": "3f0c8a1d5b7e9f20c4d6e8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0"}),
        )
    }
}

impl ToSchema for EmailVerification {}

/// Uses a verification link's token: the account's email counts as
/// verified, and an email-change token moves the account to its new
/// address. No session is needed (the link may be opened in another
/// browser); every live session of the account shows the change from the
/// moment this answers.
#[utoipa::path(
    post, path = "/email/verify", tag = "accounts",
    request_body = EmailVerification,
    responses(
        (status = 200, description = "Verified, and for an email-change token at the new address", body = User),
        (status = 400, description = "`invalid-token`: unknown, used, replaced by a newer link, voided by a \
            password change, expired, or not a token at all (or `bad-request`: the body is not a JSON object)",
            body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An email-change token whose address another account has taken meanwhile \
            (`email-taken`); the token is left unused", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn verify_email(
    body: JsonObject,
    caller: Caller,
    ctx: web::Data<ApiContext>,
) -> Result<web::Json<User>, ApiError> {
    let input = EmailVerification::from_json(body)?;
    let token = input.token.ok_or(ApiError::InvalidToken)?;
    let outcome = users::use_email_token(&ctx.db, &token, &caller.origin())
        .await
        .context("using an email token")?;
    let (user, event) = match outcome {
        EmailTokenUse::Done { user, event } => (user, event),
        EmailTokenUse::InvalidToken => return Err(ApiError::InvalidToken),
        EmailTokenUse::EmailTaken => return Err(ApiError::EmailTaken),
    };
    // After the commit: sessions never show what MySQL does not hold. Should
    // Redis fail here, the answer is 503 and the sessions catch up at their
    // next login.
    ctx.sessions.rewrite_user(&user).await?;
    log::info!("user {}: {}", user.id, event.as_str());
    Ok(web::Json(user))
}

/// A new verify-email token, and the message that carries its link
/// (`PUBLIC_URL/verify-email#token=…`, sealed) to `email`, greeting `name`
/// and telling where the request came from.
pub(super) fn verification(
    ctx: &ApiContext,
    email: &str,
    name: &str,
    origin: &EventOrigin,
) -> Result<Verification, ApiError> {
    let token = Token::generate()?;
    let link = ctx
        .outbox
        .link(LinkKind::VerifyEmail, email, &token.to_string())?;
    let mail = OutgoingMail::with_link(link, email, MailDetails::now(name, origin));
    Ok(Verification { token, mail })
}

/// Mails a new verification link to the account's address.
///
/// The new link voids the ones mailed before. An account whose email is
/// verified already is sent nothing, with the same answer. The mail goes
/// out in the background: a mail server outage delays it and fails no
/// request.
#[utoipa::path(
    post, path = "/email/verify/resend", tag = "accounts",
    security(("session_cookie" = [])),
    responses(
        (status = 202, description = "A new link is on its way to the account's address \
            (nothing is sent when the email is verified already)"),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many links asked for this account (`VERIFY_RESEND_LIMIT`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Whole seconds until a request would be served"))),
    )
)]
pub async fn resend_verification(
    session: CurrentSession,
    caller: Caller,
    ctx: web::Data<ApiContext>,
) -> Result<HttpResponse, ApiError> {
    let user = session.authenticate()?;
    ctx.limiter.verify_resend(user.id).await?;
    let origin = caller.origin();
    let verification = verification(&ctx, &user.email, &user.name, &origin)?;
    let mailed = users::resend_verification(
        &ctx.db,
        user.id,
        &verification,
        &ctx.token_lifetimes,
        &origin,
    )
    .await
    .context("mailing a verification link")?;
    if mailed {
        ctx.outbox.wake();
        log::info!("user {}: verification link mailed", user.id);
    }
    Ok(HttpResponse::Accepted().finish())
}
