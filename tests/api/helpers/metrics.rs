//! The app's metrics, served on a listener of their own.

use super::app::{TestApp, free_port, spawn_app_with};
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
        let address = self.settings.metrics_addr.expect("METRICS_ADDR is set");
        let response = client()
            .get(format!("http://{address}/metrics"))
            .send()
            .await
            .expect("metrics answer");
        assert_eq!(response.status(), 200, "GET /metrics");
        response.text().await.expect("metrics text")
    }

    /// The value of one series, named with its labels as in the text
    /// (`name{label="value"}`); `None` while it has never been written.
    pub async fn metric(&self, series: &str) -> Option<i64> {
        let text = self.metrics().await;
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .map(|value| value.parse().expect("an integer"))
    }
}
