//! /addStatus, /fetchStatus and DELETE /statuses/{id}.

use mysql_async::prelude::Queryable;
use serde_json::{Value, json};

use crate::helpers::{Browser, json_of, problem, spawn_app};

async fn page(app: &Browser, query: &str) -> Value {
    json_of(app.fetch_status(query).await, 200).await
}

fn ids(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_u64().unwrap())
        .collect()
}

async fn post_many(app: &Browser, count: usize) -> Vec<u64> {
    let mut ids = Vec::new();
    for n in 0..count {
        let status = json_of(app.add_status(&format!("status {n}")).await, 201).await;
        ids.push(status["id"].as_u64().unwrap());
    }
    ids
}

#[tokio::test]
async fn add_status_returns_the_stored_status() {
    let app = spawn_app().await;
    app.signed_up().await;
    let status = json_of(app.add_status("  Hello, world!\nSecond line  ").await, 201).await;
    assert_eq!(status["text"], "Hello, world!\nSecond line");
    assert!(status["id"].as_u64().unwrap() >= 1);
    assert!(status["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(status.as_object().unwrap().len(), 3);
    let listed = page(&app, "").await;
    assert_eq!(listed["items"][0], status);
}

#[tokio::test]
async fn emoji_and_other_scripts_round_trip_exactly() {
    let app = spawn_app().await;
    app.signed_up().await;
    let text = "🎉 Ünïcödé — 你好, мир 👩‍👩‍👧 🏳️‍🌈";
    let stored = json_of(app.add_status(text).await, 201).await;
    assert_eq!(stored["text"], text);
    assert_eq!(page(&app, "").await["items"][0]["text"], text);
}

#[tokio::test]
async fn text_length_is_counted_in_characters_on_the_raw_value() {
    let app = spawn_app().await;
    app.signed_up().await;
    let longest = "🎉".repeat(500);
    let stored = json_of(app.add_status(&longest).await, 201).await;
    assert_eq!(stored["text"], longest);
    let response = app.add_status(&format!("{} ", "a".repeat(500))).await;
    let body = problem(response, 422, "validation").await;
    assert!(body["errors"]["text"][0].as_str().unwrap().contains("500"));
}

#[tokio::test]
async fn text_rejects_blank_values_and_control_characters_but_newlines() {
    let app = spawn_app().await;
    app.signed_up().await;
    for text in ["", "   \n  ", "tab\tinside", "cr\r\nlf", "bell\u{7}"] {
        let body = problem(app.add_status(text).await, 422, "validation").await;
        assert!(body["errors"]["text"].is_array(), "{text:?}");
    }
    let body = problem(
        app.post_json("/addStatus", &json!({"text": 42, "mood": "happy"}))
            .await,
        422,
        "validation",
    )
    .await;
    assert_eq!(body["errors"]["text"], json!(["must be a string"]));
    assert_eq!(body["errors"]["mood"], json!(["is not a known field"]));
}

#[tokio::test]
async fn statuses_need_a_session() {
    let app = spawn_app().await;
    problem(app.add_status("hi").await, 401, "unauthenticated").await;
    problem(app.fetch_status("").await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn pages_run_newest_first_with_a_cursor() {
    let app = spawn_app().await;
    app.signed_up().await;
    let posted = post_many(&app, 5).await;
    let newest_first: Vec<u64> = posted.iter().rev().copied().collect();

    let first = page(&app, "?limit=2").await;
    assert_eq!(ids(&first), newest_first[0..2]);
    assert_eq!(first["next_before"], newest_first[1]);
    let second = page(&app, &format!("?limit=2&before={}", first["next_before"])).await;
    assert_eq!(ids(&second), newest_first[2..4]);
    let third = page(&app, &format!("?limit=2&before={}", second["next_before"])).await;
    assert_eq!(ids(&third), newest_first[4..5]);
    assert_eq!(third["next_before"], Value::Null);
}

#[tokio::test]
async fn next_before_is_null_exactly_when_nothing_older_exists() {
    let app = spawn_app().await;
    app.signed_up().await;
    let empty = page(&app, "").await;
    assert_eq!(empty, json!({"items": [], "next_before": null}));

    let posted = post_many(&app, 4).await;
    // Exactly the last page's worth remains: no older status, so null.
    let second = page(&app, &format!("?limit=2&before={}", posted[2])).await;
    assert_eq!(ids(&second), [posted[1], posted[0]]);
    assert_eq!(second["next_before"], Value::Null);
    let whole = page(&app, "?limit=4").await;
    assert_eq!(whole["next_before"], Value::Null);
    let before_oldest = page(&app, &format!("?before={}", posted[0])).await;
    assert_eq!(before_oldest, json!({"items": [], "next_before": null}));
}

#[tokio::test]
async fn the_default_page_holds_twenty() {
    let app = spawn_app().await;
    app.signed_up().await;
    let posted = post_many(&app, 21).await;
    let first = page(&app, "?unknown=ignored").await;
    assert_eq!(ids(&first).len(), 20);
    assert_eq!(first["next_before"], posted[1]);
    let hundred = page(&app, "?limit=100").await;
    assert_eq!(ids(&hundred).len(), 21);
}

#[tokio::test]
async fn bad_paging_parameters_are_422_naming_them() {
    let app = spawn_app().await;
    app.signed_up().await;
    for (query, field) in [
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?limit=abc", "limit"),
        ("?limit=", "limit"),
        ("?before=0", "before"),
        ("?before=-1", "before"),
        ("?before=1.5", "before"),
    ] {
        let body = problem(app.fetch_status(query).await, 422, "validation").await;
        assert!(body["errors"][field].is_array(), "{query}: {body}");
    }
    let both = problem(
        app.fetch_status("?limit=0&before=0").await,
        422,
        "validation",
    )
    .await;
    assert!(both["errors"]["limit"].is_array() && both["errors"]["before"].is_array());
}

#[tokio::test]
async fn users_see_only_their_own_statuses() {
    let app = spawn_app().await;
    app.signed_up().await;
    app.add_status("alice's secret").await;
    let bob = app.new_browser();
    bob.signed_up().await;
    assert_eq!(page(&bob, "").await["items"], json!([]));
    bob.add_status("bob's").await;
    let alice_page = page(&app, "").await;
    assert_eq!(alice_page["items"].as_array().unwrap().len(), 1);
    assert_eq!(alice_page["items"][0]["text"], "alice's secret");
}

#[tokio::test]
async fn a_deleted_status_vanishes_and_paging_continues_across_the_gap() {
    let app = spawn_app().await;
    app.signed_up().await;
    let posted = post_many(&app, 5).await;
    let newest_first: Vec<u64> = posted.iter().rev().copied().collect();
    let first = page(&app, "?limit=2").await;
    assert_eq!(ids(&first), newest_first[0..2]);

    // The cursor's own status and the next one go.
    for id in &newest_first[1..3] {
        let response = app.delete_status(&id.to_string()).await;
        assert_eq!(response.status(), 204);
        assert!(response.bytes().await.unwrap().is_empty());
    }
    let second = page(&app, &format!("?limit=2&before={}", first["next_before"])).await;
    assert_eq!(ids(&second), newest_first[3..5]);
    assert_eq!(second["next_before"], Value::Null);
    let everything = page(&app, "").await;
    assert_eq!(
        ids(&everything),
        [newest_first[0], newest_first[3], newest_first[4]]
    );
}

/// Status, body and headers of an answer, less what differs per request.
async fn answer(response: reqwest::Response) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let status = response.status().as_u16();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "x-request-id" | "date"))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn another_users_status_and_no_status_get_the_same_404() {
    let app = spawn_app().await;
    app.signed_up().await;
    let alices = json_of(app.add_status("alice's").await, 201).await["id"]
        .as_u64()
        .unwrap();
    let bob = app.new_browser();
    bob.signed_up().await;
    let bobs = json_of(bob.add_status("bob's").await, 201).await["id"]
        .as_u64()
        .unwrap();
    assert_eq!(bob.delete_status(&bobs.to_string()).await.status(), 204);

    let anothers = answer(bob.delete_status(&alices.to_string()).await).await;
    assert_eq!(anothers.0, 404);
    let not_found = problem(
        bob.delete_status(&alices.to_string()).await,
        404,
        "not-found",
    )
    .await;
    assert!(!not_found.to_string().contains(&alices.to_string()));
    for id in [
        (alices + 1000).to_string(),
        bobs.to_string(),
        "0".to_owned(),
        "-1".to_owned(),
        "abc".to_owned(),
        "9223372036854775808".to_owned(),
    ] {
        assert_eq!(answer(bob.delete_status(&id).await).await, anothers, "{id}");
    }
    assert_eq!(ids(&page(&app, "").await), [alices], "alice's status stays");
}

#[tokio::test]
async fn deleting_needs_a_session_and_a_same_site_origin() {
    let app = spawn_app().await;
    problem(app.delete_status("1").await, 401, "unauthenticated").await;
    problem(app.delete_status("abc").await, 401, "unauthenticated").await;
    app.signed_up().await;
    let id = json_of(app.add_status("mine").await, 201).await["id"]
        .as_u64()
        .unwrap();
    let response = app
        .client
        .delete(app.url(&format!("/statuses/{id}")))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    problem(response, 403, "forbidden-origin").await;
    assert_eq!(ids(&page(&app, "").await), [id]);
}

/// Index entries MySQL has stepped back over, server-wide.
async fn backward_index_reads(db: &mut mysql_async::Conn) -> u64 {
    let row: Option<(String, u64)> = db
        .query_first("SHOW GLOBAL STATUS LIKE 'Handler_read_prev'")
        .await
        .unwrap();
    row.unwrap().1
}

#[tokio::test]
async fn a_page_deep_in_a_long_history_reads_only_that_page() {
    let app = spawn_app().await;
    app.signed_up().await;
    let mut db = app.db().await;
    // 10,000 statuses, ids 1 to 10,000 in a fresh table: n runs over the
    // four-digit numbers made from four copies of the digits.
    let digits = "(SELECT 0 d UNION SELECT 1 UNION SELECT 2 UNION SELECT 3 UNION SELECT 4 \
                  UNION SELECT 5 UNION SELECT 6 UNION SELECT 7 UNION SELECT 8 UNION SELECT 9)";
    db.query_drop(format!(
        "INSERT INTO statuses (user_id, text, created_at) \
         SELECT (SELECT id FROM users), CONCAT('status ', n), NOW(6) FROM \
         (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d AS n \
          FROM {digits} a, {digits} b, {digits} c, {digits} e) numbers \
         ORDER BY n"
    ))
    .await
    .unwrap();
    db.query_drop("ANALYZE TABLE statuses").await.unwrap();

    // Left to itself, MariaDB walks this user's statuses from the newest
    // down to the cursor (~6,000 entries here) instead of seeking to it.
    let before = backward_index_reads(&mut db).await;
    let deep = page(&app, "?limit=20&before=4000").await;
    let read = backward_index_reads(&mut db).await - before;

    assert_eq!(ids(&deep), (3980..4000).rev().collect::<Vec<u64>>());
    // About one page; the margin is for other tests' queries meanwhile.
    assert!(read < 1_000, "{read} index entries read for a page of 20");
}
