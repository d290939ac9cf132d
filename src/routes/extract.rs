//! Extractors that handlers share: the request's session and who the
//! caller is.

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_session::Session;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::context::ApiContext;
use crate::domain::{EventOrigin, User};
use crate::error::{ApiError, Context};
use crate::protection::Client;
use crate::session::{self, Epoch, SessionPolicy};

/// The request's cookie session, with the rules of its clocks.
///
/// Extracting it never fails with `401`: actix runs extractors
/// concurrently, and a body's `415`/`413`/`400` must win over `401`, so
/// handlers call [`authenticate`](Self::authenticate) once the body is read.
pub struct CurrentSession {
    session: Session,
    policy: SessionPolicy,
}

impl FromRequest for CurrentSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let policy = req
            .app_data::<web::Data<ApiContext>>()
            .map(|ctx| ctx.session_policy)
            .ok_or_else(|| {
                actix_web::Error::from(ApiError::Internal(anyhow::anyhow!(
                    "no ApiContext for the session's policy"
                )))
            });
        ready(
            Session::from_request(req, payload)
                .into_inner()
                .and_then(|session| {
                    Ok(Self {
                        session,
                        policy: policy?,
                    })
                }),
        )
    }
}

impl CurrentSession {
    /// The session's user, or `401 unauthenticated`. Checking is also what
    /// keeps a session honest: one past its idle or absolute deadline ends
    /// here, and a live one's idle clock is extended when that is due.
    pub fn authenticate(&self) -> Result<User, ApiError> {
        self.policy
            .authenticate(&self.session)
            .ok_or(ApiError::Unauthenticated)
    }

    /// Starts a session for `user` under a new key, whatever session the
    /// request came with (no session fixation), in the user's `epoch` as
    /// read before the password that allows it was: should every session of
    /// the user end meanwhile, the store refuses to create it.
    pub fn begin(&self, user: &User, epoch: Epoch, caller: &Caller) -> Result<(), ApiError> {
        self.policy
            .begin(&self.session, user, epoch, caller.ip, &caller.user_agent)
            .context("starting a session")
    }

    /// The session's user while it is live, for a handler that works
    /// without one too (logout): nothing is extended or ended.
    pub fn live_user(&self) -> Option<User> {
        self.policy.live_user(&self.session)
    }

    /// Ends the session: its state leaves Redis and the cookie is expired.
    /// Whether there was a session to end.
    pub fn end(&self) -> bool {
        let had_state = !self.session.entries().is_empty();
        self.session.purge();
        had_state
    }

    /// Has the session hold `user`, the account as it now is (the store has
    /// rewritten the user's other sessions already).
    pub fn replace_user(&self, user: &User) -> Result<(), ApiError> {
        session::replace_user(&self.session, user).context("updating the session's user")
    }

    /// The session's public id (as `GET /sessions` shows it), if it has one.
    pub fn id(&self) -> Option<String> {
        session::current_id(&self.session)
    }
}

/// Who is logging in or registering: what the session records of them.
pub struct Caller {
    pub ip: IpAddr,
    pub user_agent: String,
}

impl Caller {
    /// Where the caller's security events say they came from.
    pub fn origin(&self) -> EventOrigin {
        EventOrigin::new(self.ip, &self.user_agent)
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        ready(
            Client::from_request(req, payload)
                .into_inner()
                .map(|client| Self {
                    ip: client.ip,
                    user_agent,
                }),
        )
    }
}
