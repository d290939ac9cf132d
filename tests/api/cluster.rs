//! The service on a Redis Cluster of the test's own: a primary killed
//! while its user logs in and out, a slot moved while its user works, and
//! the hash tag of every key the service writes.

use std::cell::RefCell;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use reqwest::header::HeaderMap;

use crate::helpers::{
    Browser, PASSWORD, PrivateCluster, TestApp, json_of, node, problem, session_pair,
    spawn_app_with, start, tag_problem, unique_email,
};

/// Limits off, so that a loop of logins or registrations is never refused.
const LIMITS_OFF: [(&str, &str); 3] = [
    ("LOGIN_FAILURE_LIMIT", "off"),
    ("LOGIN_IP_LIMIT", "off"),
    ("REGISTER_IP_LIMIT", "off"),
];

/// The app on `cluster`, giving up on Redis after a second, as a
/// deployment would rather than hang while a slot has no primary.
async fn app_on(cluster: &PrivateCluster, overrides: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![
        ("REDIS_CLUSTER_URLS", cluster.urls()),
        ("DEPENDENCY_TIMEOUT_MS", "1000"),
    ];
    settings.extend_from_slice(overrides);
    spawn_app_with(&settings).await
}

/// A signed-up user with their own browser, logged in.
struct User {
    browser: Browser,
    email: String,
    id: u64,
}

async fn sign_up(app: &TestApp) -> User {
    let browser = app.new_browser();
    let email = unique_email();
    let account = json_of(browser.register(&email).await, 201).await;
    User {
        browser,
        email,
        id: account["id"].as_u64().expect("an id"),
    }
}

