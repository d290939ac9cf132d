//! Requests sent all at once, each from a browser of its own.

use std::future::Future;

use reqwest::Response;

use super::app::TestApp;
use super::browser::Browser;

impl TestApp {
    /// Sends `count` requests at once, each made by `request` from a fresh
    /// browser on a task of its own; their responses, in the order made.
    pub async fn at_once<Fut>(
        &self,
        count: usize,
        request: impl Fn(Browser) -> Fut,
    ) -> Vec<Response>
    where
        Fut: Future<Output = Response> + Send + 'static,
    {
        let tasks: Vec<_> = (0..count)
            .map(|_| tokio::spawn(request(self.new_browser())))
            .collect();
        let mut responses = Vec::with_capacity(count);
        for task in tasks {
            responses.push(task.await.expect("the request's task"));
        }
        responses
    }

    /// The statuses of `at_once`, sorted: the order requests finish in is
    /// not theirs to keep.
    pub async fn statuses_at_once<Fut>(
        &self,
        count: usize,
        request: impl Fn(Browser) -> Fut,
    ) -> Vec<u16>
    where
        Fut: Future<Output = Response> + Send + 'static,
    {
        let responses = self.at_once(count, request).await;
        let mut statuses: Vec<u16> = responses
            .iter()
            .map(|response| response.status().as_u16())
            .collect();
        statuses.sort_unstable();
        statuses
    }
}
