//! Several instances behind a real load balancer: two servers sharing one
//! database, one Redis key prefix and one `SESSION_SECRET`, behind Debian's
//! nginx in round robin. A session begun on one instance works, and ends, on
//! the other; rate limits and the session list are shared.
//!
//! Needs `nginx` on PATH (or in /usr/sbin); `make test` installs Debian's
//! `nginx` package when it is missing.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use reqwest::Response;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestDatabase, delete_keys, free_port, in_own_runtime, json_of, problem, random_hex,
    session_pair, start, test_settings, unique_email,
};

/// The load balancer's configuration: the production one in the README
/// plus what a throwaway, unprivileged instance needs (every path in its own
/// directory, a free port) and one test-only header naming the instance that
/// answered. `{dir}`, `{port}` and `{servers}` are filled in.
///
/// `Host $http_host` rather than `$host`: `$host` drops the port, so behind
/// nginx on a non-default port a browser's `Origin` (which has the port)
/// would not match the server's own origin and every POST would get 403.
const NGINX_CONF: &str = r#"
worker_processes 1;
error_log {dir}/error.log warn;

events {
    worker_connections 512;
}

http {
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;

    upstream status_api {
{servers}
        keepalive 16;
    }

    server {
        listen 127.0.0.1:{port};
        client_max_body_size 64k;

        location / {
            proxy_pass http://status_api;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # Test only: which instance answered (every address tried).
            add_header X-Upstream $upstream_addr always;
        }

        # No instance reachable: the contract's 503 problem, not nginx's HTML.
        error_page 502 504 = @unavailable;
        location @unavailable {
            default_type application/problem+json;
            add_header Retry-After 5 always;
            add_header Cache-Control no-store always;
            add_header X-Request-Id $request_id always;
            add_header X-Content-Type-Options nosniff always;
            add_header Referrer-Policy no-referrer always;
            add_header X-Frame-Options DENY always;
            return 503 '{"type":"/problems/unavailable","title":"Service unavailable","status":503,"detail":"No server is reachable; retry later."}';
        }
    }
}
"#;

// --- nginx ---------------------------------------------------------------------

/// An nginx of the test's own: its config, logs, pid and temp files in a
/// temporary directory, on a free port; stopped and removed on drop.
struct Nginx {
    child: Child,
    dir: PathBuf,
    port: u16,
}

fn nginx_binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nginx is not installed: the scale-out tests need it \
                 (`make test` installs it; by hand: apt-get install nginx)"
            )
        })
}

