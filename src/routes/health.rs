//! Liveness and readiness.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::context::ApiContext;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readyz {
    /// `ok`, or `down` when anything failed or the server is shutting down.
    #[schema(example = "ok")]
    status: &'static str,
    #[schema(example = "ok")]
    mysql: &'static str,
    #[schema(example = "ok")]
    redis: &'static str,
}

fn ok_or_down(up: bool) -> &'static str {
    if up { "ok" } else { "down" }
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Up", body = Health)))]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// Whether this instance can serve: MySQL and Redis answer and it is not
/// shutting down.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readyz),
        (status = 503, description = "A dependency is down, or the server is shutting down", body = Readyz),
    ))]
pub async fn readyz(ctx: web::Data<ApiContext>) -> HttpResponse {
    let (mysql, redis) = tokio::join!(ctx.db.ping(), ctx.redis.ping());
    let ready = mysql.is_ok() && redis.is_ok() && !ctx.readiness.draining();
    let body = Readyz {
        status: ok_or_down(ready),
        mysql: ok_or_down(mysql.is_ok()),
        redis: ok_or_down(redis.is_ok()),
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
