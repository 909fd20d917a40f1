//! What the server's integration tests share: the API in-process, `router(AppState)` over a log
//! in a temporary directory, served by `axum::serve` on 127.0.0.1:0, with a reqwest client.

use std::sync::Arc;
use std::time::Duration;

use authtrail_ingest::{Limits, ParseConfig};
use authtrail_server::{router, AppState};
use authtrail_store::{keys, EmbeddedLog, Layout, LogOptions};

/// A running server and what the test needs to reach it and its log.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its address, for raw TCP.
    #[allow(dead_code)] // Not every test binary speaks raw TCP.
    pub addr: std::net::SocketAddr,
    /// The log it appends to.
    pub log: Arc<EmbeddedLog>,
    /// Its data directory.
    #[allow(dead_code)] // Only tests that keep files beside the log use it.
    pub dir: std::path::PathBuf,
    /// A client with a generous timeout.
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// Start a server with `limits` over a fresh log whose origin is `origin`.
pub async fn start(limits: Limits, origin: &str) -> TestServer {
    start_with(limits, origin, |state, _| state).await
}

/// Like [`start`], with `configure` applied to the state (given the data directory), e.g. to
/// check tokens or set request limits.
pub async fn start_with(
    limits: Limits,
    origin: &str,
    configure: impl FnOnce(AppState, &std::path::Path) -> AppState,
) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    keys::init(&Layout::new(dir.path()), origin).expect("init");
    let log = Arc::new(EmbeddedLog::open(dir.path(), LogOptions::default()).expect("open log"));
    let state = AppState::new(log.clone(), limits, Arc::new(ParseConfig::default()));
    let app = router(configure(state, dir.path()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    TestServer {
        base: format!("http://{addr}"),
        addr,
        log,
        dir: dir.path().to_path_buf(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client"),
        _dir: dir,
    }
}

#[allow(dead_code)] // Not every test binary reads.
impl TestServer {
    /// Waits until a signed checkpoint covers everything appended, so reads see it.
    pub async fn publish(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while self.log.publish_now().expect("checkpoint").checkpoint.size < self.log.size() {
            assert!(std::time::Instant::now() < deadline, "no checkpoint");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// GET `path` with query parameters: the status and the JSON body.
    pub async fn get_query(&self, path: &str, query: &[(&str, &str)]) -> (u16, serde_json::Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .send()
            .await
            .expect("get");
        let status = r.status().as_u16();
        (status, r.json().await.expect("JSON"))
    }
}