impl Nginx {
    fn start(upstreams: &[SocketAddr]) -> Self {
        let binary = nginx_binary();
        let servers: String = upstreams
            .iter()
            .map(|address| format!("        server {address};\n"))
            .collect();
        let mut last_log = String::new();
        for _attempt in 0..3 {
            let dir = std::env::temp_dir().join(format!("status-api-nginx-{}", random_hex(6)));
            std::fs::create_dir_all(&dir).expect("the nginx directory");
            let port = free_port();
            let conf = NGINX_CONF
                .replace("{dir}", &dir.display().to_string())
                .replace("{port}", &port.to_string())
                .replace("{servers}", servers.trim_end());
            std::fs::write(dir.join("nginx.conf"), conf).expect("nginx.conf written");
            let stderr = std::fs::File::create(dir.join("stderr.log")).expect("stderr.log");
            let child = Command::new(&binary)
                .arg("-p")
                .arg(format!("{}/", dir.display()))
                .arg("-e")
                .arg(dir.join("error.log"))
                .arg("-c")
                .arg(dir.join("nginx.conf"))
                .arg("-g")
                .arg(format!("daemon off; pid {}/nginx.pid;", dir.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .unwrap_or_else(|error| panic!("{} does not run: {error}", binary.display()));
            let mut nginx = Self { child, dir, port };
            match nginx.wait_until_listening() {
                Ok(()) => return nginx,
                Err(log) if log.contains("Address already in use") => last_log = log,
                Err(log) => panic!("nginx did not start:\n{log}"),
            }
        }
        panic!("nginx found no free port:\n{last_log}");
    }

    fn wait_until_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                return Err(self.logs());
            }
            if Instant::now() > deadline {
                return Err(format!("not listening after 10 s\n{}", self.logs()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn logs(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
        format!("{}{}", read("stderr.log"), read("error.log"))
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM to the master stops its workers too (SIGKILL would orphan them).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// --- two instances behind nginx ------------------------------------------------

struct Instance {
    address: SocketAddr,
    handle: ServerHandle,
}

impl Instance {
    fn url(&self) -> String {
        format!("http://{}", self.address)
    }
}

/// Two instances with the same settings (but for their ports) behind nginx.
struct Cluster {
    nginx: Nginx,
    instances: [Instance; 2],
    prefix: String,
    _database: TestDatabase,
}

impl Cluster {
    async fn start(overrides: &[(&str, &str)]) -> Self {
        let database = TestDatabase::create().await;
        let prefix = format!("status-api-test:{}:", random_hex(8));
        let trusted = [("TRUSTED_PROXIES", "127.0.0.1")];
        let settings = test_settings(&database, &prefix, &[&trusted[..], overrides].concat());
        // Started together: both run the migrations on the empty database.
        let (a, b) = tokio::join!(start(settings.clone()), start(settings));
        let (a, b) = (a.expect("instance A starts"), b.expect("instance B starts"));
        let nginx = Nginx::start(&[a.0, b.0]);
        Self {
            nginx,
            instances: [
                Instance {
                    address: a.0,
                    handle: a.1,
                },
                Instance {
                    address: b.0,
                    handle: b.1,
                },
            ],
            prefix,
            _database: database,
        }
    }

    fn a(&self) -> String {
        self.instances[0].url()
    }

    fn b(&self) -> String {
        self.instances[1].url()
    }

    fn lb(&self) -> String {
        self.nginx.url()
    }

    /// Both instances' addresses, as nginx names them in `X-Upstream`.
    fn both(&self) -> HashSet<String> {
        self.instances
            .iter()
            .map(|instance| instance.address.to_string())
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let handles: Vec<ServerHandle> = self
            .instances
            .iter()
            .map(|instance| instance.handle.clone())
            .collect();
        let prefix = self.prefix.clone();
        in_own_runtime(async move {
            for handle in handles {
                handle.stop(false).await;
            }
            delete_keys(&prefix).await;
        });
    }
}

// --- requests: no cookie jar, the cookie is passed by hand ---------------------

fn http(user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .build()
        .expect("a client")
}

async fn send(
    mut request: reqwest::RequestBuilder,
    cookie: Option<&str>,
    headers: &[(&str, &str)],
) -> Response {
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("request sent")
}

async fn get(base: &str, path: &str, cookie: &str) -> Response {
    send(http("test").get(format!("{base}{path}")), Some(cookie), &[]).await
}

async fn post(
    base: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Response {
    let mut request = http("test").post(format!("{base}{path}"));
    if let Some(body) = body {
        request = request.json(body);
    }
    send(request, cookie, headers).await
}

/// Which instance answered a request sent through nginx (the last one
/// tried, when nginx had to try more than one).
fn upstream(response: &Response) -> String {
    let tried = response
        .headers()
        .get("x-upstream")
        .expect("nginx names the instance")
        .to_str()
        .unwrap();
    tried.rsplit(", ").next().unwrap().to_owned()
}

fn account(email: &str) -> Value {
    json!({"email": email, "password": PASSWORD, "name": "Scaled User"})
}

/// `sid=...` from a register or login answer with that status.
async fn session_of(response: Response, status: u16) -> String {
    let code = response.status();
    let cookie = session_pair(response.headers());
    assert_eq!(
        code,
        status,
        "{}",
        response.text().await.unwrap_or_default()
    );
    cookie.expect("a session cookie")
}

// --- tests ---------------------------------------------------------------------

#[tokio::test]
async fn a_session_from_one_instance_works_and_ends_on_the_other() {
    let cluster = Cluster::start(&[]).await;
    let (a, b, lb) = (cluster.a(), cluster.b(), cluster.lb());

    // Registered through nginx; then the one cookie goes round robin.
    let email = unique_email();
    let registered = post(&lb, "/register", None, Some(&account(&email)), &[]).await;
    let via_lb = session_of(registered, 201).await;
    let mut answered = HashSet::new();
    for _ in 0..4 {
        let response = get(&lb, "/me", &via_lb).await;
        answered.insert(upstream(&response));
        assert_eq!(json_of(response, 200).await["email"], email);
    }
    for n in 0..4 {
        let body = json!({"text": format!("through nginx {n}")});
        let response = post(&lb, "/addStatus", Some(&via_lb), Some(&body), &[]).await;
        answered.insert(upstream(&response));
        assert_eq!(response.status(), 201);
    }
    assert_eq!(answered, cluster.both(), "nginx used both instances");

    // A browser's same-origin POST through nginx passes on either instance;
    // another site's is refused by either.
    let mut answered = HashSet::new();
    for n in 0..2 {
        let body = json!({"text": format!("from the page {n}")});
        let response = post(
            &lb,
            "/addStatus",
            Some(&via_lb),
            Some(&body),
            &[("origin", &lb)],
        )
        .await;
        answered.insert(upstream(&response));
        assert_eq!(
            response.status(),
            201,
            "same-origin POST through nginx: {}",
            response.text().await.unwrap_or_default()
        );
        let body = json!({"text": "forged"});
        let origin = [("origin", "https://evil.example")];
        let response = post(&lb, "/addStatus", Some(&via_lb), Some(&body), &origin).await;
        answered.insert(upstream(&response));
        problem(response, 403, "forbidden-origin").await;
    }
    assert_eq!(answered, cluster.both());

    // Logged in on A, used on B, read back on A and through nginx.
    let login = json!({"email": email, "password": PASSWORD});
    let via_a = session_of(post(&a, "/login", None, Some(&login), &[]).await, 200).await;
    assert_eq!(
        json_of(get(&b, "/me", &via_a).await, 200).await["email"],
        email
    );
    let body = json!({"text": "written through B"});
    let added = json_of(
        post(&b, "/addStatus", Some(&via_a), Some(&body), &[]).await,
        201,
    )
    .await;
    let on_a = json_of(get(&a, "/fetchStatus?limit=100", &via_a).await, 200).await;
    let items = on_a["items"].as_array().unwrap();
    assert_eq!(items.len(), 7);
    assert_eq!(items[0]["id"], added["id"]);
    assert_eq!(items[0]["text"], "written through B");
    let mut answered = HashSet::new();
    for _ in 0..2 {
        let response = get(&lb, "/fetchStatus?limit=100", &via_a).await;
        answered.insert(upstream(&response));
        assert_eq!(json_of(response, 200).await, on_a);
    }
    assert_eq!(answered, cluster.both());

    // Logged out on B: the cookie is dead everywhere, the other session lives.
    let logout = post(&b, "/logout", Some(&via_a), None, &[]).await;
    assert_eq!(logout.status(), 204);
    for base in [&a, &b, &lb, &lb] {
        problem(get(base, "/me", &via_a).await, 401, "unauthenticated").await;
    }
    for base in [&a, &b] {
        assert_eq!(get(base, "/me", &via_lb).await.status(), 200);
    }
}

#[tokio::test]
async fn rate_limits_are_shared_by_the_instances() {
    let cluster = Cluster::start(&[("REGISTER_IP_LIMIT", "3/60")]).await;
    let (a, b, lb) = (cluster.a(), cluster.b(), cluster.lb());
    // nginx appends its peer (127.0.0.1, trusted) to the client's header.
    let client = [("x-forwarded-for", "198.51.100.7")];

    let mut answered = HashSet::new();
    for _ in 0..3 {
        let email = unique_email();
        let response = post(&lb, "/register", None, Some(&account(&email)), &client).await;
        answered.insert(upstream(&response));
        assert_eq!(response.status(), 201);
    }
    assert_eq!(answered, cluster.both(), "registrations went to both");

    let mut answered = HashSet::new();
    for _ in 0..2 {
        let email = unique_email();
        let response = post(&lb, "/register", None, Some(&account(&email)), &client).await;
        answered.insert(upstream(&response));
        assert!(response.headers().contains_key("retry-after"));
        problem(response, 429, "rate-limited").await;
    }
    assert_eq!(
        answered,
        cluster.both(),
        "both refused the fourth and fifth"
    );
    for base in [&a, &b] {
        let email = unique_email();
        let response = post(base, "/register", None, Some(&account(&email)), &client).await;
        problem(response, 429, "rate-limited").await;
    }

    // The limit is the client's, not nginx's.
    let other = [("x-forwarded-for", "198.51.100.8")];
    let email = unique_email();
    let response = post(&lb, "/register", None, Some(&account(&email)), &other).await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn the_session_list_spans_the_instances() {
    let cluster = Cluster::start(&[]).await;
    let (a, b, lb) = (cluster.a(), cluster.b(), cluster.lb());

    let email = unique_email();
    let registered = send(
        http("via-nginx")
            .post(format!("{lb}/register"))
            .json(&account(&email)),
        None,
        &[("x-forwarded-for", "203.0.113.9")],
    )
    .await;
    let via_lb = session_of(registered, 201).await;
    let login = json!({"email": email, "password": PASSWORD});
    let mut cookies = Vec::new();
    for (base, agent) in [(&a, "via-a"), (&b, "via-b")] {
        let response = send(
            http(agent).post(format!("{base}/login")).json(&login),
            None,
            &[],
        )
        .await;
        cookies.push(session_of(response, 200).await);
    }
    let (via_a, via_b) = (&cookies[0], &cookies[1]);

    let mut answered = HashSet::new();
    let mut via_a_id = String::new();
    for _ in 0..2 {
        let response = get(&lb, "/sessions", &via_lb).await;
        answered.insert(upstream(&response));
        let listed = json_of(response, 200).await;
        let items = listed["items"].as_array().unwrap();
        let agents: HashSet<&str> = items
            .iter()
            .map(|item| item["user_agent"].as_str().unwrap())
            .collect();
        assert_eq!(agents, HashSet::from(["via-nginx", "via-a", "via-b"]));
        for item in items {
            let agent = item["user_agent"].as_str().unwrap();
            assert_eq!(item["current"], agent == "via-nginx", "{item}");
            let ip = if agent == "via-nginx" {
                "203.0.113.9"
            } else {
                "127.0.0.1"
            };
            assert_eq!(item["ip"], ip, "the client's IP, through nginx too: {item}");
            if agent == "via-a" {
                via_a_id = item["id"].as_str().unwrap().to_owned();
            }
        }
    }
    assert_eq!(answered, cluster.both());

    // Revoked through nginx: A's session is dead on both instances.
    let revoke = http("via-nginx")
        .delete(format!("{lb}/sessions/{via_a_id}"))
        .header("cookie", &via_lb);
    assert_eq!(send(revoke, None, &[]).await.status(), 204);
    for base in [&a, &b] {
        problem(get(base, "/me", via_a).await, 401, "unauthenticated").await;
    }

    // "Everyone else out", asked of B: nginx's session is gone from both.
    let others = http("via-b")
        .delete(format!("{b}/sessions"))
        .header("cookie", via_b);
    assert_eq!(send(others, None, &[]).await.status(), 204);
    for base in [&lb, &lb, &a] {
        problem(get(base, "/me", &via_lb).await, 401, "unauthenticated").await;
    }
    let left = json_of(get(&a, "/sessions", via_b).await, 200).await;
    assert_eq!(left["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn when_one_instance_stops_nginx_sends_everything_to_the_other_and_then_says_503() {
    let cluster = Cluster::start(&[]).await;
    let (b, lb) = (cluster.b(), cluster.lb());
    let email = unique_email();
    let registered = post(&lb, "/register", None, Some(&account(&email)), &[]).await;
    let cookie = session_of(registered, 201).await;

    cluster.instances[0].handle.stop(true).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let survivor = cluster.instances[1].address.to_string();
    for n in 0..3 {
        let response = get(&lb, "/me", &cookie).await;
        assert_eq!(upstream(&response), survivor);
        assert_eq!(json_of(response, 200).await["email"], email);
        let body = json!({"text": format!("after the stop {n}")});
        let response = post(&lb, "/addStatus", Some(&cookie), Some(&body), &[]).await;
        assert_eq!(upstream(&response), survivor);
        assert_eq!(response.status(), 201);
    }
    let statuses = json_of(get(&b, "/fetchStatus", &cookie).await, 200).await;
    assert_eq!(statuses["items"].as_array().unwrap().len(), 3);

    // Neither answers: nginx says so as the contract's 503 problem.
    cluster.instances[1].handle.stop(true).await;
    for _ in 0..2 {
        let response = get(&lb, "/me", &cookie).await;
        assert_eq!(response.headers()["retry-after"], "5");
        assert!(response.headers().contains_key("x-request-id"));
        problem(response, 503, "unavailable").await;
    }
}
