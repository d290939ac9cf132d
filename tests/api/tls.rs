//! TLS: HTTPS served directly, MySQL and Redis over verified TLS, each
//! against servers this test starts privately with a CA it makes.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use status_api::config::Settings;

use crate::helpers::{Certificates, free_port, spawn_app, start};

/// Kills the child when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn tls_redis(certs: &Certificates) -> (Server, u16) {
    let port = free_port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .args([
            "--tls-cert-file",
            &certs.text("server.pem"),
            "--tls-key-file",
            &certs.text("server.key"),
        ])
        .args([
            "--tls-ca-cert-file",
            &certs.text("ca.pem"),
            "--tls-auth-clients",
            "no",
        ])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server");
    wait_for_port(port, "redis-server with TLS");
    (Server(child), port)
}

/// A throwaway MariaDB with TLS and an account that must use it.
fn tls_mariadb(certs: &Certificates) -> (Server, u16) {
    let data = certs.path("mariadb");
    let installed = Command::new("mariadb-install-db")
        .args([
            "--no-defaults",
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ])
        .arg(format!("--datadir={}", data.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("mariadb-install-db");
    assert!(installed.success());
    let init = certs.path("init.sql");
    std::fs::write(
        &init,
        "CREATE USER 'app'@'%' IDENTIFIED BY 'app' REQUIRE SSL;\n\
         GRANT ALL PRIVILEGES ON *.* TO 'app'@'%';\nCREATE DATABASE app;\n",
    )
    .unwrap();
    let port = free_port();
    let child = Command::new("mariadbd")
        .args([
            "--no-defaults",
            "--user=root",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
        ])
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--port={port}"))
        .arg(format!("--socket={}", data.join("mysqld.sock").display()))
        .arg(format!("--init-file={}", init.display()))
        .arg(format!("--ssl-ca={}", certs.text("ca.pem")))
        .arg(format!("--ssl-cert={}", certs.text("server.pem")))
        .arg(format!("--ssl-key={}", certs.text("server.key")))
        .arg(format!("--log-error={}", data.join("error.log").display()))
        .stderr(Stdio::null())
        .spawn()
        .expect("mariadbd");
    wait_for_port(port, "mariadbd with TLS");
    (Server(child), port)
}

async fn with(settings: &Settings, change: impl FnOnce(&mut Settings)) -> anyhow::Result<()> {
    let mut settings = settings.clone();
    change(&mut settings);
    let (_, handle) = start(settings).await?;
    handle.stop(false).await;
    Ok(())
}

#[tokio::test]
async fn mysql_and_redis_over_verified_tls() {
    let certs = Certificates::generate();
    let (_redis, redis_port) = tls_redis(&certs);
    let (_mariadb, mariadb_port) = tls_mariadb(&certs);
    let app = spawn_app().await;
    let base = app.settings.clone();
    let redis_url = format!("rediss://127.0.0.1:{redis_port}/0");
    let database_url = format!("mysql://app:app@127.0.0.1:{mariadb_port}/app?require_ssl=true");
    let set = |settings: &mut Settings, database_ca: &str, redis_ca: &str| {
        settings.redis_url = redis_url.clone();
        settings.redis_ca_file = Some(certs.path(redis_ca));
        settings.database_url = database_url.clone();
        settings.database_ca_file = Some(certs.path(database_ca));
    };

    with(&base, |s| set(s, "ca.pem", "ca.pem"))
        .await
        .expect("TLS to both with the right CA");

    let error = with(&base, |s| set(s, "other-ca.pem", "ca.pem"))
        .await
        .expect_err("a wrong MySQL CA");
    assert!(format!("{error:#}").contains("DATABASE_URL"), "{error:#}");
    let error = with(&base, |s| set(s, "ca.pem", "other-ca.pem"))
        .await
        .expect_err("a wrong Redis CA");
    assert!(format!("{error:#}").contains("REDIS_URL"), "{error:#}");
    let error = with(&base, |s| {
        set(s, "ca.pem", "ca.pem");
        s.database_ca_file = None;
    })
    .await
    .expect_err("an unknown CA is not trusted by default");
    assert!(format!("{error:#}").contains("DATABASE_URL"), "{error:#}");
}

fn curl(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new("curl")
        .args(["-sS", "-D", "-", "-o", "/dev/null"])
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).to_lowercase(),
    )
}

#[tokio::test]
async fn https_is_served_directly_with_tls_cert_and_key() {
    let certs = Certificates::generate();
    let app = spawn_app().await;
    let mut settings = app.settings.clone();
    let port = free_port();
    settings.listen_addr = format!("127.0.0.1:{port}").parse().unwrap();
    settings.tls = Some((certs.path("server.pem"), certs.path("server.key")));
    settings.cookie_secure = true;
    let (_, handle) = start(settings).await.expect("an HTTPS server");
    let url = format!("https://127.0.0.1:{port}/healthz");

    let (code, headers) = curl(&["--cacert", &certs.text("ca.pem"), &url]);
    assert_eq!(code, Some(0), "{headers}");
    assert!(headers.starts_with("http/1.1 200"), "{headers}");
    assert!(
        headers.contains("strict-transport-security: max-age=31536000"),
        "{headers}"
    );
    let (code, _) = curl(&["--cacert", &certs.text("other-ca.pem"), &url]);
    assert_eq!(
        code,
        Some(60),
        "a client trusting another CA refuses the certificate"
    );

    // Over TLS our own origin is https://.
    let checkemail = format!("https://127.0.0.1:{port}/checkemail");
    let own_origin = format!("origin: https://127.0.0.1:{port}");
    let (_, headers) = curl(&[
        "--cacert",
        &certs.text("ca.pem"),
        "-H",
        &own_origin,
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"email":"a@example.com"}"#,
        &checkemail,
    ]);
    assert!(headers.starts_with("http/1.1 200"), "{headers}");
    handle.stop(false).await;
}