/// The public id of the session `browser` is logged in with.
async fn current_session_id(browser: &Browser) -> String {
    browser
        .listed_sessions()
        .await
        .into_iter()
        .find(|item| item["current"] == true)
        .expect("the current session")["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// The hash tag every key of a user's sessions carries.
fn user_tag(id: u64) -> String {
    format!("{{user:{id}}}")
}

/// One call the test made: when it was sent and answered, its status and,
/// if the server failed, what the body said.
struct Answer {
    call: &'static str,
    began: Instant,
    ended: Instant,
    status: u16,
    detail: String,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (call, status, detail) = (self.call, self.status, &self.detail);
        let took = self.ended - self.began;
        write!(
            formatter,
            "{call} {status} in {took:?} at {:?} {detail}",
            self.ended
        )
    }
}

impl Answer {
    fn overlaps(&self, from: Instant, to: Instant) -> bool {
        self.began < to && self.ended > from
    }
}

/// The answers the loops of a test saw, in the order they came.
#[derive(Default)]
struct Answers(RefCell<Vec<Answer>>);

impl Answers {
    /// Sends `request` and notes its answer; its status and headers.
    async fn note(
        &self,
        call: &'static str,
        request: impl Future<Output = reqwest::Response>,
    ) -> (u16, HeaderMap) {
        let began = Instant::now();
        let response = request.await;
        let ended = Instant::now();
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        let body = response.text().await.unwrap_or_default();
        self.0.borrow_mut().push(Answer {
            call,
            began,
            ended,
            status,
            detail: if status >= 500 { body } else { String::new() },
        });
        (status, headers)
    }

    fn into_inner(self) -> Vec<Answer> {
        self.0.into_inner()
    }
}

/// GET /me until `running` ends.
async fn keep_reading(browser: &Browser, running: &AtomicBool, answers: &Answers) {
    while running.load(Ordering::Relaxed) {
        answers.note("bystander GET /me", browser.me()).await;
    }
}

#[tokio::test]
async fn a_primary_killed_mid_logout_loop_fails_over_reviving_nothing_and_sparing_other_slots() {
    let mut cluster = PrivateCluster::start().await;
    let app = app_on(&cluster, &LIMITS_OFF).await;
    let mut users = Vec::new();
    for _ in 0..6 {
        users.push(sign_up(&app).await);
    }
    let doomed = users.remove(0);
    let doomed_primary = cluster
        .primary_for(cluster.slot_of(&user_tag(doomed.id)).await)
        .await;
    let mut bystanders = Vec::new();
    for user in users {
        let primary = cluster
            .primary_for(cluster.slot_of(&user_tag(user.id)).await)
            .await;
        if primary.id != doomed_primary.id {
            bystanders.push(user);
        }
    }
    assert!(!bystanders.is_empty(), "users on other primaries");

    let running = AtomicBool::new(true);
    // Cycles of the doomed user's loop in a row that fully succeeded.
    let clean_cycles = AtomicUsize::new(0);
    let answers = Answers::default();
    // The cookies of sessions whose logout was answered 204.
    let mut ended = Vec::new();

    let logging_in_and_out = async {
        while running.load(Ordering::Relaxed) {
            let login = doomed.browser.login(&doomed.email, PASSWORD);
            let (status, headers) = answers.note("doomed POST /login", login).await;
            if status != 200 {
                clean_cycles.store(0, Ordering::Relaxed);
                continue;
            }
            let cookie = session_pair(&headers).expect("a session cookie");
            let logout = doomed.browser.logout();
            if answers.note("doomed POST /logout", logout).await.0 == 204 {
                ended.push(cookie);
                clean_cycles.fetch_add(1, Ordering::Relaxed);
            } else {
                clean_cycles.store(0, Ordering::Relaxed);
            }
        }
    };
    let readers = futures_util::future::join_all(
        bystanders
            .iter()
            .map(|user| keep_reading(&user.browser, &running, &answers)),
    );
    let failing_over = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let killed_at = Instant::now();
        cluster.kill(doomed_primary.port).await;
        cluster
            .wait_for_failover(&doomed_primary, Duration::from_secs(20))
            .await;
        let promoted_at = Instant::now();
        // Without a restart the app finds the promoted replica.
        let deadline = Instant::now() + Duration::from_secs(15);
        while clean_cycles.load(Ordering::Relaxed) < 10 {
            assert!(
                Instant::now() < deadline,
                "the doomed user's logins and logouts did not recover after the failover"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        running.store(false, Ordering::Relaxed);
        (killed_at, promoted_at)
    };
    let (_, _, (killed_at, promoted_at)) = tokio::join!(logging_in_and_out, readers, failing_over);

    let answers = answers.into_inner();
    let bystander = |answer: &&Answer| answer.call.starts_with("bystander");
    let wrong: Vec<_> = answers
        .iter()
        .filter(bystander)
        .filter(|answer| answer.status != 200)
        .collect();
    assert!(
        wrong.is_empty(),
        "other slots failed (killed at {killed_at:?}): {wrong:?}"
    );
    let read_during = answers
        .iter()
        .filter(bystander)
        .filter(|answer| answer.overlaps(killed_at, promoted_at))
        .count();
    assert!(
        read_during > 0,
        "other slots read while the primary was down"
    );
    // The doomed slot may be unavailable for a while, never anything else.
    let doomed_wrong: Vec<_> = answers
        .iter()
        .filter(|answer| !bystander(answer))
        .filter(|answer| ![200, 204, 503].contains(&answer.status))
        .collect();
    assert!(doomed_wrong.is_empty(), "{doomed_wrong:?}");
    // Unavailable for a while, but no call hangs: each Redis call is
    // bounded by DEPENDENCY_TIMEOUT_MS (1 s here), and a login makes a few.
    let slow: Vec<_> = answers
        .iter()
        .filter(|answer| answer.ended - answer.began > Duration::from_secs(5))
        .collect();
    assert!(slow.is_empty(), "calls that hung: {slow:?}");
    let ended_before_kill = answers
        .iter()
        .filter(|answer| answer.call == "doomed POST /logout" && answer.status == 204)
        .filter(|answer| answer.ended < killed_at)
        .count();
    assert!(ended_before_kill > 0, "sessions ended before the kill");

    let mut revived = Vec::new();
    for cookie in &ended {
        let status = app.browser_with_cookie(cookie).me().await.status();
        if status != 401 {
            revived.push((cookie, status));
        }
    }
    assert!(
        revived.is_empty(),
        "{} of {} ended sessions answered otherwise than 401: {revived:?}",
        revived.len(),
        ended.len()
    );
}

/// A write that ends sessions waits for the replica of its primary: while
/// the replica cannot confirm (paused, connected but silent), a revocation,
/// a logout and the logout's retry are all `503`, though the sessions have
/// ended on the primary, and so is the retry through another instance
/// (whose delete finds nothing); once the replica holds the end, the retry
/// is `204`. Without the wait each would be answered at once, and a
/// failover in that window would bring the sessions back.
#[tokio::test]
async fn an_end_no_replica_confirmed_is_503_and_so_is_its_retry_until_it_is() {
    let mut cluster = PrivateCluster::start().await;
    let app = app_on(&cluster, &LIMITS_OFF).await;
    let user = sign_up(&app).await;
    let login = app.new_browser().login(&user.email, PASSWORD).await;
    assert_eq!(login.status(), 200);
    let cookie = session_pair(login.headers()).expect("a session cookie");
    let elsewhere = app.new_browser();
    assert_eq!(elsewhere.login(&user.email, PASSWORD).await.status(), 200);
    let elsewhere_id = current_session_id(&elsewhere).await;
    let primary = cluster
        .primary_for(cluster.slot_of(&user_tag(user.id)).await)
        .await;
    let replica = cluster.replica_of(&primary).await;
    let (second_address, second_instance) = start(app.settings.clone())
        .await
        .expect("a second instance starts");
    let mut through_second = app.browser_with_cookie(&cookie);
    through_second.address = format!("http://{second_address}");

    cluster.pause(replica).await;
    let revocation = user.browser.revoke_session(&elsewhere_id).await;
    let logout = app.browser_with_cookie(&cookie).logout().await;
    let retried = app.browser_with_cookie(&cookie).logout().await;
    let retried_elsewhere = through_second.logout().await;
    let ended_meanwhile = (
        elsewhere.me().await.status().as_u16(),
        app.browser_with_cookie(&cookie)
            .me()
            .await
            .status()
            .as_u16(),
    );
    cluster.resume(replica).await;

    problem(revocation, 503, "unavailable").await;
    problem(logout, 503, "unavailable").await;
    problem(retried, 503, "unavailable").await;
    problem(retried_elsewhere, 503, "unavailable").await;
    assert_eq!(ended_meanwhile, (401, 401), "ended on the primary");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = app.browser_with_cookie(&cookie).logout().await.status();
        if status == 204 {
            break;
        }
        assert_eq!(status, 503, "a logout retried as the replica catches up");
        assert!(
            Instant::now() < deadline,
            "the replica never confirmed the end"
        );
    }
    assert_eq!(app.browser_with_cookie(&cookie).me().await.status(), 401);
    assert_eq!(user.browser.me().await.status(), 200, "the revoker's own");
    second_instance.stop(false).await;
}

/// A login past `MAX_SESSIONS_PER_USER` ends the least recently seen
/// session, and waits for the replica like any other end: `503` while it
/// cannot confirm, the eviction done on the primary all the same. A login
/// that ends nothing does not wait.
#[tokio::test]
async fn a_login_that_evicts_waits_for_the_replica_and_one_that_does_not_never_does() {
    let mut cluster = PrivateCluster::start().await;
    let mut settings = LIMITS_OFF.to_vec();
    settings.push(("MAX_SESSIONS_PER_USER", "2"));
    let app = app_on(&cluster, &settings).await;
    let user = sign_up(&app).await;
    let primary = cluster
        .primary_for(cluster.slot_of(&user_tag(user.id)).await)
        .await;
    let replica = cluster.replica_of(&primary).await;

    cluster.pause(replica).await;
    let second = app.new_browser();
    let within_the_cap = second.login(&user.email, PASSWORD).await.status();
    let third = app.new_browser();
    let past_the_cap = third.login(&user.email, PASSWORD).await;
    let oldest = user.browser.me().await.status();
    cluster.resume(replica).await;

    assert_eq!(within_the_cap, 200, "a login that ends nothing");
    problem(past_the_cap, 503, "unavailable").await;
    assert_eq!(oldest, 401, "the least recently seen session ended");
}

/// Logging out every other device while the user's slot is half moved
/// (the index, the epoch and one session on the new node, the others still
/// on the old) ends every other session: the script names each session
/// key, so Redis makes it wait (TRYAGAIN) until the keys are together
/// rather than run it where some are missing, which would leave those
/// sessions alive to move over afterwards.
#[tokio::test]
async fn ending_every_other_session_while_the_slot_is_half_moved_misses_none() {
    let cluster = PrivateCluster::start().await;
    let app = app_on(&cluster, &LIMITS_OFF).await;
    let user = sign_up(&app).await;
    // A first end of every other session, so that the epoch key exists.
    assert_eq!(user.browser.revoke_other_sessions().await.status(), 204);
    let (moved_early, left_behind) = (app.new_browser(), app.new_browser());
    for browser in [&moved_early, &left_behind] {
        assert_eq!(browser.login(&user.email, PASSWORD).await.status(), 200);
    }
    let moved_early_id = current_session_id(&moved_early).await;
    let tag = user_tag(user.id);
    let slot = cluster.slot_of(&tag).await;
    let source = cluster.primary_for(slot).await;
    let target = cluster.another_primary_than(&source).await;
    let prefix = format!("{}{tag}", app.redis_prefix);

    let moving = cluster.begin_slot_move(slot, &target).await;
    moving
        .migrate(&[
            format!("{prefix}:sessions"),
            format!("{prefix}:epoch"),
            format!("{prefix}:session:{moved_early_id}"),
        ])
        .await;
    let (ended, ()) = tokio::join!(user.browser.revoke_other_sessions(), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        moving.finish().await;
    });

    assert_eq!(ended.status(), 204);
    for browser in [&moved_early, &left_behind] {
        assert_eq!(
            browser.me().await.status(),
            401,
            "no other session lives on"
        );
    }
    assert_eq!(user.browser.me().await.status(), 200);
}

