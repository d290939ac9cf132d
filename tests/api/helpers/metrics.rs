//! The app's metrics, served on a listener of their own.

use status_api::config::Settings;

use super::app::{Sibling, TestApp, free_port, spawn_app_with};
use super::browser::client;

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

impl Sibling {
    /// As `TestApp::metric`.
    pub async fn metric(&self, series: &str) -> Option<i64> {
        metric_of(&self.settings, series).await
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
