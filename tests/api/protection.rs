//! Rate limits, the cross-site rule, CORS and security headers.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{
    PASSWORD, PrivateRedis, TestApp, client, problem, spawn_app_with, unique_email,
};

/// POST /checkemail of a fresh email from a fresh client, with `headers`.
async fn check_email(app: &TestApp, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = client()
        .post(app.url("/checkemail"))
        .json(&json!({"email": unique_email()}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// POST /checkemail from a fresh client, forwarded for `client`.
async fn check_email_from(app: &TestApp, client: &str) -> reqwest::Response {
    check_email(app, &[("x-forwarded-for", client)]).await
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn registrations_trip_at_exactly_the_limit() {
    let app = spawn_app_with(&[("REGISTER_IP_LIMIT", "3/60")]).await;
    for _ in 0..3 {
        assert_eq!(
            app.new_browser().register(&unique_email()).await.status(),
            201
        );
    }
    let refused = app.new_browser().register(&unique_email()).await;
    let wait = retry_after(&refused);
    assert!((1..=60).contains(&wait), "{wait}");
    problem(refused, 429, "rate-limited").await;
    // Invalid requests are refused before they count.
    let invalid = app.post_json("/register", &json!({"email": "x"})).await;
    problem(invalid, 422, "validation").await;
}

#[tokio::test]
async fn retry_after_is_honest() {
    let app = spawn_app_with(&[("CHECKEMAIL_IP_LIMIT", "2/2")]).await;
    assert_eq!(check_email(&app, &[]).await.status(), 200);
    assert_eq!(check_email(&app, &[]).await.status(), 200);
    let refused = check_email(&app, &[]).await;
    assert_eq!(refused.status(), 429);
    let wait = retry_after(&refused);
    assert!((1..=2).contains(&wait), "{wait}");
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(50)).await;
    assert_eq!(
        check_email(&app, &[]).await.status(),
        200,
        "served after Retry-After"
    );
}

#[tokio::test]
async fn a_concurrent_burst_cannot_exceed_a_limit() {
    let app = spawn_app_with(&[("CHECKEMAIL_IP_LIMIT", "5/60")]).await;
    let statuses = app
        .statuses_at_once(20, |browser| async move {
            browser.check_email(&unique_email()).await
        })
        .await;
    let served = statuses.iter().filter(|status| **status == 200).count();
    assert_eq!(served, 5, "{statuses:?}");
}

#[tokio::test]
async fn failed_logins_lock_the_account_for_that_ip_and_the_wait_doubles() {
    let app = spawn_app_with(&[("LOGIN_FAILURE_LIMIT", "3/60"), ("LOGIN_LOCKOUT_SECS", "1")]).await;
    let email = app.signed_up().await;
    for _ in 0..3 {
        problem(
            app.login(&email, "wrong password").await,
            401,
            "invalid-credentials",
        )
        .await;
    }
    let locked = app.login(&email, PASSWORD).await;
    assert_eq!(retry_after(&locked), 1);
    problem(locked, 429, "rate-limited").await;
    // Another account from the same IP is not locked.
    let other = app.new_browser().signed_up().await;
    assert_eq!(app.login(&other, PASSWORD).await.status(), 200);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        app.login(&email, PASSWORD).await.status(),
        200,
        "the right password after the wait"
    );
    for _ in 0..3 {
        problem(
            app.login(&email, "wrong again").await,
            401,
            "invalid-credentials",
        )
        .await;
    }
    let locked_again = app.login(&email, PASSWORD).await;
    assert_eq!(
        retry_after(&locked_again),
        2,
        "the second lockout within 24 h doubles"
    );
}

#[tokio::test]
async fn a_successful_login_clears_the_pairs_failures() {
    let app = spawn_app_with(&[("LOGIN_FAILURE_LIMIT", "3/60")]).await;
    let email = app.signed_up().await;
    for _ in 0..2 {
        app.login(&email, "wrong password").await;
    }
    assert_eq!(app.login(&email, PASSWORD).await.status(), 200);
    for _ in 0..2 {
        problem(
            app.login(&email, "wrong password").await,
            401,
            "invalid-credentials",
        )
        .await;
    }
    assert_eq!(
        app.login(&email, PASSWORD).await.status(),
        200,
        "two failures are under the limit"
    );
}

#[tokio::test]
async fn failures_across_accounts_are_limited_per_ip() {
    let app = spawn_app_with(&[("LOGIN_FAILURE_LIMIT", "off"), ("LOGIN_IP_LIMIT", "3/60")]).await;
    let email = app.signed_up().await;
    for _ in 0..3 {
        problem(
            app.login(&unique_email(), PASSWORD).await,
            401,
            "invalid-credentials",
        )
        .await;
    }
    problem(app.login(&email, PASSWORD).await, 429, "rate-limited").await;
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app_with(&[("CHECKEMAIL_IP_LIMIT", "1/60")]).await;
    assert_eq!(check_email_from(&app, "198.51.100.1").await.status(), 200);
    let spoofed = check_email_from(&app, "198.51.100.2").await;
    problem(spoofed, 429, "rate-limited").await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let app = spawn_app_with(&[
        ("CHECKEMAIL_IP_LIMIT", "1/60"),
        ("TRUSTED_PROXIES", "127.0.0.1/32, ::1"),
    ])
    .await;
    assert_eq!(check_email_from(&app, "198.51.100.1").await.status(), 200);
    assert_eq!(check_email_from(&app, "198.51.100.2").await.status(), 200);
    let again = check_email_from(&app, "203.0.113.5, 198.51.100.1").await;
    problem(again, 429, "rate-limited").await;
}

#[tokio::test]
async fn ipv6_clients_in_one_network_share_a_limit() {
    let app = spawn_app_with(&[
        ("CHECKEMAIL_IP_LIMIT", "2/60"),
        ("TRUSTED_PROXIES", "127.0.0.1/32"),
    ])
    .await;
    for hop in ["2001:db8:1:2::1", "2001:db8:1:2:aaaa::2"] {
        let response = check_email_from(&app, hop).await;
        assert_eq!(response.status(), 200, "{hop}");
    }
    let same_network = check_email_from(&app, "2001:db8:1:2:ffff::3").await;
    problem(same_network, 429, "rate-limited").await;
    let other_network = check_email_from(&app, "2001:db8:1:3::1").await;
    assert_eq!(other_network.status(), 200);
}

#[tokio::test]
async fn a_non_ascii_forwarded_entry_does_not_hide_the_proxys_entry() {
    let app = spawn_app_with(&[
        ("CHECKEMAIL_IP_LIMIT", "1/60"),
        ("TRUSTED_PROXIES", "127.0.0.1/32"),
    ])
    .await;
    let garbled = reqwest::header::HeaderValue::from_bytes(b"\xff, 203.0.113.9").unwrap();
    let first = client()
        .post(app.url("/checkemail"))
        .header("x-forwarded-for", garbled)
        .json(&json!({"email": unique_email()}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let same_client = check_email_from(&app, "203.0.113.9").await;
    problem(same_client, 429, "rate-limited").await;
    let the_proxy_itself = check_email(&app, &[]).await;
    assert_eq!(the_proxy_itself.status(), 200);
}

#[tokio::test]
async fn behind_a_dual_stack_listener_an_ipv4_proxy_is_still_trusted() {
    let app = spawn_app_with(&[
        ("LISTEN_ADDR", "[::]:0"),
        ("CHECKEMAIL_IP_LIMIT", "1/60"),
        ("TRUSTED_PROXIES", "127.0.0.1/32"),
    ])
    .await;
    // Over IPv4, a `[::]` listener sees the peer as `::ffff:127.0.0.1`.
    let over_ipv4 = app.url("/checkemail").replace("[::]", "127.0.0.1");
    for hop in ["198.51.100.1", "198.51.100.2"] {
        let response = client()
            .post(&over_ipv4)
            .header("x-forwarded-for", hop)
            .json(&json!({"email": unique_email()}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{hop} has a limit of its own");
    }
}

#[tokio::test]
async fn every_key_the_service_writes_is_under_its_prefix() {
    let redis = PrivateRedis::start();
    let app = spawn_app_with(&[("REDIS_URL", &redis.url())]).await;
    let email = app.signed_up().await;
    app.add_status("hello").await;
    app.login(&email, "wrong password").await;
    app.login(&email, PASSWORD).await;
    check_email(&app, &[]).await;
    let mut conn = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(keys.len() >= 4, "{keys:?}");
    for key in keys {
        assert!(key.starts_with(&app.redis_prefix), "{key}");
    }
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let app = spawn_app_with(&[("ALLOWED_ORIGINS", "http://app.example")]).await;
    let own = app.address.clone();
    for headers in [
        vec![("origin", "http://evil.example")],
        vec![("origin", "null")],
        vec![("referer", "http://evil.example/page")],
        vec![("origin", "https://127.0.0.1")],
    ] {
        problem(check_email(&app, &headers).await, 403, "forbidden-origin").await;
    }
    for headers in [
        vec![],
        vec![("origin", own.as_str())],
        vec![("referer", &*format!("{own}/home"))],
        vec![("origin", "http://app.example")],
    ] {
        assert_eq!(
            check_email(&app, &headers).await.status(),
            200,
            "{headers:?}"
        );
    }
}

#[tokio::test]
async fn the_cross_site_rule_guards_sessions_and_keeps_its_place_in_the_order() {
    let app = spawn_app_with(&[]).await;
    app.signed_up().await;
    let evil = "http://evil.example";
    let logout = app
        .client
        .post(app.url("/logout"))
        .header("origin", evil)
        .send()
        .await
        .unwrap();
    problem(logout, 403, "forbidden-origin").await;
    assert_eq!(
        app.me().await.status(),
        200,
        "another site cannot log you out"
    );
    let post = app
        .client
        .post(app.url("/addStatus"))
        .header("origin", evil)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    problem(post, 403, "forbidden-origin").await;
    // 404 and 405 come first.
    let missing = client()
        .post(app.url("/nowhere"))
        .header("origin", evil)
        .send()
        .await
        .unwrap();
    problem(missing, 404, "not-found").await;
    let wrong = client()
        .put(app.url("/addStatus"))
        .header("origin", evil)
        .send()
        .await
        .unwrap();
    problem(wrong, 405, "method-not-allowed").await;
    // Reads are not state changes.
    let read = app
        .client
        .get(app.url("/me"))
        .header("origin", evil)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
}

#[tokio::test]
async fn a_trusted_proxy_can_say_the_request_came_over_https() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1, ::1")]).await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let https_origin = format!("https://{host}");
    let response = check_email(
        &app,
        &[("x-forwarded-proto", "https"), ("origin", &https_origin)],
    )
    .await;
    assert_eq!(response.status(), 200);
    let plain = check_email(&app, &[("origin", &https_origin)]).await;
    problem(plain, 403, "forbidden-origin").await;
}

#[tokio::test]
async fn cors_answers_allowed_origins_only() {
    let app = spawn_app_with(&[("ALLOWED_ORIGINS", "http://app.example")]).await;
    let preflight = client()
        .request(reqwest::Method::OPTIONS, app.url("/addStatus"))
        .header("origin", "http://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://app.example"
    );
    assert_eq!(
        preflight.headers()["access-control-allow-credentials"],
        "true"
    );

    let actual = client()
        .get(app.url("/healthz"))
        .header("origin", "http://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        actual.headers()["access-control-allow-origin"],
        "http://app.example"
    );
    let exposed = actual.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("retry-after") && exposed.contains("x-request-id"),
        "{exposed}"
    );

    let foreign = client()
        .get(app.url("/healthz"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 200);
    assert!(
        !foreign
            .headers()
            .contains_key("access-control-allow-origin")
    );
    let foreign_preflight = client()
        .request(reqwest::Method::OPTIONS, app.url("/addStatus"))
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        !foreign_preflight
            .headers()
            .contains_key("access-control-allow-origin")
    );
    let status = foreign_preflight.status().as_u16();
    problem(
        foreign_preflight,
        status,
        if status == 405 {
            "method-not-allowed"
        } else {
            "bad-request"
        },
    )
    .await;
}

#[tokio::test]
async fn without_allowed_origins_nobody_gets_cors_headers() {
    let app = spawn_app_with(&[]).await;
    let response = client()
        .get(app.url("/healthz"))
        .header("origin", "http://app.example")
        .send()
        .await
        .unwrap();
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = spawn_app_with(&[("COOKIE_SECURE", "true")]).await;
    for response in [
        app.get("/healthz").await,
        app.get("/nowhere").await,
        app.me().await,
    ] {
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["strict-transport-security"], "max-age=31536000");
    }
    let plain = spawn_app_with(&[]).await;
    assert!(
        !plain
            .get("/healthz")
            .await
            .headers()
            .contains_key("strict-transport-security")
    );
}
