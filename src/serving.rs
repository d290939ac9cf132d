//! The public HTTP/1.1 server: actix-server accepting connections, each
//! stream (TLS-decrypted when `TLS_CERT`/`TLS_KEY` are set) wrapped in a
//! [`TimedStream`], and actix-http serving the per-worker `App` over it.
//!
//! `HttpServer` cannot wrap the streams it accepts, and actix's own timers
//! bound only the first request's head on a connection: see
//! `crate::connection`.

use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::rc::Rc;
use std::time::Duration;

use actix_http::error::DispatchError;
use actix_http::{HttpService, KeepAlive, Request, Response};
use actix_server::GracefulShutdownSignal;
use actix_service::{
    IntoServiceFactory, ServiceFactory, ServiceFactoryExt, fn_service, map_config,
};
use actix_tls::accept::TlsError;
use actix_tls::accept::rustls_0_23::{Acceptor, TlsStream};
use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Server, Service};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::connection::{TimedStream, TimeoutAnswer};

/// How long an idle kept-alive connection stays open (actix's default).
const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// How long a connection may linger, after an early answer, to take in the
/// rest of a request before it is closed (actix's default).
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// What the server needs besides the application.
pub struct Serving {
    pub listener: TcpListener,
    pub tls: Option<rustls::ServerConfig>,
    pub workers: usize,
    pub request_timeout: Duration,
    pub timeout_answer: TimeoutAnswer,
}

/// Starts serving `app` (built once per worker) on `serving.listener`.
pub fn serve<F, I, S, B>(serving: Serving, app: F) -> std::io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<Error> + 'static,
    S::InitError: fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    <S::Service as Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let Serving {
        listener,
        tls,
        workers,
        request_timeout,
        timeout_answer,
    } = serving;
    let address = listener.local_addr()?;
    let builder = Server::build().workers(workers).disable_signals();
    let shutdown = builder.graceful_shutdown_signal();
    let builder = match tls {
        None => {
            let http = Http {
                app,
                address,
                shutdown,
                secure: false,
            };
            builder.listen("status-api", listener, move || {
                let timed = timed(request_timeout, timeout_answer.clone());
                fn_service(move |stream: TcpStream| {
                    let peer = stream.peer_addr().ok();
                    let stream = timed(stream, peer);
                    async move { Ok((stream, peer)) }
                })
                .and_then(http.service())
            })?
        }
        Some(config) => {
            let http = Http {
                app,
                address,
                shutdown,
                secure: true,
            };
            builder.listen("status-api", listener, move || {
                let timed = timed(request_timeout, timeout_answer.clone());
                Acceptor::new(config.clone())
                    .map_err(TlsError::into_service_error)
                    .map(move |stream: TlsStream<TcpStream>| {
                        let peer = stream.get_ref().0.peer_addr().ok();
                        (timed(stream, peer), peer)
                    })
                    .and_then(http.service().map_err(TlsError::Service))
            })?
        }
    };
    Ok(builder.run())
}

/// What builds a worker's HTTP/1.1 service over its timed streams.
#[derive(Clone)]
struct Http<F> {
    app: F,
    address: SocketAddr,
    shutdown: GracefulShutdownSignal,
    secure: bool,
}

impl<F> Http<F> {
    fn service<Io, I, S, B>(
        &self,
    ) -> impl ServiceFactory<
        (TimedStream<Io>, Option<SocketAddr>),
        Config = (),
        Response = (),
        Error = DispatchError,
        InitError = (),
    > + use<Io, F, I, S, B>
    where
        Io: AsyncRead + AsyncWrite + Unpin + 'static,
        F: Fn() -> I,
        I: IntoServiceFactory<S, Request>,
        S: ServiceFactory<Request, Config = AppConfig> + 'static,
        S::Error: Into<Error> + 'static,
        S::InitError: fmt::Debug,
        S::Response: Into<Response<B>> + 'static,
        <S::Service as Service<Request>>::Future: 'static,
        S::Service: 'static,
        B: MessageBody + 'static,
    {
        // `HttpServer` gives its apps this configuration (scheme, host and
        // address); a hand-built server can only reach it by this name.
        let config =
            AppConfig::__priv_test_new(self.secure, self.address.to_string(), self.address);
        let app = (self.app)()
            .into_factory()
            .map_err(|error| error.into().error_response());
        let shutdown = self.shutdown.clone();
        HttpService::build()
            .keep_alive(KeepAlive::Timeout(KEEP_ALIVE))
            // Off: `TimedStream` bounds every request's head; this timer
            // bounds only the first one's, and answers a bare 408.
            .client_request_timeout(Duration::ZERO)
            .client_disconnect_timeout(DISCONNECT_TIMEOUT)
            // Idle connections end at once when the server stops.
            .graceful_shutdown_signal(move || {
                let shutdown = shutdown.clone();
                async move { shutdown.notified().await }
            })
            .on_connect_ext(|io: &TimedStream<Io>, data| {
                data.insert(io.clock());
            })
            .h1(map_config(app, move |()| config.clone()))
    }
}

/// Wraps a worker's accepted streams.
fn timed<Io: AsyncRead + AsyncWrite + Unpin>(
    timeout: Duration,
    answer: TimeoutAnswer,
) -> impl Fn(Io, Option<SocketAddr>) -> TimedStream<Io> + Clone + use<Io> {
    let answer = Rc::new(answer);
    move |stream, peer| TimedStream::new(stream, peer, timeout, Rc::clone(&answer))
}
