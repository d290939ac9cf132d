//! /register, /login, /checkemail and /me.

use mysql_async::prelude::*;
use serde_json::json;

use crate::helpers::{PASSWORD, json_of, problem, spawn_app, spawn_app_with, unique_email};

#[tokio::test]
async fn register_returns_the_user_and_logs_in() {
    let app = spawn_app().await;
    let email = unique_email();
    let response = app.register_with(&email, PASSWORD, "  Ada Lovelace ").await;
    let user = json_of(response, 201).await;
    assert!(user["id"].as_u64().unwrap() >= 1);
    assert_eq!(user["email"], email);
    assert_eq!(user["name"], "Ada Lovelace");
    let created_at = user["created_at"].as_str().unwrap();
    assert_eq!(created_at.len(), 20, "RFC 3339 UTC seconds: {created_at}");
    assert!(created_at.ends_with('Z'));
    let keys: Vec<&str> = user
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        5,
        "only id, email, name, created_at, email_verified: {keys:?}"
    );
    assert_eq!(user["email_verified"], false, "a new account is unverified");

    assert_eq!(json_of(app.me().await, 200).await, user);
}

#[tokio::test]
async fn the_password_is_stored_as_a_bcrypt_hash_at_the_configured_cost() {
    let app = spawn_app_with(&[("BCRYPT_COST", "5")]).await;
    let email = app.signed_up().await;
    let mut db = app.db().await;
    let hash: String = db
        .exec_first("SELECT password_hash FROM users WHERE email = ?", (email,))
        .await
        .unwrap()
        .unwrap();
    assert!(hash.starts_with("$2b$05$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test]
async fn emails_are_one_account_whatever_their_case() {
    let app = spawn_app().await;
    let user = json_of(app.register("Mixed.Case@Example.COM").await, 201).await;
    assert_eq!(user["email"], "mixed.case@example.com");

    let again = app.register("mixed.case@example.com").await;
    problem(again, 409, "email-taken").await;

    let other = app.new_browser();
    assert_eq!(
        other
            .login("MIXED.CASE@example.com", PASSWORD)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_fullwidth_look_alike_domain_is_the_same_account() {
    let app = spawn_app().await;
    let alice = json_of(app.register("alice@example.com").await, 201).await;

    let check = json_of(app.check_email("Alice@ＥＸＡＭＰＬＥ.com").await, 200).await;
    assert_eq!(
        check,
        json!({"email": "alice@example.com", "available": false})
    );
    problem(
        app.register("alice@ｅｘａｍｐｌｅ.com").await,
        409,
        "email-taken",
    )
    .await;
    let login = app
        .new_browser()
        .login("alice@ｅｘａｍｐｌｅ.com", PASSWORD)
        .await;
    assert_eq!(json_of(login, 200).await["id"], alice["id"]);
}

#[tokio::test]
async fn international_domains_are_stored_and_echoed_in_ascii() {
    let app = spawn_app().await;
    let check = json_of(app.check_email("Hans@Straße.de").await, 200).await;
    assert_eq!(
        check,
        json!({"email": "hans@xn--strae-oqa.de", "available": true})
    );
    let user = json_of(app.register("hans@straße.de").await, 201).await;
    assert_eq!(user["email"], "hans@xn--strae-oqa.de");
    problem(
        app.register("hans@xn--strae-oqa.de").await,
        409,
        "email-taken",
    )
    .await;
    // Non-transitional, as browsers: `ß` is not `ss`.
    assert_eq!(app.register("hans@strasse.de").await.status(), 201);
}

#[tokio::test]
async fn accented_emails_are_not_folded_together() {
    let app = spawn_app().await;
    assert_eq!(app.register("jose@exámple.com").await.status(), 201);
    assert_eq!(app.register("jose@example.com").await.status(), 201);
    assert_eq!(app.register("JOSE@EXÁMPLE.COM").await.status(), 409);
}

#[tokio::test]
async fn eight_concurrent_registrations_of_one_email_give_exactly_one_account() {
    let app = spawn_app_with(&[("HASH_CONCURRENCY", "8")]).await;
    let email = unique_email();
    let statuses = app
        .statuses_at_once(8, |racer| {
            let email = email.clone();
            async move { racer.register_with(&email, PASSWORD, "Racer").await }
        })
        .await;
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
}

#[tokio::test]
async fn registration_names_every_invalid_field_at_once() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/register",
            &json!({"email": "not-an-email", "password": 12345678, "nmae": "typo"}),
        )
        .await;
    let body = problem(response, 422, "validation").await;
    let errors = body["errors"].as_object().unwrap();
    let mut fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["email", "name", "nmae", "password"]);
    assert_eq!(errors["name"], json!(["is required"]));
    assert_eq!(errors["password"], json!(["must be a string"]));
    assert_eq!(errors["nmae"], json!(["is not a known field"]));
}

#[tokio::test]
async fn password_rules_are_enforced() {
    let app = spawn_app().await;
    let email = unique_email();
    let cases = [
        ("short", "at least 8 bytes"),
        ("Password", "common"),
        ("BASEBALL", "common"),
    ];
    for (password, expected) in cases {
        let response = app.register_with(&email, password, "N").await;
        let body = problem(response, 422, "validation").await;
        let message = body["errors"]["password"][0].as_str().unwrap();
        assert!(message.contains(expected), "{password}: {message}");
    }
    let same_as_email = email.to_uppercase();
    let response = app.register_with(&email, &same_as_email, "N").await;
    let body = problem(response, 422, "validation").await;
    assert!(
        body["errors"]["password"][0]
            .as_str()
            .unwrap()
            .contains("email")
    );
}

#[tokio::test]
async fn passwords_may_be_72_bytes_and_not_one_more() {
    let app = spawn_app().await;
    // 24 × 3 bytes: 72 bytes in 24 characters.
    let at_limit = "€".repeat(24);
    let email = unique_email();
    let response = app.register_with(&email, &at_limit, "N").await;
    assert_eq!(response.status(), 201);
    assert_eq!(app.login(&email, &at_limit).await.status(), 200);

    let over = format!("{at_limit}x");
    let response = app.register_with(&unique_email(), &over, "N").await;
    let body = problem(response, 422, "validation").await;
    assert!(
        body["errors"]["password"][0]
            .as_str()
            .unwrap()
            .contains("72 bytes")
    );
}

#[tokio::test]
async fn a_password_is_never_truncated_at_login() {
    let app = spawn_app().await;
    let exact = "k".repeat(72);
    let email = unique_email();
    let registered = app.register_with(&email, &exact, "N").await;
    assert_eq!(registered.status(), 201, "a 72-byte password is accepted");
    // bcrypt reads only 72 bytes: a longer guess sharing them must not pass.
    let longer = format!("{exact}-suffix");
    let guess = app.new_browser().login(&email, &longer).await;
    problem(guess, 401, "invalid-credentials").await;
    let owner = app.new_browser().login(&email, &exact).await;
    assert_eq!(owner.status(), 200, "the exact password logs in");
}

#[tokio::test]
async fn passwords_are_not_trimmed() {
    let app = spawn_app().await;
    let email = unique_email();
    let padded = "  spaced out words  ";
    app.register_with(&email, padded, "N").await;
    problem(
        app.login(&email, padded.trim()).await,
        401,
        "invalid-credentials",
    )
    .await;
    assert_eq!(app.login(&email, padded).await.status(), 200);
}

#[tokio::test]
async fn field_lengths_are_counted_on_the_raw_value() {
    let app = spawn_app().await;
    let name_64 = "n".repeat(64);
    let ok = app.register_with(&unique_email(), PASSWORD, &name_64).await;
    assert_eq!(ok.status(), 201);
    // 63 characters and two spaces: 65 as sent, though 63 once trimmed.
    let padded = format!(" {} ", "n".repeat(63));
    let response = app.register_with(&unique_email(), PASSWORD, &padded).await;
    let body = problem(response, 422, "validation").await;
    assert!(body["errors"]["name"].is_array());

    let long_email = format!("{}@example.com", "a".repeat(243));
    assert_eq!(long_email.chars().count(), 255);
    let response = app.register_with(&long_email, PASSWORD, "N").await;
    let body = problem(response, 422, "validation").await;
    assert!(body["errors"]["email"].is_array());
}

#[tokio::test]
async fn names_reject_control_characters_and_blank_values() {
    let app = spawn_app().await;
    for name in ["tab\there", "   ", ""] {
        let response = app.register_with(&unique_email(), PASSWORD, name).await;
        let body = problem(response, 422, "validation").await;
        assert!(body["errors"]["name"].is_array(), "{name:?}");
    }
}

#[tokio::test]
async fn login_returns_the_user() {
    let app = spawn_app().await;
    let email = app.signed_up().await;
    let other = app.new_browser();
    let response = other.login(&email, PASSWORD).await;
    let user = json_of(response, 200).await;
    assert_eq!(user["email"], email);
    assert_eq!(user["name"], "Test User");
    assert_eq!(other.me().await.status(), 200);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    let email = app.signed_up().await;
    let wrong_password = problem(
        app.login(&email, "not the password").await,
        401,
        "invalid-credentials",
    )
    .await;
    let unknown_email = problem(
        app.login(&unique_email(), PASSWORD).await,
        401,
        "invalid-credentials",
    )
    .await;
    assert_eq!(wrong_password, unknown_email);
}

/// An unknown email still costs a bcrypt verification: with one hashing
/// slot and a full queue, logins for unknown emails are turned away too.
#[tokio::test]
async fn unknown_emails_go_through_the_hasher_and_a_full_queue_answers_503() {
    let app = spawn_app_with(&[("HASH_CONCURRENCY", "1"), ("BCRYPT_COST", "10")]).await;
    let attempts = app
        .at_once(20, |stranger| async move {
            stranger.login(&unique_email(), PASSWORD).await
        })
        .await;
    let mut busy = 0;
    let mut rejected = 0;
    for response in attempts {
        match response.status().as_u16() {
            401 => rejected += 1,
            503 => {
                assert!(response.headers().contains_key("retry-after"));
                problem(response, 503, "unavailable").await;
                busy += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(busy > 0, "a full hashing queue must turn logins away");
    assert!(
        rejected >= 5,
        "one running and four queued are served: {rejected}"
    );
}

#[tokio::test]
async fn login_rehashes_a_password_stored_at_another_cost() {
    let app = spawn_app_with(&[("BCRYPT_COST", "5")]).await;
    let email = app.signed_up().await;
    let mut db = app.db().await;
    let old = bcrypt::hash(PASSWORD, 4).unwrap();
    db.exec_drop(
        "UPDATE users SET password_hash = ? WHERE email = ?",
        (&old, &email),
    )
    .await
    .unwrap();
    assert_eq!(app.login(&email, PASSWORD).await.status(), 200);
    let hash: String = db
        .exec_first("SELECT password_hash FROM users WHERE email = ?", (&email,))
        .await
        .unwrap()
        .unwrap();
    assert!(hash.starts_with("$2b$05$"), "{hash}");
}

#[tokio::test]
async fn login_validates_its_fields() {
    let app = spawn_app().await;
    let response = app
        .post_json("/login", &json!({"email": "nobody", "extra": true}))
        .await;
    let body = problem(response, 422, "validation").await;
    let errors = body["errors"].as_object().unwrap();
    assert!(
        errors.contains_key("email")
            && errors.contains_key("password")
            && errors.contains_key("extra")
    );
}

#[tokio::test]
async fn checkemail_says_whether_an_email_is_free() {
    let app = spawn_app().await;
    let email = app.signed_up().await;
    let taken = json_of(app.check_email(&email.to_uppercase()).await, 200).await;
    assert_eq!(taken, json!({"email": email, "available": false}));
    let fresh = unique_email();
    let padded = format!(" {} ", fresh.to_uppercase());
    let free = json_of(app.check_email(&padded).await, 200).await;
    assert_eq!(free, json!({"email": fresh, "available": true}));
    problem(app.check_email("nope").await, 422, "validation").await;
}

#[tokio::test]
async fn me_without_a_session_is_401() {
    let app = spawn_app().await;
    problem(app.me().await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn registrations_at_the_same_moment_all_succeed() {
    // Each one issues its account's first verification token: looking for
    // older ones to void would lock the index gap every other registration
    // inserts into, and deadlocks answered some of these with 503.
    let app = spawn_app_with(&[("HASH_CONCURRENCY", "8")]).await;
    let registering = (0..16).map(|_| {
        let browser = app.new_browser();
        async move { browser.register(&unique_email()).await.status() }
    });
    let statuses = futures_util::future::join_all(registering).await;
    assert!(statuses.iter().all(|status| *status == 201), "{statuses:?}");
}
