//! The app's metrics, served on a listener of their own.

use status_api::config::Settings;

use std::time::{Duration, Instant};

use super::app::{Sibling, TestApp, free_port, spawn_app_with};
use super::browser::{Browser, client};

/// The app with its metrics on a free port of their own, and `overrides`.
pub async fn spawn_app_with_metrics(overrides: &[(&str, &str)]) -> TestApp {
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let settings = [&[("METRICS_ADDR", metrics_addr.as_str())], overrides].concat();
    spawn_app_with(&settings).await
}

impl TestApp {
    /// The text of GET /metrics (the app must have `METRICS_ADDR`).
    pub async fn metrics(&self) -> String {
        metrics_of(&self.settings).await
    }

    /// The value of one series, named with its labels as in the text
    /// (`name{label="value"}`); `None` while it has never been written.
    pub async fn metric(&self, series: &str) -> Option<i64> {
        metric_of(&self.settings, series).await
    }
}

impl TestApp {
    /// A sibling with metrics of its own, and `change`.
    pub async fn sibling_with_metrics(&self, change: impl FnOnce(&mut Settings)) -> Sibling {
        let metrics_addr = format!("127.0.0.1:{}", free_port());
        self.sibling(|settings| {
            settings.metrics_addr = Some(metrics_addr.parse().expect("an address"));
            change(settings);
        })
        .await
    }
}

impl Sibling {
    /// As `TestApp::metric`.
    pub async fn metric(&self, series: &str) -> Option<i64> {
        metric_of(&self.settings, series).await
    }

    /// Reads `/me` with `browser` until this instance answers it from its
    /// in-process copy (its session cache hits go up across the read).
    pub async fn until_answered_from_a_copy(&self, browser: &Browser) {
        const HITS: &str = "status_api_session_cache_hits_total";
        let waiting = Instant::now();
        loop {
            let hits = self.metric(HITS).await.unwrap_or(0);
            assert_eq!(browser.me().await.status(), 200, "a live session");
            if self.metric(HITS).await.unwrap_or(0) > hits {
                return;
            }
            assert!(
                waiting.elapsed() < Duration::from_secs(15),
                "never answered from a copy"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn metrics_of(settings: &Settings) -> String {
    let address = settings.metrics_addr.expect("METRICS_ADDR is set");
    let response = client()
        .get(format!("http://{address}/metrics"))
        .send()
        .await
        .expect("metrics answer");
    assert_eq!(response.status(), 200, "GET /metrics");
    response.text().await.expect("metrics text")
}

async fn metric_of(settings: &Settings, series: &str) -> Option<i64> {
    let text = metrics_of(settings).await;
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.parse().expect("an integer"))
}