/// A node that lost its scripts (restarted, or a replica just promoted) is
/// sent them again, even while another primary and its replica are down:
/// the slots of the healthy primaries go on running scripts.
#[tokio::test]
async fn scripts_are_reloaded_on_a_node_while_another_shard_is_down() {
    let mut cluster = PrivateCluster::start().await;
    let app = app_on(&cluster, &LIMITS_OFF).await;
    let user = sign_up(&app).await;
    let healthy = cluster
        .primary_for(cluster.slot_of(&user_tag(user.id)).await)
        .await;
    let lost = cluster.another_primary_than(&healthy).await;
    let lost_replica = cluster.replica_of(&lost).await;
    cluster.kill(lost_replica).await;
    cluster.kill(lost.port).await;
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut node(&healthy.url()).await.expect("the healthy primary"))
        .await
        .expect("SCRIPT FLUSH");

    let login = app.new_browser().login(&user.email, PASSWORD).await;
    assert_eq!(login.status(), 200, "a login runs a script on its slot");
    assert_eq!(user.browser.listed_sessions().await.len(), 2);
}

/// A primary that hangs (connections open, nothing answered) rather than
/// dies: once its replica has taken over, its slots answer again, with no
/// restart. (A client that only retries a timed-out command on the same
/// node would fail them until restarted.)
#[tokio::test]
#[ignore = "flaky: about one run in six the slot has not recovered after 15 s; run with --ignored"]
async fn a_hung_primary_is_left_behind_once_its_replica_takes_over() {
    let mut cluster = PrivateCluster::start().await;
    let app = app_on(&cluster, &LIMITS_OFF).await;
    let user = sign_up(&app).await;
    let primary = cluster
        .primary_for(cluster.slot_of(&user_tag(user.id)).await)
        .await;

    cluster.pause(primary.port).await;
    let during = user.browser.me().await.status();
    cluster
        .wait_for_failover(&primary, Duration::from_secs(20))
        .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while user.browser.me().await.status() != 200 {
        assert!(
            Instant::now() < deadline,
            "the slot still fails after its replica took over"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for _ in 0..20 {
        assert_eq!(user.browser.me().await.status(), 200, "no later failure");
    }
    assert_eq!(during, 503, "unavailable while it hung");
}

/// The user's calls until `working` ends: GET /me and POST /addStatus,
/// and, with `relogging`, a logout and a login every third round.
async fn keep_working(
    user: &User,
    browser: &Browser,
    relogging: bool,
    working: &AtomicBool,
    answers: &Answers,
) {
    let mut round = 0;
    while working.load(Ordering::Relaxed) {
        round += 1;
        answers.note("GET /me", browser.me()).await;
        let text = format!("status {round}");
        answers
            .note("POST /addStatus", browser.add_status(&text))
            .await;
        if relogging && round % 3 == 0 {
            answers.note("POST /logout", browser.logout()).await;
            answers
                .note("POST /login", browser.login(&user.email, PASSWORD))
                .await;
        }
    }
}

#[tokio::test]
async fn a_slot_moved_step_by_step_while_its_user_works_never_answers_5xx() {
    let cluster = PrivateCluster::start().await;
    let app = app_on(&cluster, &LIMITS_OFF).await;
    let user = sign_up(&app).await;
    // More keys in the slot: other sessions, each in the index; one of
    // them keeps working on its own.
    let elsewhere = app.new_browser();
    for browser in [&elsewhere, &app.new_browser(), &app.new_browser()] {
        assert_eq!(browser.login(&user.email, PASSWORD).await.status(), 200);
    }
    let slot = cluster.slot_of(&user_tag(user.id)).await;
    let source = cluster.primary_for(slot).await;
    let target = cluster.another_primary_than(&source).await;

    let working = AtomicBool::new(true);
    let answers = Answers::default();
    // While the slot is open (from MIGRATING to SETSLOT NODE) Redis refuses
    // with TRYAGAIN any multi-key command that would create a key, such as
    // a login's: the service retries until its deadline. `redis-cli
    // --cluster reshard` keeps a slot of a few keys open for milliseconds;
    // these steps keep it open some hundreds, under the app's deadline,
    // with requests between every two of them.
    let step = Duration::from_millis(50);
    let resharding = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let opened_at = Instant::now();
        let slot_move = cluster.begin_slot_move(slot, &target).await;
        tokio::time::sleep(step).await;
        let mut moved = 0;
        loop {
            let batch = slot_move.migrate_keys(1).await;
            if batch == 0 {
                break;
            }
            moved += batch;
            tokio::time::sleep(step).await;
        }
        slot_move.finish().await;
        let closed_at = Instant::now();
        tokio::time::sleep(Duration::from_millis(300)).await;
        working.store(false, Ordering::Relaxed);
        (moved, opened_at, closed_at)
    };
    let (_, _, (moved, opened_at, closed_at)) = tokio::join!(
        keep_working(&user, &user.browser, true, &working, &answers),
        keep_working(&user, &elsewhere, false, &working, &answers),
        resharding
    );

    let answers = answers.into_inner();
    assert!(moved >= 3, "the slot's keys moved one by one: {moved}");
    let during = answers
        .iter()
        .filter(|answer| answer.overlaps(opened_at, closed_at))
        .count();
    assert!(
        during >= moved,
        "{during} requests while the slot moved in {moved} steps"
    );
    let expected = |call| match call {
        "POST /addStatus" => 201,
        "POST /logout" => 204,
        _ => 200,
    };
    let wrong: Vec<_> = answers
        .iter()
        .filter(|answer| answer.status != expected(answer.call))
        .collect();
    assert!(
        wrong.is_empty(),
        "the slot open from {opened_at:?} to {closed_at:?}: {wrong:?} of {} answers",
        answers.len()
    );
    assert_eq!(cluster.primary_for(slot).await.id, target.id);
    assert_eq!(user.browser.me().await.status(), 200);
}

/// The keys under the app's prefix that `tag_problem` finds wrong, each
/// with what is wrong.
async fn keys_with_tag_problems(app: &TestApp) -> Vec<(String, &'static str)> {
    app.redis_keys()
        .await
        .into_iter()
        .filter_map(|key| {
            let name = key
                .strip_prefix(&app.redis_prefix)
                .expect("under the prefix");
            tag_problem(name).map(|problem| (key.clone(), problem))
        })
        .collect()
}

#[tokio::test]
async fn every_key_the_service_writes_on_a_cluster_carries_one_known_hash_tag() {
    let cluster = PrivateCluster::start().await;
    // The limits on, so that their keys are written too.
    let app = app_on(&cluster, &[]).await;

    // The check finds an untagged key on any primary.
    let mut probes = Vec::new();
    for primary in cluster.primaries().await {
        let mut n = 0;
        let probe = loop {
            let key = format!("{}probe-{n}", app.redis_prefix);
            if cluster.primary_for(cluster.slot_of(&key).await).await.id == primary.id {
                break key;
            }
            n += 1;
        };
        let _: () = app.redis().await.set(&probe, 1).await.unwrap();
        probes.push(probe);
    }
    let mut found: Vec<String> = keys_with_tag_problems(&app)
        .await
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    found.sort();
    probes.sort();
    assert_eq!(found, probes, "each untagged probe, and nothing else");
    for probe in &probes {
        let _: u64 = app.redis().await.del(probe).await.unwrap();
    }

    // Registration, a check of an address, logins.
    let owner = sign_up(&app).await;
    assert_eq!(
        owner.browser.check_email(&unique_email()).await.status(),
        200
    );
    let (second, third) = (app.new_browser(), app.new_browser());
    for browser in [&second, &third] {
        assert_eq!(browser.login(&owner.email, PASSWORD).await.status(), 200);
    }
    // Sessions listed and revoked, one by one and all others.
    let sessions = owner.browser.listed_sessions().await;
    let other = sessions
        .iter()
        .find(|item| item["current"] == false)
        .expect("another session")["id"]
        .as_str()
        .unwrap();
    assert_eq!(owner.browser.revoke_session(other).await.status(), 204);
    assert_eq!(owner.browser.revoke_other_sessions().await.status(), 204);
    // Mail asked for, a logout and a login again.
    assert_eq!(owner.browser.resend_verification().await.status(), 202);
    assert_eq!(
        app.new_browser()
            .forgot_password(&owner.email)
            .await
            .status(),
        202
    );
    assert_eq!(owner.browser.logout().await.status(), 204);
    assert_eq!(
        owner.browser.login(&owner.email, PASSWORD).await.status(),
        200
    );
    // A second user, with two sessions, who stays.
    let keeper = sign_up(&app).await;
    let keeper_elsewhere = app.new_browser();
    assert_eq!(
        keeper_elsewhere
            .login(&keeper.email, PASSWORD)
            .await
            .status(),
        200
    );
    // A failed login last, since a good one from the client forgets it.
    let failed = app.new_browser().login(&keeper.email, "wrong").await;
    assert_eq!(failed.status(), 401);

    let keys = app.redis_keys().await;
    let families = [
        "{user:",
        "{register:",
        "{login-ip:",
        "{login:",
        "{reset:",
        "{reset-mail:",
        "{verify-resend:",
        "{checkemail:",
    ];
    for family in families {
        assert!(
            keys.iter().any(|key| key.contains(family)),
            "no {family} key: {keys:?}"
        );
    }
    assert_eq!(keys_with_tag_problems(&app).await, []);
    // Each listed session's key carries its own user's tag.
    for item in keeper.browser.listed_sessions().await {
        let id = item["id"].as_str().unwrap();
        let key = keys
            .iter()
            .find(|key| key.ends_with(&format!(":session:{id}")))
            .unwrap_or_else(|| panic!("the key of session {id}"));
        assert!(key.contains(&user_tag(keeper.id)), "{key}");
    }
    let users: Vec<String> = [owner.id, keeper.id].map(user_tag).into();
    for key in keys.iter().filter(|key| key.contains("{user:")) {
        assert!(
            users.iter().any(|tag| key.contains(tag)),
            "a key of no user: {key}"
        );
    }

    // An account deleted leaves no key without a proper tag either.
    assert_eq!(owner.browser.delete_account(PASSWORD).await.status(), 204);
    assert_eq!(keys_with_tag_problems(&app).await, []);
}

/// Registers on `app`: the new user and their session cookie.
async fn signed_up_with_cookie(app: &TestApp) -> (User, String) {
    let browser = app.new_browser();
    let email = unique_email();
    let response = browser.register(&email).await;
    let cookie = session_pair(response.headers()).expect("a session cookie");
    let account = json_of(response, 201).await;
    let id = account["id"].as_u64().expect("an id");
    (User { browser, email, id }, cookie)
}

/// `browser` answered 200 by its instance, after a failover maybe.
async fn until_live(browser: &Browser) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while browser.me().await.status() != 200 {
        assert!(
            Instant::now() < deadline,
            "the session never answered again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Logs `user` out through their instance, retried while a failover has
/// the slot answer 503.
async fn logged_out(user: &User) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while user.browser.logout().await.status() != 204 {
        assert!(Instant::now() < deadline, "the logout never succeeded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn copies_on_another_instance_stay_exact_through_a_slot_move_and_a_failover() {
    let mut cluster = PrivateCluster::start().await;
    let a = app_on(&cluster, &LIMITS_OFF).await;
    let b = a.sibling_with_metrics(|_| {}).await;

    // A slot moved whole to another primary, while B holds a copy.
    let (moved, cookie) = signed_up_with_cookie(&a).await;
    let on_b = b.browser_with_cookie(&cookie);
    until_live(&on_b).await;
    let slot = cluster.slot_of(&user_tag(moved.id)).await;
    let source = cluster.primary_for(slot).await;
    let target = cluster.another_primary_than(&source).await;
    cluster.begin_slot_move(slot, &target).await.finish().await;
    b.until_answered_from_a_copy(&on_b).await;
    logged_out(&moved).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(on_b.me().await.status(), 401, "ended after the move");

    // The primary of a slot killed, its replica promoted, while B holds a
    // copy of a session in it.
    let (failed_over, cookie) = signed_up_with_cookie(&a).await;
    let on_b = b.browser_with_cookie(&cookie);
    until_live(&on_b).await;
    let primary = cluster
        .primary_for(cluster.slot_of(&user_tag(failed_over.id)).await)
        .await;
    cluster.kill(primary.port).await;
    cluster
        .wait_for_failover(&primary, Duration::from_secs(20))
        .await;
    until_live(&on_b).await;
    b.until_answered_from_a_copy(&on_b).await;
    logged_out(&failed_over).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(on_b.me().await.status(), 401, "ended after the failover");
}
